/*
 * speed.h — what the parts of `gnnkd bench-speed` share: the machine's
 * ceilings (roofline.c) and the per-node latency (speed_latency.c); the
 * kernels of an epoch come from the model's own profile (gnnkd.h).
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

/* A position student's one hop (gnnkd_model_position_rows): each query
 * node v served as a new node whose edges are its edges in d, its row the
 * mean of its neighbours' rows; each query timed alone (nodes read: its
 * degree). full_graph_ms and max_abs_diff stay 0. */
int speed_position_measure(speed_latency *r, const gnnkd_model *m, const gnnkd_dataset *d,
                           const int32_t *query, int32_t nquery, char *msg);

/* ---- the exported student (speed_export.c) ------------------------------- */

/* The MLP m exported as C (float and int8), compiled with `cc -O2` (CC if
 * set) into shared objects and loaded: checked on every node of d against
 * the library's eval logits (float: max |diff| and same class; int8:
 * agreement with float, test accuracy), then each query timed alone after
 * a warm pass. A student with position rows reads dp (d with its rows
 * appended: the library's input; NULL otherwise) and is checked and timed
 * also for each node served as a new node from its edges in d. A JSON
 * object, or NULL with msg (no compiler, not an MLP). */
struct cJSON;
struct cJSON *speed_export_measure(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_dataset *dp,
                                   const int32_t *query, int32_t nquery, char *msg);

/* ---- distributed training (speed_dist.c) --------------------------------- */

/* Under mpirun, one rank per part of dir: warmup + epochs training epochs of
 * spec (threads per rank), then rank 0 prints the median epoch, the time in
 * exchanges and the bytes per epoch, the largest rank's peak memory (json:
 * one object). A failure on any rank ends the job (gnnkd_mpi_abort). The
 * exit code. */
int speed_dist_run(const char *dir, const gnnkd_model_spec *spec, int threads, int warmup,
                   int epochs, unsigned long long seed, int json);

#endif /* GNNKD_SPEED_H */
