/* speed_export.c — the exported student beside the in-library one: the MLP
 * is written as C (gnnkd_model_export_c, float and int8), compiled at run
 * time with `cc -O2` into a shared object, loaded, checked on every node
 * against the library's logits, and timed per node on the latency queries:
 * PREFIX_logits(_sparse), the logits as gnnkd_model_forward_nodes gives
 * them (PREFIX_predict adds a softmax). A student with position rows is
 * timed twice: a known node (its row from the export's table, then the
 * forward) and the same node served as a new one from its neighbours
 * (PREFIX_logits_new_sparse: the one hop, then the forward). */
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
/* a position student's: the same with the node's position row, the lookup
 * of a known node's row, and a new node's answer from its neighbours */
typedef int (*dense_pos_fn)(const float *x, const float *pos, float *out);
typedef int (*sparse_pos_fn)(const int32_t *idx, const float *val, int nnz, const float *pos,
                             float *out);
typedef int (*row_fn)(int32_t node, float *pos);
typedef int (*sparse_new_fn)(const int32_t *idx, const float *val, int nnz, const int32_t *nbr,
                             int nnbr, float *out);
typedef int (*dense_new_fn)(const float *x, const int32_t *nbr, int nnbr, float *out);

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

/* One compiled export: its functions and the shared object holding them;
 * a position student's functions take the position row (the _pos fields)
 * and it has the lookups too. */
typedef struct {
    void *so;
    dense_fn logits;
    sparse_fn logits_sparse;
    dense_pos_fn logits_pos;
    sparse_pos_fn logits_sparse_pos;
    row_fn position;
    dense_new_fn logits_new;
    sparse_new_fn logits_new_sparse;
    double compile_seconds;
    long source_bytes;
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
    FILE *f = fopen(src, "rb");
    if (f && fseek(f, 0, SEEK_END) == 0) c->source_bytes = ftell(f);
    if (f) fclose(f);
    const char *cc = export_cc();
    // the flags the export's header tells its users, plus what a shared object needs
    const char *argv[] = {cc, "-std=c99", "-O2", "-fPIC", "-shared", "-o", so, src, "-lm", NULL};
    const double t0 = util_now();
    if (util_run_program(argv, NULL, NULL, NULL, 0) != 0) {
        util_msg(msg, "bench-speed: `%s " SPEED_EXPORT_CFLAGS " -shared %s` failed (a C compiler "
                      "is needed to time the export; set CC)", cc, src);
        return GNNKD_EINTERNAL;
    }
    c->compile_seconds = util_now() - t0;
    c->so = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    if (c->so == NULL) {
        util_msg(msg, "bench-speed: %s", dlerror());
        return GNNKD_EINTERNAL;
    }
    // POSIX: function pointers travel through dlsym's void *
#define LOOKUP(field, what)                                                                \
    snprintf(sym, sizeof sym, "%s_%s", name, what);                                        \
    *(void **)&c->field = dlsym(c->so, sym);                                              \
    if (c->field == NULL) {                                                               \
        util_msg(msg, "bench-speed: %s: no %s", so, sym);                                 \
        return GNNKD_EINTERNAL;                                                           \
    }
    if (gnnkd_model_position(m, NULL, NULL) == NULL) {
        LOOKUP(logits, "logits");
        LOOKUP(logits_sparse, "logits_sparse");
    } else {
        LOOKUP(logits_pos, "logits");
        LOOKUP(logits_sparse_pos, "logits_sparse");
        LOOKUP(position, "position");
        LOOKUP(logits_new, "logits_new");
        LOOKUP(logits_new_sparse, "logits_new_sparse");
    }
#undef LOOKUP
    return GNNKD_OK;
}

/* Node i's logits from the export c: its feature row (sparse or dense) and,
 * for a position student, its own row from the export's table (the lookup
 * is part of the answer, as for a server that is asked about node i). */
static int known_logits(const compiled *c, int sparse, const int32_t *idx, const float *val,
                        int nnz, const float *x, int32_t i, float *z) {
    float pos[1024];
    if (c->position == NULL)
        return sparse ? c->logits_sparse(idx, val, nnz, z) : c->logits(x, z);
    if (c->position(i, pos) != 0) return -1;
    return sparse ? c->logits_sparse_pos(idx, val, nnz, pos, z) : c->logits_pos(x, pos, z);
}

/* Node i served as a NEW node from the export c: its feature row and its
 * neighbours in d, whose rows the export averages. */
static int new_logits(const compiled *c, int sparse, const int32_t *idx, const float *val,
                      int nnz, const float *x, const gnnkd_dataset *d, int32_t i, float *z) {
    const int64_t a = d->adj.rowptr[i];
    const int deg = (int)(d->adj.rowptr[i + 1] - a);
    return sparse ? c->logits_new_sparse(idx, val, nnz, d->adj.colidx + a, deg, z)
                  : c->logits_new(x, d->adj.colidx + a, deg, z);
}

cJSON *speed_export_measure(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_dataset *dp,
                            const int32_t *query, int32_t nquery, char *msg) {
    char dir[] = "/tmp/gnnkd-export-XXXXXX";
    compiled cf = {0}, cq = {0};
    float *full_copy = NULL, *x = NULL, *val = NULL, *row = NULL;
    int32_t *idx = NULL, *from = NULL;
    char *is_test = NULL;
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
        free(full_copy), free(x), free(val), free(idx), free(us), free(row), free(from);  \
        free(is_test);                                                                    \
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
    int32_t pn = 0, pdim = 0;
    const int position = gnnkd_model_position(m, &pn, &pdim) != NULL;
    // the library's input: d, or a position student's d with its rows appended
    const gnnkd_dataset *din = position ? dp : d;
    if (s->kind != GNNKD_MODEL_MLP || C > 1024 || pdim > 1024 || nquery < 1 ||
        (position && (dp == NULL || pn != n))) {
        util_msg(msg, "bench-speed: the export is timed for an MLP student with queries (a "
                      "position student with d's rows appended, a row for each of its nodes)");
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
    FAIL_NULL(gnnkd_model_forward(m, &full, din, NULL, 0, 0, 0, msg));
    const int nvar = position ? 5 : 3; // the library, float, int8 (known nodes), float and int8 new
    int32_t maxdeg = 1;
    for (int32_t i = 0; i < n; i++)
        if (d->adj.rowptr[i + 1] - d->adj.rowptr[i] > maxdeg)
            maxdeg = (int32_t)(d->adj.rowptr[i + 1] - d->adj.rowptr[i]);
    if (!(full_copy = malloc(sizeof *full_copy * (size_t)n * C)) ||
        !(x = malloc(sizeof *x * (size_t)F)) || !(val = malloc(sizeof *val * (size_t)F)) ||
        !(idx = malloc(sizeof *idx * (size_t)F)) || !(row = malloc(sizeof *row * 1024)) ||
        !(from = calloc((size_t)maxdeg, sizeof *from)) || !(is_test = calloc((size_t)n, 1)) ||
        !(us = malloc(sizeof *us * (size_t)nvar * SPEED_EXPORT_ROUNDS * (size_t)nquery))) {
        util_msg(msg, "bench-speed: out of memory");
        UTIL_FREE_ALL;
        return NULL;
    }
    memcpy(full_copy, full, sizeof *full_copy * (size_t)n * C);
    FAIL_NULL(gnnkd_infer_new(&w, msg));

    // every node: the float export against the library, int8 against float;
    // a position student's also as a new node (its rows the mean of its
    // neighbours'): float against the library's row (gnnkd_model_position_rows)
    // through the float export, int8 against float
    const int sparse = d->x.rowptr != NULL; // the input form the library's MLP gets
    float zf[1024], zq[1024], zr2[1024];
    double maxdiff = 0.0, maxdiff_new = 0.0;
    int32_t same = 0, agree = 0, agree_new = 0, ntest = d->nsplit[GNNKD_TEST], ok_lib = 0, ok_q = 0;
    int32_t ok_new_f = 0, ok_new_q = 0;
    for (int32_t t = 0; t < ntest; t++) is_test[d->split[GNNKD_TEST][t]] = 1;
    for (int32_t i = 0; i < n; i++) {
        const int nnz = gnnkd_dataset_feature_row(d, i, x, idx, val);
        const float *zr = full_copy + (int64_t)i * C;
        const int kf = known_logits(&cf, sparse, idx, val, nnz, x, i, zf);
        const int kq = known_logits(&cq, sparse, idx, val, nnz, x, i, zq);
        int kr = 0;
        for (int32_t c = 0; c < C; c++) {
            maxdiff = fmax(maxdiff, fabs((double)zf[c] - zr[c]));
            if (zr[c] > zr[kr]) kr = c;
        }
        same += kf == kr;
        agree += kq == kf;
        if (is_test[i]) ok_lib += kr == d->label[i], ok_q += kq == d->label[i];
        if (!position) continue;
        const int64_t a = d->adj.rowptr[i], deg = d->adj.rowptr[i + 1] - a;
        FAIL_NULL(gnnkd_model_position_rows(row, m, 1, from, d->adj.colidx + a, deg, msg));
        (void)(sparse ? cf.logits_sparse_pos(idx, val, nnz, row, zr2) : cf.logits_pos(x, row, zr2));
        const int nf = new_logits(&cf, sparse, idx, val, nnz, x, d, i, zf);
        const int nq = new_logits(&cq, sparse, idx, val, nnz, x, d, i, zq);
        for (int32_t c = 0; c < C; c++) maxdiff_new = fmax(maxdiff_new, fabs((double)zf[c] - zr2[c]));
        agree_new += nq == nf;
        if (is_test[i]) ok_new_f += nf == d->label[i], ok_new_q += nq == d->label[i];
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
    cJSON_AddNumberToObject(res, "float_source_bytes", (double)cf.source_bytes);
    cJSON_AddNumberToObject(res, "int8_source_bytes", (double)cq.source_bytes);
    cJSON_AddNumberToObject(res, "float_compile_seconds", cf.compile_seconds);
    cJSON_AddNumberToObject(res, "int8_compile_seconds", cq.compile_seconds);
    if (position) { // each node as a new node: its row its neighbours' mean
        cJSON *pj = cJSON_AddObjectToObject(res, "new_nodes");
        cJSON_AddNumberToObject(pj, "pos_bytes", (double)info.pos_bytes);
        cJSON_AddNumberToObject(pj, "pos_bytes_int8", (double)info.pos_bytes_int8);
        cJSON_AddNumberToObject(pj, "float_max_abs_logit_diff", maxdiff_new);
        cJSON_AddNumberToObject(pj, "int8_agreement", (double)agree_new / n);
        cJSON_AddNumberToObject(pj, "test_acc_float", ntest ? (double)ok_new_f / ntest : 0.0);
        cJSON_AddNumberToObject(pj, "test_acc_int8", ntest ? (double)ok_new_q / ntest : 0.0);
    }
    // side by side: the library's node-level MLP, the float and the int8
    // export over the same queries (a position student's also as new nodes),
    // round after round, each round in another order, so that a change of
    // load falls on all alike
    for (int32_t q = 0; q < nquery; q++) { // warm: rows, weights and workspace in cache
        const int nnz = gnnkd_dataset_feature_row(d, query[q], x, idx, val);
        FAIL_NULL(gnnkd_model_forward_nodes(zf, NULL, w, m, din, NULL, &query[q], 1, msg));
        (void)known_logits(&cf, sparse, idx, val, nnz, x, query[q], zf);
        (void)known_logits(&cq, sparse, idx, val, nnz, x, query[q], zf);
        if (position) {
            (void)new_logits(&cf, sparse, idx, val, nnz, x, d, query[q], zf);
            (void)new_logits(&cq, sparse, idx, val, nnz, x, d, query[q], zf);
        }
    }
    cJSON_AddNumberToObject(res, "rounds", SPEED_EXPORT_ROUNDS);
    cJSON_AddNumberToObject(res, "loadavg_before", load_average());
    for (int r = 0; r < SPEED_EXPORT_ROUNDS; r++)
        for (int k = 0; k < nvar; k++) {
            const int v = (k + r) % nvar; // 0 the library, 1 float, 2 int8, 3 float new, 4 int8 new
            const compiled *c = v % 2 ? &cf : &cq;
            double *t = us + ((int64_t)v * SPEED_EXPORT_ROUNDS + r) * nquery;
            for (int32_t q = 0; q < nquery; q++) {
                const int nnz = gnnkd_dataset_feature_row(d, query[q], x, idx, val);
                const double t0 = util_now();
                if (v == 0) FAIL_NULL(gnnkd_model_forward_nodes(zf, NULL, w, m, din, NULL, &query[q], 1, msg));
                else if (v < 3) (void)known_logits(c, sparse, idx, val, nnz, x, query[q], zf);
                else (void)new_logits(c, sparse, idx, val, nnz, x, d, query[q], zf);
                t[q] = 1e6 * (util_now() - t0);
            }
        }
    cJSON_AddNumberToObject(res, "loadavg_after", load_average());
    static const char *const names[5] = {"library", "float", "int8", "float_new", "int8_new"};
    for (int v = 0; v < nvar; v++) {
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
