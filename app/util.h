/* util.h — the program's own small helpers, beside the library (which it
 * uses through gnnkd.h only): clocks and memory, messages, the cleanup
 * macros of its functions, outputs written through a temporary file, a
 * counter-based uniform draw, and the one way it runs a child process. */
#ifndef GNNKD_APP_UTIL_H
#define GNNKD_APP_UTIL_H

#include "gnnkd.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

double util_now(void);         /* monotonic seconds */
double util_cpu_now(void);     /* CPU seconds of all the process's threads */
double util_peak_rss_mb(void); /* peak resident set size of the process, MiB */

/* Writes a printf-style message into msg (GNNKD_MSG_LEN bytes), if msg. */
void util_msg(char *msg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A function that creates things defines UTIL_FREE_ALL (freeing all of it;
 * pointers start NULL) and then: UTIL_TRY(call) returns a failed status
 * after cleaning up, UTIL_CHECK(cond, status, fmt, ...) fails with a
 * message, UTIL_ALLOC(p, count) allocates zeroed or fails with
 * GNNKD_ENOMEM. Its message buffer is called msg. */
#define UTIL_TRY(call)                                                                     \
    do {                                                                                  \
        int util_rc_ = (call);                                                            \
        if (util_rc_ != GNNKD_OK) {                                                       \
            UTIL_FREE_ALL;                                                                \
            return util_rc_;                                                              \
        }                                                                                 \
    } while (0)
#define UTIL_CHECK(cond, status, ...)                                                      \
    do {                                                                                  \
        if (!(cond)) {                                                                    \
            util_msg(msg, __VA_ARGS__);                                                   \
            UTIL_FREE_ALL;                                                                \
            return (status);                                                              \
        }                                                                                 \
    } while (0)
#define UTIL_ALLOC(p, count)                                                               \
    UTIL_CHECK(((p) = calloc((size_t)(count) > 0 ? (size_t)(count) : 1, sizeof *(p))) != NULL, \
               GNNKD_ENOMEM, "%s: out of memory for %lld elements", __func__,              \
               (long long)(count))

/* Uniform in [0, 1), a pure function of (seed, counter). */
float util_uniform(uint64_t seed, uint64_t counter);

/* Runs child(ctx, fd) in a forked process that exits with its return value
 * (0..255), fd being the write end of a pipe; collects everything written
 * to it into *out (NUL-terminated, malloc'd; NULL if memory ran out, the
 * pipe drained regardless) and the wait status into *status. -1 if no
 * process could be made. */
int util_child(char **out, size_t *len, int *status, int (*child)(void *ctx, int fd), void *ctx);

/* Runs argv[0] (looked up in PATH) in dir (NULL: here) with stdout and stderr
 * going to log (NULL: /dev/null), or stdout into out (len bytes, trailing
 * whitespace trimmed) if out is not NULL. Returns the exit status, 127 if
 * the program could not be started, -1 if no process could be made. */
int util_run_program(const char *const *argv, const char *dir, const char *log, char *out,
                     size_t len);

#endif
