/* test_profile.c — the profiling hook: a profile attached to a model
 * records the real forward, backward, loss and Adam calls (names, calls,
 * flops, bytes) without changing a bit of the result, and nothing once
 * detached. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <gnnkd.h>

#include "common.h"

static gnnkd_dataset *cora(void) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", test_citation_root("cora"), msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    return d;
}

static const gnnkd_profile_entry *find(const gnnkd_profile *p, const char *name) {
    for (int k = 0; k < p->nentries; k++)
        if (!strcmp(p->entry[k].name, name)) return &p->entry[k];
    return NULL;
}

static gnnkd_model *trained(const char *spec, const gnnkd_dataset *d, const gnnkd_graph *g,
                            gnnkd_profile *p, gnnkd_train_result *r) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 6;
    o.patience = 0;
    cr_assert_eq(gnnkd_model_spec_parse(&s, spec, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
    gnnkd_model_set_profile(m, p);
    cr_assert_eq(gnnkd_train(m, r, d, g, &o, NULL, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* Cora's gcn:16: one call a step of each kernel the model makes, the
 * validation passes left out, and the same weights as without a profile. */
Test(profile, gcn_records_the_training_steps) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = cora();
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_profile *p = malloc(sizeof *p);
    gnnkd_profile_clear(p);
    gnnkd_train_result r1, r2;
    gnnkd_model *m1 = trained("gcn:16", d, g, p, &r1), *m2 = trained("gcn:16", d, g, NULL, &r2);
    const int64_t nnz_a = gnnkd_csr_nnz(gnnkd_graph_csr(g));
    const char *names[] = {"X*W sparse+dropout (nnz 49216)->(n,16)", "A*T+bias,relu,dropout (n,16)",
                           "H*W (n,16)x(16,7)", "A*T+bias (n,7)", "loss, zero dlogits (n,7)",
                           "bias grad (n,7)", "A*T (n,7)", "dH,dW+relu,dropout,bias grad (n,7)x(7,16)",
                           "A*T (n,16)", "X^T*G sparse ->(1433,16)", "adam (23063 params)"};
    cr_assert_eq(p->nentries, 11, "%d entries", p->nentries);
    cr_assert_eq(p->dropped, 0);
    for (int k = 0; k < 11; k++) {
        const gnnkd_profile_entry *e = find(p, names[k]);
        cr_assert_not_null(e, "no entry %s (entry %d is %s)", names[k], k, p->entry[k].name);
        cr_assert_str_eq(p->entry[k].name, names[k], "in the order of the calls");
        cr_assert_eq(e->calls, 6, "%s: %lld calls", e->name, (long long)e->calls);
        cr_assert(e->seconds > 0 && e->seconds_min > 0 && e->seconds_min <= e->seconds / 6);
        cr_assert_gt(e->bytes, 0.0);
    }
    const gnnkd_profile_entry *a = find(p, "A*T (n,16)");
    cr_assert_eq(a->group, GNNKD_PROFILE_ADJACENCY);
    cr_assert_eq(a->flops, 6 * 2.0 * nnz_a * 16, "2 nnz(Â) h a call: %g", a->flops);
    const gnnkd_profile_entry *h = find(p, "H*W (n,16)x(16,7)");
    cr_assert_eq(h->group, GNNKD_PROFILE_GEMM);
    cr_assert_eq(h->flops, 6 * 2.0 * 2708 * 16 * 7);
    const gnnkd_profile_entry *x = find(p, names[0]);
    cr_assert_eq(x->group, GNNKD_PROFILE_SPARSE_FEATURES);
    /* dropout keeps about half of the 49216 entries */
    cr_assert(x->flops > 6 * 2.0 * 16 * 0.45 * 49216 && x->flops < 6 * 2.0 * 16 * 0.55 * 49216,
              "%g", x->flops);
    cr_assert_str_eq(gnnkd_profile_group_name(GNNKD_PROFILE_ELEMENTWISE), "elementwise");
    /* the same result, bit for bit */
    cr_assert_eq(r1.acc[GNNKD_TEST], r2.acc[GNNKD_TEST]);
    const float *z1 = NULL, *z2 = NULL;
    cr_assert_eq(gnnkd_model_forward(m2, &z2, d, g, 0, 0, 0, msg), GNNKD_OK);
    float *copy = malloc((size_t)d->n * d->nclass * sizeof *copy);
    memcpy(copy, z2, (size_t)d->n * d->nclass * sizeof *copy);
    /* detached: an eval forward adds nothing */
    gnnkd_model_set_profile(m1, NULL);
    gnnkd_profile before = *p;
    cr_assert_eq(gnnkd_model_forward(m1, &z1, d, g, 0, 0, 0, msg), GNNKD_OK);
    cr_assert_eq(memcmp(z1, copy, (size_t)d->n * d->nclass * sizeof *copy), 0);
    cr_assert_eq(memcmp(&before, p, sizeof before), 0, "a detached profile is left alone");
    /* attached: an eval forward adds its own names */
    gnnkd_model_set_profile(m1, p);
    cr_assert_eq(gnnkd_model_forward(m1, &z1, d, g, 0, 0, 0, msg), GNNKD_OK);
    cr_assert_not_null(find(p, "X*W sparse (n,1433)->(n,16)"));
    cr_assert_not_null(find(p, "A*T+bias,relu (n,16)"));
    cr_assert_eq(find(p, "A*T+bias (n,7)")->calls, 7);
    free(copy);
    free(p);
    gnnkd_model_free(&m1);
    gnnkd_model_free(&m2);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* A dense-feature MLP: the dropped-input product and its epilogue. */
Test(profile, mlp_dense) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,classes=3,features=24,"
                                             "train-per-class=10,val=60,test=100", msg), GNNKD_OK);
    gnnkd_profile p;
    gnnkd_profile_clear(&p);
    gnnkd_train_result r;
    gnnkd_model *m = trained("mlp:8", d, NULL, &p, &r);
    const char *names[] = {"X*W+dropout X (n,24)x(24,8)", "bias,relu,dropout (n,8)", "H*W (n,8)x(8,3)",
                           "bias (n,3)", "loss, zero dlogits (n,3)", "bias grad (n,3)",
                           "dH,dW+relu,dropout,bias grad (n,3)x(3,8)", "X^T*G+dropout X (24,n)x(n,8)",
                           "adam (227 params)"};
    cr_assert_eq(p.nentries, 9, "%d entries", p.nentries);
    for (int k = 0; k < 9; k++) {
        cr_assert_str_eq(p.entry[k].name, names[k]);
        cr_assert_eq(p.entry[k].calls, 6);
    }
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&d);
}
