/* bench_summary.h — the summary of a run, computed from its rows alone, and
 * summary.json / summary.md (bench_summary.c). */
#ifndef GNNKD_BENCH_SUMMARY_H
#define GNNKD_BENCH_SUMMARY_H

#include "bench_grid.h"
#include "bench_table.h"

#include <stdio.h>

/* The scores of a row: test accuracy and the setting's three (transductive:
 * tran = test, ind NaN, prod = test). */
enum { BENCH_TEST, BENCH_TRAN, BENCH_IND, BENCH_PROD, BENCH_NSCORES };

/* One configuration of one student on one dataset from one teacher (or a
 * teacher itself), over the seeds found. */
typedef struct {
    int n;                           /* seeds with a row */
    double *score[BENCH_NSCORES];    /* (n) each */
    double mean[BENCH_NSCORES], std[BENCH_NSCORES];
    double val_mean, val_std;
    double val_cross_mean; /* of val_acc_cross over the rows that have it (NaN: none) */
    double teacher_mean;   /* the headline score of the teachers of the same seeds (NaN: none) */
    double inference_ms, teacher_inference_ms; /* medians over the rows */
    double epochs, train_seconds;              /* means */
    long long student_params, teacher_params;
} bench_stat;

typedef struct {
    const bench_grid *grid;
    int nconf, nt;      /* nt: the grid's teachers, at least 1 */
    int score;          /* the headline score: BENCH_PROD when inductive, else BENCH_TEST */
    bench_stat *stat;   /* (ndatasets, nt, nstudents, nconf); a configuration
                           without a teacher has the same rows at every t */
    bench_stat *teacher; /* (ndatasets, nt) */
    int *best;          /* (ndatasets, nt, nstudents, nmethods): each method's
                           configuration chosen by mean validation accuracy, or -1 */
    double *pool;       /* every score array */
} bench_summary;

static inline bench_stat *bench_stat_at(const bench_summary *s, int d, int t, int st, int k) {
    return &s->stat[(((size_t)d * s->nt + t) * s->grid->nstudents + st) * s->nconf + k];
}
static inline bench_stat *bench_teacher_at(const bench_summary *s, int d, int t) {
    return &s->teacher[(size_t)d * s->nt + t];
}
/* The configuration of the grid's method m (an index into g->method)
 * chosen for (d, t, st), or -1 without rows. */
int bench_chosen(const bench_summary *s, int d, int t, int st, int m);
/* The configuration of (d, t, st) trained from scratch (the baseline of
 * "gain over scratch"), or -1 if the grid has none. */
int bench_scratch(const bench_summary *s, int d, int t, int st);

int bench_summary_compute(bench_summary *s, const bench_grid *g, const bench_table *t, char *msg);
void bench_summary_free(bench_summary *s);
/* summary.json and summary.md in dir (the latter links the plots if
 * plots); the headline table also goes to echo (if not NULL). */
int bench_summary_write(const bench_summary *s, const char *dir, int plots, FILE *echo, char *msg);

#endif
