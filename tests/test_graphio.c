/* test_graphio.c — graph files of every format igraph reads: structure,
 * the rule mapping node names to rows, symmetrisation and the counts of what
 * was dropped, features and labels, and every error's message. */
#include <criterion/criterion.h>

#include "gnnkd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *graph_file(char *buf, size_t len, const char *name) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL, "GNNKD_TEST_DATA is not set (ctest sets it)");
    snprintf(buf, len, "%s/graphs/%s", p, name);
    return buf;
}

/* Loads tests/data/graphs/NAME with optional features and labels. */
static gnnkd_dataset *load(gnnkd_graph_counts *c, const char *name, const char *format,
                           const char *features, const char *labels) {
    char g[4096], f[4096], l[4096], msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_graph(&d, c, graph_file(g, sizeof g, name), format,
                                      features ? graph_file(f, sizeof f, features) : NULL,
                                      labels ? graph_file(l, sizeof l, labels) : NULL, msg);
    cr_assert_eq(rc, GNNKD_OK, "%s: %s", name, msg);
    return d;
}

/* Expects a failure with status and a message containing want. */
static void load_fails(int status, const char *want, const char *name, const char *format,
                       const char *features, const char *labels) {
    char g[4096], f[4096], l[4096], msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_graph(&d, NULL, graph_file(g, sizeof g, name), format,
                                      features ? graph_file(f, sizeof f, features) : NULL,
                                      labels ? graph_file(l, sizeof l, labels) : NULL, msg);
    cr_assert_eq(rc, status, "%s: got %s (%s)", name, gnnkd_status_name(rc), msg);
    cr_assert_null(d);
    cr_assert(strstr(msg, want) != NULL, "message '%s' lacks '%s'", msg, want);
}

static int has_edge(const gnnkd_dataset *d, int32_t i, int32_t j) {
    for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
        if (d->adj.colidx[p] == j) return 1;
    return 0;
}

static int32_t degree(const gnnkd_dataset *d, int32_t i) {
    return (int32_t)(d->adj.rowptr[i + 1] - d->adj.rowptr[i]);
}

/* Symmetric, sorted, loop-free; edges lists the undirected edges exactly. */
static void check_edges(const gnnkd_dataset *d, int32_t n, const int32_t (*edges)[2], int m) {
    cr_assert_eq(d->n, n);
    cr_assert_eq(d->adj.nrows, n);
    cr_assert_eq(gnnkd_csr_nnz(&d->adj), 2 * (int64_t)m);
    for (int e = 0; e < m; e++) {
        cr_assert(has_edge(d, edges[e][0], edges[e][1]), "edge %d-%d missing", edges[e][0], edges[e][1]);
        cr_assert(has_edge(d, edges[e][1], edges[e][0]), "edge %d-%d not mirrored", edges[e][1], edges[e][0]);
    }
    for (int32_t i = 0; i < n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++) {
            cr_assert_neq(d->adj.colidx[p], i);
            if (p > d->adj.rowptr[i]) cr_assert_gt(d->adj.colidx[p], d->adj.colidx[p - 1]);
        }
}

static void check_counts(const gnnkd_graph_counts *c, int directed, int64_t file_edges,
                         int64_t loops, int64_t dups, int64_t recip, int64_t edges) {
    cr_assert_eq(c->directed, directed);
    cr_assert_eq(c->file_edges, file_edges);
    cr_assert_eq(c->self_loops, loops);
    cr_assert_eq(c->duplicates, dups);
    cr_assert_eq(c->reciprocal, recip);
    cr_assert_eq(c->edges, edges);
}

Test(graphio, edgelist_drops_loops_and_duplicates) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "small.edges", NULL, NULL, NULL);
    static const int32_t e[][2] = {{0, 1}, {1, 2}, {0, 2}, {2, 3}};
    check_edges(d, 5, e, 4);
    /* "3 2" after "2 3" and "1 0" after "0 1" are duplicates; "4 4" a loop. */
    check_counts(&c, 0, 7, 1, 2, 0, 4);
    cr_assert_eq(degree(d, 4), 0);
    cr_assert_str_eq(d->name, "small");
    gnnkd_dataset_free(&d);
}

Test(graphio, default_features_are_one_hot_ids) {
    gnnkd_dataset *d = load(NULL, "small.edges", "edgelist", NULL, NULL);
    cr_assert_eq(d->nfeat, 5);
    cr_assert_null(d->xdense);
    for (int32_t i = 0; i < 5; i++) {
        cr_assert_eq(d->x.rowptr[i + 1] - d->x.rowptr[i], 1);
        cr_assert_eq(d->x.colidx[d->x.rowptr[i]], i);
        cr_assert_float_eq(d->x.val[d->x.rowptr[i]], 1.0f, 0);
    }
    /* No labels: all unlabelled, no classes, no split. */
    cr_assert_eq(d->nclass, 0);
    for (int32_t i = 0; i < 5; i++) cr_assert_eq(d->label[i], -1);
    cr_assert_eq(d->nsplit[0] + d->nsplit[1] + d->nsplit[2], 0);
    gnnkd_dataset_free(&d);
}

Test(graphio, degree_features_above_20000_nodes) {
    /* A star with 25000 leaves: leaves have degree 1 (bucket 1), the centre
     * degree 24999 (bucket floor(log2 25000) = 14), node ids beyond are
     * isolated (bucket 0). */
    char path[] = "/tmp/gnnkd_star_XXXXXX.edges";
    int fd = mkstemps(path, 6);
    cr_assert(fd >= 0);
    FILE *f = fdopen(fd, "w");
    for (int i = 1; i < 25000; i++) fprintf(f, "0 %d\n", i);
    fprintf(f, "25001 25001\n");
    fclose(f);
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_graph(&d, NULL, path, NULL, NULL, NULL, msg);
    remove(path);
    cr_assert_eq(rc, GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, 25002);
    cr_assert_eq(d->nfeat, 15);
    cr_assert_eq(d->x.colidx[0], 14);
    cr_assert_eq(d->x.colidx[1], 1);
    cr_assert_eq(d->x.colidx[25000], 0);
    cr_assert_eq(d->x.colidx[25001], 0);
    gnnkd_dataset_free(&d);
}

Test(graphio, ncol_names_follow_first_appearance) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "names.ncol", NULL, NULL, "names.labels.txt");
    /* bob 0, alice 1, carol 2, dave 3 */
    static const int32_t e[][2] = {{0, 1}, {1, 2}, {0, 2}};
    check_edges(d, 4, e, 3);
    check_counts(&c, 0, 5, 1, 1, 0, 3);
    cr_assert_eq(degree(d, 3), 0, "dave only has a self loop");
    static const int32_t y[4] = {1, 0, 0, -1};
    cr_assert_arr_eq(d->label, y, sizeof y);
    cr_assert_eq(d->nclass, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, integer_names_follow_numeric_order) {
    gnnkd_dataset *d = load(NULL, "numeric.ncol", "ncol", NULL, NULL);
    /* names 1, 3, 7, 10 are rows 0..3: 10-3, 3-7, 7-10, 7-1 */
    static const int32_t e[][2] = {{3, 1}, {1, 2}, {2, 3}, {2, 0}};
    check_edges(d, 4, e, 4);
    cr_assert_eq(degree(d, 0), 1, "name 1");
    cr_assert_eq(degree(d, 2), 3, "name 7");
    gnnkd_dataset_free(&d);
}

Test(graphio, lgl) {
    gnnkd_dataset *d = load(NULL, "small.lgl", NULL, NULL, NULL);
    static const int32_t e[][2] = {{0, 1}, {0, 2}, {1, 2}};
    check_edges(d, 4, e, 3);
    gnnkd_dataset_free(&d);
}

Test(graphio, pajek_directed_is_symmetrised) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "small.net", NULL, NULL, NULL);
    static const int32_t e[][2] = {{0, 1}, {1, 2}};
    check_edges(d, 4, e, 2);
    /* 1->2 and 2->1 merge, 3->3 is a loop, the second 2->3 a duplicate. */
    check_counts(&c, 1, 5, 1, 1, 1, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, graphml_integer_ids_sorted) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "small.graphml", NULL, NULL, NULL);
    /* ids "2", "0", "1" declared in that order; edges 2->0 and 0->1 */
    static const int32_t e[][2] = {{2, 0}, {0, 1}};
    check_edges(d, 3, e, 2);
    cr_assert_eq(degree(d, 0), 2);
    check_counts(&c, 1, 2, 0, 0, 0, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, graphml_names_keep_declaration_order) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "names.graphml", NULL, NULL, NULL);
    /* n7 0, n2 1, n5 2; undirected, so n5-n2 repeats n2-n5 */
    static const int32_t e[][2] = {{0, 1}, {1, 2}};
    check_edges(d, 3, e, 2);
    check_counts(&c, 0, 3, 0, 1, 0, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, gml_ids_sorted) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "small.gml", NULL, NULL, NULL);
    /* ids 3, 5, 10 are rows 0, 1, 2: edges 10-3, 3-5 (twice) */
    static const int32_t e[][2] = {{2, 0}, {0, 1}};
    check_edges(d, 3, e, 2);
    check_counts(&c, 0, 3, 0, 1, 0, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, dimacs) {
    gnnkd_graph_counts c;
    gnnkd_dataset *d = load(&c, "small.max", NULL, NULL, NULL);
    static const int32_t e[][2] = {{0, 1}, {1, 2}, {2, 3}};
    check_edges(d, 4, e, 3);
    check_counts(&c, 1, 4, 0, 0, 1, 3);
    gnnkd_dataset_free(&d);
}

Test(graphio, mtx_features_and_text_labels) {
    gnnkd_dataset *d = load(NULL, "small.edges", NULL, "small.features.mtx", "small.labels.txt");
    cr_assert_eq(d->nfeat, 3);
    cr_assert_null(d->xdense);
    cr_assert_eq(gnnkd_csr_nnz(&d->x), 6);
    cr_assert_eq(d->x.colidx[d->x.rowptr[4]], 1);
    cr_assert_float_eq(d->x.val[d->x.rowptr[4]], 5.0f, 0);
    static const int32_t y[5] = {0, 0, 1, 1, -1};
    cr_assert_arr_eq(d->label, y, sizeof y);
    cr_assert_eq(d->nclass, 2);
    gnnkd_dataset_free(&d);
}

Test(graphio, npy_features_and_labels) {
    char fx[] = "/tmp/gnnkd_fx_XXXXXX.npy", fy[] = "/tmp/gnnkd_fy_XXXXXX.npy";
    close(mkstemps(fx, 4));
    close(mkstemps(fy, 4));
    float x[5 * 2] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, y[5] = {2, 1, 0, -1, 2};
    char msg[GNNKD_MSG_LEN] = "", g[4096];
    cr_assert_eq(gnnkd_npy_write(fx, x, 5, 2, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_npy_write(fy, y, 5, 1, msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_graph(&d, NULL, graph_file(g, sizeof g, "small.edges"), NULL,
                                      fx, fy, msg);
    cr_assert_eq(rc, GNNKD_OK, "%s", msg);
    cr_assert_not_null(d->xdense);
    cr_assert_null(d->x.rowptr);
    cr_assert_eq(d->nfeat, 2);
    cr_assert_arr_eq(d->xdense, x, sizeof x);
    static const int32_t want[5] = {2, 1, 0, -1, 2};
    cr_assert_arr_eq(d->label, want, sizeof want);
    cr_assert_eq(d->nclass, 3);
    gnnkd_dataset_free(&d);

    /* Labels with two columns, and a row count that is not n, name the file. */
    cr_assert_eq(gnnkd_npy_write(fy, x, 5, 2, msg), GNNKD_OK, "%s", msg);
    rc = gnnkd_dataset_load_graph(&d, NULL, g, NULL, NULL, fy, msg);
    cr_assert_eq(rc, GNNKD_EDATA);
    cr_assert(strstr(msg, fy) != NULL, "%s", msg);
    cr_assert_eq(gnnkd_npy_write(fx, x, 4, 2, msg), GNNKD_OK, "%s", msg);
    rc = gnnkd_dataset_load_graph(&d, NULL, g, NULL, fx, NULL, msg);
    cr_assert_eq(rc, GNNKD_EDATA);
    cr_assert(strstr(msg, fx) != NULL && strstr(msg, "4 feature rows") != NULL, "%s", msg);
    cr_assert_null(d);
    remove(fx);
    remove(fy);
}

Test(graphio, errors_name_the_file) {
    load_fails(GNNKD_EDATA, "bad.gml: Parse error in GML file, line 4", "bad.gml", NULL, NULL, NULL);
    load_fails(GNNKD_EDATA, "bad.edges: ", "bad.edges", NULL, NULL, NULL);
    load_fails(GNNKD_EDATA, "Unexpected character 'x'", "bad.edges", NULL, NULL, NULL);
    load_fails(GNNKD_EDATA, "bad.gml:", "bad.gml", "edgelist", NULL, NULL);
    load_fails(GNNKD_EIO, "nothere.edges: cannot open", "nothere.edges", NULL, NULL, NULL);
    load_fails(GNNKD_EINVAL, "unknown graph format 'foo'", "small.edges", "foo", NULL, NULL);
    load_fails(GNNKD_EINVAL, "cannot tell the graph format", "small.labels", NULL, NULL, NULL);
    load_fails(GNNKD_EDATA, "short.labels.txt: 3 labels for the 5 nodes", "small.edges", NULL,
               NULL, "short.labels.txt");
    load_fails(GNNKD_EDATA, "bad.labels.txt:3: expected a class id", "small.edges", NULL, NULL,
               "bad.labels.txt");
    load_fails(GNNKD_EDATA, "four.features.mtx: 4 feature rows for the 5 nodes", "small.edges",
               NULL, "four.features.mtx", NULL);
    load_fails(GNNKD_EIO, "nothere.mtx", "small.edges", NULL, "nothere.mtx", NULL);
}

Test(graphio, set_edges_rejects_out_of_range) {
    gnnkd_dataset *d = NULL;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_dataset_new(&d, msg), GNNKD_OK);
    int32_t u[2] = {0, 1}, v[2] = {1, 3};
    cr_assert_eq(gnnkd_dataset_set_edges(d, NULL, 3, u, v, 2, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "edge 1 (1, 3)") != NULL, "%s", msg);
    v[1] = 2;
    gnnkd_graph_counts c;
    cr_assert_eq(gnnkd_dataset_set_edges(d, &c, 3, u, v, 2, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->n, 3);
    cr_assert_eq(c.edges, 2);
    gnnkd_dataset_free(&d);
}
