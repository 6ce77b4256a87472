/* bench_summary.h — the summary of a run, computed from its rows alone, and
 * summary.json / summary.md (bench_summary.c). */
#ifndef GNNKD_BENCH_SUMMARY_H
#define GNNKD_BENCH_SUMMARY_H

#include "bench_grid.h"
#include "bench_table.h"

#include <stdio.h>

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

#endif
