/* munge.c — MUNGE pseudo-nodes (Bucilua, Caruana, Niculescu-Mizil 2006):
 * a transfer set of synthetic nodes for model compression, each a random
 * node moved towards its nearest neighbour in feature space, joining the
 * graph with its source node's edges. */
#include "core/internal.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* Row i of d's features as (cols, vals) of length len; dense rows are
 * read whole (cols NULL). */
typedef struct {
    const int32_t *col;
    const float *val;
    int64_t len;
} gkd_row;

static gkd_row feature_row(const gnnkd_dataset *d, int32_t i) {
    gkd_row r = {NULL, NULL, d->nfeat};
    if (d->xdense) {
        r.val = d->xdense + (int64_t)i * d->nfeat;
    } else {
        int64_t p = d->x.rowptr[i];
        r.col = d->x.colidx + p;
        r.val = d->x.val ? d->x.val + p : NULL; /* NULL: a pattern, all ones */
        r.len = d->x.rowptr[i + 1] - p;
    }
    return r;
}

static float row_val(const gkd_row *r, int64_t k) { return r->val ? r->val[k] : 1.0f; }

/* The nearest node to i by cosine similarity among all other nodes (ties:
 * the smaller id); dense is a zeroed nfeat scratch row. O(nnz(X)): dense
 * feature rows only, sparse ones go through the column lists. */
static int32_t nearest_dense(const gnnkd_dataset *d, int32_t i, float *dense) {
    gkd_row ri = feature_row(d, i);
    double ni = 0;
    for (int64_t k = 0; k < ri.len; k++) {
        float v = row_val(&ri, k);
        dense[ri.col ? ri.col[k] : k] = v;
        ni += (double)v * v;
    }
    int32_t best = -1;
    double bestsim = -INFINITY;
    for (int32_t j = 0; j < d->n; j++) {
        if (j == i) continue;
        gkd_row rj = feature_row(d, j);
        double dot = 0, nj = 0;
        for (int64_t k = 0; k < rj.len; k++) {
            float v = row_val(&rj, k);
            dot += (double)v * dense[rj.col ? rj.col[k] : k];
            nj += (double)v * v;
        }
        double sim = ni > 0 && nj > 0 ? dot / sqrt(ni * nj) : 0;
        if (sim > bestsim) bestsim = sim, best = j;
    }
    for (int64_t k = 0; k < ri.len; k++) dense[ri.col ? ri.col[k] : k] = 0;
    return best;
}

/* The column lists of sparse features (the transpose, rows in increasing
 * order) and each row's squared norm: the nearest-neighbour search then
 * touches only the rows that share a column with the query. */
typedef struct {
    int64_t *ptr; /* (nfeat + 1) */
    int32_t *row; /* (nnz) */
    float *val;   /* (nnz) */
    double *norm; /* (n) squared norms */
} gkd_columns;

static void columns_free(gkd_columns *t) {
    free(t->ptr);
    free(t->row);
    free(t->val);
    free(t->norm);
}

static gnnkd_status columns_new(gkd_columns *t, const gnnkd_dataset *d, char *msg) {
#define GKD_FREE_ALL columns_free(t)
    memset(t, 0, sizeof *t);
    const int64_t nnz = d->x.rowptr[d->n];
    GKD_ALLOC(t->ptr, (int64_t)d->nfeat + 1);
    GKD_ALLOC(t->row, nnz > 0 ? nnz : 1);
    GKD_ALLOC(t->val, nnz > 0 ? nnz : 1);
    GKD_ALLOC(t->norm, d->n);
    for (int64_t q = 0; q < nnz; q++) t->ptr[d->x.colidx[q] + 1]++;
    for (int32_t f = 0; f < d->nfeat; f++) t->ptr[f + 1] += t->ptr[f];
    for (int32_t i = 0; i < d->n; i++) {
        gkd_row r = feature_row(d, i);
        double ni = 0;
        for (int64_t k = 0; k < r.len; k++) {
            float v = row_val(&r, k);
            int64_t q = t->ptr[r.col[k]]++;
            t->row[q] = i, t->val[q] = v;
            ni += (double)v * v;
        }
        t->norm[i] = ni;
    }
    for (int32_t f = d->nfeat; f > 0; f--) t->ptr[f] = t->ptr[f - 1]; /* undo the fill's shift */
    t->ptr[0] = 0;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* nearest_dense's answer, bit for bit, for sparse rows: each candidate's dot
 * product gathers the same products in the same (column) order; acc is a
 * zeroed (n) scratch left zeroed. O(sum over i's columns of their lengths
 * + n). */
static int32_t nearest_sparse(const gnnkd_dataset *d, const gkd_columns *t, int32_t i, double *acc) {
    gkd_row ri = feature_row(d, i);
    for (int64_t k = 0; k < ri.len; k++) {
        const int32_t c = ri.col[k];
        const float v = row_val(&ri, k);
        for (int64_t q = t->ptr[c]; q < t->ptr[c + 1]; q++) acc[t->row[q]] += (double)t->val[q] * v;
    }
    const double ni = t->norm[i];
    int32_t best = -1;
    double bestsim = -INFINITY;
    for (int32_t j = 0; j < d->n; j++) {
        const double dot = acc[j], nj = t->norm[j];
        acc[j] = 0;
        if (j == i) continue;
        double sim = ni > 0 && nj > 0 ? dot / sqrt(ni * nj) : 0;
        if (sim > bestsim) bestsim = sim, best = j;
    }
    return best;
}

/* Feature f is nominal (binary) if every value of it in d is 0 or 1. */
static void nominal_features(uint8_t *nominal, const gnnkd_dataset *d) {
    memset(nominal, 1, (size_t)d->nfeat);
    for (int32_t i = 0; i < d->n; i++) {
        gkd_row r = feature_row(d, i);
        for (int64_t k = 0; k < r.len; k++) {
            float v = row_val(&r, k);
            if (v != 0.0f && v != 1.0f) nominal[r.col ? r.col[k] : k] = 0;
        }
    }
}

/* One pseudo-node's value of a feature: the source's value a, moved
 * towards the partner's b with probability p (draws u, z of its own). */
static float munge_value(float a, float b, int nominal, float p, float s, float u, double z) {
    if (u >= p) return a;
    if (nominal) return b;
    return (float)(b + z * fabs((double)a - b) / s);
}

gnnkd_status gnnkd_munge(gnnkd_dataset **out, int32_t **source, const gnnkd_dataset *d,
                         int32_t npseudo, float p, float s, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *a = NULL;
    int32_t *src = NULL, *partner = NULL, *u = NULL, *v = NULL;
    uint8_t *nominal = NULL;
    float *scratch = NULL;
    double *acc = NULL;
    gkd_columns cols = {0};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&a);                                                           \
        columns_free(&cols);                                                              \
        free(acc);                                                                        \
        free(src);                                                                        \
        free(partner);                                                                    \
        free(u);                                                                          \
        free(v);                                                                          \
        free(nominal);                                                                    \
        free(scratch);                                                                    \
    } while (0)
    GKD_CHECK(out != NULL && d != NULL && d->adj.rowptr != NULL, GNNKD_EINVAL,
              "gnnkd_munge: out and d (with a graph) must not be NULL");
    *out = NULL;
    if (source) *source = NULL;
    GKD_CHECK(npseudo >= 0 && (int64_t)d->n + npseudo <= INT32_MAX && d->n >= 2, GNNKD_EINVAL,
              "munge: %d pseudo-nodes from %d nodes: expected 0 <= N and at least 2 nodes",
              npseudo, d->n);
    GKD_CHECK(p >= 0 && p <= 1 && s > 0, GNNKD_EINVAL,
              "munge: p=%g, s=%g: expected 0 <= p <= 1 and s > 0", (double)p, (double)s);
    GKD_CHECK(d->xdense || d->x.rowptr, GNNKD_EINVAL, "munge: %s has no features", d->name);
    const int32_t n = d->n, N = npseudo, F = d->nfeat;
    const uint64_t key = gkd_key(seed, 0x4d55u /* "MU" */, 0);
    GKD_ALLOC(src, N);
    for (int32_t k = 0; k < N; k++) src[k] = (int32_t)(gkd_mix64(key ^ gkd_mix64((uint64_t)k)) % (uint64_t)n);
    /* the partners of the sampled nodes only, each once */
    GKD_ALLOC(partner, n);
    for (int32_t i = 0; i < n; i++) partner[i] = -1;
    for (int32_t k = 0; k < N; k++) partner[src[k]] = -2;
    GKD_ALLOC(nominal, F);
    nominal_features(nominal, d);
    int nthreads = gnnkd_get_threads();
    const int sparse = d->xdense == NULL;
    if (sparse) {
        GKD_TRY(columns_new(&cols, d, msg));
        GKD_ALLOC(acc, (int64_t)nthreads * n);
    } else {
        GKD_ALLOC(scratch, (int64_t)nthreads * F);
    }
#pragma omp parallel for schedule(dynamic, 16) num_threads(nthreads)
    for (int32_t i = 0; i < n; i++) {
#ifdef _OPENMP
        int t = omp_get_thread_num();
#else
        int t = 0;
#endif
        if (partner[i] != -2) continue;
        partner[i] = sparse ? nearest_sparse(d, &cols, i, acc + (int64_t)t * n)
                            : nearest_dense(d, i, scratch + (int64_t)t * F);
    }

    GKD_TRY(gnnkd_dataset_new(&a, msg));
    snprintf(a->name, sizeof a->name, "%s", d->name);
    a->n = n + N;
    a->nfeat = F;
    a->nclass = d->nclass;
    /* features: d's rows, then one per pseudo-node; a sparse pseudo row
     * holds the union of its source's and partner's columns */
    const uint64_t fkey = gkd_key(seed, 0x4d46u /* "MF" */, 0);
    if (d->xdense) {
        GKD_ALLOC(a->xdense, (int64_t)(n + N) * F);
        memcpy(a->xdense, d->xdense, (size_t)n * F * sizeof(float));
        for (int32_t k = 0; k < N; k++) {
            const float *x = d->xdense + (int64_t)src[k] * F, *y = d->xdense + (int64_t)partner[src[k]] * F;
            float *o = a->xdense + (int64_t)(n + k) * F;
            for (int32_t f = 0; f < F; f++) {
                uint64_t c = ((uint64_t)k * (uint64_t)F + (uint64_t)f) * 3;
                o[f] = munge_value(x[f], y[f], nominal[f], p, s, gkd_uniform(fkey, c), gkd_normal(fkey, c + 1));
            }
        }
    } else {
        int64_t nnz = d->x.rowptr[n];
        for (int32_t k = 0; k < N; k++) {
            nnz += d->x.rowptr[src[k] + 1] - d->x.rowptr[src[k]];
            nnz += d->x.rowptr[partner[src[k]] + 1] - d->x.rowptr[partner[src[k]]];
        }
        GKD_ALLOC(a->x.rowptr, (int64_t)n + N + 1);
        GKD_ALLOC(a->x.colidx, nnz);
        GKD_ALLOC(a->x.val, nnz);
        int64_t q = 0;
        for (int32_t i = 0; i < n; i++) {
            gkd_row r = feature_row(d, i);
            for (int64_t k = 0; k < r.len; k++) a->x.colidx[q] = r.col[k], a->x.val[q++] = row_val(&r, k);
            a->x.rowptr[i + 1] = q;
        }
        for (int32_t k = 0; k < N; k++) {
            gkd_row x = feature_row(d, src[k]), y = feature_row(d, partner[src[k]]);
            int64_t i = 0, j = 0;
            while (i < x.len || j < y.len) { /* merge of two sorted column lists */
                int32_t cx = i < x.len ? x.col[i] : INT32_MAX, cy = j < y.len ? y.col[j] : INT32_MAX;
                int32_t f = cx < cy ? cx : cy;
                float va = cx == f ? row_val(&x, i++) : 0.0f, vb = cy == f ? row_val(&y, j++) : 0.0f;
                uint64_t c = ((uint64_t)k * (uint64_t)F + (uint64_t)f) * 3;
                float o = munge_value(va, vb, nominal[f], p, s, gkd_uniform(fkey, c), gkd_normal(fkey, c + 1));
                if (o != 0.0f) a->x.colidx[q] = f, a->x.val[q++] = o;
            }
            a->x.rowptr[n + k + 1] = q;
        }
        a->x.nrows = n + N;
        a->x.ncols = d->x.ncols;
    }
    GKD_ALLOC(a->label, (int64_t)n + N);
    for (int32_t i = 0; i < n + N; i++) a->label[i] = i < n && d->label ? d->label[i] : -1;
    for (int c = 0; c < 3; c++) {
        GKD_ALLOC(a->split[c], d->nsplit[c]);
        if (d->nsplit[c] > 0) /* a dataset without a split has NULL lists */
            memcpy(a->split[c], d->split[c], (size_t)d->nsplit[c] * sizeof(int32_t));
        a->nsplit[c] = d->nsplit[c];
    }
    /* edges: d's, and each pseudo-node to its source's neighbours */
    int64_t m = gnnkd_csr_nnz(&d->adj);
    for (int32_t k = 0; k < N; k++) m += d->adj.rowptr[src[k] + 1] - d->adj.rowptr[src[k]];
    GKD_ALLOC(u, m);
    GKD_ALLOC(v, m);
    int64_t e = 0;
    for (int32_t i = 0; i < n; i++)
        for (int64_t q = d->adj.rowptr[i]; q < d->adj.rowptr[i + 1]; q++) u[e] = i, v[e++] = d->adj.colidx[q];
    for (int32_t k = 0; k < N; k++)
        for (int64_t q = d->adj.rowptr[src[k]]; q < d->adj.rowptr[src[k] + 1]; q++)
            u[e] = n + k, v[e++] = d->adj.colidx[q];
    GKD_TRY(gnnkd_dataset_set_edges(a, NULL, n + N, u, v, e, 0, msg));
    *out = a;
    a = NULL;
    if (source) *source = src, src = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
