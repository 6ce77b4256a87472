/* test_graph.c — the normalised adjacency against a dense reference. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/kernels.h"
#include "tests/common.h"

/* A random symmetric pattern on n nodes with edge probability p, nodes
 * 0..nisolated-1 isolated, and one self loop on node n-1 (to be ignored). */
static void random_graph(gnnkd_csr *a, int32_t n, double p, int32_t nisolated, uint64_t seed) {
    char *dense = calloc((size_t)n * n, 1);
    for (int32_t i = nisolated; i < n; i++)
        for (int32_t j = nisolated; j < i; j++)
            if (gkd_uniform(seed, (uint64_t)i * n + j) < p) dense[i * n + j] = dense[j * n + i] = 1;
    dense[(n - 1) * n + (n - 1)] = 1;
    a->nrows = a->ncols = n;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * n + 1, sizeof *a->colidx);
    a->val = NULL;
    for (int32_t i = 0; i < n; i++) {
        a->rowptr[i + 1] = a->rowptr[i];
        for (int32_t j = 0; j < n; j++)
            if (dense[i * n + j]) a->colidx[a->rowptr[i + 1]++] = j;
    }
    free(dense);
}

/* Checks g's CSR against the dense D^-1/2 (A + I) D^-1/2 of the pattern a. */
static void check_against_dense(const gnnkd_graph *g, const gnnkd_csr *a) {
    int32_t n = a->nrows;
    double *ref = calloc((size_t)n * n, sizeof *ref), *deg = calloc((size_t)n, sizeof *deg);
    for (int32_t i = 0; i < n; i++) {
        ref[(size_t)i * n + i] = 1.0;
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) ref[(size_t)i * n + a->colidx[k]] = 1.0;
    }
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < n; j++) deg[i] += ref[(size_t)i * n + j];
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = 0; j < n; j++) ref[(size_t)i * n + j] /= sqrt(deg[i] * deg[j]);

    const gnnkd_csr *c = gnnkd_graph_csr(g);
    cr_assert_eq(c->nrows, n);
    cr_assert_eq(c->ncols, n);
    cr_assert_eq(c->rowptr[0], 0);
    int64_t count = 0;
    for (int32_t i = 0; i < n; i++) {
        for (int64_t k = c->rowptr[i]; k < c->rowptr[i + 1]; k++) {
            if (k > c->rowptr[i]) cr_assert_lt(c->colidx[k - 1], c->colidx[k], "row %d unsorted", i);
            double want = ref[(size_t)i * n + c->colidx[k]];
            cr_assert_gt(want, 0.0, "spurious entry (%d, %d)", i, c->colidx[k]);
            cr_assert_float_eq(c->val[k], want, 1e-6, "entry (%d, %d): %g vs %g", i, c->colidx[k],
                               c->val[k], want);
        }
        for (int32_t j = 0; j < n; j++) count += ref[(size_t)i * n + j] != 0.0;
    }
    cr_assert_eq(gnnkd_csr_nnz(c), count, "Â has %lld entries, the reference %lld",
                 (long long)gnnkd_csr_nnz(c), (long long)count);
    free(ref);
    free(deg);
}

Test(graph, matches_dense_reference_with_isolated_nodes) {
    gnnkd_csr a;
    random_graph(&a, 40, 0.15, 3, 7);
    gnnkd_graph *g = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_OK, "%s", msg);
    check_against_dense(g, &a);
    // an isolated node keeps only its self loop, of weight exactly 1
    const gnnkd_csr *c = gnnkd_graph_csr(g);
    cr_assert_eq(c->rowptr[1] - c->rowptr[0], 1);
    cr_assert_eq(c->val[c->rowptr[0]], 1.0f);
    gnnkd_graph_free(&g);
    cr_assert_null(g);
    gnnkd_graph_free(&g); // NULL is fine
    gnnkd_csr_clear(&a);
}

Test(graph, symmetric) {
    gnnkd_csr a;
    random_graph(&a, 25, 0.3, 1, 11);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &a, NULL), GNNKD_OK);
    const gnnkd_csr *c = gnnkd_graph_csr(g);
    for (int32_t i = 0; i < c->nrows; i++)
        for (int64_t k = c->rowptr[i]; k < c->rowptr[i + 1]; k++) {
            int32_t j = c->colidx[k];
            int found = 0;
            for (int64_t q = c->rowptr[j]; q < c->rowptr[j + 1]; q++)
                if (c->colidx[q] == i) found = c->val[q] == c->val[k];
            cr_assert(found, "Â(%d,%d) has no equal mirror", i, j);
        }
    gnnkd_graph_free(&g);
    gnnkd_csr_clear(&a);
}

Test(graph, rejects_bad_input) {
    gnnkd_graph *g = NULL;
    char msg[GNNKD_MSG_LEN] = "";
    int64_t rowptr[3] = {0, 1, 2};
    int32_t colidx[2] = {1, 5};
    gnnkd_csr a = {2, 2, rowptr, colidx, NULL};
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "column 5") != NULL, "%s", msg);
    cr_assert_null(g);
    colidx[1] = 0;
    a.ncols = 3;
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "square") != NULL, "%s", msg);
    a.ncols = 2;
    rowptr[1] = 3; // then row 1 would run backwards, row 0 past the end
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "decreases") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, NULL, msg), GNNKD_EINVAL);
}

Test(graph, graphblas_product_matches_kernel) {
    gnnkd_csr a;
    random_graph(&a, 30, 0.2, 2, 5);
    gnnkd_graph *g = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_OK, "%s", msg);
    int32_t n = 30, h = 5;
    float *x = malloc(sizeof *x * n * h), *y = malloc(sizeof *y * n * h), *yr = malloc(sizeof *yr * n * h);
    for (int e = 0; e < n * h; e++) x[e] = gkd_uniform(3, (uint64_t)e) - 0.5f;
    cr_assert_eq(gkd_graph_spmm_ref(yr, g, x, h, msg), GNNKD_OK, "%s", msg);
    gkd_spmm(y, gnnkd_graph_csr(g), gnnkd_graph_csr(g)->val, x, h, NULL);
    for (int e = 0; e < n * h; e++) cr_assert_float_eq(y[e], yr[e], 1e-5, "element %d", e);
    free(x);
    free(y);
    free(yr);
    gnnkd_graph_free(&g);
    gnnkd_csr_clear(&a);
}

/* Cora (GNNKD_DATA is required): every entry is
 * 1 / sqrt((deg_i + 1) (deg_j + 1)). */
Test(graph, cora) {
    const char *root = test_citation_root("cora");
    char dir[4096], msg[GNNKD_MSG_LEN];
    snprintf(dir, sizeof dir, "%s/cora", root);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_OK, "%s", msg);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    const gnnkd_csr *c = gnnkd_graph_csr(g), *a = &d->adj;
    cr_assert_eq(c->nrows, 2708);
    cr_assert_eq(gnnkd_csr_nnz(c), 10556 + 2708);
    for (int32_t i = 0; i < c->nrows; i++) {
        double di = (double)(a->rowptr[i + 1] - a->rowptr[i]) + 1.0;
        int64_t q = a->rowptr[i]; // walks row i of A alongside, skipping Â's diagonal
        for (int64_t k = c->rowptr[i]; k < c->rowptr[i + 1]; k++) {
            int32_t j = c->colidx[k];
            if (j != i) cr_assert_eq(j, a->colidx[q++], "row %d: column %d is not an edge", i, j);
            double dj = (double)(a->rowptr[j + 1] - a->rowptr[j]) + 1.0;
            cr_assert_float_eq(c->val[k], 1.0 / sqrt(di * dj), 1e-6, "entry (%d, %d)", i, j);
        }
    }
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}
