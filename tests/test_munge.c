/* test_munge.c — MUNGE pseudo-nodes: shape (d kept, pseudo-nodes
 * unlabelled, in no split, joined with their source's edges), determinism
 * for a seed on any thread count, p = 0 copies the source, p = 1 with a
 * vanishing spread gives the partner, the exact cosine nearest neighbour
 * (dense rows, and the column-list search of sparse rows on the
 * gnn-benchmark Cora and CiteSeer, whose CiteSeer has empty rows). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnnkd.h>

#include "common.h"

static gnnkd_dataset *open_synthetic(void) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,classes=3,features=12,val=60,test=100,seed=9", msg),
                 GNNKD_OK, "%s", msg);
    return d;
}

/* The nearest other node of i by cosine similarity, computed plainly. */
static int32_t brute_nearest(const gnnkd_dataset *d, int32_t i) {
    int32_t best = -1;
    double bs = -INFINITY;
    const float *x = d->xdense + (int64_t)i * d->nfeat;
    for (int32_t j = 0; j < d->n; j++) {
        if (j == i) continue;
        const float *y = d->xdense + (int64_t)j * d->nfeat;
        double dot = 0, nx = 0, ny = 0;
        for (int32_t f = 0; f < d->nfeat; f++) dot += (double)x[f] * y[f], nx += (double)x[f] * x[f], ny += (double)y[f] * y[f];
        double s = dot / sqrt(nx * ny);
        if (s > bs) bs = s, best = j;
    }
    return best;
}

static int has_edge(const gnnkd_csr *a, int32_t u, int32_t v) {
    for (int64_t p = a->rowptr[u]; p < a->rowptr[u + 1]; p++)
        if (a->colidx[p] == v) return 1;
    return 0;
}

Test(munge, shape_and_edges) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(), *a = NULL;
    int32_t *src = NULL;
    const int32_t N = 450;
    cr_assert_eq(gnnkd_munge(&a, &src, d, N, 0.5f, 1.0f, 7, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(a->n, d->n + N);
    cr_assert_eq(a->nfeat, d->nfeat);
    cr_assert_eq(a->nclass, d->nclass);
    cr_assert_eq(memcmp(a->xdense, d->xdense, (size_t)d->n * d->nfeat * sizeof(float)), 0);
    for (int sp = 0; sp < 3; sp++) {
        cr_assert_eq(a->nsplit[sp], d->nsplit[sp]);
        cr_assert_eq(memcmp(a->split[sp], d->split[sp], (size_t)d->nsplit[sp] * sizeof(int32_t)), 0);
    }
    int changed = 0;
    for (int32_t k = 0; k < N; k++) {
        int32_t p = d->n + k, s = src[k];
        cr_assert(s >= 0 && s < d->n);
        cr_assert_eq(a->label[p], -1);
        cr_assert_eq(a->adj.rowptr[p + 1] - a->adj.rowptr[p], d->adj.rowptr[s + 1] - d->adj.rowptr[s],
                     "pseudo-node %d has its source's degree", k);
        for (int64_t q = d->adj.rowptr[s]; q < d->adj.rowptr[s + 1]; q++) {
            cr_assert(has_edge(&a->adj, p, d->adj.colidx[q]));
            cr_assert(has_edge(&a->adj, d->adj.colidx[q], p), "symmetric");
        }
        changed += memcmp(a->xdense + (int64_t)p * d->nfeat, d->xdense + (int64_t)s * d->nfeat,
                          (size_t)d->nfeat * sizeof(float)) != 0;
    }
    cr_assert_gt(changed, N / 2, "p = 0.5 moves most pseudo-nodes away from their source");
    /* d's own edges are all there, and only pseudo edges were added */
    int64_t extra = 0;
    for (int32_t k = 0; k < N; k++) extra += 2 * (d->adj.rowptr[src[k] + 1] - d->adj.rowptr[src[k]]);
    cr_assert_eq(gnnkd_csr_nnz(&a->adj), gnnkd_csr_nnz(&d->adj) + extra);
    free(src);
    gnnkd_dataset_free(&a);
    gnnkd_dataset_free(&d);
}

Test(munge, deterministic_for_a_seed_on_any_thread_count) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(), *a = NULL, *b = NULL, *c = NULL;
    gnnkd_set_threads(1);
    cr_assert_eq(gnnkd_munge(&a, NULL, d, 200, 0.5f, 2.0f, 3, msg), GNNKD_OK, "%s", msg);
    gnnkd_set_threads(2);
    cr_assert_eq(gnnkd_munge(&b, NULL, d, 200, 0.5f, 2.0f, 3, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_munge(&c, NULL, d, 200, 0.5f, 2.0f, 4, msg), GNNKD_OK, "%s", msg);
    size_t bytes = (size_t)a->n * a->nfeat * sizeof(float);
    cr_assert_eq(memcmp(a->xdense, b->xdense, bytes), 0);
    cr_assert_eq(gnnkd_csr_nnz(&a->adj), gnnkd_csr_nnz(&b->adj));
    cr_assert_eq(memcmp(a->adj.colidx, b->adj.colidx, (size_t)gnnkd_csr_nnz(&a->adj) * sizeof(int32_t)), 0);
    cr_assert_neq(memcmp(a->xdense, c->xdense, bytes), 0, "another seed, other pseudo-nodes");
    gnnkd_dataset_free(&a);
    gnnkd_dataset_free(&b);
    gnnkd_dataset_free(&c);
    gnnkd_dataset_free(&d);
}

Test(munge, p0_copies_the_source_p1_gives_the_nearest_neighbour) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(), *a = NULL;
    int32_t *src = NULL;
    const size_t row = (size_t)d->nfeat * sizeof(float);
    cr_assert_eq(gnnkd_munge(&a, &src, d, 50, 0.0f, 1.0f, 1, msg), GNNKD_OK, "%s", msg);
    for (int32_t k = 0; k < 50; k++)
        cr_assert_eq(memcmp(a->xdense + (int64_t)(d->n + k) * d->nfeat, d->xdense + (int64_t)src[k] * d->nfeat, row), 0);
    free(src);
    gnnkd_dataset_free(&a);
    /* p = 1 and a spread |a - b| / 1e30: the partner's value, to the float */
    cr_assert_eq(gnnkd_munge(&a, &src, d, 50, 1.0f, 1e30f, 1, msg), GNNKD_OK, "%s", msg);
    for (int32_t k = 0; k < 50; k++) {
        int32_t nn = brute_nearest(d, src[k]);
        cr_assert_eq(memcmp(a->xdense + (int64_t)(d->n + k) * d->nfeat, d->xdense + (int64_t)nn * d->nfeat, row), 0,
                     "pseudo-node %d: not its source's nearest neighbour %d", k, nn);
    }
    free(src);
    gnnkd_dataset_free(&a);
    /* bad arguments */
    cr_assert_eq(gnnkd_munge(&a, NULL, d, -1, 0.5f, 1.0f, 1, msg), GNNKD_EINVAL);
    cr_assert_eq(gnnkd_munge(&a, NULL, d, 10, 1.5f, 1.0f, 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "p=1.5"), "%s", msg);
    cr_assert_eq(gnnkd_munge(&a, NULL, d, 10, 0.5f, 0.0f, 1, msg), GNNKD_EINVAL);
    cr_assert_null(a);
    gnnkd_dataset_free(&d);
}

/* Row i of sparse features as a dense (nfeat) row. */
static void sparse_row(float *out, const gnnkd_dataset *d, int32_t i) {
    memset(out, 0, (size_t)d->nfeat * sizeof(float));
    for (int64_t q = d->x.rowptr[i]; q < d->x.rowptr[i + 1]; q++)
        out[d->x.colidx[q]] = d->x.val ? d->x.val[q] : 1.0f;
}

/* brute_nearest of sparse rows: every row expanded, the same sums in column order. */
static int32_t brute_nearest_sparse(const gnnkd_dataset *d, int32_t i, float *x, float *y) {
    sparse_row(x, d, i);
    int32_t best = -1;
    double bs = -INFINITY;
    for (int32_t j = 0; j < d->n; j++) {
        if (j == i) continue;
        sparse_row(y, d, j);
        double dot = 0, nx = 0, ny = 0;
        for (int32_t f = 0; f < d->nfeat; f++) dot += (double)y[f] * x[f], nx += (double)x[f] * x[f], ny += (double)y[f] * y[f];
        double s = nx > 0 && ny > 0 ? dot / sqrt(nx * ny) : 0;
        if (s > bs) bs = s, best = j;
    }
    return best;
}

static void check_sparse_partners(const char *name) {
    char msg[GNNKD_MSG_LEN] = "", dir[4096];
    snprintf(dir, sizeof dir, "%s/npz", test_citation_root("npz"));
    gnnkd_dataset *d = NULL, *a = NULL;
    int32_t *src = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, name, dir, msg), GNNKD_OK, "%s", msg);
    cr_assert_null(d->xdense, "%s: expected sparse features", name);
    int empty = 0;
    for (int32_t i = 0; i < d->n; i++) empty += d->x.rowptr[i + 1] == d->x.rowptr[i];
    const int32_t N = 120;
    cr_assert_eq(gnnkd_munge(&a, &src, d, N, 1.0f, 1e30f, 3, msg), GNNKD_OK, "%s", msg);
    float *x = malloc((size_t)d->nfeat * sizeof(float)), *y = malloc((size_t)d->nfeat * sizeof(float));
    float *z = malloc((size_t)d->nfeat * sizeof(float));
    cr_assert(x && y && z);
    int from_empty = 0;
    for (int32_t k = 0; k < N; k++) {
        int32_t nn = brute_nearest_sparse(d, src[k], x, y);
        from_empty += d->x.rowptr[src[k] + 1] == d->x.rowptr[src[k]];
        sparse_row(y, d, nn);
        sparse_row(z, a, d->n + k);
        cr_assert_eq(memcmp(z, y, (size_t)d->nfeat * sizeof(float)), 0,
                     "%s pseudo-node %d (source %d): not its source's nearest neighbour %d", name, k,
                     src[k], nn);
    }
    cr_log_info("%s: %d empty rows, %d of %d sources empty", name, empty, from_empty, N);
    free(x), free(y), free(z), free(src);
    gnnkd_dataset_free(&a);
    gnnkd_dataset_free(&d);
}

Test(munge, sparse_rows_get_the_exact_nearest_neighbour) {
    check_sparse_partners("cora.npz");
    check_sparse_partners("citeseer.npz");
}
