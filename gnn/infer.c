/* infer.c — inference for a few nodes, as a server answering queries runs
 * it: a GCN of L layers gathers the nodes' L-hop receptive field and runs
 * every layer on it alone, an MLP reads the nodes' own feature rows, a CPF
 * student of K steps propagates over the K-hop field. This is the cost that
 * GLNN (Zhang et al., ICLR 2022) distils away. */
#include "gnn/kernels.h"

#include <math.h>
#include <string.h>

struct gnnkd_infer {
    int32_t n;           /* the nodes local and nodes hold room for */
    int32_t *local;      /* (n) a node's row in the field, -1 if absent */
    int32_t *nodes;      /* (n) the field: the distinct queries, then hop 1, hop 2, ... */
    int32_t *cls;        /* (n) CPF: a training node's class, else -1 */
    float *in, *t, *out; /* (cap) each: a layer's input, X W, output rows */
    int64_t cap;
    int32_t *cnt;        /* (ncnt) the field's hop counts (CPF: steps + 1) */
    int ncnt;
    float *prop;         /* (prop_cap) CPF: el, gate, and two rows of states per field node */
    int64_t prop_cap;
};

gnnkd_status gnnkd_infer_new(gnnkd_infer **w, char *msg) {
    GKD_CLEAR_MSG;
    if (w == NULL) {
        gkd_msg(msg, "gnnkd_infer_new: w must not be NULL");
        return GNNKD_EINVAL;
    }
    *w = gkd_calloc(1, sizeof **w);
    if (*w == NULL) {
        gkd_msg(msg, "gnnkd_infer_new: out of memory");
        return GNNKD_ENOMEM;
    }
    return GNNKD_OK;
}

static void free_rows(gnnkd_infer *w) {
    GKD_FREE(w->in);
    GKD_FREE(w->t);
    GKD_FREE(w->out);
    w->cap = 0;
}

void gnnkd_infer_free(gnnkd_infer **w) {
    if (w == NULL || *w == NULL) return;
    free((*w)->local);
    free((*w)->nodes);
    free((*w)->cls);
    free((*w)->cnt);
    free((*w)->prop);
    free_rows(*w);
    GKD_FREE(*w);
}

/* Room for n nodes and rows of floats in each buffer; grows only. */
static int reserve(gnnkd_infer *w, int32_t n, int64_t floats, char *msg) {
    if (n > w->n) {
        GKD_FREE(w->local);
        GKD_FREE(w->nodes);
        GKD_FREE(w->cls);
        w->n = 0;
        w->local = gkd_calloc((size_t)n, sizeof *w->local);
        w->nodes = gkd_calloc((size_t)n, sizeof *w->nodes);
        w->cls = gkd_calloc((size_t)n, sizeof *w->cls);
        if (w->local == NULL || w->nodes == NULL || w->cls == NULL) {
            GKD_FREE(w->local);
            GKD_FREE(w->nodes);
            GKD_FREE(w->cls);
            gkd_msg(msg, "gnnkd_model_forward_nodes: out of memory for %d nodes", n);
            return GNNKD_ENOMEM;
        }
        for (int32_t i = 0; i < n; i++) w->local[i] = -1, w->cls[i] = -1;
        w->n = n;
    }
    if (floats <= w->cap) return GNNKD_OK;
    free_rows(w);
    w->in = gkd_calloc((size_t)floats, sizeof(float));
    w->t = gkd_calloc((size_t)floats, sizeof(float));
    w->out = gkd_calloc((size_t)floats, sizeof(float));
    if (w->in == NULL || w->t == NULL || w->out == NULL) {
        free_rows(w);
        gkd_msg(msg, "gnnkd_model_forward_nodes: out of memory for %lld floats", (long long)floats);
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

/* t (o) = row r of the features times w (F, o); for sparse rows the order
 * of operations of gkd_spmm. */
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

/* The receptive field: S_L = the distinct queries, S_l = S_{l+1} and its
 * neighbours; each a prefix of the next, so layer l reads rows [0, cnt[l])
 * and writes rows [0, cnt[l+1]). Returns |S_0|. */
static int32_t gather(gnnkd_infer *w, int32_t *cnt, const gnnkd_csr *a, int L,
                      const int32_t *nodes, int32_t nnodes) {
    int32_t total = 0;
    for (int32_t q = 0; q < nnodes; q++)
        if (w->local[nodes[q]] < 0) w->local[nodes[q]] = total, w->nodes[total++] = nodes[q];
    cnt[L] = total;
    for (int l = L - 1; l >= 0; l--) {
        // only the last hop's nodes can add new ones
        for (int32_t j = a && l < L - 1 ? cnt[l + 2] : 0; a && j < cnt[l + 1]; j++) {
            int32_t u = w->nodes[j];
            for (int64_t k = a->rowptr[u]; k < a->rowptr[u + 1]; k++) {
                int32_t v = a->colidx[k];
                if (w->local[v] < 0) w->local[v] = total, w->nodes[total++] = v;
            }
        }
        cnt[l] = total;
    }
    return total;
}

/* Layer l over the field: ws->out rows [0, cnt[l+1]) from ws->in (or the
 * features) rows [0, cnt[l]). */
static void layer(gnnkd_infer *w, const gnnkd_model *m, const gnnkd_dataset *d,
                  const gnnkd_csr *a, int l, const int32_t *cnt) {
    const int32_t i = m->spec.dims[l], o = m->spec.dims[l + 1];
    const int hidden = l < m->spec.nlayers - 1;
    const float *b = m->b[l];
    for (int32_t r = 0; r < cnt[l]; r++) {
        if (l == 0) feature_row_times(w->t + (int64_t)r * o, d, w->nodes[r], m->w[0], o);
        else row_times(w->t + (int64_t)r * o, w->in + (int64_t)r * i, m->w[l], i, o);
    }
    for (int32_t r = 0; r < cnt[l + 1]; r++) {
        float *restrict y = w->out + (int64_t)r * o;
        if (a) {
            // row r of Â (X W): every neighbour is in S_l, so has a row of t
            int32_t u = w->nodes[r];
            for (int32_t c = 0; c < o; c++) y[c] = 0.0f;
            for (int64_t k = a->rowptr[u]; k < a->rowptr[u + 1]; k++) {
                float av = a->val[k];
                const float *restrict tr = w->t + (int64_t)w->local[a->colidx[k]] * o;
                for (int32_t c = 0; c < o; c++) y[c] += av * tr[c];
            }
        } else {
            memcpy(y, w->t + (int64_t)r * o, sizeof *y * (size_t)o);
        }
        for (int32_t c = 0; c < o; c++) y[c] += b[c];
        if (hidden)
            for (int32_t c = 0; c < o; c++) y[c] = y[c] > 0.0f ? y[c] : 0.0f;
    }
}

/* Grows w->cnt to n hop counts and w->prop to floats. */
static int reserve_cpf(gnnkd_infer *w, int n, int64_t floats, char *msg) {
    if (n > w->ncnt) {
        GKD_FREE(w->cnt);
        w->ncnt = 0;
        if ((w->cnt = gkd_calloc((size_t)n, sizeof *w->cnt)) == NULL) {
            gkd_msg(msg, "gnnkd_model_forward_nodes: out of memory for %d hop counts", n);
            return GNNKD_ENOMEM;
        }
        w->ncnt = n;
    }
    if (floats <= w->prop_cap) return GNNKD_OK;
    GKD_FREE(w->prop);
    w->prop_cap = 0;
    if ((w->prop = gkd_calloc((size_t)floats, sizeof *w->prop)) == NULL) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: out of memory for %lld floats", (long long)floats);
        return GNNKD_ENOMEM;
    }
    w->prop_cap = floats;
    return GNNKD_OK;
}

/* x_r . v for feature row r. */
static float feature_dot(const gnnkd_dataset *d, int32_t r, const float *v) {
    float acc = 0.0f;
    if (d->x.rowptr == NULL) {
        const float *x = d->xdense + (int64_t)r * d->nfeat;
        for (int32_t f = 0; f < d->nfeat; f++) acc += x[f] * v[f];
        return acc;
    }
    for (int64_t k = d->x.rowptr[r]; k < d->x.rowptr[r + 1]; k++)
        acc += (d->x.val ? d->x.val[k] : 1.0f) * v[d->x.colidx[k]];
    return acc;
}

/* CPF over the queries' K-hop field (K = steps): S_K the queries, S_{k-1} =
 * S_k and its neighbours; the MLP and the gate run on S_1, the attention
 * scores on S_0, step k on S_k. The field's nodes are w->nodes[0 .. total). */
static int cpf_nodes(float *logits, int32_t *total, gnnkd_infer *w, const gnnkd_model *m,
                     const gnnkd_dataset *d, const int32_t *nodes, int32_t nnodes, char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    const int K = s->steps, L = s->nlayers;
    const int32_t C = s->dims[L];
    const gnnkd_csr *a = &d->adj;
    int rc = reserve_cpf(w, K + 1, 0, msg);
    if (rc != GNNKD_OK) return rc;
    int32_t *cnt = w->cnt, mcnt[GNNKD_MAX_LAYERS + 1];
    *total = gather(w, cnt, a, K, nodes, nnodes);
    const int32_t n0 = *total, n1 = cnt[1];
    int32_t widest = 0;
    for (int l = 0; l <= L; l++) mcnt[l] = n1, widest = s->dims[l] > widest && l > 0 ? s->dims[l] : widest;
    if ((rc = reserve(w, d->n, (int64_t)n1 * widest, msg)) != GNNKD_OK) return rc;
    if ((rc = reserve_cpf(w, K + 1, 2 * (int64_t)n0 + 2 * (int64_t)n0 * C, msg)) != GNNKD_OK)
        return rc;
    for (int l = 0; l < L; l++) { // the MLP f on S_1, into w->in
        layer(w, m, d, NULL, l, mcnt);
        float *next = w->in;
        w->in = w->out;
        w->out = next;
    }
    const float *f = w->in, *av = m->w[L - 1] + (int64_t)s->dims[L - 1] * C, *wg = av + s->dims[0];
    const float bg = wg[s->dims[0]];
    float *el = w->prop, *gate = el + n0, *hp = gate + n0, *hn = hp + (int64_t)n0 * C;
    for (int32_t r = 0; r < n0; r++) el[r] = feature_dot(d, w->nodes[r], av);
    for (int32_t r = 0; r < n1; r++)
        gate[r] = 1.0f / (1.0f + expf(-(feature_dot(d, w->nodes[r], wg) + bg)));
    for (int32_t t = 0; t < d->nsplit[GNNKD_TRAIN]; t++) {
        int32_t i = d->split[GNNKD_TRAIN][t];
        if (i >= 0 && i < d->n && d->label[i] >= 0 && d->label[i] < C) w->cls[i] = d->label[i];
    }
    for (int32_t r = 0; r < n0; r++) {
        const int32_t y = w->cls[w->nodes[r]];
        for (int32_t k = 0; k < C; k++) hp[(int64_t)r * C + k] = y < 0 ? 1.0f / (float)C : (float)(y == k);
    }
    for (int step = 1; step <= K; step++) {
        for (int32_t r = 0; r < cnt[step]; r++) {
            const int32_t u = w->nodes[r], y = w->cls[u];
            float *h = hn + (int64_t)r * C;
            if (y >= 0) {
                for (int32_t k = 0; k < C; k++) h[k] = (float)(y == k);
                continue;
            }
            // the softmax over u itself and its neighbours, all in S_{step-1}
            float mx = el[r], sum = 0.0f;
            for (int64_t e = a->rowptr[u]; e < a->rowptr[u + 1]; e++)
                mx = fmaxf(mx, el[w->local[a->colidx[e]]]);
            float wt = expf(el[r] - mx);
            sum = wt;
            for (int32_t k = 0; k < C; k++) h[k] = wt * hp[(int64_t)r * C + k];
            for (int64_t e = a->rowptr[u]; e < a->rowptr[u + 1]; e++) {
                const int32_t j = w->local[a->colidx[e]];
                wt = expf(el[j] - mx);
                sum += wt;
                for (int32_t k = 0; k < C; k++) h[k] += wt * hp[(int64_t)j * C + k];
            }
            const float g = gate[r], *fr = f + (int64_t)r * C;
            for (int32_t k = 0; k < C; k++) h[k] = fmaxf(g * (h[k] / sum) + (1.0f - g) * fr[k], 0.0f);
        }
        float *swap = hp;
        hp = hn;
        hn = swap;
    }
    for (int32_t q = 0; q < nnodes; q++)
        memcpy(logits + (int64_t)q * C, hp + (int64_t)w->local[nodes[q]] * C, sizeof *logits * (size_t)C);
    for (int32_t t = 0; t < d->nsplit[GNNKD_TRAIN]; t++) {
        int32_t i = d->split[GNNKD_TRAIN][t];
        if (i >= 0 && i < d->n) w->cls[i] = -1;
    }
    return GNNKD_OK;
}

gnnkd_status gnnkd_model_forward_nodes(float *logits, int64_t *field, gnnkd_infer *w,
                                       const gnnkd_model *m, const gnnkd_dataset *d,
                                       const gnnkd_graph *g, const int32_t *nodes,
                                       int32_t nnodes, char *msg) {
    GKD_CLEAR_MSG;
    if (logits == NULL || w == NULL || m == NULL || d == NULL || (nnodes > 0 && nodes == NULL) ||
        nnodes < 0) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: logits, w, m, d and nodes must not be NULL");
        return GNNKD_EINVAL;
    }
    const gnnkd_model_spec *s = &m->spec;
    const int cpf = s->kind == GNNKD_MODEL_CPF;
    if (s->kind != GNNKD_MODEL_GCN && s->kind != GNNKD_MODEL_MLP && !cpf) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: %s models are not served node by node (GCN, "
                     "MLP and CPF only); use gnnkd_model_forward for all nodes",
                gnnkd_model_kind_name(s->kind));
        return GNNKD_EINVAL;
    }
    const int L = s->nlayers, gcn = s->kind == GNNKD_MODEL_GCN;
    const gnnkd_csr *a = gcn ? gnnkd_graph_csr(g) : NULL;
    const int sparse = d->x.rowptr != NULL;
    if (d->nfeat != s->dims[0] || d->nclass != s->dims[L] ||
        (sparse ? d->x.nrows != d->n : d->xdense == NULL)) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: the model maps %d features to %d classes, %s "
                     "has %d and %d", s->dims[0], s->dims[L], d->name, d->nfeat, d->nclass);
        return GNNKD_EINVAL;
    }
    if (cpf && (d->adj.rowptr == NULL || d->adj.nrows != d->n)) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: a CPF model needs %s's (n, n) adjacency", d->name);
        return GNNKD_EINVAL;
    }
    if (gcn && (a == NULL || a->nrows != d->n)) {
        gkd_msg(msg, "gnnkd_model_forward_nodes: a GCN needs the normalised adjacency of the "
                     "dataset's %d nodes", d->n);
        return GNNKD_EINVAL;
    }
    for (int32_t q = 0; q < nnodes; q++)
        if (nodes[q] < 0 || nodes[q] >= d->n) {
            gkd_msg(msg, "gnnkd_model_forward_nodes: node %d is outside 0..%d", nodes[q], d->n - 1);
            return GNNKD_EINVAL;
        }
    int rc = reserve(w, d->n, 0, msg);
    if (rc != GNNKD_OK) return rc;
    if (cpf) {
        int32_t total = 0;
        rc = cpf_nodes(logits, &total, w, m, d, nodes, nnodes, msg);
        if (rc == GNNKD_OK && field) *field = total;
        for (int32_t j = 0; j < total; j++) w->local[w->nodes[j]] = -1;
        return rc;
    }
    int32_t cnt[GNNKD_MAX_LAYERS + 1];
    const int32_t total = gather(w, cnt, a, L, nodes, nnodes);
    int32_t widest = 0;
    for (int l = 1; l <= L; l++) widest = s->dims[l] > widest ? s->dims[l] : widest;
    rc = reserve(w, d->n, (int64_t)total * widest, msg);
    if (rc == GNNKD_OK) {
        for (int l = 0; l < L; l++) {
            layer(w, m, d, a, l, cnt);
            float *next = w->in; // this layer's output is the next one's input
            w->in = w->out;
            w->out = next;
        }
        const int32_t C = s->dims[L];
        for (int32_t q = 0; q < nnodes; q++)
            memcpy(logits + (int64_t)q * C, w->in + (int64_t)w->local[nodes[q]] * C,
                   sizeof *logits * (size_t)C);
        if (field) *field = total;
    }
    for (int32_t j = 0; j < total; j++) w->local[w->nodes[j]] = -1;
    return rc;
}
