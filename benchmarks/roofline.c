/* roofline.c — the machine's ceilings that bench-speed holds every kernel
 * against: memory bandwidth as McCalpin's STREAM triad and compute as
 * OpenBLAS's SGEMM rate, both with the thread count of the run. */
#include "speed.h"

#include <cblas.h>
#include <omp.h>
#include <unistd.h>

#include "../app/util.h"

/* Each triad array is 4x the last-level cache, within these bounds (some
 * virtual machines report absurd cache sizes). */
#define ROOFLINE_MIN_ARRAY_BYTES (64L << 20)
#define ROOFLINE_MAX_ARRAY_BYTES (256L << 20)
#define ROOFLINE_STREAM_REPS 10
#define ROOFLINE_SGEMM_N 2048
#define ROOFLINE_SGEMM_REPS 3

static double stream_triad(double *mb, char *msg) {
    long llc = sysconf(_SC_LEVEL3_CACHE_SIZE);
    long bytes = llc > 0 ? 4 * llc : 0;
    if (bytes < ROOFLINE_MIN_ARRAY_BYTES) bytes = ROOFLINE_MIN_ARRAY_BYTES;
    if (bytes > ROOFLINE_MAX_ARRAY_BYTES) bytes = ROOFLINE_MAX_ARRAY_BYTES;
    int64_t len = bytes / (int64_t)sizeof(double);
    double *a = NULL, *b = NULL, *c = NULL;
    // allocated uninitialised: the parallel first touch below places the pages
    a = malloc((size_t)len * sizeof *a);
    b = malloc((size_t)len * sizeof *b);
    c = malloc((size_t)len * sizeof *c);
    if (a == NULL || b == NULL || c == NULL) {
        free(a);
        free(b);
        free(c);
        util_msg(msg, "roofline: out of memory for the STREAM arrays (3 x %ld MiB)", bytes >> 20);
        return -1.0;
    }
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < len; i++) {
        a[i] = 0.0;
        b[i] = 1.0;
        c[i] = 2.0;
    }
    const double s = 3.0;
    double best = 1e30;
    for (int rep = 0; rep < ROOFLINE_STREAM_REPS; rep++) {
        double t0 = util_now();
#pragma omp parallel for schedule(static)
        for (int64_t i = 0; i < len; i++) a[i] = b[i] + s * c[i];
        double t = util_now() - t0;
        if (t < best) best = t;
    }
    volatile double sink = a[len / 2]; // keeps the triad from being optimised away
    (void)sink;
    free(a);
    free(b);
    free(c);
    *mb = 3.0 * (double)len * sizeof(double) / (1024.0 * 1024.0);
    // STREAM's convention: 3 arrays moved, write-allocate traffic not counted
    return 3.0 * (double)len * sizeof(double) / best * 1e-9;
}

static double sgemm_rate(int n, char *msg) {
    size_t nn = (size_t)n * (size_t)n;
    float *a = calloc(nn, sizeof *a), *b = calloc(nn, sizeof *b);
    float *c = calloc(nn, sizeof *c);
    if (a == NULL || b == NULL || c == NULL) {
        free(a);
        free(b);
        free(c);
        util_msg(msg, "roofline: out of memory for the SGEMM matrices");
        return -1.0;
    }
    for (size_t e = 0; e < nn; e++) {
        a[e] = util_uniform(1, e) - 0.5f;
        b[e] = util_uniform(2, e) - 0.5f;
    }
    double best = 1e30;
    for (int rep = 0; rep <= ROOFLINE_SGEMM_REPS; rep++) { // rep 0 warms up OpenBLAS's threads
        double t0 = util_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c,
                    n);
        double t = util_now() - t0;
        if (rep > 0 && t < best) best = t;
    }
    free(a);
    free(b);
    free(c);
    return 2.0 * (double)n * n * n / best * 1e-9;
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The median cost of entering and leaving an empty parallel region: about a
 * microsecond on idle cores, milliseconds when other processes hold them (a
 * sleeping team member must be scheduled again), which then inflates every
 * kernel of a multi-threaded epoch. */
static double omp_region_us(void) {
    enum { REPS = 201 };
    double t[REPS];
    volatile int sink = 0;
    for (int rep = 0; rep < REPS; rep++) {
        double t0 = util_now();
#pragma omp parallel
        {
            if (omp_get_thread_num() == 0) sink = sink + 1;
        }
        t[rep] = 1e6 * (util_now() - t0);
    }
    qsort(t, REPS, sizeof *t, cmp_double);
    return t[REPS / 2];
}

int roofline_measure(roofline_machine *m, int threads, char *msg) {
    gnnkd_set_threads(threads);
    m->threads = gnnkd_get_threads();
    m->omp_region_us = omp_region_us();
    m->stream_gbs = stream_triad(&m->stream_mb, msg);
    if (m->stream_gbs < 0.0) return GNNKD_ENOMEM;
    m->sgemm_n = ROOFLINE_SGEMM_N;
    m->sgemm_gflops = sgemm_rate(m->sgemm_n, msg);
    if (m->sgemm_gflops < 0.0) return GNNKD_ENOMEM;
    return GNNKD_OK;
}

double roofline_bound(const roofline_machine *m, double flops, double bytes) {
    double tc = flops / (m->sgemm_gflops * 1e9), tm = bytes / (m->stream_gbs * 1e9);
    return tc > tm ? tc : tm;
}
