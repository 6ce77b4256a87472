/* bench_table.h — the rows of results.csv and curves.csv: the table read back to
 * resume a run and to make the reports (bench_table.c). */
#ifndef GNNKD_BENCH_TABLE_H
#define GNNKD_BENCH_TABLE_H

#include "bench_grid.h"

#include <stdio.h>

/* One line of results.csv: one trained model. The key is dataset, teacher,
 * student, method, one field per axis (BENCH_AXES; "" where the method has
 * no such axis), transfer and seed. A trained teacher is a row of its own:
 * method "teacher", student = teacher = its spec. A student trained without
 * a teacher (scratch) has teacher "none" and NaN teacher fields. training
 * says how the model was trained ("select=val-acc patience=100 epochs=200
 * weight_decay=0 setting=glnn") and split_seed on which split: a resumed
 * run must not mix two ways. */
typedef struct {
    char dataset[BENCH_NAME_LEN], teacher[BENCH_SPEC_LEN], student[BENCH_SPEC_LEN];
    char method[16], axis[BENCH_NAXES][BENCH_NUM_LEN], transfer[16];
    long seed, split_seed;
    char training[BENCH_TRAINING_LEN];
    double val_acc, test_acc;
    double val_acc_cross; /* gnnkd_train_result.val_acc_cross (NaN: a teacher's row) */
    /* the setting's scores (gnnkd_setting_acc); transductive: tran =
     * test_acc, ind NaN, prod = tran */
    double tran, ind, prod;
    int epochs;
    double train_seconds, inference_ms;
    long long student_params, teacher_params;
    double teacher_test_acc, teacher_ind, teacher_prod, teacher_inference_ms;
} bench_row;

/* The teacher column of a student trained without one. */
#define BENCH_NO_TEACHER "none"

/* Fills the key fields (and training, split_seed) of r for a student job of
 * the grid; teacher is ignored by a method without a teacher. */
void bench_row_key(bench_row *r, const bench_grid *g, int dataset, int teacher, int student, int config,
                   int seed);
/* The same for the row of a teacher. */
void bench_teacher_key(bench_row *r, const bench_grid *g, int dataset, int teacher, int seed);
int bench_row_same_key(const bench_row *a, const bench_row *b);

/* The rows read back or run so far. */
typedef struct {
    bench_row *row;
    int n, cap;
} bench_table;

int bench_table_add(bench_table *t, const bench_row *r, char *msg);
void bench_table_free(bench_table *t);
/* The first row with r's key, or NULL. */
const bench_row *bench_table_find(const bench_table *t, const bench_row *key);

/* Reads results.csv into t (a missing file is an empty table). A last line
 * without its newline (a run killed while writing) is cut off the file. */
int bench_csv_load(bench_table *t, const char *path, char *msg);
/* Opens results.csv for appending, writing the header if it is empty. */
int bench_csv_open(FILE **f, const char *path, char *msg);
/* Appends one row and flushes it, so that a killed run keeps it. */
int bench_csv_append(FILE *f, const bench_row *r, const char *path, char *msg);
/* The header line of results.csv (no newline): one layout a version of
 * the axis table; a file with another header is refused. */
const char *bench_csv_header(void);
/* Writes s as one CSV field, quoted if it holds a comma, quote or newline. */
void bench_csv_field(FILE *f, const char *s);
/* Splits line (modified in place) into at most max fields; returns the count,
 * or -1 for an unterminated quote. */
int bench_csv_split(char *line, char **field, int max);

/* The validation curve of one training, for the curves plot. */
typedef struct {
    int n, cap;
    double *train_loss, *val_loss, *val_acc, *train_acc;
} bench_curve;

/* Appends c to curves.csv under key (method "teacher" for the teacher). */
int bench_curve_append(FILE *f, const bench_row *key, const bench_curve *c, const char *path,
                       char *msg);
/* curves.csv: the key fields of results.csv, then epoch, train_loss,
 * val_loss, val_acc, train_acc. */
const char *bench_curve_header(void);
enum { BENCH_KEY_FIELDS = 6 + BENCH_NAXES, BENCH_CURVE_FIELDS = BENCH_KEY_FIELDS + 5 };
/* Whether the key fields of a split curves.csv line are key's. */
int bench_key_matches(char *const *field, const bench_row *key);

#endif
