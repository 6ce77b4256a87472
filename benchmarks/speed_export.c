/* speed_export.c — the exported student beside the in-library one: the MLP
 * is written as C (gnnkd_model_export_c, float and int8), compiled at run
 * time with `cc -O2` into a shared object, loaded, checked on every node
 * against the library's logits, and timed per node on the latency queries:
 * PREFIX_logits(_sparse), the logits as gnnkd_model_forward_nodes gives
 * them (PREFIX_predict adds a softmax). */
#include "speed.h"

#include <cjson/cJSON.h>
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../app/util.h"

typedef int (*dense_fn)(const float *x, float *out);
typedef int (*sparse_fn)(const int32_t *idx, const float *val, int nnz, float *out);

/* Timed rounds over the queries, each variant once a round. */
#define SPEED_EXPORT_ROUNDS 7
/* The export's header recommends these (gnn/export.c's HEADER_TEXT). */
#define SPEED_EXPORT_CFLAGS "-std=c99 -O2"

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_sorted(const double *x, int64_t n) {
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The 1-minute load average (/proc/loadavg), -1 if unknown: how busy the
 * machine was while the rounds ran. */
static double load_average(void) {
    double v = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &v) != 1) v = -1.0;
        fclose(f);
    }
    return v;
}

/* The compiler: CC if set, else cc. */
static const char *export_cc(void) {
    const char *cc = getenv("CC");
    return cc && cc[0] ? cc : "cc";
}

/* One compiled export: its functions and the shared object holding them. */
typedef struct {
    void *so;
    dense_fn logits, predict;
    sparse_fn logits_sparse, predict_sparse;
} compiled;

static int compile_export(compiled *c, gnnkd_export_info *info, const gnnkd_model *m,
                          const char *dir, const char *name, int int8, char *msg) {
    char src[512], so[512], sym[128];
    gnnkd_export_options o;
    gnnkd_export_options_default(&o);
    o.int8 = int8;
    o.prefix = name;
    snprintf(src, sizeof src, "%s/%s.c", dir, name);
    snprintf(so, sizeof so, "%s/lib%s.so", dir, name);
    int rc = gnnkd_model_export_c(info, m, src, &o, msg);
    if (rc != GNNKD_OK) return rc;
    const char *cc = export_cc();
    // the flags the export's header tells its users, plus what a shared object needs
    const char *argv[] = {cc, "-std=c99", "-O2", "-fPIC", "-shared", "-o", so, src, "-lm", NULL};
    if (util_run_program(argv, NULL, NULL, NULL, 0) != 0) {
        util_msg(msg, "bench-speed: `%s " SPEED_EXPORT_CFLAGS " -shared %s` failed (a C compiler "
                      "is needed to time the export; set CC)", cc, src);
        return GNNKD_EINTERNAL;
    }
    c->so = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (c->so == NULL) {
        util_msg(msg, "bench-speed: %s", dlerror());
        return GNNKD_EINTERNAL;
    }
    // POSIX: function pointers travel through dlsym's void *
#define LOOKUP(field, type, what)                                                          \
    snprintf(sym, sizeof sym, "%s_%s", name, what);                                        \
    *(void **)&c->field = dlsym(c->so, sym);                                              \
    if (c->field == NULL) {                                                               \
        util_msg(msg, "bench-speed: %s: no %s", so, sym);                                 \
        return GNNKD_EINTERNAL;                                                           \
    }
    LOOKUP(logits, dense_fn, "logits");
    LOOKUP(predict, dense_fn, "predict");
    LOOKUP(logits_sparse, sparse_fn, "logits_sparse");
    LOOKUP(predict_sparse, sparse_fn, "predict_sparse");
#undef LOOKUP
    return GNNKD_OK;
}

cJSON *speed_export_measure(gnnkd_model *m, const gnnkd_dataset *d, const int32_t *query,
                            int32_t nquery, char *msg) {
    char dir[] = "/tmp/gnnkd-export-XXXXXX";
    compiled cf = {0}, cq = {0};
    float *full_copy = NULL, *x = NULL, *val = NULL;
    int32_t *idx = NULL;
    double *us = NULL;
    gnnkd_infer *w = NULL;
    cJSON *res = NULL;
    int made_dir = 0;
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        if (cf.so) dlclose(cf.so);                                                         \
        if (cq.so) dlclose(cq.so);                                                         \
        if (made_dir) {                                                                    \
            const char *rm[] = {"rm", "-rf", dir, NULL};                                   \
            (void)util_run_program(rm, NULL, NULL, NULL, 0);                               \
        }                                                                                 \
        free(full_copy), free(x), free(val), free(idx), free(us);                         \
        gnnkd_infer_free(&w);                                                             \
        cJSON_Delete(res);                                                                \
    } while (0)
#define FAIL_NULL(call)                                                                    \
    do {                                                                                  \
        if ((call) != GNNKD_OK) {                                                         \
            UTIL_FREE_ALL;                                                                \
            return NULL;                                                                  \
        }                                                                                 \
    } while (0)
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    const int32_t n = d->n, F = d->nfeat, C = s->dims[s->nlayers];
    if (s->kind != GNNKD_MODEL_MLP || C > 1024 || nquery < 1) {
        util_msg(msg, "bench-speed: the export is timed for an MLP student with queries");
        return NULL;
    }
    if (mkdtemp(dir) == NULL) {
        util_msg(msg, "bench-speed: cannot make a folder in /tmp");
        return NULL;
    }
    made_dir = 1;
    gnnkd_export_info info;
    FAIL_NULL(compile_export(&cf, &info, m, dir, "sf", 0, msg));
    FAIL_NULL(compile_export(&cq, &info, m, dir, "sq", 1, msg));
    const float *full = NULL;
    FAIL_NULL(gnnkd_model_forward(m, &full, d, NULL, 0, 0, 0, msg));
    if (!(full_copy = malloc(sizeof *full_copy * (size_t)n * C)) ||
        !(x = malloc(sizeof *x * (size_t)F)) || !(val = malloc(sizeof *val * (size_t)F)) ||
        !(idx = malloc(sizeof *idx * (size_t)F)) || !(us = malloc(sizeof *us * 3 * SPEED_EXPORT_ROUNDS * (size_t)nquery))) {
        util_msg(msg, "bench-speed: out of memory");
        UTIL_FREE_ALL;
        return NULL;
    }
    memcpy(full_copy, full, sizeof *full_copy * (size_t)n * C);
    FAIL_NULL(gnnkd_infer_new(&w, msg));

    // every node: the float export against the library, int8 against float
    const int sparse = d->x.rowptr != NULL; // the input form the library's MLP gets
    float zf[1024], zq[1024];
    double maxdiff = 0.0;
    int32_t same = 0, agree = 0, ntest = d->nsplit[GNNKD_TEST], ok_lib = 0, ok_q = 0;
    for (int32_t i = 0; i < n; i++) {
        const int nnz = gnnkd_dataset_feature_row(d, i, x, idx, val);
        const float *zr = full_copy + (int64_t)i * C;
        const int kf = sparse ? cf.logits_sparse(idx, val, nnz, zf) : cf.logits(x, zf);
        const int kq = sparse ? cq.logits_sparse(idx, val, nnz, zq) : cq.logits(x, zq);
        int kr = 0;
        for (int32_t c = 0; c < C; c++) {
            maxdiff = fmax(maxdiff, fabs((double)zf[c] - zr[c]));
            if (zr[c] > zr[kr]) kr = c;
        }
        same += kf == kr;
        agree += kq == kf;
    }
    for (int32_t t = 0; t < ntest; t++) {
        const int32_t i = d->split[GNNKD_TEST][t];
        const int nnz = gnnkd_dataset_feature_row(d, i, x, idx, val);
        const float *zr = full_copy + (int64_t)i * C;
        int kr = 0;
        for (int32_t c = 1; c < C; c++)
            if (zr[c] > zr[kr]) kr = c;
        ok_lib += kr == d->label[i];
        ok_q += (sparse ? cq.logits_sparse(idx, val, nnz, zq) : cq.logits(x, zq)) == d->label[i];
    }

    res = cJSON_CreateObject();
    char ccline[256];
    snprintf(ccline, sizeof ccline, "%s " SPEED_EXPORT_CFLAGS " (shared object, dlopen)", export_cc());
    cJSON_AddStringToObject(res, "compiler", ccline);
    cJSON_AddStringToObject(res, "input", sparse ? "sparse row (PREFIX_logits_sparse)"
                                                 : "dense row (PREFIX_logits)");
    cJSON_AddStringToObject(res, "feature_norm",
                            gnnkd_feature_norm_name(gnnkd_model_get_feature_norm(m)));
    cJSON_AddNumberToObject(res, "nodes_checked", n);
    cJSON_AddNumberToObject(res, "float_same_class", same);
    cJSON_AddNumberToObject(res, "float_max_abs_logit_diff", maxdiff);
    cJSON_AddNumberToObject(res, "int8_agreement", (double)agree / n);
    cJSON_AddNumberToObject(res, "test_acc_library", ntest ? (double)ok_lib / ntest : 0.0);
    cJSON_AddNumberToObject(res, "test_acc_int8", ntest ? (double)ok_q / ntest : 0.0);
    cJSON_AddNumberToObject(res, "float_bytes", (double)info.float_bytes);
    cJSON_AddNumberToObject(res, "int8_bytes", (double)info.int8_bytes);
    // side by side: the library's node-level MLP, the float and the int8
    // export over the same queries, round after round, each round in another
    // order, so that a change of load falls on all three alike
    for (int32_t q = 0; q < nquery; q++) { // warm: rows, weights and workspace in cache
        const int nnz = gnnkd_dataset_feature_row(d, query[q], x, idx, val);
        FAIL_NULL(gnnkd_model_forward_nodes(zf, NULL, w, m, d, NULL, &query[q], 1, msg));
        (void)(sparse ? cf.logits_sparse(idx, val, nnz, zf) : cf.logits(x, zf));
        (void)(sparse ? cq.logits_sparse(idx, val, nnz, zf) : cq.logits(x, zf));
    }
    cJSON_AddNumberToObject(res, "rounds", SPEED_EXPORT_ROUNDS);
    cJSON_AddNumberToObject(res, "loadavg_before", load_average());
    for (int r = 0; r < SPEED_EXPORT_ROUNDS; r++)
        for (int k = 0; k < 3; k++) {
            const int v = (k + r) % 3; // 0 the library, 1 float, 2 int8
            const compiled *c = v == 2 ? &cq : &cf;
            double *t = us + ((int64_t)v * SPEED_EXPORT_ROUNDS + r) * nquery;
            for (int32_t q = 0; q < nquery; q++) {
                const int nnz = gnnkd_dataset_feature_row(d, query[q], x, idx, val);
                const double t0 = util_now();
                if (v == 0) FAIL_NULL(gnnkd_model_forward_nodes(zf, NULL, w, m, d, NULL, &query[q], 1, msg));
                else (void)(sparse ? c->logits_sparse(idx, val, nnz, zf) : c->logits(x, zf));
                t[q] = 1e6 * (util_now() - t0);
            }
        }
    cJSON_AddNumberToObject(res, "loadavg_after", load_average());
    static const char *const names[3] = {"library", "float", "int8"};
    for (int v = 0; v < 3; v++) {
        double *t = us + (int64_t)v * SPEED_EXPORT_ROUNDS * nquery, sum = 0.0;
        const int64_t nt = (int64_t)SPEED_EXPORT_ROUNDS * nquery;
        cJSON *j = cJSON_AddObjectToObject(res, names[v]);
        cJSON *rm = cJSON_AddArrayToObject(j, "round_medians_us");
        for (int r = 0; r < SPEED_EXPORT_ROUNDS; r++) {
            qsort(t + (int64_t)r * nquery, (size_t)nquery, sizeof *t, cmp_double);
            cJSON_AddItemToArray(rm, cJSON_CreateNumber(median_sorted(t + (int64_t)r * nquery, nquery)));
        }
        for (int64_t e = 0; e < nt; e++) sum += t[e];
        qsort(t, (size_t)nt, sizeof *t, cmp_double);
        cJSON_AddNumberToObject(j, "median_us", median_sorted(t, nt));
        cJSON_AddNumberToObject(j, "p99_us", t[(int64_t)ceil(0.99 * (double)nt) - 1]);
        cJSON_AddNumberToObject(j, "mean_us", sum / (double)nt);
    }
    cJSON *out = res;
    res = NULL;
    UTIL_FREE_ALL;
    return out;
#undef FAIL_NULL
#undef UTIL_FREE_ALL
}
