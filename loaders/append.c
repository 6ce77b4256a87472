/* append.c — new nodes for a trained model to answer about: their feature
 * rows read on their own, their edges to known nodes, and a dataset grown
 * by them (so a graph model's node-level inference reaches them). */
#include "loaders/mtx.h"

#include <math.h>
#include <string.h>

gnnkd_status gnnkd_features_read(gnnkd_dataset **d, const char *path, int32_t nfeat, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *out = NULL;
    float *a = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&out);                                                         \
        free(a);                                                                          \
    } while (0)
    GKD_CHECK(d != NULL && path != NULL, GNNKD_EINVAL, "gnnkd_features_read: d and path must not be NULL");
    *d = NULL;
    GKD_TRY(gnnkd_dataset_new(&out, msg));
    int32_t rows, cols;
    if (gkd_ends_with(path, ".npy")) {
        int64_t r, c;
        GKD_TRY(gnnkd_npy_read(&a, &r, &c, path, msg));
        GKD_CHECK(r < INT32_MAX && c < INT32_MAX, GNNKD_EDATA, "%s: %lld x %lld is too large",
                 path, (long long)r, (long long)c);
        rows = (int32_t)r, cols = (int32_t)c;
        for (int64_t e = 0; e < r * c; e++)
            GKD_CHECK(isfinite(a[e]), GNNKD_EDATA, "%s: row %lld, column %lld is not finite", path,
                     (long long)(e / c), (long long)(e % c));
        out->xdense = a;
        a = NULL;
    } else {
        GKD_TRY(gkd_mtx_load_matrix(&out->x, path, msg));
        rows = out->x.nrows, cols = out->x.ncols;
    }
    GKD_CHECK(nfeat <= 0 || cols == nfeat, GNNKD_EDATA,
             "%s: %d feature columns; expected %d (the width of the training features)", path,
             cols, nfeat);
    out->n = rows;
    out->nfeat = cols;
    GKD_ALLOC(out->label, rows);
    for (int32_t i = 0; i < rows; i++) out->label[i] = -1;
    out->adj.nrows = out->adj.ncols = rows;
    GKD_ALLOC(out->adj.rowptr, (int64_t)rows + 1);
    GKD_ALLOC(out->adj.colidx, 0);
    const char *slash = strrchr(path, '/');
    snprintf(out->name, sizeof out->name, "%s", slash ? slash + 1 : path);
    *d = out;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_edges_read(int32_t **u, int32_t **v, int64_t *m, const char *path,
                              int32_t nu, int32_t nv, char *msg) {
    GKD_CLEAR_MSG;
    gkd_text t = {0};
    int32_t *a = NULL, *b = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gkd_text_close(&t);                                                               \
        free(a);                                                                          \
        free(b);                                                                          \
    } while (0)
    GKD_CHECK(u != NULL && v != NULL && m != NULL && path != NULL, GNNKD_EINVAL,
             "gnnkd_edges_read: u, v, m and path must not be NULL");
    *u = *v = NULL;
    *m = 0;
    GKD_TRY(gkd_text_open(&t, path, msg));
    // a pair takes at least 4 bytes ("0 0\n"): a bound before allocating
    const int64_t cap = (int64_t)gkd_text_left(&t) / 4 + 1;
    GKD_ALLOC(a, cap);
    GKD_ALLOC(b, cap);
    int64_t k = 0;
    for (char *line; (line = gkd_text_next(&t)) != NULL;) {
        const char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        if (*s == '#' || gkd_is_blank(s)) continue;
        int64_t x, y;
        char tok[48];
        GKD_CHECK(gkd_parse_int(&s, &x) && gkd_parse_int(&s, &y) && gkd_is_blank(s), GNNKD_EDATA,
                 "%s:%lld: expected 'NEW KNOWN' (two node ids), found %s", path, (long long)t.line,
                 gkd_token(tok, sizeof tok, line));
        GKD_CHECK(x >= 0 && x < nu, GNNKD_EDATA,
                 "%s:%lld: new node %lld is outside 0..%d (the rows of the new features)", path,
                 (long long)t.line, (long long)x, nu - 1);
        GKD_CHECK(y >= 0 && y < nv, GNNKD_EDATA,
                 "%s:%lld: known node %lld is outside 0..%d (the dataset's nodes)", path,
                 (long long)t.line, (long long)y, nv - 1);
        a[k] = (int32_t)x, b[k] = (int32_t)y, k++;
    }
    *u = a, *v = b, *m = k;
    a = b = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Row r of s's features as nonzeros appended to (colidx, val) at *nnz. */
static void put_sparse_row(int32_t *colidx, float *val, int64_t *nnz, const gnnkd_dataset *s,
                           int32_t r) {
    if (s->xdense) {
        const float *x = s->xdense + (int64_t)r * s->nfeat;
        for (int32_t j = 0; j < s->nfeat; j++)
            if (x[j] != 0.0f) colidx[*nnz] = j, val[(*nnz)++] = x[j];
        return;
    }
    for (int64_t k = s->x.rowptr[r]; k < s->x.rowptr[r + 1]; k++)
        colidx[*nnz] = s->x.colidx[k], val[(*nnz)++] = s->x.val ? s->x.val[k] : 1.0f;
}

static int64_t row_nnz(const gnnkd_dataset *s, int32_t r) {
    if (s->x.rowptr) return s->x.rowptr[r + 1] - s->x.rowptr[r];
    int64_t c = 0;
    for (int32_t j = 0; j < s->nfeat; j++) c += s->xdense[(int64_t)r * s->nfeat + j] != 0.0f;
    return c;
}

gnnkd_status gnnkd_dataset_append(gnnkd_dataset *d, const gnnkd_dataset *add, const int32_t *u,
                                  const int32_t *v, int64_t m, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *g = NULL;
    int32_t *eu = NULL, *ev = NULL, *label = NULL;
    float *xdense = NULL;
    gnnkd_csr x = {0};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&g);                                                           \
        free(eu);                                                                         \
        free(ev);                                                                         \
        free(label);                                                                      \
        free(xdense);                                                                     \
        gnnkd_csr_clear(&x);                                                              \
    } while (0)
    GKD_CHECK(d != NULL && add != NULL && (m == 0 || (u != NULL && v != NULL)) && m >= 0,
             GNNKD_EINVAL, "gnnkd_dataset_append: d, add, u and v must not be NULL");
    GKD_CHECK(add->nfeat == d->nfeat, GNNKD_EINVAL,
             "append: the new nodes have %d features, %s has %d", add->nfeat, d->name, d->nfeat);
    GKD_CHECK(add->xdense != NULL || (add->x.rowptr != NULL && add->x.nrows == add->n),
             GNNKD_EINVAL, "append: the new nodes have no features");
    const int32_t n = d->n, k = add->n;
    GKD_CHECK((int64_t)n + k < INT32_MAX, GNNKD_EINVAL, "append: too many nodes");
    const int64_t old = gnnkd_csr_nnz(&d->adj) / 2, total = old + m;

    // the grown graph, built aside: d is untouched until everything is ready
    GKD_ALLOC(eu, total);
    GKD_ALLOC(ev, total);
    int64_t e = 0;
    for (int32_t i = 0; i < n; i++)
        for (int64_t q = d->adj.rowptr[i]; q < d->adj.rowptr[i + 1]; q++)
            if (d->adj.colidx[q] > i) eu[e] = i, ev[e++] = d->adj.colidx[q];
    for (int64_t j = 0; j < m; j++) {
        GKD_CHECK(u[j] >= 0 && u[j] < k && v[j] >= 0 && v[j] < n, GNNKD_EINVAL,
                 "append: edge %lld joins new node %d and known node %d; new nodes are 0..%d, "
                 "known ones 0..%d", (long long)j, u[j], v[j], k - 1, n - 1);
        eu[e] = n + u[j], ev[e++] = v[j];
    }
    GKD_TRY(gnnkd_dataset_new(&g, msg));
    GKD_TRY(gnnkd_dataset_set_edges(g, NULL, n + k, eu, ev, e, 0, msg));

    GKD_ALLOC(label, (int64_t)n + k);
    if (d->label) memcpy(label, d->label, sizeof *label * (size_t)n);
    else for (int32_t i = 0; i < n; i++) label[i] = -1;
    for (int32_t i = 0; i < k; i++) label[n + i] = add->label ? add->label[i] : -1;

    if (d->xdense) {
        GKD_ALLOC(xdense, ((int64_t)n + k) * d->nfeat);
        memcpy(xdense, d->xdense, sizeof *xdense * (size_t)n * (size_t)d->nfeat);
        for (int32_t i = 0; i < k; i++) {
            float *row = xdense + ((int64_t)n + i) * d->nfeat;
            if (add->xdense) {
                memcpy(row, add->xdense + (int64_t)i * d->nfeat, sizeof *row * (size_t)d->nfeat);
            } else {
                for (int64_t q = add->x.rowptr[i]; q < add->x.rowptr[i + 1]; q++)
                    row[add->x.colidx[q]] = add->x.val ? add->x.val[q] : 1.0f;
            }
        }
    } else {
        int64_t nnz = gnnkd_csr_nnz(&d->x);
        for (int32_t i = 0; i < k; i++) nnz += row_nnz(add, i);
        x.nrows = n + k, x.ncols = d->nfeat;
        GKD_ALLOC(x.rowptr, (int64_t)n + k + 1);
        GKD_ALLOC(x.colidx, nnz);
        GKD_ALLOC(x.val, nnz);
        int64_t q = 0;
        for (int32_t i = 0; i < n; i++) {
            put_sparse_row(x.colidx, x.val, &q, d, i);
            x.rowptr[i + 1] = q;
        }
        for (int32_t i = 0; i < k; i++) {
            put_sparse_row(x.colidx, x.val, &q, add, i);
            x.rowptr[n + i + 1] = q;
        }
    }

    // install: nothing below can fail
    gnnkd_csr_clear(&d->adj);
    d->adj = g->adj;
    memset(&g->adj, 0, sizeof g->adj);
    free(d->label);
    d->label = label;
    label = NULL;
    if (d->xdense) {
        free(d->xdense);
        d->xdense = xdense;
        xdense = NULL;
    } else {
        gnnkd_csr_clear(&d->x);
        d->x = x;
        memset(&x, 0, sizeof x);
    }
    d->n = n + k;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
