/* stats.c — what `gnnkd info` reports about a dataset: degrees, components
 * and clustering (igraph), homophily, classes, features, split sizes. */
#include "loaders/igraph_bridge.h"

#include <math.h>
#include <string.h>

void gnnkd_stats_clear(gnnkd_stats *s) {
    if (s == NULL) return;
    free(s->class_count);
    memset(s, 0, sizeof *s);
}

/* Components (the count and the largest) and the mean local clustering
 * (nodes of degree < 2 as 0, igraph's ZERO mode), from one igraph graph. */
static int igraph_measures(int32_t *ncomp, int32_t *largest, double *clustering,
                           const gnnkd_csr *adj, char *msg) {
    igraph_t g;
    igraph_vector_int_t csize;
    int have_g = 0, have_c = 0;
    gkd_igraph_scope scope;
    gkd_igraph_begin(&scope, 0);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (have_g) igraph_destroy(&g);                                                   \
        if (have_c) igraph_vector_int_destroy(&csize);                                    \
        gkd_igraph_end(&scope);                                                            \
    } while (0)
    GKD_TRY(gkd_igraph_from_adj(&g, adj, msg));
    have_g = 1;
    GKD_CHECK(igraph_vector_int_init(&csize, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "stats: out of memory");
    have_c = 1;
    igraph_integer_t no = 0;
    igraph_error_t rc = igraph_connected_components(&g, NULL, &csize, &no, IGRAPH_WEAK);
    GKD_CHECK(rc == IGRAPH_SUCCESS, GNNKD_EINTERNAL, "igraph_connected_components: %s",
             gkd_igraph_reason(rc));
    *ncomp = (int32_t)no;
    *largest = no > 0 ? (int32_t)igraph_vector_int_max(&csize) : 0;
    igraph_real_t c = 0;
    rc = igraph_transitivity_avglocal_undirected(&g, &c, IGRAPH_TRANSITIVITY_ZERO);
    GKD_CHECK(rc == IGRAPH_SUCCESS, GNNKD_EINTERNAL, "igraph_transitivity_avglocal_undirected: %s",
             gkd_igraph_reason(rc));
    *clustering = c;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_stats(gnnkd_stats *s, const gnnkd_dataset *d, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_stats r = {0};
    int64_t *hist = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(hist);                                                                       \
        gnnkd_stats_clear(&r);                                                            \
    } while (0)
    GKD_CHECK(s != NULL && d != NULL, GNNKD_EINVAL, "stats: no dataset");
    memset(s, 0, sizeof *s);
    const gnnkd_csr *adj = &d->adj;
    int32_t n = d->n;
    GKD_CHECK(adj->rowptr != NULL && adj->nrows == n, GNNKD_EINVAL,
             "stats: the dataset has no adjacency of %d rows", n);
    r.nodes = n;
    r.edges = gnnkd_csr_nnz(adj) / 2;

    /* Degrees: a histogram gives the median without sorting. */
    GKD_ALLOC(hist, (int64_t)n + 1);
    r.degree_min = n > 0 ? INT32_MAX : 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t deg = (int32_t)(adj->rowptr[i + 1] - adj->rowptr[i]);
        hist[deg]++;
        if (deg < r.degree_min) r.degree_min = deg;
        if (deg > r.degree_max) r.degree_max = deg;
    }
    r.isolated = n > 0 ? (int32_t)hist[0] : 0;
    r.degree_mean = n > 0 ? 2.0 * (double)r.edges / n : 0;
    if (n > 0) {
        int64_t lo = (n - 1) / 2, hi = n / 2, seen = 0;
        double a = -1, b = -1;
        for (int32_t k = 0; k <= n && b < 0; k++) {
            seen += hist[k];
            if (a < 0 && seen > lo) a = k;
            if (b < 0 && seen > hi) b = k;
        }
        r.degree_median = (a + b) / 2;
    }

    if (n > 0)
        GKD_TRY(igraph_measures(&r.components, &r.largest_component, &r.clustering, adj, msg));

    /* Each undirected edge once (j > i). */
    int64_t same = 0;
    if (d->label) {
        for (int32_t i = 0; i < n; i++) {
            if (d->label[i] < 0) continue;
            for (int64_t p = adj->rowptr[i]; p < adj->rowptr[i + 1]; p++) {
                int32_t j = adj->colidx[p];
                if (j <= i || d->label[j] < 0) continue;
                r.labelled_edges++;
                same += d->label[i] == d->label[j];
            }
        }
    }
    r.edge_homophily = r.labelled_edges > 0 ? (double)same / (double)r.labelled_edges : NAN;

    r.nclass = d->nclass;
    GKD_ALLOC(r.class_count, r.nclass);
    for (int32_t i = 0; d->label && i < n; i++) {
        int32_t y = d->label[i];
        if (y < 0) continue;
        GKD_CHECK(y < r.nclass, GNNKD_EINVAL, "stats: node %d has label %d, beyond %d classes", i,
                 y, r.nclass);
        r.labelled++;
        r.class_count[y]++;
    }

    r.nfeat = d->nfeat;
    if (d->xdense) {
        r.dense_features = 1;
        int64_t total = (int64_t)n * d->nfeat;
        for (int64_t k = 0; k < total; k++) r.feature_nnz += d->xdense[k] != 0.0f;
    } else if (d->x.rowptr) {
        /* Stored entries can hold explicit zeros; count values. */
        for (int64_t p = 0; p < gnnkd_csr_nnz(&d->x); p++)
            r.feature_nnz += d->x.val == NULL || d->x.val[p] != 0.0f;
    }
    r.feature_density = n > 0 && d->nfeat > 0 ? (double)r.feature_nnz / ((double)n * d->nfeat) : 0;
    for (int k = 0; k < 3; k++) r.nsplit[k] = d->nsplit[k];

    *s = r;
    memset(&r, 0, sizeof r);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
