/* speed_latency.c — inference for one node, as a server answering a query
 * would run it (gnnkd_model_forward_nodes): a GCN of L layers gathers the
 * node's L-hop neighbourhood, an MLP reads the node's own features only. This
 * is the cost that GLNN (Zhang et al., ICLR 2022) distils away. A student
 * with position features (NOSMOG) adds one hop: a new node's position row,
 * the mean of its neighbours' rows. */
#include "speed.h"

#include <math.h>
#include <string.h>

#include "../app/util.h"

/* ---- the latency benchmark ------------------------------------------------ */

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_sorted(const double *x, int32_t n) {
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* r's per-query figures from the times us and the nodes read hood (both
 * sorted here). */
static void summarise(speed_latency *r, double *us, double *hood, int32_t nquery) {
    double sum = 0.0;
    for (int32_t q = 0; q < nquery; q++) sum += us[q];
    qsort(us, (size_t)nquery, sizeof *us, cmp_double);
    qsort(hood, (size_t)nquery, sizeof *hood, cmp_double);
    r->queries = nquery;
    r->p99_us = us[(int32_t)ceil(0.99 * nquery) - 1]; // nearest rank
    r->mean_us = sum / nquery;
    r->median_us = median_sorted(us, nquery);
    r->hood_median = median_sorted(hood, nquery);
    r->hood_max = (int32_t)hood[nquery - 1];
}

int speed_latency_measure(speed_latency *r, gnnkd_model *m, const gnnkd_dataset *d,
                          const gnnkd_graph *g, const int32_t *query, int32_t nquery, char *msg) {
    gnnkd_infer *ws = NULL;
    float *out = NULL;
    double *us = NULL, *hood = NULL;
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_infer_free(&ws);                                                          \
        free(out);                                                                        \
        free(us);                                                                         \
        free(hood);                                                                       \
    } while (0)
    const int32_t C = gnnkd_model_get_spec(m)->dims[gnnkd_model_get_spec(m)->nlayers];
    memset(r, 0, sizeof *r);
    UTIL_CHECK(nquery > 0, GNNKD_EINVAL, "speed_latency_measure: no query nodes");
    UTIL_TRY(gnnkd_infer_new(&ws, msg));
    UTIL_ALLOC(out, C);
    UTIL_ALLOC(us, nquery);
    UTIL_ALLOC(hood, nquery);

    const float *full = NULL;
    double ft[5];
    for (int k = 0; k < 5; k++) {
        double t0 = util_now();
        UTIL_TRY(gnnkd_model_forward(m, &full, d, g, 0, 0, 0, msg));
        ft[k] = util_now() - t0;
    }
    qsort(ft, 5, sizeof *ft, cmp_double);
    r->full_graph_ms = 1e3 * ft[2];

    // fresh weights give small logits: the tolerance scales with them (float
    // rounding is ~1e-6 of the magnitude; a wrong term is far above 1e-4)
    double scale = 0.0;
    for (int64_t e = 0; e < (int64_t)d->n * C; e++)
        if (fabs((double)full[e]) > scale) scale = fabs((double)full[e]);
    const double tol = 1e-4 * (scale > 0.0 ? scale : 1.0);
    // the check doubles as the warm-up that sizes the workspace
    for (int32_t q = 0; q < nquery; q++) {
        int32_t v = query[q];
        int64_t h = 0;
        UTIL_TRY(gnnkd_model_forward_nodes(out, &h, ws, m, d, g, &query[q], 1, msg));
        for (int32_t c = 0; c < C; c++) {
            double ref = full[(int64_t)v * C + c], diff = fabs((double)out[c] - ref);
            if (diff > r->max_abs_diff) r->max_abs_diff = diff;
            UTIL_CHECK(diff <= tol, GNNKD_EINTERNAL,
                     "node %d, class %d: the single-node forward gives %.8g, the full graph "
                     "%.8g (tolerance %.3g)",
                     v, c, (double)out[c], ref, tol);
        }
        hood[q] = h;
    }
    for (int32_t q = 0; q < nquery; q++) {
        double t0 = util_now();
        UTIL_TRY(gnnkd_model_forward_nodes(out, NULL, ws, m, d, g, &query[q], 1, msg));
        us[q] = 1e6 * (util_now() - t0);
    }
    summarise(r, us, hood, nquery);
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

int speed_position_measure(speed_latency *r, const gnnkd_model *m, const gnnkd_dataset *d,
                           const int32_t *query, int32_t nquery, char *msg) {
    float *row = NULL;
    int32_t *from = NULL;
    double *us = NULL, *hood = NULL;
#define UTIL_FREE_ALL free(row), free(from), free(us), free(hood)
    int32_t n = 0, dim = 0, maxdeg = 0;
    memset(r, 0, sizeof *r);
    UTIL_CHECK(gnnkd_model_position(m, &n, &dim) != NULL && n == d->n && nquery > 0, GNNKD_EINVAL,
               "speed_position_measure: a model with a row for each of the %d nodes, and queries",
               d->n);
    for (int32_t i = 0; i < d->n; i++) {
        int64_t deg = d->adj.rowptr[i + 1] - d->adj.rowptr[i];
        if (deg > maxdeg) maxdeg = (int32_t)deg;
    }
    UTIL_ALLOC(row, dim);
    UTIL_ALLOC(from, maxdeg); // every edge leaves new node 0
    UTIL_ALLOC(us, nquery);
    UTIL_ALLOC(hood, nquery);
    for (int round = 0; round < 2; round++) // a warm pass, then the timed one
        for (int32_t q = 0; q < nquery; q++) {
            const int64_t a = d->adj.rowptr[query[q]], deg = d->adj.rowptr[query[q] + 1] - a;
            double t0 = util_now();
            UTIL_TRY(gnnkd_model_position_rows(row, m, 1, from, d->adj.colidx + a, deg, msg));
            us[q] = 1e6 * (util_now() - t0);
            hood[q] = (double)deg;
        }
    summarise(r, us, hood, nquery);
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}
