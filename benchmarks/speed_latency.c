/* speed_latency.c — inference for one node, as a server answering a query
 * would run it: a GCN of L layers must gather the node's L-hop neighbourhood
 * and run every layer on it, an MLP reads the node's own features only. This
 * is the cost that GLNN (Zhang et al., ICLR 2022) distils away. */
#include "speed.h"

#include <math.h>
#include <string.h>

#include "gnn/gnn.h"

struct speed_node_ws {
    int32_t n;
    int32_t *local;      /* (n) a node's row in the neighbourhood, -1 if absent */
    int32_t *nodes;      /* (n) the neighbourhood: v, then hop 1, hop 2, ... */
    float *in, *t, *out; /* (cap) each: a layer's input, X W, output rows */
    int64_t cap;
};

int speed_node_ws_new(speed_node_ws **ws, int32_t n, char *msg) {
    speed_node_ws *w = NULL;
#define GKD_FREE_ALL speed_node_ws_free(&w)
    GKD_ALLOC(w, 1);
    w->n = n;
    GKD_ALLOC(w->local, n);
    GKD_ALLOC(w->nodes, n);
    for (int32_t i = 0; i < n; i++) w->local[i] = -1;
    *ws = w;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void speed_node_ws_free(speed_node_ws **ws) {
    if (ws == NULL || *ws == NULL) return;
    free((*ws)->local);
    free((*ws)->nodes);
    free((*ws)->in);
    free((*ws)->t);
    free((*ws)->out);
    free(*ws);
    *ws = NULL;
}

/* Makes room for rows x width floats in each buffer. */
static int reserve(speed_node_ws *w, int64_t floats, char *msg) {
    if (floats <= w->cap) return GNNKD_OK;
    free(w->in);
    free(w->t);
    free(w->out);
    w->in = gkd_calloc((size_t)floats, sizeof(float));
    w->t = gkd_calloc((size_t)floats, sizeof(float));
    w->out = gkd_calloc((size_t)floats, sizeof(float));
    if (w->in == NULL || w->t == NULL || w->out == NULL) {
        free(w->in);
        free(w->t);
        free(w->out);
        w->in = w->t = w->out = NULL;
        w->cap = 0;
        gkd_msg(msg, "speed_node_forward: out of memory for %lld floats", (long long)floats);
        return GNNKD_ENOMEM;
    }
    w->cap = floats;
    return GNNKD_OK;
}

/* t (o) = x (i) w (i, o). */
static void row_times(float *restrict t, const float *restrict x, const float *restrict w,
                      int32_t i, int32_t o) {
    for (int32_t c = 0; c < o; c++) t[c] = 0.0f;
    for (int32_t k = 0; k < i; k++) {
        float a = x[k];
        const float *restrict wk = w + (int64_t)k * o;
        for (int32_t c = 0; c < o; c++) t[c] += a * wk[c];
    }
}

/* t (o) = row r of the features times w (F, o); the same order of
 * operations as gkd_spmm for sparse rows. */
static void feature_row_times(float *restrict t, const gnnkd_dataset *d, int32_t r,
                              const float *restrict w, int32_t o) {
    if (d->x.rowptr == NULL) {
        row_times(t, d->xdense + (int64_t)r * d->nfeat, w, d->nfeat, o);
        return;
    }
    for (int32_t c = 0; c < o; c++) t[c] = 0.0f;
    for (int64_t k = d->x.rowptr[r]; k < d->x.rowptr[r + 1]; k++) {
        float a = d->x.val ? d->x.val[k] : 1.0f;
        const float *restrict wk = w + (int64_t)d->x.colidx[k] * o;
        for (int32_t c = 0; c < o; c++) t[c] += a * wk[c];
    }
}

int speed_node_forward(float *logits, int32_t *hood, speed_node_ws *ws, gnnkd_model *m,
                       const gnnkd_dataset *d, const gnnkd_graph *g, int32_t v, char *msg) {
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    const int L = s->nlayers, gcn = s->kind == GNNKD_MODEL_GCN;
    const gnnkd_csr *a = gcn ? gnnkd_graph_csr(g) : NULL;
    if (v < 0 || v >= d->n || ws->n != d->n || (gcn && (a == NULL || a->nrows != d->n))) {
        gkd_msg(msg, "speed_node_forward: node %d, or the workspace or graph, does not fit %s",
               v, d->name);
        return GNNKD_EINVAL;
    }

    // S_L = {v}, S_l = S_{l+1} and its neighbours: each a prefix of the next,
    // so layer l reads rows [0, cnt[l]) and writes rows [0, cnt[l+1])
    int32_t cnt[GNNKD_MAX_LAYERS + 1], total = 1;
    ws->nodes[0] = v;
    ws->local[v] = 0;
    cnt[L] = 1;
    for (int l = L - 1; l >= 0; l--) {
        if (gcn) {
            // only the last hop's nodes can add new ones
            for (int32_t j = l == L - 1 ? 0 : cnt[l + 2]; j < cnt[l + 1]; j++) {
                int32_t u = ws->nodes[j];
                for (int64_t k = a->rowptr[u]; k < a->rowptr[u + 1]; k++) {
                    int32_t w = a->colidx[k];
                    if (ws->local[w] < 0) {
                        ws->local[w] = total;
                        ws->nodes[total++] = w;
                    }
                }
            }
        }
        cnt[l] = total;
    }
    int32_t widest = 0;
    for (int l = 1; l <= L; l++) widest = s->dims[l] > widest ? s->dims[l] : widest;
    int rc = reserve(ws, (int64_t)total * widest, msg);
    if (rc != GNNKD_OK) {
        for (int32_t j = 0; j < total; j++) ws->local[ws->nodes[j]] = -1;
        return rc;
    }

    // the parameters, layer by layer: W (in, out) row-major, then b (out)
    const float *p = gkd_model_params(m);
    for (int l = 0; l < L; l++) {
        int32_t i = s->dims[l], o = s->dims[l + 1];
        const float *w = p, *b = p + (int64_t)i * o;
        p = b + o;
        for (int32_t r = 0; r < cnt[l]; r++) {
            if (l == 0)
                feature_row_times(ws->t + (int64_t)r * o, d, ws->nodes[r], w, o);
            else
                row_times(ws->t + (int64_t)r * o, ws->in + (int64_t)r * i, w, i, o);
        }
        for (int32_t r = 0; r < cnt[l + 1]; r++) {
            float *restrict y = ws->out + (int64_t)r * o;
            if (gcn) {
                // row r of Â (X W): every neighbour is in S_l, so has a row of t
                int32_t u = ws->nodes[r];
                for (int32_t c = 0; c < o; c++) y[c] = 0.0f;
                for (int64_t k = a->rowptr[u]; k < a->rowptr[u + 1]; k++) {
                    float av = a->val[k];
                    const float *restrict tr = ws->t + (int64_t)ws->local[a->colidx[k]] * o;
                    for (int32_t c = 0; c < o; c++) y[c] += av * tr[c];
                }
            } else {
                memcpy(y, ws->t + (int64_t)r * o, sizeof *y * (size_t)o);
            }
            for (int32_t c = 0; c < o; c++) y[c] += b[c];
            if (l < L - 1)
                for (int32_t c = 0; c < o; c++) y[c] = y[c] > 0.0f ? y[c] : 0.0f;
        }
        float *next = ws->in; // this layer's output is the next one's input
        ws->in = ws->out;
        ws->out = next;
    }
    memcpy(logits, ws->in, sizeof *logits * (size_t)s->dims[L]);
    for (int32_t j = 0; j < total; j++) ws->local[ws->nodes[j]] = -1;
    if (hood) *hood = total;
    return GNNKD_OK;
}

/* ---- the latency benchmark ------------------------------------------------ */

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static double median_sorted(const double *x, int32_t n) {
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

int speed_latency_measure(speed_latency *r, gnnkd_model *m, const gnnkd_dataset *d,
                          const gnnkd_graph *g, const int32_t *query, int32_t nquery, char *msg) {
    speed_node_ws *ws = NULL;
    float *out = NULL;
    double *us = NULL, *hood = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        speed_node_ws_free(&ws);                                                          \
        free(out);                                                                        \
        free(us);                                                                         \
        free(hood);                                                                       \
    } while (0)
    const int32_t C = gnnkd_model_get_spec(m)->dims[gnnkd_model_get_spec(m)->nlayers];
    memset(r, 0, sizeof *r);
    GKD_CHECK(nquery > 0, GNNKD_EINVAL, "speed_latency_measure: no query nodes");
    GKD_TRY(speed_node_ws_new(&ws, d->n, msg));
    GKD_ALLOC(out, C);
    GKD_ALLOC(us, nquery);
    GKD_ALLOC(hood, nquery);

    const float *full = NULL;
    double ft[5];
    for (int k = 0; k < 5; k++) {
        double t0 = gkd_now();
        GKD_TRY(gnnkd_model_forward(m, &full, d, g, 0, 0, 0, msg));
        ft[k] = gkd_now() - t0;
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
        int32_t v = query[q], h = 0;
        GKD_TRY(speed_node_forward(out, &h, ws, m, d, g, v, msg));
        for (int32_t c = 0; c < C; c++) {
            double ref = full[(int64_t)v * C + c], diff = fabs((double)out[c] - ref);
            if (diff > r->max_abs_diff) r->max_abs_diff = diff;
            GKD_CHECK(diff <= tol, GNNKD_EINTERNAL,
                     "node %d, class %d: the single-node forward gives %.8g, the full graph "
                     "%.8g (tolerance %.3g)",
                     v, c, (double)out[c], ref, tol);
        }
        hood[q] = h;
        if (h > r->hood_max) r->hood_max = h;
    }
    for (int32_t q = 0; q < nquery; q++) {
        double t0 = gkd_now();
        GKD_TRY(speed_node_forward(out, NULL, ws, m, d, g, query[q], msg));
        us[q] = 1e6 * (gkd_now() - t0);
    }
    double sum = 0.0;
    for (int32_t q = 0; q < nquery; q++) sum += us[q];
    qsort(us, (size_t)nquery, sizeof *us, cmp_double);
    qsort(hood, (size_t)nquery, sizeof *hood, cmp_double);
    r->queries = nquery;
    r->p99_us = us[(int32_t)ceil(0.99 * nquery) - 1]; // nearest rank
    r->mean_us = sum / nquery;
    r->median_us = median_sorted(us, nquery);
    r->hood_median = median_sorted(hood, nquery);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
