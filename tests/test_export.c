/* test_export.c — the standalone C export of an MLP student: it compiles
 * with a strict C99 compiler, its float logits equal gnnkd_evaluate's on
 * every node (from the raw feature rows: the export normalises them itself),
 * dense and sparse; int8 agrees with float and computes what its header
 * states (checked against a plain implementation of the scheme); a student
 * with position rows answers for known and new nodes as the library does;
 * graph models and bad names are refused; training records the feature
 * normalisation. */
#include <criterion/criterion.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/kernels.h" /* the model's weights, for the int8 scheme's reference */
#include "tests/common.h"

typedef int (*logits_fn)(const float *x, float *logits);
typedef int (*sparse_fn)(const int32_t *idx, const float *val, int nnz, float *logits);

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/gnnkd_test_export_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

/* An MLP of spec trained briefly on d (normalised as the dataset says). */
static gnnkd_model *train_mlp(const gnnkd_dataset *d, const char *spec) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, spec, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 1, msg), GNNKD_OK, "%s", msg);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 40;
    gnnkd_train_result r;
    cr_assert_eq(gnnkd_train(m, &r, d, NULL, &o, NULL, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* Exports m as dir/NAME.c, compiles it with the strict flags into a shared
 * object and opens it. */
static void *export_and_open(const gnnkd_model *m, const char *name, int int8,
                             gnnkd_export_info *info) {
    char path[256], so[256], cmd[1024], msg[GNNKD_MSG_LEN] = "";
    snprintf(path, sizeof path, "%s/%s.c", dir, name);
    snprintf(so, sizeof so, "%s/lib%s.so", dir, name);
    gnnkd_export_options o;
    gnnkd_export_options_default(&o);
    o.int8 = int8;
    o.prefix = name;
    cr_assert_eq(gnnkd_model_export_c(info, m, path, &o, msg), GNNKD_OK, "%s", msg);
    const char *cc = getenv("CC") ? getenv("CC") : "cc";
    snprintf(cmd, sizeof cmd,
             "%s -std=c99 -O2 -Wall -Wextra -Werror -pedantic -fPIC -shared -o %s %s -lm", cc, so,
             path);
    cr_assert_eq(system(cmd), 0, "the export does not compile: %s", cmd);
    void *h = dlopen(so, RTLD_NOW | RTLD_LOCAL);
    cr_assert_not_null(h, "%s", dlerror());
    return h;
}

static void *sym(void *h, const char *name, const char *what) {
    char s[128];
    snprintf(s, sizeof s, "%s_%s", name, what);
    void *f = dlsym(h, s);
    cr_assert_not_null(f, "%s missing", s);
    return f;
}

static int argmax(const float *z, int C) {
    int b = 0;
    for (int c = 1; c < C; c++)
        if (z[c] > z[b]) b = c;
    return b;
}

/* The whole check on one dataset: raw is the dataset as read, d the same
 * after the program's normalisation (if any). */
static void check_export(const gnnkd_dataset *raw, gnnkd_dataset *d, const char *name) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model *m = train_mlp(d, "mlp:32,16");
    cr_assert_eq(gnnkd_model_get_feature_norm(m), d->feature_norm);
    const int32_t n = d->n, C = d->nclass, F = d->nfeat;
    float *ref = malloc(sizeof *ref * (size_t)n * C);
    gnnkd_train_result r;
    cr_assert_eq(gnnkd_evaluate(m, &r, ref, d, NULL, msg), GNNKD_OK, "%s", msg);

    char q8[80];
    snprintf(q8, sizeof q8, "%s_q8", name);
    gnnkd_export_info info, info8;
    void *hf = export_and_open(m, name, 0, &info), *hq = export_and_open(m, q8, 1, &info8);
    cr_assert_eq(info.float_bytes, 4 * gnnkd_model_num_params(m));
    cr_assert_eq(info.int8_bytes, (int64_t)F * 32 + 8 * 32 + 32 * 16 + 8 * 16 + 16 * C + 8 * C);
    logits_fn lf = (logits_fn)sym(hf, name, "logits"), lq = (logits_fn)sym(hq, q8, "logits"),
              pf = (logits_fn)sym(hf, name, "predict");
    sparse_fn sf = (sparse_fn)sym(hf, name, "logits_sparse"),
              sq = (sparse_fn)sym(hq, q8, "logits_sparse");

    float *x = malloc(sizeof *x * (size_t)F), *val = malloc(sizeof *val * (size_t)F);
    int32_t *idx = malloc(sizeof *idx * (size_t)F);
    float z[64], zs[64], p[64], zq[64], zqs[64];
    double maxdiff = 0.0;
    int32_t agree = 0, correct_f = 0, correct_q = 0, ntest = d->nsplit[GNNKD_TEST];
    char *is_test = calloc((size_t)n, 1);
    for (int32_t t = 0; t < ntest; t++) is_test[d->split[GNNKD_TEST][t]] = 1;
    for (int32_t i = 0; i < n; i++) {
        int nnz = gnnkd_dataset_feature_row(raw, i, x, idx, val);
        const float *zr = ref + (int64_t)i * C;
        int cls = lf(x, z), cls_s = sf(idx, val, nnz, zs), cls_p = pf(x, p);
        int cls_q = lq(x, zq), cls_qs = sq(idx, val, nnz, zqs);
        double psum = 0.0;
        for (int c = 0; c < C; c++) {
            maxdiff = fmax(maxdiff, fabs((double)z[c] - zr[c]));
            maxdiff = fmax(maxdiff, fabs((double)zs[c] - zr[c]));
            cr_assert_float_eq(zq[c], zqs[c], 1e-4, "node %d: int8 dense and sparse differ", i);
            psum += p[c];
        }
        cr_assert_float_eq(psum, 1.0, 1e-5, "node %d: probabilities sum to %g", i, psum);
        cr_assert_eq(cls, argmax(zr, C), "node %d: the export says class %d, eval %d", i, cls,
                     argmax(zr, C));
        cr_assert(cls_s == cls && cls_p == cls, "node %d: %d %d %d", i, cls, cls_s, cls_p);
        cr_assert(p[argmax(p, C)] == p[cls], "node %d: the class is not the most probable", i);
        cr_assert_eq(cls_q, cls_qs);
        agree += cls_q == cls;
        if (is_test[i]) correct_f += cls == d->label[i], correct_q += cls_q == d->label[i];
    }
    cr_assert_leq(maxdiff, 1e-4, "%s: max |logit difference| %g", name, maxdiff);
    cr_assert_geq(agree, 0.99 * n, "%s: int8 agrees with float on %d of %d nodes", name, agree, n);
    cr_assert_leq(correct_f - correct_q, (int32_t)(0.01 * ntest) + 1,
                  "%s: int8 loses %d of %d test nodes", name, correct_f - correct_q, ntest);
    cr_assert_float_eq((double)correct_f / ntest, r.acc[GNNKD_TEST], 1e-9);
    // a column out of range is refused
    idx[0] = F;
    val[0] = 1.0f;
    cr_assert_eq(sf(idx, val, 1, z), -1);
    cr_assert_eq(sf(idx, val, -1, z), -1);
    dlclose(hf);
    dlclose(hq);
    free(is_test), free(x), free(val), free(idx), free(ref);
    gnnkd_model_free(&m);
}

Test(export, synthetic_raw_features, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,features=24,classes=3,seed=4,val=50,test=100", msg),
                 GNNKD_OK, "%s", msg);
    // Gaussian features are signed: the program's normalisation leaves them raw
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->feature_norm, GNNKD_FEATURES_RAW);
    check_export(d, d, "syn");
    gnnkd_dataset_free(&d);
}

Test(export, cora_row_normalised, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *raw = NULL, *d = NULL;
    const char *root = test_citation_root("cora");
    cr_assert_eq(gnnkd_dataset_open(&raw, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->feature_norm, GNNKD_FEATURES_RAW);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->feature_norm, GNNKD_FEATURES_ROW_SUM);
    check_export(raw, d, "cora");
    gnnkd_dataset_free(&raw);
    gnnkd_dataset_free(&d);
}

/* The int8 scheme the header states, written plainly: weights per output
 * column symmetric (scale max |w| / 127), layer 0's input per row symmetric
 * (levels -127..127), later inputs per row to levels 0..255, int32 sums. A
 * position student's layer 0 (pos not NULL: the position row after the
 * x0's features) is two such sums, the features' and the position row's,
 * each with its own input scale and its own weight scales. */
static void int8_reference(float *z, const gnnkd_model *m, const float *x0, const float *pos) {
    const gnnkd_model_spec *sp = &m->spec;
    const int Q = pos ? m->pos_dim : 0, F = sp->dims[0] - Q;
    int widest = 0;
    for (int l = 0; l <= sp->nlayers; l++) widest = sp->dims[l] > widest ? sp->dims[l] : widest;
    float *in = malloc(sizeof *in * (size_t)widest), *out = malloc(sizeof *out * (size_t)widest);
    int32_t *q = malloc(sizeof *q * (size_t)widest);
    float s = 1.0f;
    if (m->feature_norm == GNNKD_FEATURES_ROW_SUM) {
        double sum = 0.0;
        for (int k = 0; k < F; k++) sum += x0[k];
        if (sum != 0.0) s = (float)(1.0 / sum);
    }
    memcpy(in, x0, sizeof *in * (size_t)F);
    if (Q) memcpy(in + F, pos, sizeof *in * (size_t)Q);
    for (int l = 0; l < sp->nlayers; l++) {
        const int I = sp->dims[l], O = sp->dims[l + 1];
        // the parts of the input: [lo[p], hi[p]), each quantised on its own
        const int nparts = l == 0 && Q ? 2 : 1, lo[2] = {0, F}, hi[2] = {l == 0 ? F : I, I};
        float sx[2] = {0.0f, 0.0f};
        for (int p = 0; p < nparts; p++) {
            float amax = 0.0f;
            for (int k = lo[p]; k < hi[p]; k++) amax = fmaxf(amax, fabsf(in[k]));
            if (l == 0) {
                const float sp0 = p == 0 ? s : 1.0f; // the features' normalisation only
                amax *= fabsf(sp0);
                const float r = amax > 0.0f ? sp0 * (127.0f / amax) : 0.0f;
                for (int k = lo[p]; k < hi[p]; k++) {
                    const float t = in[k] * r;
                    q[k] = (int32_t)(t >= 0.0f ? t + 0.5f : t - 0.5f);
                    cr_assert(q[k] >= -127 && q[k] <= 127);
                }
                sx[p] = amax / 127.0f;
            } else {
                const float inv = amax > 0.0f ? 255.0f / amax : 0.0f;
                for (int k = 0; k < I; k++) {
                    cr_assert(in[k] >= 0.0f);
                    q[k] = (int32_t)(in[k] * inv + 0.5f);
                    cr_assert(q[k] >= 0 && q[k] <= 255);
                }
                sx[p] = amax / 255.0f;
            }
        }
        for (int c = 0; c < O; c++) {
            float y = 0.0f;
            for (int p = 0; p < nparts; p++) {
                float wmax = 0.0f;
                for (int k = lo[p]; k < hi[p]; k++) wmax = fmaxf(wmax, fabsf(m->w[l][(int64_t)k * O + c]));
                const float scale = wmax > 0.0f ? wmax / 127.0f : 1.0f, winv = wmax > 0.0f ? 127.0f / wmax : 0.0f;
                int32_t acc = 0;
                for (int k = lo[p]; k < hi[p]; k++) {
                    const float t = roundf(m->w[l][(int64_t)k * O + c] * winv);
                    acc += q[k] * (int32_t)(t > 127.0f ? 127 : t < -127.0f ? -127 : t);
                }
                y = p == 0 ? (float)acc * (sx[0] * scale) : y + (float)acc * (sx[1] * scale);
            }
            out[c] = y + m->b[l][c];
            if (l < sp->nlayers - 1 && !(out[c] > 0.0f)) out[c] = 0.0f;
        }
        memcpy(in, out, sizeof *in * (size_t)O);
    }
    memcpy(z, in, sizeof *z * (size_t)sp->dims[sp->nlayers]);
    free(in), free(out), free(q);
}

/* The int8 export computes its stated scheme, dense and sparse, for a
 * row-normalised model on non-negative rows and a raw one on signed rows,
 * 150 columns (two full 64-column gathers and a partial one), odd and even
 * nonzero counts, an all-zero row and a single entry. */
Test(export, int8_scheme, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec spec;
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "mlp:40,24", msg), GNNKD_OK, "%s", msg);
    enum { F = 150, C = 5, ROWS = 60 };
    for (int signed_rows = 0; signed_rows < 2; signed_rows++) {
        gnnkd_model *m = NULL;
        cr_assert_eq(gnnkd_model_new(&m, &spec, F, C, 7 + (uint64_t)signed_rows, msg), GNNKD_OK, "%s", msg);
        for (int64_t e = 0; e < m->nparams; e++) m->params[e] *= 3.0f; // biases too: not all ReLUs shut
        gnnkd_model_set_feature_norm(m, signed_rows ? GNNKD_FEATURES_RAW : GNNKD_FEATURES_ROW_SUM);
        const char *name = signed_rows ? "signed8" : "rowsum8";
        void *h = export_and_open(m, name, 1, NULL);
        logits_fn lq = (logits_fn)sym(h, name, "logits");
        sparse_fn sq = (sparse_fn)sym(h, name, "logits_sparse");
        float x[F], val[F], z[C], zs[C], want[C];
        int32_t idx[F];
        double worst = 0.0;
        for (int i = 0; i < ROWS; i++) {
            int nnz = 0;
            memset(x, 0, sizeof x);
            for (int k = 0; k < F; k++) {
                const uint32_t hsh = (uint32_t)(i * 7919 + k * 104729) * 2654435761u;
                const int keep = i == 0 ? 0 : i == 1 ? k == 77 : (hsh >> 27) < 4 + i % 5;
                if (!keep) continue;
                const float v = (float)((hsh >> 8) & 0xffff) / 65536.0f + 0.01f;
                x[k] = signed_rows && (hsh & 1) ? -v : v;
                idx[nnz] = k, val[nnz++] = x[k];
            }
            int8_reference(want, m, x, NULL);
            const int cls = lq(x, z), cls_s = sq(idx, val, nnz, zs);
            cr_assert_eq(cls, argmax(want, C), "%s row %d: class %d, the scheme says %d", name, i,
                         cls, argmax(want, C));
            cr_assert_eq(cls_s, cls);
            for (int c = 0; c < C; c++) {
                const double tol = 1e-5 * (1.0 + fabs((double)want[c]));
                worst = fmax(worst, fabs((double)z[c] - want[c]) / tol);
                worst = fmax(worst, fabs((double)zs[c] - want[c]) / tol);
            }
        }
        cr_assert_leq(worst, 1.0, "%s: int8 logits off the stated scheme by %g tolerances", name, worst);
        dlclose(h);
        gnnkd_model_free(&m);
    }
}

/* The export answers for nodes training never saw: on the held-out nodes of
 * Cora's inductive setting, from their raw rows, the float export scores
 * the setting's reported ind accuracy, and int8 stays within a point. */
Test(export, inductive_held_out, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *raw = NULL, *d = NULL;
    gnnkd_setting *st = NULL;
    const char *root = test_citation_root("cora");
    cr_assert_eq(gnnkd_dataset_open(&raw, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_setting_new(&st, d, GNNKD_SETTING_INDUCTIVE, 0.2, 3, msg), GNNKD_OK, "%s", msg);
    // the observed dataset holds d's normalised rows, and says so to the model
    cr_assert_eq(gnnkd_setting_observed(st)->feature_norm, GNNKD_FEATURES_ROW_SUM);
    gnnkd_model *m = train_mlp(gnnkd_setting_observed(st), "mlp:32");
    cr_assert_eq(gnnkd_model_get_feature_norm(m), GNNKD_FEATURES_ROW_SUM);
    gnnkd_setting_acc acc;
    cr_assert_eq(gnnkd_setting_evaluate(&acc, m, st, msg), GNNKD_OK, "%s", msg);
    const float *full = NULL; // the MLP over every node of d, as ind reads it
    cr_assert_eq(gnnkd_model_forward(m, &full, d, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    int32_t nheld = 0;
    const int32_t *held = gnnkd_setting_held_out(st, &nheld);
    cr_assert_eq(nheld, 200);
    void *hf = export_and_open(m, "indf", 0, NULL), *hq = export_and_open(m, "indq", 1, NULL);
    sparse_fn sf = (sparse_fn)sym(hf, "indf", "logits_sparse"), sq = (sparse_fn)sym(hq, "indq", "logits_sparse");
    float *x = malloc(sizeof *x * (size_t)d->nfeat), *val = malloc(sizeof *val * (size_t)d->nfeat);
    int32_t *idx = malloc(sizeof *idx * (size_t)d->nfeat);
    float z[16];
    int32_t ok_f = 0, ok_q = 0;
    for (int32_t t = 0; t < nheld; t++) {
        const int nnz = gnnkd_dataset_feature_row(raw, held[t], x, idx, val);
        ok_f += sf(idx, val, nnz, z) == raw->label[held[t]];
        for (int c = 0; c < d->nclass; c++)
            cr_assert_float_eq(z[c], full[(int64_t)held[t] * d->nclass + c], 1e-4,
                               "held-out node %d, class %d", held[t], c);
        ok_q += sq(idx, val, nnz, z) == raw->label[held[t]];
    }
    cr_assert_float_eq((double)ok_f / nheld, acc.ind, 1e-9, "the export scores %d of %d, ind %.4f",
                       ok_f, nheld, acc.ind);
    cr_assert_leq(abs(ok_f - ok_q), 2, "int8 scores %d of %d held-out nodes, float %d", ok_q, nheld, ok_f);
    dlclose(hf);
    dlclose(hq);
    free(x), free(val), free(idx);
    gnnkd_model_free(&m);
    gnnkd_setting_free(&st);
    gnnkd_dataset_free(&d);
    gnnkd_dataset_free(&raw);
}

/* A position student's export: the model reads Cora's features, then Q
 * position columns (standardised, a little of the label in them, so that
 * the model leans on them). */
typedef int (*pos_logits_fn)(const float *x, const float *pos, float *logits);
typedef int (*pos_sparse_fn)(const int32_t *idx, const float *val, int nnz, const float *pos,
                             float *logits);
typedef int (*row_fn)(int32_t node, float *pos);
typedef int (*row_new_fn)(const int32_t *nbr, int nnbr, float *pos);
typedef int (*new_fn)(const float *x, const int32_t *nbr, int nnbr, float *logits);
typedef int (*new_sparse_fn)(const int32_t *idx, const float *val, int nnz, const int32_t *nbr,
                             int nnbr, float *logits);

/* The functions of one position student's export. */
typedef struct {
    void *h;
    pos_logits_fn logits, predict;
    pos_sparse_fn logits_sparse;
    row_fn position;
    row_new_fn position_new;
    new_fn logits_new, predict_new;
    new_sparse_fn logits_new_sparse, predict_new_sparse;
} pos_export;

static pos_export open_pos_export(const gnnkd_model *m, const char *name, int int8,
                                  gnnkd_export_info *info) {
    pos_export e;
    e.h = export_and_open(m, name, int8, info);
    e.logits = (pos_logits_fn)sym(e.h, name, "logits");
    e.predict = (pos_logits_fn)sym(e.h, name, "predict");
    e.logits_sparse = (pos_sparse_fn)sym(e.h, name, "logits_sparse");
    e.position = (row_fn)sym(e.h, name, "position");
    e.position_new = (row_new_fn)sym(e.h, name, "position_new");
    e.logits_new = (new_fn)sym(e.h, name, "logits_new");
    e.predict_new = (new_fn)sym(e.h, name, "predict_new");
    e.logits_new_sparse = (new_sparse_fn)sym(e.h, name, "logits_new_sparse");
    e.predict_new_sparse = (new_sparse_fn)sym(e.h, name, "predict_new_sparse");
    return e;
}

/* The text of dir/name. */
static char *slurp(const char *name) {
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    char *text = calloc(1 << 20, 1);
    size_t got = fread(text, 1, (1 << 20) - 1, f);
    fclose(f);
    cr_assert_gt(got, 0);
    return text;
}

/* Float export against the library's forward on [normalised features |
 * position row], for every node of Cora by its id (PREFIX_position) and as
 * a new node (PREFIX_position_new: its neighbours, none, a neighbour twice)
 * against gnnkd_model_position_rows; int8 agrees with float and computes
 * its stated scheme; bad ids and columns are refused, writing nothing. */
Test(export, position_student, .init = make_dir, .fini = remove_dir, .timeout = 120) {
    enum { Q = 8 };
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *raw = NULL, *d = NULL, *dp = NULL, *dn = NULL;
    const char *root = test_citation_root("cora");
    cr_assert_eq(gnnkd_dataset_open(&raw, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", root, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    const int32_t n = d->n, F = d->nfeat, C = d->nclass;
    // standardised columns: a hash's noise plus 1.5 in the label's column
    float *rows = malloc(sizeof *rows * (size_t)n * Q);
    for (int32_t c = 0; c < Q; c++) {
        double sum = 0.0, sq = 0.0;
        for (int32_t i = 0; i < n; i++) {
            const uint32_t h = (uint32_t)(i * 7919 + c * 104729 + 17) * 2654435761u;
            float v = (float)((h >> 8) & 0xffff) / 65536.0f - 0.5f + (float)(h >> 28) / 16.0f;
            v += d->label[i] % Q == c ? 1.5f : 0.0f;
            rows[(int64_t)i * Q + c] = v, sum += v, sq += (double)v * v;
        }
        const double mean = sum / n, sd = sqrt(sq / n - mean * mean);
        for (int32_t i = 0; i < n; i++)
            rows[(int64_t)i * Q + c] = (float)((rows[(int64_t)i * Q + c] - mean) / sd);
    }
    cr_assert_eq(gnnkd_dataset_append_columns(&dp, d, rows, Q, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m = train_mlp(dp, "mlp:32");
    cr_assert_eq(gnnkd_model_set_position(m, rows, n, Q, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_get_feature_norm(m), GNNKD_FEATURES_ROW_SUM);
    const float *fw = NULL;
    float *ref = malloc(sizeof *ref * (size_t)n * C), *refn = malloc(sizeof *refn * (size_t)n * C);
    cr_assert_eq(gnnkd_model_forward(m, &fw, dp, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    memcpy(ref, fw, sizeof *ref * (size_t)n * C);

    // each node also as a new node: i % 4 == 0 without neighbours, 1 with
    // one neighbour given twice and another, else its own neighbours
    int32_t *nbr_at = malloc(sizeof *nbr_at * ((size_t)n + 1)), *u = NULL, *v = NULL;
    const int64_t cap = d->adj.rowptr[n] + 3 * (int64_t)n;
    u = malloc(sizeof *u * (size_t)cap), v = malloc(sizeof *v * (size_t)cap);
    int64_t ne = 0;
    for (int32_t i = 0; i < n; i++) {
        nbr_at[i] = (int32_t)ne;
        if (i % 4 == 1) {
            const int32_t a = (int32_t)(((int64_t)i * 7919) % n), b = (int32_t)(((int64_t)i * 104729 + 1) % n);
            u[ne] = i, v[ne++] = a, u[ne] = i, v[ne++] = a, u[ne] = i, v[ne++] = b;
        } else if (i % 4 != 0) {
            for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++) u[ne] = i, v[ne++] = d->adj.colidx[p];
        }
    }
    nbr_at[n] = (int32_t)ne;
    float *prow = malloc(sizeof *prow * (size_t)n * Q);
    cr_assert_eq(gnnkd_model_position_rows(prow, m, n, u, v, ne, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_append_columns(&dn, d, prow, Q, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_forward(m, &fw, dn, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    memcpy(refn, fw, sizeof *refn * (size_t)n * C);

    gnnkd_export_info info, info8;
    pos_export ef = open_pos_export(m, "posf", 0, &info), eq = open_pos_export(m, "posq", 1, &info8);
    // the sizes count the rows table: float32, or int8 with a scale a column
    cr_assert_eq(info.pos_bytes, 4 * (int64_t)n * Q);
    cr_assert_eq(info.float_bytes, 4 * gnnkd_model_num_params(m) + info.pos_bytes);
    cr_assert_eq(info8.pos_bytes_int8, (int64_t)n * Q + 4 * Q);
    cr_assert_eq(info8.int8_bytes, (int64_t)(F + Q) * 32 + 3 * 4 * 32 + 32 * C + 8 * C + info8.pos_bytes_int8);
    char *hdr = slurp("posf.h"), *hdr8 = slurp("posq.h");
    cr_assert(strstr(hdr, "#define POSF_NFEAT 1433") && strstr(hdr, "#define POSF_NPOS 8") &&
              strstr(hdr, "#define POSF_NNODES 2708") &&
              strstr(hdr, "int posf_logits(const float *x, const float *pos, float *logits);") &&
              strstr(hdr, "int posf_position_new(const int32_t *nbr, int nnbr, float *pos);"), "%s", hdr);
    cr_assert(strstr(hdr8, "scales of its own") && strstr(hdr8, "int8 levels"), "%s", hdr8);
    free(hdr), free(hdr8);

    float colscale[Q]; // the int8 table's step, a column
    for (int32_t c = 0; c < Q; c++) {
        float a = 0.0f;
        for (int32_t i = 0; i < n; i++) a = fmaxf(a, fabsf(rows[(int64_t)i * Q + c]));
        colscale[c] = a / 127.0f;
    }
    float *x = malloc(sizeof *x * (size_t)F), *val = malloc(sizeof *val * (size_t)F);
    int32_t *idx = malloc(sizeof *idx * (size_t)F);
    float pos[Q], pos8[Q], z[16], zs[16], zq[16], zqs[16], p[16], want[16];
    double scale = 0.0, maxdiff = 0.0, maxdiff_new = 0.0, worst8 = 0.0;
    for (int64_t e = 0; e < (int64_t)n * C; e++) scale = fmax(scale, fmax(fabs(ref[e]), fabs(refn[e])));
    int32_t agree = 0, agree_new = 0, correct_f = 0, correct_q = 0, ntest = d->nsplit[GNNKD_TEST];
    char *is_test = calloc((size_t)n, 1);
    for (int32_t t = 0; t < ntest; t++) is_test[d->split[GNNKD_TEST][t]] = 1;
    for (int32_t i = 0; i < n; i++) {
        const int nnz = gnnkd_dataset_feature_row(raw, i, x, idx, val);
        // a known node, by its id
        cr_assert_eq(ef.position(i, pos), 0);
        cr_assert(memcmp(pos, rows + (int64_t)i * Q, sizeof pos) == 0, "node %d: the float row", i);
        cr_assert_eq(eq.position(i, pos8), 0);
        for (int32_t c = 0; c < Q; c++)
            cr_assert_leq(fabsf(pos8[c] - pos[c]), 0.5f * colscale[c] * (1.0f + 1e-5f) + 1e-6f,
                          "node %d, column %d: int8 row %g, float %g", i, c, pos8[c], pos[c]);
        const float *zr = ref + (int64_t)i * C;
        const int cls = ef.logits(x, pos, z), cls_s = ef.logits_sparse(idx, val, nnz, pos, zs);
        const int cls_q = eq.logits(x, pos8, zq), cls_qs = eq.logits_sparse(idx, val, nnz, pos8, zqs);
        for (int c = 0; c < C; c++) {
            maxdiff = fmax(maxdiff, fmax(fabs((double)z[c] - zr[c]), fabs((double)zs[c] - zr[c])));
            cr_assert_float_eq(zq[c], zqs[c], 1e-4, "node %d: int8 dense and sparse differ", i);
        }
        cr_assert(cls == argmax(zr, C) && cls_s == cls, "node %d: classes %d %d, library %d", i, cls,
                  cls_s, argmax(zr, C));
        cr_assert_eq(cls_qs, cls_q);
        agree += cls_q == cls;
        if (is_test[i]) correct_f += cls == d->label[i], correct_q += cls_q == d->label[i];
        if (i % 7 == 0) { // the int8 scheme, as the header states it
            int8_reference(want, m, x, pos8);
            cr_assert_eq(cls_q, argmax(want, C), "node %d: int8 class %d, the scheme says %d", i, cls_q,
                         argmax(want, C));
            for (int c = 0; c < C; c++)
                worst8 = fmax(worst8, fabs((double)zq[c] - want[c]) / (1e-5 * (1.0 + fabs((double)want[c]))));
        }

        // the same features as a new node
        const int32_t *nbr = i % 4 == 0 ? NULL : v + nbr_at[i];
        const int nn = nbr_at[i + 1] - nbr_at[i];
        const float *want_row = prow + (int64_t)i * Q, *zn = refn + (int64_t)i * C;
        cr_assert_eq(ef.position_new(nbr, nn, pos), 0);
        cr_assert_eq(eq.position_new(nbr, nn, pos8), 0);
        for (int32_t c = 0; c < Q; c++) {
            cr_assert_float_eq(pos[c], want_row[c], 1e-6, "new node %d (%d neighbours), column %d", i, nn, c);
            cr_assert_leq(fabsf(pos8[c] - want_row[c]), 0.5f * colscale[c] * (1.0f + 1e-5f) + 1e-6f,
                          "new node %d, column %d: int8 %g, float %g", i, c, pos8[c], want_row[c]);
            if (nn == 0) cr_assert(pos[c] == 0.0f && pos8[c] == 0.0f, "new node %d: no neighbours", i);
        }
        const int nc = ef.logits_new(x, nbr, nn, z), nc_s = ef.logits_new_sparse(idx, val, nnz, nbr, nn, zs);
        const int nc_p = ef.predict_new(x, nbr, nn, p);
        double psum = 0.0;
        for (int c = 0; c < C; c++) {
            maxdiff_new = fmax(maxdiff_new, fmax(fabs((double)z[c] - zn[c]), fabs((double)zs[c] - zn[c])));
            psum += p[c];
        }
        cr_assert(nc == argmax(zn, C) && nc_s == nc && nc_p == nc, "new node %d: classes %d %d %d, "
                  "library %d", i, nc, nc_s, nc_p, argmax(zn, C));
        cr_assert_float_eq(psum, 1.0, 1e-5, "new node %d: probabilities sum to %g", i, psum);
        const int nq = eq.logits_new(x, nbr, nn, zq);
        cr_assert_eq(eq.logits_new_sparse(idx, val, nnz, nbr, nn, zqs), nq);
        cr_assert_eq(eq.predict_new_sparse(idx, val, nnz, nbr, nn, p), nq);
        agree_new += nq == nc;
    }
    cr_log_info("position student: max |logit diff| %g known, %g new (logits up to %g); int8 agrees "
                "on %d and %d of %d nodes", maxdiff, maxdiff_new, scale, agree, agree_new, n);
    cr_assert_leq(maxdiff, 1e-5 * fmax(1.0, scale), "known nodes: max |logit difference| %g", maxdiff);
    cr_assert_leq(maxdiff_new, 1e-5 * fmax(1.0, scale), "new nodes: max |logit difference| %g", maxdiff_new);
    cr_assert_leq(worst8, 1.0, "int8 logits off the stated scheme by %g tolerances", worst8);
    cr_assert_geq(agree, 0.99 * n, "int8 agrees with float on %d of %d known nodes", agree, n);
    cr_assert_geq(agree_new, 0.99 * n, "int8 agrees with float on %d of %d new nodes", agree_new, n);
    cr_assert_leq(correct_f - correct_q, (int32_t)(0.01 * ntest) + 1, "int8 loses %d of %d test nodes",
                  correct_f - correct_q, ntest);

    // refusals: an id out of range, nnbr < 0, a column out of range (a
    // position column is no feature column); nothing written
    const int32_t bad[] = {0, n}, neg[] = {-1}, one[] = {3};
    const pos_export *both[2] = {&ef, &eq};
    gnnkd_dataset_feature_row(raw, 0, x, idx, val);
    for (int k = 0; k < 2; k++) {
        const pos_export *e = both[k];
        for (int c = 0; c < Q; c++) pos[c] = 42.0f;
        for (int c = 0; c < C; c++) z[c] = 42.0f;
        cr_assert_eq(e->position(n, pos), -1);
        cr_assert_eq(e->position(-1, pos), -1);
        cr_assert_eq(e->position_new(bad, 2, pos), -1);
        cr_assert_eq(e->position_new(neg, 1, pos), -1);
        cr_assert_eq(e->position_new(one, -1, pos), -1);
        cr_assert_eq(e->logits_new(x, bad, 2, z), -1);
        cr_assert_eq(e->predict_new(x, neg, 1, z), -1);
        cr_assert_eq(e->logits_new_sparse(idx, val, 1, bad, 2, z), -1);
        cr_assert_eq(e->predict_new_sparse(idx, val, 1, one, -1, z), -1);
        idx[0] = F; // the first position column
        cr_assert_eq(e->logits_new_sparse(idx, val, 1, one, 1, z), -1);
        cr_assert_eq(e->logits_sparse(idx, val, 1, rows, z), -1);
        idx[0] = 0;
        for (int c = 0; c < Q; c++) cr_assert(pos[c] == 42.0f, "a refused lookup wrote its row");
        for (int c = 0; c < C; c++) cr_assert(z[c] == 42.0f, "a refused call wrote its logits");
    }
    dlclose(ef.h);
    dlclose(eq.h);
    free(is_test), free(x), free(val), free(idx), free(rows), free(prow), free(ref), free(refn);
    free(nbr_at), free(u), free(v);
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&dn);
    gnnkd_dataset_free(&dp);
    gnnkd_dataset_free(&d);
    gnnkd_dataset_free(&raw);
}

Test(export, refusals, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "", path[256];
    gnnkd_model_spec s;
    gnnkd_model *gcn = NULL, *mlp = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:8", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&gcn, &s, 5, 3, 0, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "mlp:8", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&mlp, &s, 5, 3, 0, msg), GNNKD_OK);
    snprintf(path, sizeof path, "%s/s.c", dir);
    gnnkd_export_info info = {0};
    cr_assert_eq(gnnkd_model_export_c(&info, gcn, path, NULL, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "graph") && strstr(msg, "MLP"), "%s", msg);
    cr_assert_eq(info.float_bytes, 4 * gnnkd_model_num_params(gcn));
    cr_assert_eq(access(path, F_OK), -1, "a refused export left a file");
    gnnkd_export_options o;
    gnnkd_export_options_default(&o);
    o.prefix = "9lives";
    cr_assert_eq(gnnkd_model_export_c(NULL, mlp, path, &o, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "9lives") && strstr(msg, "identifier"), "%s", msg);
    snprintf(path, sizeof path, "%s/s.txt", dir);
    cr_assert_eq(gnnkd_model_export_c(NULL, mlp, path, NULL, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, ".c"), "%s", msg);
    snprintf(path, sizeof path, "%s/no/such/dir/s.c", dir);
    cr_assert_eq(gnnkd_model_export_c(NULL, mlp, path, NULL, msg), GNNKD_EIO);
    cr_assert(strstr(msg, "no/such/dir"), "%s", msg);
    gnnkd_model_free(&gcn);
    gnnkd_model_free(&mlp);
}

/* New nodes: read on their own, appended with their edges; a GCN's
 * node-level answer about them is the grown dataset's full forward. */
Test(export, append_new_nodes) {
    char msg[GNNKD_MSG_LEN] = "", path[512];
    gnnkd_dataset *d = NULL, *add = NULL;
    snprintf(path, sizeof path, "%s/tiny", test_small_data());
    cr_assert_eq(gnnkd_dataset_load_dir(&d, path, msg), GNNKD_OK, "%s", msg);
    snprintf(path, sizeof path, "%s/tiny/features.mtx", test_small_data());
    cr_assert_eq(gnnkd_features_read(&add, path, d->nfeat + 1, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "features.mtx") && strstr(msg, "expected 5"), "%s", msg);
    cr_assert_eq(gnnkd_features_read(&add, path, d->nfeat, msg), GNNKD_OK, "%s", msg);
    const int32_t n = d->n, k = add->n, F = d->nfeat;
    const int64_t edges = gnnkd_csr_nnz(&d->adj) / 2;
    int32_t u[] = {0, k - 1, 0}, v[] = {1, 0, 1}; // a repeat, dropped
    cr_assert_eq(gnnkd_dataset_append(d, add, u, v, 3, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, n + k);
    cr_assert_eq(gnnkd_csr_nnz(&d->adj), 2 * (edges + 2));
    cr_assert_eq(d->adj.colidx[d->adj.rowptr[n]], 1, "new node 0 is joined to node 1");
    cr_assert_eq(d->adj.rowptr[n + 1] - d->adj.rowptr[n], 1);
    cr_assert_eq(d->label[n + k - 1], -1);
    // the same feature rows again
    float *a = calloc((size_t)F, sizeof *a), *b = calloc((size_t)F, sizeof *b);
    int32_t *idx = calloc((size_t)F, sizeof *idx);
    for (int32_t i = 0; i < k; i++) {
        gnnkd_dataset_feature_row(d, i, a, idx, b);
        float *x = calloc((size_t)F, sizeof *x);
        gnnkd_dataset_feature_row(d, n + i, x, idx, b);
        cr_assert(memcmp(a, x, sizeof *a * (size_t)F) == 0, "row %d", i);
        free(x);
    }
    int32_t bad_u[] = {0}, bad_v[] = {n + k};
    cr_assert_eq(gnnkd_dataset_append(d, add, bad_u, bad_v, 1, msg), GNNKD_EINVAL);
    cr_assert_eq(d->n, n + k, "a failed append changed the dataset");

    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    gnnkd_infer *w = NULL;
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:5", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&m, &s, F, d->nclass, 2, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_infer_new(&w, msg), GNNKD_OK);
    const float *full = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &full, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    int32_t nodes[64];
    float z[64 * 8];
    for (int32_t i = 0; i < k; i++) nodes[i] = n + i;
    cr_assert_eq(gnnkd_model_forward_nodes(z, NULL, w, m, d, g, nodes, k, msg), GNNKD_OK, "%s", msg);
    for (int32_t i = 0; i < k * d->nclass; i++)
        cr_assert_float_eq(z[i], full[(int64_t)n * d->nclass + i], 1e-5);
    free(a), free(b), free(idx);
    gnnkd_infer_free(&w);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&add);
    gnnkd_dataset_free(&d);
}

/* Dense new rows (.npy) join a sparse dataset as sparse rows; a wrong width
 * names the file and the width expected. */
Test(export, append_dense_rows, .init = make_dir, .fini = remove_dir) {
    char msg[GNNKD_MSG_LEN] = "", path[512];
    gnnkd_dataset *d = NULL, *add = NULL;
    snprintf(path, sizeof path, "%s/tiny", test_small_data());
    cr_assert_eq(gnnkd_dataset_load_dir(&d, path, msg), GNNKD_OK, "%s", msg);
    cr_assert_not_null(d->x.rowptr, "tiny has sparse features");
    const int32_t n = d->n, F = d->nfeat;
    float rows[2 * 64] = {0};
    cr_assert_leq(F, 64);
    rows[1] = 0.5f, rows[F + 0] = 2.0f, rows[F + F - 1] = -1.0f;
    snprintf(path, sizeof path, "%s/new.npy", dir);
    cr_assert_eq(gnnkd_npy_write(path, rows, 2, F, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_features_read(&add, path, F + 2, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "new.npy") && strstr(msg, "expected"), "%s", msg);
    cr_assert_eq(gnnkd_features_read(&add, path, F, msg), GNNKD_OK, "%s", msg);
    cr_assert(add->n == 2 && add->xdense != NULL && add->feature_norm == GNNKD_FEATURES_RAW);
    cr_assert_eq(gnnkd_dataset_append(d, add, NULL, NULL, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, n + 2);
    cr_assert_eq(d->x.nrows, n + 2);
    float x[64], val[64];
    int32_t idx[64];
    for (int32_t i = 0; i < 2; i++) {
        cr_assert_eq(gnnkd_dataset_feature_row(d, n + i, x, idx, val), i == 0 ? 1 : 2);
        cr_assert(memcmp(x, rows + i * F, sizeof *x * (size_t)F) == 0, "row %d", i);
    }
    cr_assert_eq(d->adj.rowptr[n + 2] - d->adj.rowptr[n], 0, "no edges: isolated");
    gnnkd_dataset_free(&add);
    gnnkd_dataset_free(&d);
}
