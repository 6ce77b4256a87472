/* util.c — the program's own helpers (see util.h). */
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double util_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double util_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double util_peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0) return 0.0;
    return (double)ru.ru_maxrss / 1024.0; // kB on Linux
}

void util_msg(char *msg, const char *fmt, ...) {
    if (msg == NULL) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, GNNKD_MSG_LEN, fmt, ap);
    va_end(ap);
}

/* SplitMix64's finaliser. */
static uint64_t mix64(uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

float util_uniform(uint64_t seed, uint64_t counter) {
    return (float)(mix64(mix64(seed) ^ mix64(counter)) >> 40) * (1.0f / 16777216.0f);
}

int util_child(char **out, size_t *len, int *status, int (*child)(void *ctx, int fd), void *ctx) {
    int fds[2];
    *out = NULL;
    *len = 0;
    if (pipe(fds) != 0) return -1;
    fflush(NULL); // nothing buffered may be written twice
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        _exit(child(ctx, fds[1]) & 0xff);
    }
    close(fds[1]);
    size_t used = 0, cap = 4096;
    char *text = malloc(cap);
    for (;;) { // read to the end, so the child never blocks
        if (text && used + 1 == cap) {
            char *bigger = realloc(text, cap * 2);
            if (bigger == NULL) free(text), text = NULL;
            else text = bigger, cap *= 2;
        }
        char sink[4096];
        ssize_t r = text ? read(fds[0], text + used, cap - 1 - used) : read(fds[0], sink, sizeof sink);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        if (text) used += (size_t)r;
    }
    close(fds[0]);
    while (waitpid(pid, status, 0) < 0)
        if (errno != EINTR) {
            free(text);
            return -1;
        }
    if (text) text[used] = '\0';
    *out = text;
    *len = text ? used : 0;
    return 0;
}

/* What the child of util_run_program runs. */
typedef struct {
    const char *const *argv;
    const char *dir, *log;
    int capture;
} program;

static int exec_program(void *ctx, int fd) {
    const program *p = ctx;
    // only async-signal-safe calls until exec
    int sink = open(p->log ? p->log : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (sink >= 0) {
        dup2(sink, 2);
        dup2(p->capture ? fd : sink, 1);
    }
    if (p->dir && chdir(p->dir) != 0) return 127;
    execvp(p->argv[0], (char *const *)p->argv);
    return 127;
}

int util_run_program(const char *const *argv, const char *dir, const char *log, char *out,
                      size_t len) {
    program p = {argv, dir, log, out != NULL};
    char *text = NULL;
    size_t used = 0;
    int status = 0;
    if (util_child(&text, &used, &status, exec_program, &p) != 0) return -1;
    if (out) {
        used = text ? used : 0;
        if (used > len - 1) used = len - 1; // what does not fit is dropped
        while (used > 0 && (text[used - 1] == '\n' || text[used - 1] == ' ')) used--;
        if (used) memcpy(out, text, used);
        out[used] = '\0';
    }
    free(text);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
