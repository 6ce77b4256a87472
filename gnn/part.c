/* part.c — GCN and MLP passes over the rows one process owns of a
 * partitioned graph (gkd_part_input in gnn.h). They follow model.c's passes
 * step by step; what differs: dropout masks are drawn at global element ids
 * (so P processes draw the single process's masks), hidden dropout is a pass
 * of its own after the epilogue's bias and ReLU (the epilogue keys rows by
 * their local index), and before each product with Â the halo rows are
 * fetched. Â is symmetric, so the backward pass's Â^T dz is Â dz, and its
 * halo exchange is the forward's: rows of dz. */
#include "gnn/kernels.h"

#include <omp.h>
#include <string.h>

struct gkd_part_ws {
    float *h[GNNKD_MAX_LAYERS]; /* (n, dims[l]) inputs of layers l >= 1 */
    float *logits;              /* (n, C) */
    float *full;                /* GCN (n + nhalo, max width): rows to multiply by Â */
    float *gt;                  /* GCN (n, max width): Â dz */
    float *g1, *g2;             /* MLP (n, max width): dh; g2 for 3 layers or more */
    float *buf;                 /* (rows, dims[0]) dropped dense features */
    int64_t rows;
    gnnkd_csr xd;               /* dropped sparse features */
    int fwd_dropout;
    uint64_t key0;
    const gnnkd_csr *xs;        /* the last forward's first-layer input */
    const float *xval, *x0;
};

void gkd_part_ws_free(gkd_part_ws **w) {
    if (w == NULL || *w == NULL) return;
    gkd_part_ws *q = *w;
    for (int l = 0; l < GNNKD_MAX_LAYERS; l++) free(q->h[l]);
    free(q->logits);
    free(q->full);
    free(q->gt);
    free(q->g1);
    free(q->g2);
    free(q->buf);
    gnnkd_csr_clear(&q->xd);
    free(q);
    *w = NULL;
}

int gkd_part_ws_new(gkd_part_ws **w, const gnnkd_model *m, const gkd_part_input *in, char *msg) {
    gkd_part_ws *q = NULL;
#define GKD_FREE_ALL gkd_part_ws_free(&q)
    *w = NULL;
    const gnnkd_model_spec *s = &m->spec;
    GKD_CHECK(s->kind == GNNKD_MODEL_GCN || s->kind == GNNKD_MODEL_MLP, GNNKD_EINVAL,
              "distributed training: %s models are not supported (GCN and MLP are)",
              gnnkd_model_kind_name(s->kind));
    GKD_CHECK(in->n > 0 && (in->x != NULL) != (in->xdense != NULL) &&
                  (in->x == NULL || (in->x->nrows == in->n && in->x->ncols == s->dims[0] &&
                                     in->xoff != NULL)),
              GNNKD_EINVAL, "distributed training: the part's features do not fit the model");
    GKD_CHECK(s->kind != GNNKD_MODEL_GCN ||
                  (in->ahat && in->ahat->nrows == in->n && in->ahat->ncols == in->n + in->nhalo),
              GNNKD_EINVAL, "distributed training: a GCN needs the part's rows of Â");
    int64_t n = in->n, L = s->nlayers, maxd = 0;
    for (int l = 1; l <= L; l++) maxd = s->dims[l] > maxd ? s->dims[l] : maxd;
    GKD_ALLOC(q, 1);
    for (int l = 1; l < L; l++) GKD_ALLOC(q->h[l], n * s->dims[l]);
    GKD_ALLOC(q->logits, n * s->dims[L]);
    // a GCN's dh goes into full, dead once Â full is taken: the next
    // layer's exchange then finds it in place
    if (s->kind == GNNKD_MODEL_GCN) {
        GKD_ALLOC(q->full, (n + in->nhalo) * maxd);
        GKD_ALLOC(q->gt, n * maxd);
    } else if (L > 1) {
        GKD_ALLOC(q->g1, n * maxd);
        if (L > 2) GKD_ALLOC(q->g2, n * maxd);
    }
    if (s->dropout > 0.0f && in->xdense) {
        q->rows = gkd_drop_rows(s->dims[0]);
        if (q->rows > n) q->rows = n;
        GKD_ALLOC(q->buf, q->rows * s->dims[0]);
    }
    if (s->dropout > 0.0f && in->x) {
        int64_t nnz = gnnkd_csr_nnz(in->x);
        GKD_ALLOC(q->xd.rowptr, n + 1);
        GKD_ALLOC(q->xd.colidx, nnz > 0 ? nnz : 1);
        GKD_ALLOC(q->xd.val, nnz > 0 ? nnz : 1);
    }
    *w = q;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* xd = dropout(x) with the mask at each entry's global index xoff[r] + k:
 * gkd_dropout_spmm's entries, row by row. */
static void drop_sparse(gnnkd_csr *xd, const gnnkd_csr *x, const int64_t *xoff, float p,
                        uint64_t key) {
    const float scale = 1.0f / (1.0f - p);
    const uint32_t threshold = gkd_keep_threshold(p);
    int64_t j = 0;
    xd->nrows = x->nrows;
    xd->ncols = x->ncols;
    xd->rowptr[0] = 0;
    for (int32_t r = 0; r < x->nrows; r++) {
        for (int64_t k = x->rowptr[r]; k < x->rowptr[r + 1]; k++)
            if (gkd_mask_bits(key, xoff[r] + (k - x->rowptr[r])) >= threshold) {
                xd->colidx[j] = x->colidx[k];
                xd->val[j++] = (x->val ? x->val[k] : 1.0f) * scale;
            }
        xd->rowptr[r + 1] = j;
    }
}

/* Rows r0 .. r0 + rows of dense x, dropped with the mask at global row ids,
 * into buf (rows, i). */
static void drop_dense_rows(float *buf, const float *x, const int32_t *global, int64_t r0,
                            int64_t rows, int32_t i, float p, uint64_t key) {
    for (int64_t r = r0; r < r0 + rows; r++)
        gkd_dropout_range(buf + (r - r0) * i, x + r * i, (int64_t)global[r] * i, i, p, key);
}

/* Dropout of the rows of y (n, h) at global row ids, in place. */
static void drop_rows(float *y, const int32_t *global, int32_t n, int32_t h, float p,
                      uint64_t key) {
#pragma omp parallel for schedule(static) if ((int64_t)n * h > gkd_tuning.par_min)
    for (int32_t r = 0; r < n; r++)
        gkd_dropout_range(y + (int64_t)r * h, y + (int64_t)r * h, (int64_t)global[r] * h, h, p,
                          key);
}

int gkd_part_forward(const float **logits, gkd_part_ws *w, gnnkd_model *m,
                     const gkd_part_input *in, int training, uint64_t seed, uint64_t step,
                     char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    const int L = s->nlayers, gcn = s->kind == GNNKD_MODEL_GCN;
    const int drop = training && s->dropout > 0.0f;
    gkd_rows_alone = m->rows_alone;
    const int32_t n = in->n;
    const float p = s->dropout;
    const uint64_t key0 = gkd_key(seed, step, 0);
    const gnnkd_csr *xs = in->x;
    const float *xval = xs ? xs->val : NULL, *x0 = in->xdense;
    if (drop && xs) {
        drop_sparse(&w->xd, xs, in->xoff, p, key0);
        xs = &w->xd, xval = w->xd.val;
    }
    for (int l = 0; l < L; l++) {
        const int hidden = l < L - 1;
        const int32_t i = s->dims[l], o = s->dims[l + 1];
        float *out = hidden ? w->h[l + 1] : w->logits;
        float *t = gcn ? w->full : out; // X W: for a GCN, the owned rows of Â's input
        const gkd_epilogue ep = {m->b[l], hidden, 0.0f, 0};
        if (l == 0 && drop && !xs) {
            for (int64_t r0 = 0; r0 < n; r0 += w->rows) {
                int64_t rows = n - r0 < w->rows ? n - r0 : w->rows;
                drop_dense_rows(w->buf, x0, in->global, r0, rows, i, p, key0);
                gkd_matmul_forward(t + r0 * o, w->buf, m->w[0], rows, i, o);
            }
            if (!gcn) gkd_epilogue_forward(out, n, o, &ep);
        } else {
            gkd_linear_forward(t, l == 0 ? xs : NULL, l == 0 ? xval : NULL,
                               l == 0 ? x0 : w->h[l], m->w[l], n, i, o, gcn ? NULL : &ep, NULL);
        }
        if (gcn) {
            int rc = in->exchange(in->ctx, w->full, o, w->gt, msg); // gt: free until backward
            if (rc != GNNKD_OK) return rc;
            gkd_spmm(out, in->ahat, in->ahat->val, w->full, o, &ep);
        }
        if (hidden && drop) drop_rows(out, in->global, n, o, p, gkd_key(seed, step, (uint64_t)l + 1));
    }
    w->fwd_dropout = drop;
    w->key0 = key0;
    w->xs = xs;
    w->xval = xval;
    w->x0 = x0;
    *logits = w->logits;
    return GNNKD_OK;
}

/* model.c's exact_layer over the part's rows: dense dropped features
 * redrawn at their global row ids. */
static void exact_layer(gkd_part_ws *w, gnnkd_model *m, const gkd_part_input *in, int l,
                        const float *dz, const float *gz) {
    const int32_t n = in->n, i = m->spec.dims[l], o = m->spec.dims[l + 1];
    gkd_exact *aw = m->exact + (m->w[l] - m->params), *ab = m->exact + (m->b[l] - m->params);
    double *part = m->exact_part;
    gkd_exact_colsum(ab, part, dz, n, o);
    if (l > 0 || w->xs || !w->fwd_dropout) {
        gkd_exact_xtg(aw, part, m->exact_threads, l == 0 ? w->xs : NULL, l == 0 ? w->xval : NULL,
                      l == 0 ? w->x0 : w->h[l], gz, n, i, o);
        return;
    }
    for (int64_t r0 = 0; r0 < n; r0 += w->rows) {
        int64_t rows = n - r0 < w->rows ? n - r0 : w->rows;
        drop_dense_rows(w->buf, w->x0, in->global, r0, rows, i, m->spec.dropout, w->key0);
        gkd_exact_xtg(aw, part, m->exact_threads, NULL, NULL, w->buf, gz + r0 * o, rows, i, o);
    }
}

int gkd_part_backward(gkd_part_ws *w, gnnkd_model *m, const gkd_part_input *in,
                      const float *dlogits, char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    gkd_rows_alone = m->rows_alone;
    const int L = s->nlayers, gcn = s->kind == GNNKD_MODEL_GCN;
    const int32_t n = in->n;
    const float p = s->dropout, scale = w->fwd_dropout ? 1.0f / (1.0f - p) : 1.0f;
    const float *dz = dlogits;
    for (int l = L - 1; l >= 0; l--) {
        const int32_t i = s->dims[l], o = s->dims[l + 1];
        if (l == L - 1) gkd_bias_backward(m->db[l], dz, n, o); // lower ones: the gate's
        const float *gz = dz;
        if (gcn) {
            if (dz != w->full) memcpy(w->full, dz, sizeof *dz * (size_t)n * (size_t)o);
            int rc = in->exchange(in->ctx, w->full, o, w->gt, msg); // gt: written after
            if (rc != GNNKD_OK) return rc;
            gkd_spmm(w->gt, in->ahat, in->ahat->val, w->full, o, NULL);
            gz = w->gt;
        }
        if (m->exact) exact_layer(w, m, in, l, dz, gz);
        float *dh = l == 0 ? NULL : gcn ? w->full : dz == w->g1 ? w->g2 : w->g1;
        const gkd_gate gate = {scale, l > 0 ? m->db[l - 1] : NULL};
        if (l == 0 && !w->xs && w->fwd_dropout) {
            for (int64_t r0 = 0; r0 < n; r0 += w->rows) {
                int64_t rows = n - r0 < w->rows ? n - r0 : w->rows;
                drop_dense_rows(w->buf, w->x0, in->global, r0, rows, i, p, w->key0);
                gkd_matmul_backward(NULL, m->dw[0], gz + r0 * o, w->buf, m->w[0], rows, i, o,
                                    NULL);
            }
        } else {
            gkd_linear_backward(dh, m->dw[l], NULL, 0, gz, l == 0 ? w->xs : NULL,
                                l == 0 ? w->xval : NULL, l == 0 ? w->x0 : w->h[l], m->w[l], n,
                                i, o, l > 0 ? &gate : NULL, NULL);
        }
        dz = dh;
    }
    return GNNKD_OK;
}

const float *gkd_part_logits(const gkd_part_ws *w) { return w->logits; }
