/* util.c — status names, messages, checked allocation, temp-file outputs,
 * clocks, the thread count. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>
#include <cblas.h>
#include <zlib.h>

const char *gnnkd_status_name(gnnkd_status status) {
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

int gnnkd_exit_code(gnnkd_status status) {
    if (status == GNNKD_OK) return 0;
    if (status == GNNKD_EINVAL || status == GNNKD_EDATA || status == GNNKD_EIO) return 2;
    return 1;
}

const char *gnnkd_version(void) { return GNNKD_VERSION; }

/* Address space one more thread takes: OpenBLAS's buffer, glibc's malloc
 * arena (64 MB reserved) and the stack (measured: ~139 MB a thread). */
#define GKD_THREAD_ADDRESS_SPACE (144LL << 20)

int gnnkd_threads_fit(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_AS, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return INT32_MAX;
    long long used = 0, pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%lld", &pages) == 1) used = pages * sysconf(_SC_PAGESIZE);
        fclose(f);
    }
    // thread pools get at most half of what is left: the data need the rest
    long long left = (long long)rl.rlim_cur - used;
    long long fit = left > 0 ? left / (2 * GKD_THREAD_ADDRESS_SPACE) : 0;
    return fit < 1 ? 1 : fit > 4096 ? 4096 : (int)fit;
}

void gnnkd_set_threads(int n) {
    if (n <= 0) n = omp_get_num_procs();
    // OpenBLAS spins forever when its buffers do not fit under ulimit -v
    int fit = gnnkd_threads_fit();
    if (n > fit) n = fit;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

/* Multiply-adds per epoch below which one thread is the fast choice: on
 * small graphs the threads' fork/join and wait outweigh the work (Cora
 * gcn:16: ~2e6). GNNKD_THREADS_WORK in the environment overrides it. */
#define GKD_THREADS_WORK_MIN 2e7

/* Runnable threads of other processes on the machine: /proc/stat's
 * procs_running less our own, the median of a few samples 1 ms apart (one
 * sample catches short bursts); 0 where /proc is not there. */
int gkd_cpus_busy(void) {
    int v[5], n = 0;
    for (int k = 0; k < 5; k++) {
        if (k > 0) nanosleep(&(struct timespec){0, 1000000}, NULL);
        FILE *f = fopen("/proc/stat", "r");
        if (f == NULL) break;
        char line[256];
        int running = -1;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "procs_running %d", &running) == 1) break;
        fclose(f);
        if (running < 1) break;
        int i = n++; // insertion sort
        for (; i > 0 && v[i - 1] > running - 1; i--) v[i] = v[i - 1];
        v[i] = running - 1;
    }
    return n ? v[n / 2] : 0;
}

int gkd_threads_choose(double work, double work_min, int procs, int busy, int fit) {
    // small work: fork/join and waiting cost more than threads save; large
    // work: the cores no other process keeps busy (a thread that must share
    // a core stalls every parallel loop's barrier)
    int n = work < work_min ? 1 : procs - busy;
    if (n < 1) n = 1;
    return n < fit ? n : fit;
}

int gnnkd_threads_default(const gnnkd_dataset *d, const gnnkd_model_spec *s) {
    double work = 0.0;
    if (d != NULL && s != NULL && s->nlayers >= 1) {
        int64_t nnz_a = gnnkd_csr_nnz(&d->adj) + d->n;
        int64_t nnz_x = d->x.rowptr ? gnnkd_csr_nnz(&d->x) : (int64_t)d->n * d->nfeat;
        int32_t h1 = s->dims[1] > 0 ? s->dims[1] : 16;
        work = (double)nnz_x * h1; // the first layer
        for (int l = 1; l < s->nlayers; l++) {
            double in = s->dims[l], out = s->dims[l + 1] > 0 ? s->dims[l + 1] : d->nclass;
            work += (double)d->n * in * out;
        }
        if (s->kind == GNNKD_MODEL_GCN)
            for (int l = 0; l < s->nlayers; l++)
                work += (double)nnz_a * (s->dims[l + 1] > 0 ? s->dims[l + 1] : d->nclass);
        work *= 3.0; // forward, and backward's two products
    }
    double min = GKD_THREADS_WORK_MIN;
    const char *env = getenv("GNNKD_THREADS_WORK");
    if (env != NULL && atof(env) > 0) min = atof(env);
    int busy = work < min ? 0 : gkd_cpus_busy();
    return gkd_threads_choose(work, min, omp_get_num_procs(), busy, gnnkd_threads_fit());
}

int gnnkd_get_threads(void) { return omp_get_max_threads(); }

void gkd_msg(char *msg, const char *fmt, ...) {
    if (msg == NULL || msg[0] != '\0') return; /* the first error is kept */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, GNNKD_MSG_LEN, fmt, ap);
    va_end(ap);
}

void gkd_msg_prepend(char *msg, const char *what) {
    if (msg == NULL) return;
    char inner[GNNKD_MSG_LEN];
    snprintf(inner, sizeof inner, "%s", msg);
    int room = GNNKD_MSG_LEN - 3 - (int)strlen(what); // the message's tail is what gives way
    snprintf(msg, GNNKD_MSG_LEN, "%s: %.*s", what, room > 0 ? room : 0, inner);
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

int gkd_ends_with(const char *s, const char *tail) {
    size_t ls = strlen(s), lt = strlen(tail);
    return ls >= lt && strcasecmp(s + ls - lt, tail) == 0;
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

uint32_t gkd_crc32(uint32_t crc, const void *p, int64_t len) {
    const Bytef *b = p;
    uLong c = crc;
    while (len > 0) { // zlib takes a uInt length: feed it in pieces
        uInt chunk = len > (1 << 30) ? (1u << 30) : (uInt)len;
        c = crc32(c, b, chunk);
        b += chunk;
        len -= chunk;
    }
    return (uint32_t)c;
}

/* The rule of GNNKD_SELECT_VAL_ACC: the best validation accuracy; ties go
 * to the lower validation loss. */
static int better_epoch(double acc, double loss, double best_acc, double best_loss) {
    return acc > best_acc || (acc == best_acc && loss < best_loss);
}

int gkd_select_epoch(gkd_selection *s, const gnnkd_train_options *o, int epoch, double acc,
                     double loss) {
    if (s->val_loss) s->val_loss[epoch - 1] = loss;
    if (o->select == GNNKD_SELECT_VAL_ACC) {
        if (better_epoch(acc, loss, s->best_acc, s->best_loss)) {
            s->best_acc = acc;
            s->best_loss = loss;
            s->best_epoch = epoch;
            s->since_best = 0;
            return GKD_SELECT_KEEP;
        }
        return o->patience > 0 && ++s->since_best >= o->patience ? GKD_SELECT_STOP : 0;
    }
    s->best_epoch = epoch; // the last weights, or Kipf & Welling's early stopping:
    if (o->select == GNNKD_SELECT_VAL_LOSS && o->patience > 0 && epoch > o->patience) {
        // stop once the validation loss exceeds the mean of the previous `patience` epochs
        double mean = 0.0;
        for (int k = epoch - 1 - o->patience; k < epoch - 1; k++) mean += s->val_loss[k];
        if (loss > mean / o->patience) return GKD_SELECT_STOP;
    }
    return 0;
}

int gkd_cross_val_init(gkd_cross_val *x, const int32_t *val, int32_t nval, char *msg) {
    *x = (gkd_cross_val){.best_acc = {-1.0, -1.0}, .best_loss = {1e300, 1e300}};
    x->half[0] = malloc(((size_t)nval + 1) * sizeof *x->half[0]);
    if (x->half[0] == NULL) {
        gkd_msg(msg, "out of memory for %d validation nodes", nval);
        return GNNKD_ENOMEM;
    }
    x->n[0] = (nval + 1) / 2;
    x->n[1] = nval / 2;
    x->half[1] = x->half[0] + x->n[0];
    for (int32_t q = 0; q < nval; q++) x->half[q & 1][q / 2] = val[q];
    return GNNKD_OK;
}

void gkd_cross_val_free(gkd_cross_val *x) {
    free(x->half[0]);
    x->half[0] = x->half[1] = NULL;
}

void gkd_cross_val_epoch(gkd_cross_val *x, const float *z, const int32_t *label, int32_t C) {
    if (x->n[0] == 0 || x->n[1] == 0) return;
    double acc[2];
    for (int h = 0; h < 2; h++) acc[h] = gnnkd_accuracy(z, label, x->half[h], x->n[h], C);
    for (int h = 0; h < 2; h++) {
        const double loss = gnnkd_loss_ce(NULL, z, label, x->half[h], x->n[h], C, 1.0f);
        if (better_epoch(acc[h], loss, x->best_acc[h], x->best_loss[h])) {
            x->best_acc[h] = acc[h];
            x->best_loss[h] = loss;
            x->score[h] = acc[1 - h];
        }
    }
}

double gkd_cross_val_value(const gkd_cross_val *x) {
    if (x->n[0] == 0 || x->n[1] == 0 || x->best_acc[0] < 0.0 || x->best_acc[1] < 0.0) return NAN;
    return (x->score[0] + x->score[1]) / 2.0;
}
