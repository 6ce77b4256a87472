/*
 * gnnkd_internal.h — what every module of the library shares and users never
 * see: error handling (LAGraph style), checked allocation, the counter-based
 * random numbers, clocks. Internal names carry the prefix gk_.
 */
#ifndef GNNKD_INTERNAL_H
#define GNNKD_INTERNAL_H

#include "gnnkd.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- messages and error handling ---------------------------------------- */

/* Writes a printf-style message into msg (GNNKD_MSG_LEN bytes), if msg. */
void gk_msg(char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * A function that creates things defines GK_FREE_ALL (freeing everything it
 * may have created; every pointer starts as NULL) and then uses:
 *   GK_TRY(call)                 run a gnnkd call; on failure clean up, return its status
 *   GK_FAIL(status, fmt, ...)    write msg, clean up, return status
 *   GK_CHECK(cond, status, fmt, ...)
 *   GK_ALLOC(p, count)           p = zeroed array of count elements, or fail with ENOMEM
 * The function's message buffer must be called msg.
 */
#define GK_TRY(call)                                                                      \
    do {                                                                                  \
        int gk_rc_ = (call);                                                              \
        if (gk_rc_ != GNNKD_OK) {                                                         \
            GK_FREE_ALL;                                                                  \
            return gk_rc_;                                                                \
        }                                                                                 \
    } while (0)
#define GK_FAIL(status, ...)                                                              \
    do {                                                                                  \
        gk_msg(msg, __VA_ARGS__);                                                         \
        GK_FREE_ALL;                                                                      \
        return (status);                                                                  \
    } while (0)
#define GK_CHECK(cond, status, ...)                                                       \
    do {                                                                                  \
        if (!(cond)) GK_FAIL(status, __VA_ARGS__);                                        \
    } while (0)
#define GK_ALLOC(p, count)                                                                \
    do {                                                                                  \
        (p) = gk_calloc((size_t)(count), sizeof *(p));                                    \
        if ((p) == NULL)                                                                  \
            GK_FAIL(GNNKD_ENOMEM, "%s: out of memory for %lld elements of %zu bytes",     \
                    __func__, (long long)(count), sizeof *(p));                           \
    } while (0)

/* calloc that refuses overflowing sizes and never returns NULL for count 0. */
void *gk_calloc(size_t count, size_t size);

/* Frees *p and sets it to NULL. */
#define GK_FREE(p)                                                                        \
    do {                                                                                  \
        free(p);                                                                          \
        (p) = NULL;                                                                       \
    } while (0)

/* ---- files ------------------------------------------------------------------ */

/* Opens path.tmp.<pid> for writing; gk_commit_file closes it and renames it to
 * path (or removes it if ok is 0). Outputs never appear half-written. */
FILE *gk_open_tmp(const char *path, char *tmp, size_t tmplen, char *msg);
int gk_commit_file(FILE *f, const char *tmp, const char *path, int ok, char *msg);

/* ---- random numbers ------------------------------------------------------- */

/* Counter-based: a value is a pure function of (key, counter), so a parallel
 * loop draws the same numbers on any number of threads. */
static inline uint64_t gk_mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t gk_key(uint64_t seed, uint64_t a, uint64_t b) {
    return gk_mix64(gk_mix64(gk_mix64(seed) ^ a) ^ b);
}
/* Uniform in [0, 1) with 24 bits. */
static inline float gk_uniform(uint64_t key, uint64_t counter) {
    return (float)(gk_mix64(key ^ gk_mix64(counter)) >> 40) * (1.0f / 16777216.0f);
}
/* Standard normal (Box-Muller) from two counters. */
double gk_normal(uint64_t key, uint64_t counter);

/* ---- clocks and memory ---------------------------------------------------- */

double gk_now(void);          /* monotonic seconds */
double gk_peak_rss_mb(void);  /* peak resident set size of the process, MiB */

/* ---- model internals shared with the trainer (gnn/model.c) ----------------- */

/* The flat parameter and gradient arrays of m (gnnkd_model_num_params long). */
float *gk_model_params(gnnkd_model *m);
float *gk_model_grads(gnnkd_model *m);
void gk_model_zero_grad(gnnkd_model *m);

/* One Adam step (t = 1, 2, ...) on all parameters, after adding the weight
 * decay gradient weight_decay * W to the weights (first layer only unless
 * o->decay_all_layers; biases never). It zeroes the gradients it used: the
 * next backward pass accumulates from zero. Returns gk_model_l2 of the new
 * weights, summed on the way (the next epoch's decay term, without a pass
 * of its own). */
double gk_model_adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t);

/* weight_decay * sum(W^2) / 2 over the decayed weights, for reporting. */
double gk_model_l2(const gnnkd_model *m, const gnnkd_train_options *o);

/* Resets Adam's moments and step (before training a loaded model again). */
void gk_model_reset_adam(gnnkd_model *m);

#endif /* GNNKD_INTERNAL_H */
