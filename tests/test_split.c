/* test_split.c — random and per-class splits (sizes, disjointness, labelled
 * nodes only, determinism, errors naming the class) and the largest
 * connected component against igraph's own components and Cora's 2485. */
#include <criterion/criterion.h>

#include "gnnkd.h"
#include "tests/common.h"

#include <igraph.h>
#include <stdlib.h>
#include <string.h>

static gnnkd_dataset *make(const char *spec) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, spec, msg), GNNKD_OK, "%s: %s", spec, msg);
    return d;
}

/* Sorted, in range, labelled, and no node in two lists. */
static void check_split(const gnnkd_dataset *d) {
    char *seen = calloc((size_t)d->n, 1);
    cr_assert_not_null(seen);
    for (int k = 0; k < 3; k++)
        for (int32_t t = 0; t < d->nsplit[k]; t++) {
            int32_t v = d->split[k][t];
            cr_assert(v >= 0 && v < d->n);
            if (t > 0) cr_assert_gt(v, d->split[k][t - 1], "list %d unsorted", k);
            cr_assert_geq(d->label[v], 0, "node %d is unlabelled", v);
            cr_assert_eq(seen[v], 0, "node %d in two lists", v);
            seen[v] = 1;
        }
    free(seen);
}

static void per_class_count(int32_t *count, const gnnkd_dataset *d, int k) {
    memset(count, 0, (size_t)d->nclass * sizeof *count);
    for (int32_t t = 0; t < d->nsplit[k]; t++) count[d->label[d->split[k][t]]]++;
}

Test(split, random_sizes_and_determinism) {
    gnnkd_dataset *d = make("synthetic:nodes=3000,classes=5,features=5");
    /* Some nodes unlabelled: they must never be drawn. */
    for (int32_t i = 0; i < d->n; i += 7) d->label[i] = -1;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_dataset_split_random(d, 20, 300, 700, 5, msg), GNNKD_OK, "%s", msg);
    check_split(d);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 100);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 300);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 700);
    int32_t count[5];
    per_class_count(count, d, GNNKD_TRAIN);
    for (int c = 0; c < 5; c++) cr_assert_eq(count[c], 20);

    int32_t *first[3];
    for (int k = 0; k < 3; k++) {
        first[k] = malloc((size_t)d->nsplit[k] * sizeof(int32_t));
        memcpy(first[k], d->split[k], (size_t)d->nsplit[k] * sizeof(int32_t));
    }
    cr_assert_eq(gnnkd_dataset_split(d, "random:20:300:700", 5, msg), GNNKD_OK, "%s", msg);
    for (int k = 0; k < 3; k++)
        cr_assert_arr_eq(first[k], d->split[k], (size_t)d->nsplit[k] * sizeof(int32_t));
    cr_assert_eq(gnnkd_dataset_split_random(d, 20, 300, 700, 6, msg), GNNKD_OK, "%s", msg);
    cr_assert(memcmp(first[0], d->split[0], 100 * sizeof(int32_t)) != 0, "seed 6 drew seed 5's split");
    for (int k = 0; k < 3; k++) free(first[k]);
    gnnkd_dataset_free(&d);
}

Test(split, per_class_rest_is_test) {
    gnnkd_dataset *d = make("synthetic:nodes=2000,classes=4,features=4");
    d->label[3] = -1;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_dataset_split(d, "per-class:20:30", 1, msg), GNNKD_OK, "%s", msg);
    check_split(d);
    int32_t count[4];
    per_class_count(count, d, GNNKD_TRAIN);
    for (int c = 0; c < 4; c++) cr_assert_eq(count[c], 20);
    per_class_count(count, d, GNNKD_VAL);
    for (int c = 0; c < 4; c++) cr_assert_eq(count[c], 30);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 1999 - 200);
    gnnkd_dataset_free(&d);
}

Test(split, errors) {
    gnnkd_dataset *d = make("synthetic:nodes=1000,classes=4,features=4,val=100,test=100");
    /* Class 2 keeps only 5 labelled nodes. */
    int32_t kept = 0;
    for (int32_t i = 0; i < d->n; i++)
        if (d->label[i] == 2 && kept++ >= 5) d->label[i] = -1;
    char msg[GNNKD_MSG_LEN] = "";
    int32_t before = d->nsplit[GNNKD_TRAIN];
    cr_assert_eq(gnnkd_dataset_split_per_class(d, 3, 3, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "class 2 has 5 labelled nodes") != NULL, "%s", msg);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], before, "a failed split leaves the old one");
    cr_assert_eq(gnnkd_dataset_split_random(d, 6, 10, 10, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "class 2") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_split_random(d, 5, 500, 500, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "fewer than the 1000 asked for") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_split(d, "random:1:2", 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "expected planetoid") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_split(d, "per-class:1:x", 0, msg), GNNKD_EINVAL);
    cr_assert_eq(gnnkd_dataset_split(d, "planetoid", 0, msg), GNNKD_OK);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], before);
    gnnkd_dataset_free(&d);
}

/* The size of igraph's largest weak component of d, and the membership. */
static int32_t igraph_largest(const gnnkd_dataset *d, igraph_vector_int_t *memb, igraph_integer_t *which) {
    igraph_vector_int_t ev, csize;
    igraph_vector_int_init(&ev, 0);
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            if (d->adj.colidx[p] > i) {
                igraph_vector_int_push_back(&ev, i);
                igraph_vector_int_push_back(&ev, d->adj.colidx[p]);
            }
    igraph_t g;
    cr_assert_eq(igraph_create(&g, &ev, d->n, IGRAPH_UNDIRECTED), IGRAPH_SUCCESS);
    igraph_vector_int_init(&csize, 0);
    igraph_integer_t no;
    cr_assert_eq(igraph_connected_components(&g, memb, &csize, &no, IGRAPH_WEAK), IGRAPH_SUCCESS);
    *which = igraph_vector_int_which_max(&csize);
    int32_t best = (int32_t)VECTOR(csize)[*which];
    igraph_vector_int_destroy(&csize);
    igraph_vector_int_destroy(&ev);
    igraph_destroy(&g);
    return best;
}

/* LCC of d checked against igraph and a copy of the old labels/features. */
static void check_lcc(gnnkd_dataset *d) {
    igraph_vector_int_t memb;
    igraph_vector_int_init(&memb, 0);
    igraph_integer_t which;
    int32_t want = igraph_largest(d, &memb, &which), n = d->n, f = d->nfeat;
    int32_t *old_label = malloc((size_t)n * sizeof *old_label), *old_id = malloc((size_t)n * sizeof *old_id);
    memcpy(old_label, d->label, (size_t)n * sizeof *old_label);
    float *old_x = NULL;
    if (d->xdense) {
        old_x = malloc((size_t)n * f * sizeof *old_x);
        memcpy(old_x, d->xdense, (size_t)n * f * sizeof *old_x);
    }
    int32_t k = 0, in_split = 0;
    for (int32_t i = 0; i < n; i++)
        if (VECTOR(memb)[i] == which) old_id[k++] = i;
    for (int c = 0; c < 3; c++)
        for (int32_t t = 0; t < d->nsplit[c]; t++) in_split += VECTOR(memb)[d->split[c][t]] == which;

    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_dataset_lcc(d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, want);
    cr_assert_eq(d->adj.nrows, want);
    igraph_integer_t again;
    cr_assert_eq(igraph_largest(d, &memb, &again), want, "the component is connected");
    for (int32_t i = 0; i < d->n; i++) {
        cr_assert_eq(d->label[i], old_label[old_id[i]]);
        if (old_x) cr_assert_arr_eq(d->xdense + (int64_t)i * f, old_x + (int64_t)old_id[i] * f, (size_t)f * sizeof(float));
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            if (p > d->adj.rowptr[i]) cr_assert_gt(d->adj.colidx[p], d->adj.colidx[p - 1]);
    }
    cr_assert_eq(d->nsplit[0] + d->nsplit[1] + d->nsplit[2], in_split);
    check_split(d);
    igraph_vector_int_destroy(&memb);
    free(old_label);
    free(old_id);
    free(old_x);
}

Test(split, lcc_matches_igraph) {
    /* Mean degree 1.2 leaves many small components. */
    gnnkd_dataset *d = make("synthetic:nodes=3000,classes=3,degree=1.2,features=3,val=100,test=100");
    int64_t nnz = gnnkd_csr_nnz(&d->adj);
    check_lcc(d);
    cr_assert_lt(d->n, 3000);
    cr_assert_lt(gnnkd_csr_nnz(&d->adj), nnz);
    /* Once more: nothing left to drop. */
    int32_t n = d->n;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_dataset_lcc(d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, n);
    gnnkd_dataset_free(&d);
}

Test(split, lcc_of_cora) {
    const char *p = test_citation_root("cora");
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", p, msg), GNNKD_OK, "%s", msg);
    int32_t *rowlen = malloc((size_t)d->n * sizeof *rowlen);
    for (int32_t i = 0; i < d->n; i++) rowlen[i] = (int32_t)(d->x.rowptr[i + 1] - d->x.rowptr[i]);
    igraph_vector_int_t memb;
    igraph_vector_int_init(&memb, 0);
    igraph_integer_t which;
    cr_assert_eq(igraph_largest(d, &memb, &which), 2485);
    check_lcc(d);
    cr_assert_eq(d->n, 2485);
    /* Sparse feature rows follow their nodes. */
    int32_t k = 0;
    for (int32_t i = 0; i < 2708; i++)
        if (VECTOR(memb)[i] == which) {
            cr_assert_eq(d->x.rowptr[k + 1] - d->x.rowptr[k], rowlen[i]);
            k++;
        }
    cr_assert_eq(d->x.nrows, 2485);
    igraph_vector_int_destroy(&memb);
    free(rowlen);
    gnnkd_dataset_free(&d);
}
