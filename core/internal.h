/*
 * internal.h — the ground floor every module of the library stands on and
 * users never see: error handling (LAGraph style), checked allocation,
 * outputs written through a temporary file, the counter-based random
 * numbers, clocks, numbered text lines and strict numbers. Internal names
 * carry the prefix gkd_ (gkd_ belongs to METIS's GKlib).
 */
#ifndef GKD_CORE_INTERNAL_H
#define GKD_CORE_INTERNAL_H

#include "gnnkd.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* ---- messages and error handling ---------------------------------------- */

/* Writes a printf-style message into msg (GNNKD_MSG_LEN bytes), if msg is
 * not NULL and still empty: the first error is kept, and a caller's
 * GKD_FAIL after a failed call does not overwrite the deeper reason
 * (LAGraph's LG_ERROR_MSG). A buffer passed as msg must start empty. */
void gkd_msg(char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* msg becomes "what: " + msg (truncated to GNNKD_MSG_LEN): a deeper error
 * named as the part of a larger step it belongs to. */
void gkd_msg_prepend(char *msg, const char *what);

/* Every public function clears msg on entry (LAGraph's LG_CLEAR_MSG): a
 * caller never reads a stale message after a success, and gkd_msg can keep
 * the first error. */
#define GKD_CLEAR_MSG                                                                     \
    do {                                                                                  \
        if (msg) msg[0] = '\0';                                                           \
    } while (0)

/*
 * A function that creates things defines GKD_FREE_ALL (freeing everything it
 * may have created; every pointer starts as NULL) and then uses:
 *   GKD_TRY(call)                 run a gnnkd call; on failure clean up, return its status
 *   GKD_FAIL(status, fmt, ...)    write msg, clean up, return status
 *   GKD_CHECK(cond, status, fmt, ...)
 *   GKD_ALLOC(p, count)           p = zeroed array of count elements, or fail with ENOMEM
 * The function's message buffer must be called msg.
 */
#define GKD_TRY(call)                                                                      \
    do {                                                                                  \
        int gkd_rc_ = (call);                                                              \
        if (gkd_rc_ != GNNKD_OK) {                                                         \
            GKD_FREE_ALL;                                                                  \
            return gkd_rc_;                                                                \
        }                                                                                 \
    } while (0)
#define GKD_FAIL(status, ...)                                                              \
    do {                                                                                  \
        gkd_msg(msg, __VA_ARGS__);                                                         \
        GKD_FREE_ALL;                                                                      \
        return (status);                                                                  \
    } while (0)
#define GKD_CHECK(cond, status, ...)                                                       \
    do {                                                                                  \
        if (!(cond)) GKD_FAIL(status, __VA_ARGS__);                                        \
    } while (0)
#define GKD_ALLOC(p, count)                                                                \
    do {                                                                                  \
        (p) = gkd_calloc((size_t)(count), sizeof *(p));                                    \
        if ((p) == NULL)                                                                  \
            GKD_FAIL(GNNKD_ENOMEM, "out of memory for %lld x %zu bytes (%.0f MB)",          \
                     (long long)(count), sizeof *(p),                                     \
                     (double)(count) * (double)sizeof *(p) / 1048576.0);                  \
    } while (0)

/* calloc that refuses overflowing sizes and never returns NULL for count 0. */
void *gkd_calloc(size_t count, size_t size);

/* Frees *p and sets it to NULL. */
#define GKD_FREE(p)                                                                        \
    do {                                                                                  \
        free(p);                                                                          \
        (p) = NULL;                                                                       \
    } while (0)

/* ---- libraries below ------------------------------------------------------- */

/* GraphBLAS is started once per process, on first need (or by gnnkd_init).
 * Every use of it sits between gkd_grb_begin, which starts it if needed and
 * fails after gnnkd_finalize (nothing to end then), and gkd_grb_end; any
 * number of threads may be between the two at once, and gnnkd_finalize
 * waits for them. */
int gkd_grb_begin(char *msg);
void gkd_grb_end(void);

/* ---- model selection ---------------------------------------------------------- */

/* The one rule by which every training loop selects its weights
 * (gnnkd_select). val_loss (o->epochs) receives each epoch's validation
 * loss; GNNKD_SELECT_VAL_LOSS reads it back, so it must be there then. */
typedef struct {
    double best_acc, best_loss;
    int best_epoch, since_best;
    double *val_loss;
} gkd_selection;
#define GKD_SELECTION_INIT(val_loss) ((gkd_selection){-1.0, 1e300, 0, 0, (val_loss)})
enum { GKD_SELECT_KEEP = 1, GKD_SELECT_STOP = 2 };
/* Records epoch's validation accuracy and loss: GKD_SELECT_KEEP when these
 * weights are the new best (the caller copies them), GKD_SELECT_STOP when
 * training ends here (core/util.c), else 0. */
int gkd_select_epoch(gkd_selection *s, const gnnkd_train_options *o, int epoch, double acc,
                     double loss);

/* The cross-fitted validation accuracy (gnnkd_train_result.val_acc_cross):
 * the validation list's even and odd positions are two halves; each picks
 * its epoch by gkd_select_epoch's rule on its own nodes (the best accuracy,
 * ties to the lower mean cross-entropy) and is scored by the other half's
 * accuracy at that epoch. */
typedef struct {
    int32_t *half[2], n[2]; /* the halves' node ids (one allocation, half[0]'s) */
    double best_acc[2], best_loss[2], score[2];
} gkd_cross_val;
/* Splits val (nval) into the halves. GNNKD_ENOMEM; free with
 * gkd_cross_val_free (also after a failed or no init of a zeroed x). */
int gkd_cross_val_init(gkd_cross_val *x, const int32_t *val, int32_t nval, char *msg);
void gkd_cross_val_free(gkd_cross_val *x);
/* Records an epoch's logits z (n, C), labels label. O(nval C). */
void gkd_cross_val_epoch(gkd_cross_val *x, const float *z, const int32_t *label, int32_t C);
/* The mean of the two halves' scores; NaN before any epoch or with fewer
 * than 2 validation nodes. */
double gkd_cross_val_value(const gkd_cross_val *x);

/* ---- threads ----------------------------------------------------------------- */

/* Runnable threads of other processes now (core/util.c), 0 if unknown. */
int gkd_cpus_busy(void);

/* gnnkd_threads_default's rule: 1 below work_min multiply-adds an epoch, else
 * procs - busy (at least 1), capped by fit. */
int gkd_threads_choose(double work, double work_min, int procs, int busy, int fit);

/* ---- files ------------------------------------------------------------------ */

/* Opens an output for path (core/output.c: a regular file or nothing there is
 * written to an unnamed temporary file, a symlink is followed, a device or
 * FIFO is written directly, a directory refused). tmp (at least
 * GKD_PATH_LEN + 32 bytes) receives the state gkd_commit_file needs; it
 * flushes the data to disk and puts them at path (or drops them if ok is 0,
 * removing any temporary name). Outputs never appear half-written and no
 * temporary outlives a killed process where the file system has O_TMPFILE. */
FILE *gkd_open_tmp(const char *path, char *tmp, size_t tmplen, char *msg);
int gkd_commit_file(FILE *f, const char *tmp, const char *path, int ok, char *msg);

/* 1 if s ends with tail, ignoring case (file name extensions). */
int gkd_ends_with(const char *s, const char *tail);

/* Opens path for reading if it is a regular file (*size its length): a FIFO
 * or a device is GNNKD_EIO "not a regular file", without blocking on it.
 * Readers size their buffers by *size, never by what the file declares. */
FILE *gkd_open_regular(const char *path, int64_t *size, int *status, char *msg);

/* crc continued over len bytes at p (zlib's CRC-32; start from 0). */
uint32_t gkd_crc32(uint32_t crc, const void *p, int64_t len);

/* Paths the library builds are at most this long. */
#define GKD_PATH_LEN 4096

/* out (GKD_PATH_LEN bytes) = dir/file, without doubling a trailing slash of
 * dir; GNNKD_EINVAL naming dir if it is too long. */
int gkd_path_join(char *out, const char *dir, const char *file, char *msg);

/* ---- random numbers ------------------------------------------------------- */

/* Counter-based: a value is a pure function of (key, counter), so a parallel
 * loop draws the same numbers on any number of threads. */
static inline uint64_t gkd_mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t gkd_key(uint64_t seed, uint64_t a, uint64_t b) {
    return gkd_mix64(gkd_mix64(gkd_mix64(seed) ^ a) ^ b);
}
/* Uniform in [0, 1) with 24 bits. */
static inline float gkd_uniform(uint64_t key, uint64_t counter) {
    return (float)(gkd_mix64(key ^ gkd_mix64(counter)) >> 40) * (1.0f / 16777216.0f);
}
/* Standard normal (Box-Muller) from two counters. */
double gkd_normal(uint64_t key, uint64_t counter);

/* ---- clocks and memory ---------------------------------------------------- */

double gkd_now(void);          /* monotonic seconds */
double gkd_peak_rss_mb(void);  /* peak resident set size of the process, MiB */

/* ---- numbered lines ---------------------------------------------------- */

/* A text file read whole into memory. gkd_text_next hands out its lines one
 * at a time (NUL-terminated, without "\n" or "\r\n"); line is the 1-based
 * number of the line last handed out. */
typedef struct {
    const char *path;
    char *buf;       /* len + 1 bytes */
    size_t len, pos; /* pos: the start of the next line */
    int64_t line;
} gkd_text;

/* Opens and reads path; a NUL byte in it is GNNKD_EDATA. Close t even on
 * failure (gkd_text_close is safe on a zeroed or failed gkd_text). */
int gkd_text_open(gkd_text *t, const char *path, char *msg);
void gkd_text_close(gkd_text *t);

/* The next line, or NULL at the end of the file. */
char *gkd_text_next(gkd_text *t);

/* Bytes not yet handed out: a bound on what the rest of the file can hold. */
static inline size_t gkd_text_left(const gkd_text *t) { return t->len - t->pos; }

/* 1 if s holds only blanks (spaces, tabs, \r, \f, \v). */
int gkd_is_blank(const char *s);

/* Strict numbers: each skips leading blanks, reads one whole token into *v
 * and advances *s past it; the token must end at a blank or the end of the
 * line ("12x" is not a number). 0 (and *s unchanged) if the token is not a
 * decimal integer in int64 range / a finite float. */
int gkd_parse_int(const char **s, int64_t *v);
int gkd_parse_float(const char **s, float *v);

/* Copies the token at s (after blanks, at most 40 characters, or
 * "end of line") into buf, for "found '...'" in messages. */
const char *gkd_token(char *buf, size_t len, const char *s);

#endif /* GKD_CORE_INTERNAL_H */
