/* util.c — status names, messages, checked allocation, temp-file outputs,
 * clocks, the thread count. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>

const char *gnnkd_status_name(int status) {
    switch (status) {
    case GNNKD_OK: return "GNNKD_OK";
    case GNNKD_EINVAL: return "GNNKD_EINVAL";
    case GNNKD_EDATA: return "GNNKD_EDATA";
    case GNNKD_EIO: return "GNNKD_EIO";
    case GNNKD_ENOMEM: return "GNNKD_ENOMEM";
    case GNNKD_ENUMERIC: return "GNNKD_ENUMERIC";
    case GNNKD_EINTERNAL: return "GNNKD_EINTERNAL";
    default: return "GNNKD_UNKNOWN";
    }
}

int gnnkd_exit_code(int status) {
    if (status == GNNKD_OK) return 0;
    if (status == GNNKD_EINVAL || status == GNNKD_EDATA || status == GNNKD_EIO) return 2;
    return 1;
}

const char *gnnkd_version(void) { return GNNKD_VERSION_STRING; }

void gnnkd_set_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int gnnkd_get_threads(void) { return omp_get_max_threads(); }

void gkd_msg(char *msg, const char *fmt, ...) {
    if (msg == NULL) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, GNNKD_MSG_LEN, fmt, ap);
    va_end(ap);
}

void *gkd_calloc(size_t count, size_t size) {
    if (count == 0) count = 1;
    if (size != 0 && count > SIZE_MAX / size) return NULL;
    return calloc(count, size);
}

void gnnkd_csr_clear(gnnkd_csr *a) {
    if (a == NULL) return;
    free(a->rowptr);
    free(a->colidx);
    free(a->val);
    memset(a, 0, sizeof *a);
}

double gkd_normal(uint64_t key, uint64_t counter) {
    double u1 = ((double)(gkd_mix64(key ^ gkd_mix64(2 * counter)) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double u2 = (double)(gkd_mix64(key ^ gkd_mix64(2 * counter + 1)) >> 11) * (1.0 / 9007199254740992.0);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

double gkd_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double gkd_peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0; /* ru_maxrss is in KiB on Linux */
}

int gkd_path_join(char *out, const char *dir, const char *file, char *msg) {
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/') n--;
    int len = snprintf(out, GKD_PATH_LEN, "%.*s/%s", (int)n, dir, file);
    if (len < 0 || len >= GKD_PATH_LEN) {
        gkd_msg(msg, "%s: path too long", dir);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}
