/* test_hardening.c — inputs a hostile or careless user gives: a features
 * matrix without entries, empty evaluation sets, declared sizes a file cannot
 * hold, NaN in binary inputs, outputs at a symlink or a device. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/gnn.h"

static gnnkd_dataset *tiny(void) {
    char msg[GNNKD_MSG_LEN] = "", dir[4096];
    gnnkd_dataset *d = NULL;
    const char *root = getenv("GNNKD_TEST_DATA");
    cr_assert_not_null(root, "GNNKD_TEST_DATA is not set");
    snprintf(dir, sizeof dir, "%s/tiny", root);
    cr_assert_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_OK, "%s", msg);
    return d;
}

static gnnkd_model *model(const char *text, const gnnkd_dataset *d) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, text, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 1, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* A valid features matrix with no entries (N F 0) trains with the default
 * dropout: the dropped-features buffer exists though it holds nothing. */
Test(hardening, features_without_entries_train_with_dropout) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = tiny();
    GKD_FREE(d->x.colidx);
    GKD_FREE(d->x.val);
    memset(d->x.rowptr, 0, ((size_t)d->n + 1) * sizeof *d->x.rowptr);
    cr_assert_eq(gnnkd_csr_nnz(&d->x), 0);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    const char *kinds[] = {"gcn:4", "mlp:4"};
    for (int k = 0; k < 2; k++) {
        gnnkd_model *m = model(kinds[k], d);
        cr_assert_eq(gnnkd_model_get_spec(m)->dropout, 0.5f);
        gnnkd_train_options o;
        gnnkd_train_options_default(&o);
        o.epochs = 3;
        gnnkd_train_result r;
        cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_OK, "%s: %s", kinds[k], msg);
        cr_assert_eq(r.epochs, 3, "%s", kinds[k]);
        const float *z = NULL;
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 1, 7, 1, msg), GNNKD_OK, "%s", msg);
        for (int64_t e = 0; e < (int64_t)d->n * d->nclass; e++)
            cr_assert(isfinite(z[e]), "%s: logit %ld", kinds[k], (long)e);
        gnnkd_model_free(&m);
    }
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}
