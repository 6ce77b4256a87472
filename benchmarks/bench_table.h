/* bench_table.h — the rows of results.csv and curves.csv: the table read back to
 * resume a run and to make the reports (bench_table.c). */
#ifndef GNNKD_BENCH_TABLE_H
#define GNNKD_BENCH_TABLE_H

#include "bench_grid.h"

#include <stdio.h>

/* One line of results.csv: one trained student. The first eight fields are
 * the key; T and alpha are "" where they do not apply. training says how
 * the student was trained ("select=val-acc patience=100 epochs=200
 * weight_decay=0"): a resumed run must not mix two ways. */
typedef struct {
    char dataset[BENCH_NAME_LEN], teacher[BENCH_SPEC_LEN], student[BENCH_SPEC_LEN];
    char method[16], T[BENCH_NUM_LEN], alpha[BENCH_NUM_LEN], transfer[16];
    long seed;
    char training[96];
    double val_acc, test_acc;
    int epochs;
    double train_seconds, inference_ms;
    long long student_params, teacher_params;
    double teacher_test_acc, teacher_inference_ms;
    /* the setting's scores (gnnkd_setting_acc) of the student and the
     * teacher; transductive: tran = test_acc, ind NaN, prod = tran */
    double tran, ind, prod, teacher_ind, teacher_prod;
} bench_row;

/* Fills the key fields (and training) of r for a job of the grid. */
void bench_row_key(bench_row *r, const bench_grid *g, int dataset, int student, int config, int seed);
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
extern const char *BENCH_CURVE_HEADER;

#endif
