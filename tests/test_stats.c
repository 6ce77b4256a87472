/* test_stats.c — gnnkd_dataset_stats against hand-computed figures on a
 * small graph and the known figures of the citation graphs. */
#include <criterion/criterion.h>

#include "gnnkd.h"
#include "tests/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static gnnkd_dataset *load_small(void) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL, "GNNKD_TEST_DATA is not set (ctest sets it)");
    char g[4096], f[4096], l[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(g, sizeof g, "%s/graphs/small.edges", p);
    snprintf(f, sizeof f, "%s/graphs/small.features.mtx", p);
    snprintf(l, sizeof l, "%s/graphs/small.labels.txt", p);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_graph(&d, NULL, g, NULL, f, l, msg), GNNKD_OK, "%s", msg);
    return d;
}

static gnnkd_dataset *open_citation(const char *name) {
    const char *p = test_citation_root(name);
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, name, p, msg), GNNKD_OK, "%s", msg);
    return d;
}

Test(stats, small_graph_by_hand) {
    /* Edges 0-1, 1-2, 0-2, 2-3; node 4 alone. Labels 0 0 1 1 -1. */
    gnnkd_dataset *d = load_small();
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_stats s;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(s.nodes, 5);
    cr_assert_eq(s.edges, 4);
    cr_assert_eq(s.isolated, 1);
    cr_assert_eq(s.degree_min, 0);
    cr_assert_eq(s.degree_max, 3);
    cr_assert_float_eq(s.degree_mean, 1.6, 1e-12);
    cr_assert_float_eq(s.degree_median, 2.0, 0); /* degrees 0 1 2 2 3 */
    cr_assert_eq(s.components, 2);
    cr_assert_eq(s.largest_component, 4);
    /* local clustering 1, 1, 1/3, 0 (degree 1), 0 (degree 0) */
    cr_assert_float_eq(s.clustering, (1 + 1 + 1.0 / 3) / 5, 1e-12);
    /* labelled edges: all four (node 4 has none); same class: 0-1, 2-3 */
    cr_assert_eq(s.labelled_edges, 4);
    cr_assert_float_eq(s.edge_homophily, 0.5, 1e-12);
    cr_assert_eq(s.nclass, 2);
    cr_assert_eq(s.labelled, 4);
    cr_assert_eq(s.class_count[0], 2);
    cr_assert_eq(s.class_count[1], 2);
    cr_assert_eq(s.nfeat, 3);
    cr_assert_eq(s.feature_nnz, 6);
    cr_assert_float_eq(s.feature_density, 6.0 / 15, 1e-12);
    cr_assert_eq(s.dense_features, 0);
    gnnkd_stats_clear(&s);
    cr_assert_null(s.class_count);

    /* An even count of nodes: the median is the mean of the middle two. */
    d->n = 4;
    d->adj.nrows = d->adj.ncols = 4;
    d->x.nrows = 4;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_assert_float_eq(s.degree_median, 2.0, 0); /* 1 2 2 3 */
    cr_assert_eq(s.isolated, 0);
    cr_assert_eq(s.components, 1);
    gnnkd_stats_clear(&s);
    d->n = 5;
    d->adj.nrows = d->adj.ncols = 5;
    d->x.nrows = 5;
    gnnkd_dataset_free(&d);
}

Test(stats, no_labelled_edges_gives_nan) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL);
    char g[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(g, sizeof g, "%s/graphs/small.gml", p);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_graph(&d, NULL, g, NULL, NULL, NULL, msg), GNNKD_OK, "%s", msg);
    gnnkd_stats s;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_assert(isnan(s.edge_homophily));
    cr_assert_eq(s.labelled, 0);
    cr_assert_eq(s.nclass, 0);
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
}

Test(stats, citation_graphs) {
    static const struct {
        const char *name;
        int32_t nodes, components, largest, isolated;
        int64_t edges;
        double homophily;
    } want[] = {{"cora", 2708, 78, 2485, 0, 5278, 0.8100},
                {"citeseer", 3327, 438, 2120, 48, 4552, 0.7377},
                {"pubmed", 19717, 1, 19717, 0, 44324, 0.8024}};
    for (int k = 0; k < 3; k++) {
        gnnkd_dataset *d = open_citation(want[k].name);
        char msg[GNNKD_MSG_LEN] = "";
        gnnkd_stats s;
        cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(s.nodes, want[k].nodes, "%s", want[k].name);
        cr_assert_eq(s.edges, want[k].edges, "%s", want[k].name);
        cr_assert_eq(s.components, want[k].components, "%s: %d", want[k].name, s.components);
        cr_assert_eq(s.largest_component, want[k].largest, "%s", want[k].name);
        cr_assert_eq(s.isolated, want[k].isolated, "%s: %d", want[k].name, s.isolated);
        cr_assert_float_eq(s.edge_homophily, want[k].homophily, 0.002, "%s: %g", want[k].name,
                           s.edge_homophily);
        cr_assert_eq(s.nsplit[GNNKD_VAL], 500);
        cr_assert_eq(s.nsplit[GNNKD_TEST], 1000);
        gnnkd_stats_clear(&s);
        gnnkd_dataset_free(&d);
    }
}
