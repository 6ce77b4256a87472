/* test_synthetic.c — the contextual SBM: asked-for homophily, mean degree and
 * feature separation on 100 000 nodes, determinism, presets, overrides and
 * specification errors. */
#include <criterion/criterion.h>

#include "gnnkd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static gnnkd_dataset *make(const char *spec) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_synthetic(&d, spec, msg);
    cr_assert_eq(rc, GNNKD_OK, "%s: %s", spec, msg);
    cr_assert_not_null(d);
    return d;
}

static void fails(const char *spec, const char *want) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_synthetic(&d, spec, msg);
    cr_assert_eq(rc, GNNKD_EINVAL, "%s: got %s (%s)", spec, gnnkd_status_name(rc), msg);
    cr_assert_null(d);
    cr_assert(strstr(msg, want) != NULL, "%s: message '%s' lacks '%s'", spec, msg, want);
}

static double rel_err(double got, double want) { return fabs(got - want) / want; }

Test(synthetic, homophily_degree_and_snr_on_100k_nodes, .timeout = 120) {
    gnnkd_dataset *d =
        make("synthetic:nodes=100000,classes=5,degree=8,homophily=0.7,features=20,snr=2,seed=3");
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_stats s;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(s.nodes, 100000);
    cr_assert_lt(rel_err(s.degree_mean, 8), 0.05, "mean degree %g", s.degree_mean);
    cr_assert_lt(rel_err(s.edge_homophily, 0.7), 0.05, "homophily %g", s.edge_homophily);
    cr_assert_eq(s.labelled, 100000);
    for (int c = 0; c < 5; c++) cr_assert_eq(s.class_count[c], 20000);
    cr_assert_eq(s.nfeat, 20);
    cr_assert(s.dense_features);

    /* Class means two apart (snr), unit noise per coordinate. */
    double mean[5][20] = {{0}}, var = 0;
    for (int32_t i = 0; i < d->n; i++)
        for (int j = 0; j < 20; j++) mean[d->label[i]][j] += d->xdense[(int64_t)i * 20 + j] / 20000.0;
    for (int32_t i = 0; i < d->n; i++)
        for (int j = 0; j < 20; j++) {
            double z = d->xdense[(int64_t)i * 20 + j] - mean[d->label[i]][j];
            var += z * z / (100000.0 * 20);
        }
    cr_assert_lt(fabs(var - 1), 0.02, "noise variance %g", var);
    for (int a = 0; a < 5; a++)
        for (int b = a + 1; b < 5; b++) {
            double dist = 0;
            for (int j = 0; j < 20; j++) dist += (mean[a][j] - mean[b][j]) * (mean[a][j] - mean[b][j]);
            cr_assert_lt(rel_err(sqrt(dist), 2), 0.05, "classes %d, %d: means %g apart", a, b, sqrt(dist));
        }
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
}

Test(synthetic, cora_preset) {
    gnnkd_dataset *d = make("synthetic");
    cr_assert_eq(d->n, 2708);
    cr_assert_eq(d->nclass, 7);
    cr_assert_not_null(d->xdense);
    cr_assert_null(d->x.rowptr);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 140);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 500);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 1000);
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_stats s;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    /* 2708 nodes give loose figures: within 10%. */
    cr_assert_lt(rel_err(s.degree_mean, 3.9), 0.1, "mean degree %g", s.degree_mean);
    cr_assert_lt(rel_err(s.edge_homophily, 0.81), 0.1, "homophily %g", s.edge_homophily);
    gnnkd_stats_clear(&s);

    /* "synthetic" is preset=cora, and later keys override the preset. */
    gnnkd_dataset *e = make("synthetic:preset=cora");
    cr_assert_eq(e->n, d->n);
    cr_assert_arr_eq(e->adj.colidx, d->adj.colidx, (size_t)gnnkd_csr_nnz(&d->adj) * sizeof(int32_t));
    gnnkd_dataset_free(&e);
    e = make("synthetic:preset=cora,nodes=1000,classes=4,features=8,val=200,test=300");
    cr_assert_eq(e->n, 1000);
    cr_assert_eq(e->nclass, 4);
    cr_assert_eq(e->nfeat, 8);
    cr_assert_eq(e->nsplit[GNNKD_TRAIN], 80);
    gnnkd_dataset_free(&e);
    gnnkd_dataset_free(&d);
}

Test(synthetic, deterministic_for_a_seed) {
    const char *spec = "synthetic:nodes=3000,degree=6,seed=11";
    gnnkd_dataset *a = make(spec), *b = make(spec), *c = make("synthetic:nodes=3000,degree=6,seed=12");
    int64_t nnz = gnnkd_csr_nnz(&a->adj);
    cr_assert_eq(nnz, gnnkd_csr_nnz(&b->adj));
    cr_assert_arr_eq(a->adj.rowptr, b->adj.rowptr, (size_t)(a->n + 1) * sizeof(int64_t));
    cr_assert_arr_eq(a->adj.colidx, b->adj.colidx, (size_t)nnz * sizeof(int32_t));
    cr_assert_arr_eq(a->xdense, b->xdense, (size_t)a->n * a->nfeat * sizeof(float));
    for (int k = 0; k < 3; k++)
        cr_assert_arr_eq(a->split[k], b->split[k], (size_t)a->nsplit[k] * sizeof(int32_t));
    /* Another seed, another graph and other features. */
    cr_assert(gnnkd_csr_nnz(&c->adj) != nnz ||
              memcmp(a->adj.colidx, c->adj.colidx, (size_t)nnz * sizeof(int32_t)) != 0);
    cr_assert(memcmp(a->xdense, c->xdense, (size_t)a->n * a->nfeat * sizeof(float)) != 0);
    /* The same numbers on one thread as on all. */
    gnnkd_set_threads(1);
    gnnkd_dataset *one = make(spec);
    gnnkd_set_threads(0);
    cr_assert_arr_eq(a->xdense, one->xdense, (size_t)a->n * a->nfeat * sizeof(float));
    gnnkd_dataset_free(&one);
    gnnkd_dataset_free(&a);
    gnnkd_dataset_free(&b);
    gnnkd_dataset_free(&c);
}

Test(synthetic, blocks_and_homophily_extremes) {
    /* homophily=1: no edge between classes; 10 nodes in 3 classes: 4, 3, 3. */
    gnnkd_dataset *d = make("synthetic:nodes=10,classes=3,degree=2,homophily=1,features=3,"
                            "train-per-class=1,val=2,test=3");
    static const int32_t y[10] = {0, 0, 0, 0, 1, 1, 1, 2, 2, 2};
    cr_assert_arr_eq(d->label, y, sizeof y);
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            cr_assert_eq(d->label[i], d->label[d->adj.colidx[p]]);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 3);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 2);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 3);
    gnnkd_dataset_free(&d);
    d = make("synthetic:nodes=2000,classes=2,degree=10,homophily=0,features=2,seed=1");
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            cr_assert_neq(d->label[i], d->label[d->adj.colidx[p]]);
    gnnkd_dataset_free(&d);
}

Test(synthetic, bad_specifications) {
    fails("synthetic:colour=red", "unknown key 'colour'");
    fails("synthetic:nodes=ten", "bad value 'ten' for nodes");
    fails("synthetic:nodes=0", "bad value '0' for nodes");
    fails("synthetic:homophily=1.5", "bad value '1.5' for homophily");
    fails("synthetic:preset=huge", "unknown preset 'huge'");
    fails("synthetic:nodes", "expected KEY=VALUE");
    fails("synthetic:classes=8,features=4", "features (4) must be at least classes (8)");
    fails("synthetic:nodes=100,degree=200", "above 1");
    fails("synthetic:nodes=100,classes=7,train-per-class=20", "class");
    fails("synthetics", "starts with 'synthetic'");
}
