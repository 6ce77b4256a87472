/* test_infer.c — node-level inference against rows of the full-graph
 * forward: GCN and MLP, sparse and dense features, random, isolated and
 * repeated nodes, and a workspace that stops allocating. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"

static gnnkd_model *model(const char *text, const gnnkd_dataset *d, uint64_t seed) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, text, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, seed, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* A synthetic graph (dense features) with its features made sparse if asked,
 * and isolated nodes: node 0's edges removed. */
static gnnkd_dataset *graph(int sparse) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=400,classes=4,features=32,degree=5,"
                                             "train-per-class=5,val=40,test=40,seed=9", msg),
                 GNNKD_OK, "%s", msg);
    int64_t m = gnnkd_csr_nnz(&d->adj), k = 0;
    int32_t *u = malloc(m * sizeof *u), *v = malloc(m * sizeof *v);
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t e = d->adj.rowptr[i]; e < d->adj.rowptr[i + 1]; e++)
            if (i != 0 && d->adj.colidx[e] != 0) u[k] = i, v[k++] = d->adj.colidx[e];
    cr_assert_eq(gnnkd_dataset_set_edges(d, NULL, d->n, u, v, k, 0, msg), GNNKD_OK, "%s", msg);
    free(u), free(v);
    cr_assert_eq(d->adj.rowptr[1], 0, "node 0 is isolated");
    if (sparse) { /* keep the positive entries: a sparse X with empty rows */
        gnnkd_csr x = {d->n, d->nfeat, NULL, NULL, NULL};
        x.rowptr = calloc(d->n + 1, sizeof *x.rowptr);
        x.colidx = malloc((size_t)d->n * d->nfeat * sizeof *x.colidx);
        x.val = malloc((size_t)d->n * d->nfeat * sizeof *x.val);
        int64_t nz = 0;
        for (int32_t i = 0; i < d->n; i++) {
            for (int32_t j = 0; j < d->nfeat; j++) {
                float a = d->xdense[(int64_t)i * d->nfeat + j];
                if (a > 1.0f && i != 5) x.colidx[nz] = j, x.val[nz++] = a;
            }
            x.rowptr[i + 1] = nz;
        }
        free(d->xdense);
        d->xdense = NULL;
        d->x = x;
    }
    return d;
}

static void check(const char *spec, int sparse) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = graph(sparse);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m = model(spec, d, 4);
    const float *full = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &full, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    const int32_t C = d->nclass;
    float *ref = malloc((size_t)d->n * C * sizeof *ref);
    memcpy(ref, full, (size_t)d->n * C * sizeof *ref);
    double scale = 0.0;
    for (int64_t e = 0; e < (int64_t)d->n * C; e++) scale = fmax(scale, fabs(ref[e]));
    cr_assert_gt(scale, 0.0);

    gnnkd_infer *w = NULL;
    cr_assert_eq(gnnkd_infer_new(&w, msg), GNNKD_OK);
    /* random nodes, the isolated node 0, node 5 (no features if sparse), repeats */
    int32_t nodes[40];
    uint64_t key = gkd_key(1, 2, 3);
    for (int q = 0; q < 34; q++) nodes[q] = (int32_t)(gkd_uniform(key, q) * d->n);
    nodes[34] = 0, nodes[35] = 5, nodes[36] = nodes[3], nodes[37] = 0, nodes[38] = d->n - 1;
    nodes[39] = nodes[3];
    float out[40 * 8];
    int64_t field = 0;
    cr_assert_eq(gnnkd_model_forward_nodes(out, &field, w, m, d, g, nodes, 40, msg), GNNKD_OK, "%s", msg);
    for (int q = 0; q < 40; q++)
        for (int32_t c = 0; c < C; c++) {
            float a = out[q * C + c], b = ref[(int64_t)nodes[q] * C + c];
            cr_assert(fabs(a - b) <= 1e-5 * scale, "%s node %d class %d: %g vs %g", spec, nodes[q], c, a, b);
        }
    const int gcn = !strncmp(spec, "gcn", 3);
    int distinct = 0;
    for (int q = 0; q < 40; q++) {
        int seen = 0;
        for (int p = 0; p < q; p++) seen |= nodes[p] == nodes[q];
        distinct += !seen;
    }
    cr_assert(gcn ? field > distinct && field <= d->n : field == distinct, "%s: field %lld, %d nodes",
              spec, (long long)field, distinct);

    /* one node at a time: an isolated node's field is itself */
    for (int q = 34; q < 40; q++) {
        cr_assert_eq(gnnkd_model_forward_nodes(out, &field, w, m, d, g, &nodes[q], 1, msg), GNNKD_OK);
        if (nodes[q] == 0) cr_assert_eq(field, 1, "isolated node 0: field %lld", (long long)field);
        for (int32_t c = 0; c < C; c++)
            cr_assert(fabs(out[c] - ref[(int64_t)nodes[q] * C + c]) <= 1e-5 * scale);
    }
    /* errors name the node; nothing is written past a bad call */
    int32_t bad[2] = {1, d->n};
    cr_assert_eq(gnnkd_model_forward_nodes(out, NULL, w, m, d, g, bad, 2, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "node 400"), "%s", msg);
    if (gcn) {
        cr_assert_eq(gnnkd_model_forward_nodes(out, NULL, w, m, d, NULL, nodes, 1, msg), GNNKD_EINVAL);
        cr_assert(strstr(msg, "adjacency"), "%s", msg);
    }
    free(ref);
    gnnkd_infer_free(&w);
    cr_assert_null(w);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(infer, gcn_dense) { check("gcn:16", 0); }
Test(infer, gcn_sparse) { check("gcn:16", 1); }
Test(infer, gcn_three_layers_sparse) { check("gcn:8,8", 1); }
Test(infer, mlp_dense) { check("mlp:16", 0); }
Test(infer, mlp_sparse) { check("mlp:16,16", 1); }

Test(infer, no_nodes_is_fine) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = graph(0);
    gnnkd_model *m = model("mlp:4", d, 1);
    gnnkd_infer *w = NULL;
    float out[1];
    int64_t field = -1;
    cr_assert_eq(gnnkd_infer_new(&w, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_forward_nodes(out, &field, w, m, d, NULL, NULL, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(field, 0);
    gnnkd_infer_free(&w);
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&d);
}
