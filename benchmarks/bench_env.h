/* bench_env.h — env.json: the machine, versions, command line, git commit and
 * times of a run (bench_env.c). */
#ifndef GNNKD_BENCH_ENV_H
#define GNNKD_BENCH_ENV_H

#include "bench_grid.h"

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

#endif
