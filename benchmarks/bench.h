/* bench.h — `gnnkd bench`, the citation-graph benchmark of distillation
 * against compression: its grid, the rows of results.csv and the reports made
 * from them (summary, plots, environment). Internal prefix: bench_. */
#ifndef GNNKD_BENCH_H
#define GNNKD_BENCH_H

#include "cli.h"

#include <stdio.h>

enum {
    BENCH_MAX_LIST = 32,  /* datasets, students, temperatures, alphas */
    BENCH_NAME_LEN = 128, /* a dataset's label (gnnkd_dataset.name) */
    BENCH_SPEC_LEN = 64,  /* "gcn:64,64" */
    BENCH_NUM_LEN = 24    /* a temperature or alpha as text ("%g") */
};

/* What one run covers: every dataset × seed × student × configuration. The
 * configurations of a student, in report order: scratch, then KD for every
 * (T, alpha) (T outer), then compression for every alpha. */
typedef struct {
    int ndatasets;
    char dataset[BENCH_MAX_LIST][BENCH_NAME_LEN]; /* labels, known once loaded */
    char teacher[BENCH_SPEC_LEN];                 /* normalised, as gnnkd_model_spec_format */
    int nstudents;
    char student[BENCH_MAX_LIST][BENCH_SPEC_LEN];
    int ntemps, nalphas;
    double temp[BENCH_MAX_LIST], alpha[BENCH_MAX_LIST];
    int seeds;        /* seeds seed0, seed0 + 1, ... */
    long seed0;
    char teacher_training[96]; /* gnnkd train's defaults, as bench_training_text */
    gnnkd_select select; /* of the students */
    int epochs, patience;
    double weight_decay; /* of every student, or < 0: as gnnkd distill, 0 when
                            distilled (the soft targets regularise), 5e-4
                            (Kipf's) from scratch */
} bench_grid;

int bench_nconfigs(const bench_grid *g);
/* The method of configuration k and its temperature and alpha indices (-1
 * where they do not apply). */
void bench_config(const bench_grid *g, int k, gnnkd_method *method, int *t, int *a);
/* The weight decay of a student trained by method. */
float bench_weight_decay(const bench_grid *g, gnnkd_method method);
/* The options of the student of configuration config: the library's recipe
 * for its method and the grid's selection rule, with the grid's epochs,
 * patience and weight decay, temperature, alpha, and centred logits for
 * compression. */
void bench_student_options(gnnkd_distill_options *o, const bench_grid *g, int config,
                           const gnnkd_model_spec *student);
/* "select=val-acc patience=100 epochs=200 weight_decay=0": how a model is trained. */
void bench_training_text(char *buf, size_t len, gnnkd_select select, int patience, int epochs,
                         double weight_decay);

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

/* ---- the summary (bench_summary.c) ----------------------------------------- */

/* One configuration of one student on one dataset, over the seeds found. */
typedef struct {
    int n;                 /* seeds with a row */
    double *test;          /* (n) test accuracies */
    double test_mean, test_std, val_mean, val_std;
    double teacher_mean;   /* the teachers of the same seeds */
    double inference_ms, teacher_inference_ms; /* medians over the rows */
    double epochs, train_seconds;              /* means */
    long long student_params, teacher_params;
} bench_stat;

typedef struct {
    const bench_grid *grid;
    int nconf;
    bench_stat *stat;  /* (ndatasets, nstudents, nconf) */
    double *teacher;   /* (ndatasets, seeds) teacher test accuracy, per seed found */
    int *teacher_n;    /* (ndatasets) seeds found */
    double *teacher_mean, *teacher_std, *teacher_ms; /* (ndatasets) */
    long long *teacher_params;                       /* (ndatasets) */
    int *best;         /* (ndatasets, nstudents, 2): the configuration of KD and
                          compression chosen by mean validation accuracy, or -1 */
} bench_summary;

static inline bench_stat *bench_stat_at(const bench_summary *s, int d, int st, int k) {
    return &s->stat[((size_t)d * s->grid->nstudents + st) * s->nconf + k];
}
/* The chosen configuration of method (KD or compression; scratch is 0). */
int bench_chosen(const bench_summary *s, int d, int st, gnnkd_method method);

int bench_summary_compute(bench_summary *s, const bench_grid *g, const bench_table *t, char *msg);
void bench_summary_free(bench_summary *s);
/* summary.json and summary.md in dir (the latter links the plots if
 * plots); the headline table also goes to echo (if not NULL). */
int bench_summary_write(const bench_summary *s, const char *dir, int plots, FILE *echo, char *msg);

/* ---- plots (bench_plots.c) ------------------------------------------------- */

/* Writes the plots' data and gnuplot script into dir/plots and runs gnuplot
 * there. A missing or failing gnuplot is a warning on stderr, not an error:
 * *made is set to 1 only if the images were drawn. Errors are I/O errors. */
int bench_plots_write(const bench_summary *s, const char *dir, int *made, char *msg);

/* ---- environment (bench_env.c) --------------------------------------------- */

typedef struct {
    double start;        /* util_now() at start */
    char start_time[64]; /* ISO 8601, local time with offset */
    int finished;
    int resumed;
    int threads, jobs; /* threads in all; seeds at once (one thread each if > 1) */
    int rows_before, rows_run;
    int plots;
} bench_env;

/* env.json in dir: machine, versions, command line, git commit, times. */
int bench_env_write(const char *dir, const bench_env *e, const bench_grid *g, char *msg);

/* Runs argv[0] (looked up in PATH) in dir (NULL: here) with stdout and stderr
 * going to log (NULL: /dev/null), or stdout into out (len bytes, trailing
 * whitespace trimmed) if out is not NULL. Returns the exit status, 127 if
 * the program could not be started, -1 if no process could be made. */
int bench_run_program(const char *const *argv, const char *dir, const char *log, char *out,
                      size_t len);

#endif
