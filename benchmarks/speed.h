/*
 * speed.h — what the parts of `gnnkd bench-speed` share: the machine's
 * ceilings (roofline.c), the kernels of one training epoch timed in isolation
 * (speed_kernels.c) and the single-node inference paths (speed_latency.c).
 * Names carry the prefixes roofline_ and speed_.
 */
#ifndef GNNKD_SPEED_H
#define GNNKD_SPEED_H

#include "gnnkd.h"

/* ---- machine ceilings (roofline.c) --------------------------------------- */

typedef struct {
    int threads;
    double stream_gbs;   /* STREAM triad a = b + s c (doubles), best of 10 */
    double sgemm_gflops; /* OpenBLAS SGEMM on square matrices, best of 3 */
    double stream_mb;    /* the triad's three arrays together, MiB */
    int sgemm_n;         /* the SGEMM's order */
    double omp_region_us; /* an empty OpenMP parallel region, median */
} roofline_machine;

/* Measures the ceilings with threads OpenMP/OpenBLAS threads. Allocates a
 * few hundred MiB (the triad's arrays must dwarf the last-level cache): run
 * it in a process whose peak memory nobody reports. */
int roofline_measure(roofline_machine *m, int threads, char *msg);

/* The roofline time bound of work of flops and bytes on m:
 * max(flops / peak flops, bytes / peak bandwidth), seconds. */
double roofline_bound(const roofline_machine *m, double flops, double bytes);

/* ---- the kernels of one training epoch (speed_kernels.c) ----------------- */

typedef enum {
    SPEED_SPARSE_FEATURES = 0, /* sparse X times dense, and its transpose */
    SPEED_ADJACENCY = 1,       /* Â times dense */
    SPEED_GEMM = 2,            /* dense GEMMs */
    SPEED_ELEMENTWISE = 3,     /* dropout, ReLU, bias, zeroing, loss, Adam */
    SPEED_NGROUPS = 4
} speed_group;

const char *speed_group_name(speed_group g);

/* One kernel call of the epoch, with the shapes the model uses. */
typedef struct {
    char name[64];        /* e.g. "spmm A*(n,256)" */
    speed_group group;
    int op;               /* which call (private to speed_kernels.c) */
    int64_t rows, in, out; /* its shape (meaning depends on op) */
    int calls;            /* per epoch */
    double flops, bytes;  /* per call: 2 nnz h, 2 m k n; minimal traffic */
    double seconds;       /* per call, the median in isolation */
    double seconds_min;   /* per call, the fastest (the least disturbed) */
} speed_kernel;

typedef struct {
    int nkernels;
    speed_kernel k[48];
} speed_plan;

/* The kernel calls of one training epoch (forward with dropout, loss,
 * backward, Adam) of a model of spec s on d, identical calls merged. */
void speed_plan_epoch(speed_plan *p, const gnnkd_model_spec *s, const gnnkd_dataset *d,
                      const gnnkd_graph *g);

/* Times every kernel of p in isolation, on buffers of its shapes filled with
 * arbitrary values (the sparse matrices are d's features and g's Â), with
 * the current thread count: seconds is the median of repeats totalling at
 * least min_seconds. */
int speed_plan_time(speed_plan *p, const gnnkd_model_spec *s, const gnnkd_dataset *d,
                    const gnnkd_graph *g, double min_seconds, char *msg);

/* ---- single-node inference (speed_latency.c) ----------------------------- */

/* Per-node latency of model m over the query nodes (one thread): each
 * answer is first checked against row v of the full-graph forward (a
 * mismatch beyond rounding is GNNKD_EINTERNAL), then each query is timed
 * alone. */
typedef struct {
    int32_t queries;
    double median_us, p99_us, mean_us; /* per query */
    double hood_median;                /* nodes read per query */
    int32_t hood_max;
    double max_abs_diff;               /* against the full-graph forward */
    double full_graph_ms;              /* one full-graph eval forward, median of 5 */
} speed_latency;

int speed_latency_measure(speed_latency *r, gnnkd_model *m, const gnnkd_dataset *d,
                          const gnnkd_graph *g, const int32_t *query, int32_t nquery, char *msg);

#endif /* GNNKD_SPEED_H */
