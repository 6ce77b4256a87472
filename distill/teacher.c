/* teacher.c — a teacher is the logits of one or more trained models over all
 * nodes; an ensemble's target averages its members (softened probabilities
 * for KD, logits for compression). */
#include "distill/lsp.h"

#include <math.h>
#include <string.h>

struct gnnkd_teacher {
    int32_t n, C;
    int members;
    float *logits; /* (members, n, C) */
    int hidden_members; /* LSP: members whose hidden layer is kept */
    float *hidden[GKD_TEACHER_MAX_HIDDEN];  /* (n, hidden_width[j]) each */
    int32_t hidden_width[GKD_TEACHER_MAX_HIDDEN];
};

gnnkd_status gnnkd_teacher_new(gnnkd_teacher **t, int32_t n, int32_t C, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL gnnkd_teacher_free(&tt)
    gnnkd_teacher *tt = NULL;
    if (t != NULL) *t = NULL;
    GKD_CHECK(t != NULL && n > 0 && C > 0, GNNKD_EINVAL, "gnnkd_teacher_new: bad arguments");
    GKD_ALLOC(tt, 1);
    tt->n = n;
    tt->C = C;
    *t = tt;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gnnkd_teacher_free(gnnkd_teacher **t) {
    if (t == NULL || *t == NULL) return;
    free((*t)->logits);
    for (int j = 0; j < (*t)->hidden_members; j++) free((*t)->hidden[j]);
    GKD_FREE(*t);
}

int gnnkd_teacher_members(const gnnkd_teacher *t) { return t->members; }

int gkd_teacher_add_hidden(gnnkd_teacher *t, const float *z, int32_t width, char *msg) {
#define GKD_FREE_ALL
    const int j = t->hidden_members;
    GKD_CHECK(j < GKD_TEACHER_MAX_HIDDEN, GNNKD_EINVAL,
              "teacher: LSP keeps the hidden layers of at most %d members", GKD_TEACHER_MAX_HIDDEN);
    GKD_ALLOC(t->hidden[j], (int64_t)t->n * width);
    memcpy(t->hidden[j], z, sizeof *z * (size_t)t->n * (size_t)width);
    t->hidden_width[j] = width;
    t->hidden_members++;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

const float *gkd_teacher_hidden(const gnnkd_teacher *t, int j, int32_t *width) {
    if (j < 0 || j >= t->hidden_members) return NULL;
    *width = t->hidden_width[j];
    return t->hidden[j];
}

gnnkd_status gnnkd_teacher_add_logits(gnnkd_teacher *t, const float *logits, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL
    const size_t one = (size_t)t->n * (size_t)t->C;
    float *grown = realloc(t->logits, (size_t)(t->members + 1) * one * sizeof(float));
    GKD_CHECK(grown != NULL, GNNKD_ENOMEM, "gnnkd_teacher_add_logits: out of memory");
    t->logits = grown;
    memcpy(t->logits + (size_t)t->members * one, logits, one * sizeof(float));
    t->members++;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_teacher_add_model(gnnkd_teacher *t, gnnkd_model *m, const gnnkd_dataset *d,
                                     const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL
    const float *logits = NULL;
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    GKD_CHECK(d->n == t->n && s->dims[s->nlayers] == t->C, GNNKD_EINVAL,
             "teacher model: it predicts %d classes for a dataset of %d nodes, "
             "but the teacher holds %d classes over %d nodes",
             s->dims[s->nlayers], d->n, t->C, t->n);
    GKD_TRY(gnnkd_model_forward(m, &logits, d, g, 0, 0, 0, msg));
    return gnnkd_teacher_add_logits(t, logits, msg);
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_teacher_add_file(gnnkd_teacher *t, const char *path, const gnnkd_dataset *d,
                                    const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(a);                                                                          \
        gnnkd_model_free(&m);                                                             \
    } while (0)
    float *a = NULL;
    gnnkd_model *m = NULL;
    if (gkd_ends_with(path, ".npy")) {
        int64_t rows = 0, cols = 0;
        GKD_TRY(gnnkd_npy_read(&a, &rows, &cols, path, msg));
        GKD_CHECK(rows == t->n && cols == t->C, GNNKD_EDATA,
                 "%s: teacher logits have shape (%lld, %lld), expected (%d, %d) "
                 "(nodes, classes of the dataset)", path, (long long)rows, (long long)cols, t->n, t->C);
        GKD_TRY(gnnkd_teacher_add_logits(t, a, msg));
    } else {
        GKD_TRY(gnnkd_model_load(&m, path, msg));
        GKD_CHECK(gnnkd_model_get_spec(m)->dims[0] == d->nfeat, GNNKD_EDATA,
                 "%s: the model takes %d features, the dataset has %d", path,
                 gnnkd_model_get_spec(m)->dims[0], d->nfeat);
        GKD_TRY(gnnkd_teacher_add_model(t, m, d, g, msg));
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* zs (n, C) = the rows of z (n, C) z-scored: (z - mean) / sd over each row's
 * C entries; a constant row becomes zeros. */
static void standardise_rows(float *zs, const float *z, int64_t n, int32_t C) {
    for (int64_t i = 0; i < n; i++) {
        const float *r = z + i * C;
        double mean = 0.0, var = 0.0;
        for (int32_t j = 0; j < C; j++) mean += r[j];
        mean /= C;
        for (int32_t j = 0; j < C; j++) var += (r[j] - mean) * (r[j] - mean);
        const double sd = sqrt(var / C) + 1e-12;
        for (int32_t j = 0; j < C; j++) zs[i * C + j] = (float)((r[j] - mean) / sd);
    }
}

gnnkd_status gnnkd_teacher_targets(float *target, const gnnkd_teacher *t, gnnkd_method method,
                                   float T, int flags, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(p);                                                                          \
        free(zs);                                                                         \
    } while (0)
    float *p = NULL, *zs = NULL;
    GKD_CHECK(t->members > 0, GNNKD_EINVAL, "teacher: no members");
    GKD_CHECK(gkd_method_soft(method), GNNKD_EINVAL,
              "teacher: %s has no soft targets", gnnkd_method_name(method));
    GKD_CHECK(!gkd_method_kd(method) || T > 0.0f, GNNKD_EINVAL,
             "temperature must be positive, got %g", (double)T);
    const int64_t one = (int64_t)t->n * t->C;
    const float w = 1.0f / (float)t->members;
    memset(target, 0, (size_t)one * sizeof(float));
    if (gkd_method_kd(method)) GKD_ALLOC(p, one);
    if (flags & GNNKD_TARGET_STANDARDISE) GKD_ALLOC(zs, one);
    for (int k = 0; k < t->members; k++) {
        const float *z = t->logits + (size_t)k * (size_t)one;
        if (zs) standardise_rows(zs, z, t->n, t->C), z = zs;
        if (p) gnnkd_softmax(p, z, t->n, t->C, T);
        const float *src = p ? p : z;
        for (int64_t i = 0; i < one; i++) target[i] += w * src[i];
    }
    if (method == GNNKD_METHOD_COMPRESS && (flags & GNNKD_TARGET_CENTER)) {
        for (int64_t i = 0; i < t->n; i++) {
            float *row = target + i * t->C;
            double mean = 0.0;
            for (int32_t j = 0; j < t->C; j++) mean += row[j];
            mean /= t->C;
            for (int32_t j = 0; j < t->C; j++) row[j] -= (float)mean;
        }
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_teacher_accuracy(double *acc, const gnnkd_teacher *t, const int32_t *label,
                                    const int32_t *idx, int64_t nidx, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL free(p)
    float *p = NULL;
    GKD_CHECK(acc != NULL && t != NULL, GNNKD_EINVAL,
             "gnnkd_teacher_accuracy: acc and t must not be NULL");
    GKD_ALLOC(p, (int64_t)t->n * t->C);
    GKD_TRY(gnnkd_teacher_targets(p, t, GNNKD_METHOD_KD, 1.0f, 0, msg));
    *acc = gnnkd_accuracy(p, label, idx, nidx, t->C);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
