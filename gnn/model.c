/* model.c — the models: parameters carved from one allocation (as in
 * llm.c) by the size table of spec.c, the forward and backward passes over
 * all nodes, and Adam. */
#include "gnn/kernels.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* The counter stream of the weight initialisation; dropout uses the training
 * steps, which never get this far. */
#define GKD_INIT_STREAM UINT64_MAX

/* Points w, b, dw, db into the flat arrays: layer by layer, its weights
 * (gkd_layer_shape), then b (out). */
static void carve(gnnkd_model *m) {
    int64_t off = 0;
    for (int l = 0; l < m->spec.nlayers; l++) {
        int64_t nw = gkd_layer_shape_of(&m->spec, l).nw;
        m->w[l] = m->params + off;
        m->dw[l] = m->grads + off;
        off += nw;
        m->b[l] = m->params + off;
        m->db[l] = m->grads + off;
        off += m->spec.dims[l + 1];
    }
}

int gkd_model_alloc(gnnkd_model **m, const gnnkd_model_spec *spec, char *msg) {
    gnnkd_model *out = NULL;
#define GKD_FREE_ALL gnnkd_model_free(&out)
    int64_t np = 0;
    GKD_TRY(gkd_model_spec_check(&np, spec, msg));
    GKD_ALLOC(out, 1);
    out->spec = *spec;
    out->nparams = np;
    GKD_ALLOC(out->params, np);
    GKD_ALLOC(out->grads, np);
    GKD_ALLOC(out->adam_m, np);
    GKD_ALLOC(out->adam_v, np);
    carve(out);
    *m = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_model_new(gnnkd_model **m, const gnnkd_model_spec *spec, int32_t nin, int32_t nout,
                             uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    if (m == NULL || spec == NULL) {
        gkd_msg(msg, "gnnkd_model_new: m and spec must not be NULL");
        return GNNKD_EINVAL;
    }
    *m = NULL;
    gnnkd_model_spec s = *spec;
    if (s.nlayers < 2 || s.nlayers > GNNKD_MAX_LAYERS) {
        gkd_msg(msg, "gnnkd_model_new: %d layers; 2..%d are supported", s.nlayers,
               GNNKD_MAX_LAYERS);
        return GNNKD_EINVAL;
    }
    if (s.dims[0] == 0) s.dims[0] = nin;
    if (s.dims[s.nlayers] == 0) s.dims[s.nlayers] = nout;
    if (s.dims[0] != nin || s.dims[s.nlayers] != nout) {
        gkd_msg(msg, "gnnkd_model_new: the spec maps %d to %d features, the data %d to %d",
               s.dims[0], s.dims[s.nlayers], nin, nout);
        return GNNKD_EINVAL;
    }
    int rc = gkd_model_alloc(m, &s, msg);
    if (rc != GNNKD_OK) return rc;
    // Glorot & Bengio (2010) uniform weights, W_self and W_neigh each as an
    // (in, out) matrix, a GAT's attention vectors as PyG's (heads, f); zero
    // biases (from calloc)
    for (int l = 0; l < s.nlayers; l++) {
        gkd_layer_shape sh = gkd_layer_shape_of(&s, l);
        int32_t fan = s.kind == GNNKD_MODEL_GAT ? sh.lin : s.dims[l + 1];
        float r = sqrtf(6.0f / (float)(s.dims[l] + fan));
        float ra = sqrtf(6.0f / (float)(sh.heads + sh.f));
        uint64_t key = gkd_key(seed, GKD_INIT_STREAM, (uint64_t)l);
        int64_t nW = (int64_t)s.dims[l] * sh.lin;
        // CPF's attention vector: their xavier_normal with ReLU's gain, as a
        // uniform of that variance; the gate starts at 1/2 (their zeros)
        if (s.kind == GNNKD_MODEL_CPF) ra = sqrtf(12.0f / (float)(1 + s.dims[0]));
        const int64_t nA = s.kind == GNNKD_MODEL_CPF ? nW + s.dims[0] : sh.nw;
        for (int64_t e = 0; e < nA; e++)
            (*m)->w[l][e] = (e < nW ? r : ra) * (2.0f * gkd_uniform(key, (uint64_t)e) - 1.0f);
    }
    return GNNKD_OK;
}

void gnnkd_model_free(gnnkd_model **m) {
    if (m == NULL || *m == NULL) return;
    free((*m)->params);
    free((*m)->pos);
    free((*m)->grads);
    free((*m)->adam_m);
    free((*m)->adam_v);
    free((*m)->exact);
    free((*m)->exact_part);
    free((*m)->ws);
    free((*m)->xd.rowptr);
    free((*m)->xd.colidx);
    free((*m)->xkeep);
    free((*m)->sl.rowptr);
    free((*m)->sl.colidx);
    free((*m)->rev);
    gkd_cpf_free(*m);
    free(*m);
    *m = NULL;
}

const gnnkd_model_spec *gnnkd_model_get_spec(const gnnkd_model *m) { return &m->spec; }
int64_t gnnkd_model_num_params(const gnnkd_model *m) { return m->nparams; }

float *gkd_model_params(gnnkd_model *m) { return m->params; }
float *gkd_model_grads(gnnkd_model *m) { return m->grads; }

void gkd_model_zero_grad(gnnkd_model *m) {
    memset(m->grads, 0, sizeof *m->grads * (size_t)m->nparams);
    if (m->exact) memset(m->exact, 0, sizeof *m->exact * (size_t)m->nparams);
}

int gkd_model_set_exact(gnnkd_model *m, int on, char *msg) {
    free(m->exact);
    free(m->exact_part);
    m->exact = NULL;
    m->exact_part = NULL;
    if (!on) return GNNKD_OK;
    const gnnkd_model_spec *s = &m->spec;
    if (s->kind != GNNKD_MODEL_GCN && s->kind != GNNKD_MODEL_MLP) {
        gkd_msg(msg, "reproducible training: %s models are not supported (GCN and MLP are)",
                gnnkd_model_kind_name(s->kind));
        return GNNKD_EINVAL;
    }
    // kept after training: the logits a partitioned run compares come later
    m->rows_alone = 1;
    int64_t len = 0;
    for (int l = 0; l < s->nlayers; l++) {
        int64_t k = gkd_exact_part_len(s->dims[l], s->dims[l + 1]);
        len = k > len ? k : len;
    }
    m->exact_threads = omp_get_max_threads();
    m->exact = gkd_calloc((size_t)m->nparams, sizeof *m->exact);
    m->exact_part = gkd_calloc((size_t)(len * m->exact_threads), sizeof *m->exact_part);
    if (m->exact == NULL || m->exact_part == NULL) {
        gkd_model_set_exact(m, 0, NULL);
        gkd_msg(msg, "out of memory for exact gradient sums of %lld parameters",
                (long long)m->nparams);
        return GNNKD_ENOMEM;
    }
    return GNNKD_OK;
}

gkd_exact *gkd_model_exact(gnnkd_model *m) { return m->exact; }

void gkd_model_set_input_dropout(gnnkd_model *m, int on) {
    if (m->no_input_dropout == !on) return;
    m->no_input_dropout = !on;
    m->have_forward = 0; // the last forward's masks are not this setting's
}

void gkd_model_reset_adam(gnnkd_model *m) {
    memset(m->adam_m, 0, sizeof *m->adam_m * (size_t)m->nparams);
    memset(m->adam_v, 0, sizeof *m->adam_v * (size_t)m->nparams);
}

static int decayed(const gnnkd_train_options *o, int l) { return l == 0 || o->decay_all_layers; }

static double adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t);

double gkd_model_adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t) {
    double l2 = 0.0;
    if (m->exact) gkd_exact_round(m->grads, m->exact, m->nparams);
    GKD_PROFILED(m->profile, GNNKD_PROFILE_ELEMENTWISE, 12.0 * (double)m->nparams,
                 32.0 * (double)m->nparams, l2 = adam_step(m, o, t), "adam (%lld params)",
                 (long long)m->nparams);
    return l2;
}

static double adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t) {
    const gnnkd_model_spec *s = &m->spec;
    // Kingma & Ba (2015), with the bias corrections folded into the step size
    float b1 = o->beta1, b2 = o->beta2;
    float c1 = (float)(1.0 - pow(b1, t)), c2 = (float)(1.0 - pow(b2, t));
    double l2 = 0.0;
    for (int l = 0; l < s->nlayers; l++) {
        int64_t nw = gkd_layer_shape_of(s, l).nw, off = m->w[l] - m->params;
        float wd = decayed(o, l) ? o->weight_decay : 0.0f; // biases never decay
        double sq = gkd_adam_range(m->params + off, m->grads + off, m->adam_m + off,
                               m->adam_v + off, nw, wd, b1, b2, c1, c2, o->lr, o->eps);
        if (decayed(o, l)) l2 += sq;
        off += nw; // b[l] follows W[l]
        gkd_adam_range(m->params + off, m->grads + off, m->adam_m + off, m->adam_v + off,
                   s->dims[l + 1], 0.0f, b1, b2, c1, c2, o->lr, o->eps);
    }
    return o->weight_decay * l2 / 2.0;
}

double gkd_model_l2(const gnnkd_model *m, const gnnkd_train_options *o) {
    const gnnkd_model_spec *s = &m->spec;
    double sum = 0.0;
    for (int l = 0; l < s->nlayers; l++) {
        if (!decayed(o, l)) continue;
        int64_t nw = gkd_layer_shape_of(s, l).nw, e = 0;
        // eight running sums, not one chain of dependent adds
        double part[8] = {0};
        for (; e + 8 <= nw; e += 8)
            for (int j = 0; j < 8; j++) part[j] += (double)m->w[l][e + j] * m->w[l][e + j];
        for (; e < nw; e++) part[0] += (double)m->w[l][e] * m->w[l][e];
        sum += ((part[0] + part[1]) + (part[2] + part[3])) + ((part[4] + part[5]) + (part[6] + part[7]));
    }
    return o->weight_decay * sum / 2.0;
}

/* ---- forward and backward ------------------------------------------------------- */

static int is_sparse(const gnnkd_dataset *d) { return d->x.rowptr != NULL; }

/* The kinds that read d->adj (GCN reads Â from its graph object). */
static int graph_kind(const gnnkd_model_spec *s) {
    return s->kind == GNNKD_MODEL_GAT || s->kind == GNNKD_MODEL_SAGE || s->kind == GNNKD_MODEL_CPF;
}

/* The kinds whose layers are an MLP's (CPF's propagation follows them). */
static int mlp_layers(const gnnkd_model_spec *s) {
    return s->kind == GNNKD_MODEL_MLP || s->kind == GNNKD_MODEL_CPF;
}

static int check_data(const gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g,
                      const char *where, char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    if (d == NULL || d->n <= 0) {
        gkd_msg(msg, "%s: the dataset is NULL or has no nodes", where);
        return GNNKD_EINVAL;
    }
    if (d->nfeat != s->dims[0]) {
        gkd_msg(msg, "%s: the model expects %d features, %s has %d", where, s->dims[0], d->name,
               d->nfeat);
        return GNNKD_EINVAL;
    }
    if (d->nclass != s->dims[s->nlayers]) {
        gkd_msg(msg, "%s: the model predicts %d classes, %s has %d", where, s->dims[s->nlayers],
               d->name, d->nclass);
        return GNNKD_EINVAL;
    }
    if (is_sparse(d) ? (d->x.nrows != d->n || d->x.ncols != d->nfeat) : d->xdense == NULL) {
        gkd_msg(msg, "%s: %s has no (n, nfeat) feature matrix", where, d->name);
        return GNNKD_EINVAL;
    }
    if (s->kind == GNNKD_MODEL_GCN) {
        const gnnkd_csr *a = gnnkd_graph_csr(g);
        if (a == NULL || a->nrows != d->n) {
            gkd_msg(msg, "%s: a GCN needs the normalised adjacency of the dataset's %d nodes",
                   where, d->n);
            return GNNKD_EINVAL;
        }
    }
    if (graph_kind(s) && (d->adj.rowptr == NULL || d->adj.nrows != d->n || d->adj.ncols != d->n)) {
        gkd_msg(msg, "%s: a %s model needs %s's (n, n) adjacency", where,
                gnnkd_model_kind_name(s->kind), d->name);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

/* Frees the workspace and the structure kept with it. */
static void workspace_free(gnnkd_model *m) {
    GKD_FREE(m->ws);
    GKD_FREE(m->xd.rowptr);
    GKD_FREE(m->xd.colidx);
    GKD_FREE(m->xkeep);
    GKD_FREE(m->sl.rowptr);
    GKD_FREE(m->sl.colidx);
    GKD_FREE(m->rev);
    gkd_cpf_free(m);
    m->ws_adj = NULL;
    m->tapbuf = NULL;
    m->have_forward = 0;
}

/* Sizes the workspace for d's n (feature nnz, adjacency) and the thread
 * count, and carves it; a no-op when they have not changed since the last
 * call. */
static int workspace(gnnkd_model *m, const gnnkd_dataset *d, char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    int L = s->nlayers, threads = omp_get_max_threads();
    const int gat = s->kind == GNNKD_MODEL_GAT, sage = s->kind == GNNKD_MODEL_SAGE;
    int64_t nnz = is_sparse(d) ? gnnkd_csr_nnz(&d->x) : -1;
    int64_t adj_nnz = graph_kind(s) ? gnnkd_csr_nnz(&d->adj) : -1;
    const int64_t *adj = graph_kind(s) ? d->adj.rowptr : NULL;
    // the dense dropout's blocks, by the tuning in force now
    int64_t rows = nnz < 0 && s->dropout > 0.0f ? gkd_drop_rows(s->dims[0]) : 0;
    if (rows > d->n) rows = d->n;
    if (m->ws && m->ws_n == d->n && m->ws_nnz == nnz && m->ws_threads == threads &&
        m->xin_rows == rows && m->ws_adj == adj && m->ws_adj_nnz == adj_nnz && m->ws_tap == m->tap &&
        m->ws_tap_preact == m->tap_preact)
        return GNNKD_OK;
    workspace_free(m);
    if (gat || s->kind == GNNKD_MODEL_CPF) {
        int rc = gkd_gat_structure(m, &d->adj, msg);
        if (rc == GNNKD_OK && !gat) rc = gkd_cpf_alloc(m, d->n, msg);
        if (rc != GNNKD_OK) {
            workspace_free(m);
            return rc;
        }
    }

    int64_t n = d->n, maxd = 0, maxlin = 0, maxh = 0, total = 0;
    int64_t enz = gat ? gnnkd_csr_nnz(&m->sl) : 0;
    for (int l = 1; l <= L; l++) maxd = s->dims[l] > maxd ? s->dims[l] : maxd;
    int64_t sz_h[GNNKD_MAX_LAYERS], sz_gat[GNNKD_MAX_LAYERS];
    for (int l = 0; l < L; l++) {
        gkd_layer_shape sh = gkd_layer_shape_of(s, l);
        maxlin = sh.lin > maxlin ? sh.lin : maxlin;
        maxh = sh.heads > maxh ? sh.heads : maxh;
        sz_h[l] = l > 0 ? n * s->dims[l] : 0;
        // lin, sdst, ssrc, alpha, alphad, z (hidden layers)
        sz_gat[l] = gat ? n * sh.lin + 2 * n * sh.heads + 2 * enz * sh.heads +
                              (l < L - 1 ? n * s->dims[l + 1] : 0)
                        : 0;
        total += sz_h[l] + sz_gat[l];
    }
    total += n * s->dims[L]; // the logits
    int64_t sz_xin = s->dropout > 0.0f ? (nnz >= 0 ? nnz : rows * s->dims[0]) : 0;
    int64_t sz_t = !mlp_layers(s) ? n * maxlin : 0;
    int64_t lin0 = gkd_layer_shape_of(s, 0).lin;
    int nparts = nnz >= 0 && gkd_spmm_t_partials(n, s->dims[0]) ? threads - 1 : 0;
    int64_t sz_partial = (int64_t)nparts * s->dims[0] * lin0;
    int64_t sz_scratch = gat ? enz * maxh + 2 * n * maxh : sage ? n : 0;
    // a GAT's pre-activation is its z: no copy
    int64_t sz_tap = m->tap > 0 && (m->tap_preact ? !gat : s->dropout > 0.0f) ? n * s->dims[m->tap] : 0;
    total += sz_xin + sz_t + 2 * n * maxd + sz_partial + sz_scratch + sz_tap;

    float *p = gkd_calloc((size_t)total, sizeof *p);
    if (p == NULL) {
        workspace_free(m);
        gkd_msg(msg, "model: out of memory for a workspace of %lld floats", (long long)total);
        return GNNKD_ENOMEM;
    }
    // the dropped features' rows exist even when there are no entries to drop
    if (nnz >= 0 && s->dropout > 0.0f) {
        m->xd.rowptr = gkd_calloc((size_t)n + 1, sizeof *m->xd.rowptr);
        m->xd.colidx = gkd_calloc((size_t)nnz, sizeof *m->xd.colidx);
        m->xkeep = gkd_calloc((size_t)nnz, sizeof *m->xkeep);
        if (m->xd.rowptr == NULL || m->xd.colidx == NULL || m->xkeep == NULL) {
            free(p);
            workspace_free(m);
            gkd_msg(msg, "model: out of memory for the dropped features (%lld nonzeros)",
                   (long long)nnz);
            return GNNKD_ENOMEM;
        }
    }
    m->ws = p;
    for (int l = 0; l < L; l++) m->h[l] = l > 0 ? p : NULL, p += sz_h[l];
    for (int l = 0; l < L && gat; l++) {
        gkd_layer_shape sh = gkd_layer_shape_of(s, l);
        m->lin[l] = p, p += n * sh.lin;
        m->sdst[l] = p, p += n * sh.heads;
        m->ssrc[l] = p, p += n * sh.heads;
        m->alpha[l] = p, p += enz * sh.heads;
        m->alphad[l] = p, p += enz * sh.heads;
        m->z[l] = l < L - 1 ? p : NULL, p += l < L - 1 ? n * s->dims[l + 1] : 0;
    }
    m->logits = p, p += n * s->dims[L];
    m->xin = p, p += sz_xin;
    m->xd.val = m->xd.rowptr ? m->xin : NULL;
    m->t = sz_t ? p : NULL, p += sz_t;
    m->g1 = p, p += n * maxd;
    m->g2 = p, p += n * maxd;
    m->partial = p, p += sz_partial;
    m->tapbuf = sz_tap ? p : NULL, p += sz_tap;
    if (gat) {
        m->de = p, p += enz * maxh;
        m->dsdst = p, p += n * maxh;
        m->dssrc = p, p += n * maxh;
    }
    if (sage) {
        m->invdeg = p, p += n;
        gkd_sage_structure(m, &d->adj);
    }
    m->nparts = nparts;
    m->ws_n = d->n;
    m->ws_nnz = nnz;
    m->ws_threads = threads;
    m->xin_rows = rows;
    m->ws_adj = adj;
    m->ws_adj_nnz = adj_nnz;
    m->ws_tap = m->tap;
    m->ws_tap_preact = m->tap_preact;
    return GNNKD_OK;
}

/* The part of layer l after its linear map t = X W (width lin): out (n,
 * dims[l+1]) for GCN (Â t) and SAGE (the mean aggregator), each with the
 * epilogue ep. */
static void aggregate_forward(gnnkd_model *m, float *out, const gnnkd_csr *ahat,
                              const gnnkd_dataset *d, int l, const gkd_epilogue *ep) {
    int32_t n = d->n, o = m->spec.dims[l + 1];
    gnnkd_profile *prof = m->profile;
    if (m->spec.kind == GNNKD_MODEL_GCN)
        GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * (double)gnnkd_csr_nnz(ahat) * o,
                     gkd_csr_bytes(ahat, 1) + 8.0 * n * o, gkd_spmm(out, ahat, ahat->val, m->t, o, ep),
                     "A*T%s (n,%d)", gkd_epilogue_text(ep), o);
    else
        GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, (double)gnnkd_csr_nnz(&d->adj) * o + 2.0 * n * o,
                     gkd_csr_bytes(&d->adj, 0) + 12.0 * n * o,
                     gkd_sage_aggregate(out, &d->adj, m->invdeg, m->t, o, ep),
                     "SAGE mean%s (n,%d)", gkd_epilogue_text(ep), o);
}

/* Where layer l's linear map X W goes: straight into out with the epilogue
 * for an MLP, else into the layer's own buffer. */
static float *linear_target(gnnkd_model *m, float *out, int l) {
    switch (m->spec.kind) {
    case GNNKD_MODEL_MLP:
    case GNNKD_MODEL_CPF: return out;
    case GNNKD_MODEL_GAT: return m->lin[l];
    default: return m->t;
    }
}

/* Layer l of the model on input (xs, xval) or inp, into out, ending with ep. */
static void layer_forward(gnnkd_model *m, float *out, const gnnkd_csr *ahat, int l,
                          const gnnkd_csr *xs, const float *xval, const float *inp,
                          const gnnkd_dataset *d, const gkd_epilogue *ep) {
    int32_t n = d->n, i = m->spec.dims[l], lin = gkd_layer_shape_of(&m->spec, l).lin;
    int mlp = mlp_layers(&m->spec);
    gkd_linear_forward(linear_target(m, out, l), xs, xval, inp, m->w[l], n, i, lin,
                       mlp ? ep : NULL, m->profile);
    if (m->spec.kind == GNNKD_MODEL_GCN || m->spec.kind == GNNKD_MODEL_SAGE)
        aggregate_forward(m, out, ahat, d, l, ep);
}

/* Layer 0 with dropout on its input: the dropped features are multiplied as
 * they are drawn. Sparse ones are kept in m->xd for the backward pass
 * (gkd_dropout_spmm); dense ones are never held whole
 * (gkd_dropout_matmul_forward). */
static void dropped_forward(gnnkd_model *m, float *out, const gnnkd_csr *ahat,
                            const gnnkd_dataset *d, uint64_t key, const gkd_epilogue *ep) {
    int32_t n = d->n, i = m->spec.dims[0], o = gkd_layer_shape_of(&m->spec, 0).lin;
    float p = m->spec.dropout;
    int mlp = mlp_layers(&m->spec);
    float *xw = linear_target(m, out, 0);
    const gkd_epilogue *xep = mlp ? ep : NULL;
    gnnkd_profile *prof = m->profile;
    if (is_sparse(d)) {
        GKD_PROFILED(prof, GNNKD_PROFILE_SPARSE_FEATURES, 2.0 * (double)m->xd.rowptr[n] * o,
                     gkd_csr_bytes(&d->x, d->x.val != NULL) + 8.0 * (n + 1) +
                         8.0 * (double)m->xd.rowptr[n] + 4.0 * i * o + 4.0 * n * o,
                     gkd_dropout_spmm(xw, &m->xd, m->xkeep, &d->x, m->w[0], o, p, key, xep),
                     "X*W sparse+dropout%s (nnz %lld)->(n,%d)", gkd_epilogue_text(xep),
                     (long long)gnnkd_csr_nnz(&d->x), o);
    } else {
        GKD_PROFILED(prof, GNNKD_PROFILE_GEMM, 2.0 * n * i * o + (double)n * i,
                     8.0 * n * i + 4.0 * ((double)i * o + n * o),
                     gkd_dropout_matmul_forward(xw, m->xin, m->xin_rows, d->xdense, m->w[0], n, i, o, p, key),
                     "X*W+dropout X (n,%d)x(%d,%d)", i, i, o);
        if (mlp)
            GKD_PROFILED(prof, GNNKD_PROFILE_ELEMENTWISE, (double)n * o, 8.0 * n * o + 4.0 * o,
                         gkd_epilogue_forward(out, n, o, ep), "%s (n,%d)",
                         gkd_epilogue_text(ep) + 1, o);
    }
    if (m->spec.kind == GNNKD_MODEL_GCN || m->spec.kind == GNNKD_MODEL_SAGE)
        aggregate_forward(m, out, ahat, d, 0, ep);
}

gnnkd_status gnnkd_model_forward(gnnkd_model *m, const float **logits, const gnnkd_dataset *d,
                                 const gnnkd_graph *g, int training, uint64_t seed, uint64_t step,
                                 char *msg) {
    GKD_CLEAR_MSG;
    if (m == NULL || logits == NULL) {
        gkd_msg(msg, "gnnkd_model_forward: m and logits must not be NULL");
        return GNNKD_EINVAL;
    }
    int rc = check_data(m, d, g, "gnnkd_model_forward", msg);
    if (rc == GNNKD_OK) rc = workspace(m, d, msg);
    if (rc != GNNKD_OK) return rc;
    gkd_rows_alone = m->rows_alone;
    const gnnkd_model_spec *s = &m->spec;
    int L = s->nlayers, drop = training && s->dropout > 0.0f;
    const int drop_in = drop && !m->no_input_dropout;
    const int gat = s->kind == GNNKD_MODEL_GAT;
    int32_t n = d->n;
    float p = s->dropout;
    const gnnkd_csr *ahat = s->kind == GNNKD_MODEL_GCN ? gnnkd_graph_csr(g) : NULL;

    // the first layer's input: sparse (xs, xval) or dense x0; after dropout,
    // sparse ones are m->xd
    const gnnkd_csr *xs = is_sparse(d) ? &d->x : NULL;
    const float *xval = xs ? d->x.val : NULL, *x0 = xs ? NULL : d->xdense;
    // layer l writes the next layer's input h[l + 1], after bias, ReLU and
    // dropout, in its epilogue (a GAT: bias, then ELU and dropout from z[l]);
    // the last one the logits
    uint64_t key0 = gkd_key(seed, step, 0);
    for (int l = 0; l < L; l++) {
        int hidden = l < L - 1;
        float *out = hidden ? (gat ? m->z[l] : m->h[l + 1]) : m->logits;
        gkd_epilogue ep = {m->b[l], hidden, drop && hidden ? p : 0.0f,
                          gkd_key(seed, step, (uint64_t)l + 1)};
        // the tapped layer's activation is kept before its dropout (or its
        // ReLU, preact): the epilogue stops there, the rest follows on a copy
        const int tapped = !gat && hidden && l + 1 == m->tap;
        const int keep = tapped && (drop || m->tap_preact);
        if (keep) ep.p = 0.0f, ep.relu = !m->tap_preact;
        if (l == 0 && drop_in) {
            dropped_forward(m, out, ahat, d, key0, &ep);
            if (xs) xs = &m->xd, xval = m->xd.val;
        } else {
            layer_forward(m, out, ahat, l, l == 0 ? xs : NULL, l == 0 ? xval : NULL,
                          l == 0 ? x0 : m->h[l], d, &ep);
        }
        if (keep) {
            int64_t len = (int64_t)n * s->dims[l + 1];
            memcpy(m->tapbuf, out, (size_t)len * sizeof *out);
            if (m->tap_preact) gkd_relu_forward(out, out, len);
            if (drop) gkd_dropout_forward(out, out, len, p, ep.key);
        }
        if (gat) {
            m->fwd_attn_key[l] = gkd_key(seed, step, (uint64_t)(GNNKD_MAX_LAYERS + 1 + l));
            m->fwd_drop_key[l] = ep.key;
            gkd_gat_layer_forward(m, out, l, n, training, m->fwd_attn_key[l]);
            if (hidden && drop && l + 1 == m->tap && !m->tap_preact)
                gkd_elu_dropout_forward(m->tapbuf, m->z[l], (int64_t)n * s->dims[l + 1], 0.0f, 0);
            if (hidden)
                GKD_PROFILED(m->profile, GNNKD_PROFILE_ELEMENTWISE, 2.0 * n * s->dims[l + 1],
                             8.0 * n * s->dims[l + 1],
                             gkd_elu_dropout_forward(m->h[l + 1], m->z[l], (int64_t)n * s->dims[l + 1],
                                                     drop ? p : 0.0f, ep.key),
                             "elu%s (n,%d)", drop ? ",dropout" : "", s->dims[l + 1]);
        }
    }
    m->have_forward = 1;
    m->fwd_dropout = drop;
    m->fwd_drop_input = drop_in;
    m->fwd_training = training != 0;
    m->fwd_key0 = key0;
    m->fwd_xs = xs;
    m->fwd_xval = xval;
    m->fwd_x0 = x0;
    *logits = m->logits;
    if (s->kind == GNNKD_MODEL_CPF)
        GKD_PROFILED(m->profile, GNNKD_PROFILE_ADJACENCY,
                     4.0 * (double)gnnkd_csr_nnz(&m->sl) * s->dims[L] * s->steps,
                     (12.0 + 4.0 * s->dims[L]) * (double)gnnkd_csr_nnz(&m->sl) * s->steps,
                     *logits = gkd_cpf_forward(m, d, training, gkd_key(seed, step, 2 * GNNKD_MAX_LAYERS + 2)),
                     "CPF propagation (%d steps, n,%d)", s->steps, s->dims[L]);
    return GNNKD_OK;
}

/* Layer l's weight and bias gradients, X^T gz and the column sums of dz,
 * added exactly into m->exact; a dropped dense input is redrawn in blocks
 * of rows, as its float pass does. */
static void exact_layer(gnnkd_model *m, int l, const float *dz, const float *gz,
                        const gnnkd_csr *xs, const float *inp, int32_t n, int32_t i, int32_t o) {
    gkd_exact *aw = m->exact + (m->w[l] - m->params), *ab = m->exact + (m->b[l] - m->params);
    double *part = m->exact_part;
    gkd_exact_colsum(ab, part, dz, n, o);
    if (l > 0 || xs || !m->fwd_drop_input) {
        gkd_exact_xtg(aw, part, m->exact_threads, xs, xs ? m->fwd_xval : NULL, inp, gz, n, i, o);
        return;
    }
    for (int64_t r0 = 0; r0 < n; r0 += m->xin_rows) {
        int64_t rows = n - r0 < m->xin_rows ? n - r0 : m->xin_rows;
        gkd_dropout_range(m->xin, inp + r0 * i, r0 * i, rows * i, m->spec.dropout, m->fwd_key0);
        gkd_exact_xtg(aw, part, m->exact_threads, NULL, NULL, m->xin, gz + r0 * o, rows, i, o);
    }
}

/* The gradient of layer l's linear map X W from dz, the gradient of its
 * output before the epilogue (and db[l] if the caller asks): Â dz for a GCN,
 * [dz | mean^T dz] for SAGE, the attention's backward pass for GAT, all in
 * m->t; dz itself for an MLP. */
static const float *linear_grad(gnnkd_model *m, const float *dz, float *db, const gnnkd_csr *ahat,
                                const gnnkd_dataset *d, int l) {
    int32_t n = d->n, o = m->spec.dims[l + 1];
    gnnkd_profile *prof = m->profile;
    switch (m->spec.kind) {
    case GNNKD_MODEL_GCN:
        if (db) gkd_bias_backward_profiled(db, dz, n, o, prof);
        GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * (double)gnnkd_csr_nnz(ahat) * o,
                     gkd_csr_bytes(ahat, 1) + 8.0 * n * o,
                     gkd_spmm(m->t, ahat, ahat->val, dz, o, NULL), "A*T (n,%d)", o);
        return m->t;
    case GNNKD_MODEL_SAGE:
        if (db) gkd_bias_backward_profiled(db, dz, n, o, prof);
        GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, (double)gnnkd_csr_nnz(&d->adj) * o * 2.0,
                     gkd_csr_bytes(&d->adj, 0) + 16.0 * n * o,
                     gkd_sage_scatter(m->t, &d->adj, m->invdeg, dz, o), "SAGE mean^T (n,%d)", o);
        return m->t;
    case GNNKD_MODEL_GAT:
        gkd_gat_layer_backward(m, dz, l, n); // db[l] too: ELU has no gate to sum it
        return m->t;
    default:
        if (db) gkd_bias_backward_profiled(db, dz, n, o, prof);
        return dz;
    }
}

gnnkd_status gnnkd_model_backward(gnnkd_model *m, const float *dlogits, const gnnkd_dataset *d,
                                  const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
    return gkd_model_backward_tap(m, dlogits, NULL, d, g, msg);
}

/* ---- the tap: a loss on a hidden layer ---------------------------------------- */

int gkd_model_set_tap(gnnkd_model *m, int layer, int preact, char *msg) {
    if (layer < 0 || layer >= m->spec.nlayers) {
        gkd_msg(msg, "hidden layer %d: the %s model has hidden layers 1..%d", layer,
                gnnkd_model_kind_name(m->spec.kind), m->spec.nlayers - 1);
        return GNNKD_EINVAL;
    }
    if (layer != m->tap || (preact != 0) != m->tap_preact) m->have_forward = 0;
    m->tap = layer;
    m->tap_preact = preact != 0;
    return GNNKD_OK;
}

int32_t gkd_model_tap_width(const gnnkd_model *m) { return m->tap > 0 ? m->spec.dims[m->tap] : 0; }

const float *gkd_model_tap(const gnnkd_model *m) {
    if (m->tap <= 0 || !m->have_forward) return NULL;
    if (m->tap_preact) return m->spec.kind == GNNKD_MODEL_GAT ? m->z[m->tap - 1] : m->tapbuf;
    return m->fwd_dropout ? m->tapbuf : m->h[m->tap];
}

/* dz (n, w) += dtap times the activation's derivative at the tapped layer,
 * read off its output a: ReLU' = (a > 0); ELU' = 1 for z > 0, else a + 1;
 * 1 without a (a pre-activation tap). db (w, or NULL) += the column sums
 * of what was added (the bias gradient the gate summed for the rest of dz):
 * then one serial pass, the same bits on any thread count, and dtap and a
 * are read once. */
static void tap_backward(float *restrict dz, float *restrict db, const float *restrict dtap,
                         const float *restrict a, const float *restrict z, int32_t n, int32_t w) {
    if (db) { // gcn, mlp, sage: ReLU or no activation (a gat's ELU tap passes no db)
        // eight columns at a time, their sums in registers (each column adds
        // in row order, as one row at a time would), then the rest
        int32_t c = 0;
        for (; c + 8 <= w; c += 8) {
            float acc[8];
            for (int32_t u = 0; u < 8; u++) acc[u] = db[c + u];
            for (int32_t i = 0; i < n; i++) {
                const int64_t r = (int64_t)i * w + c;
                float v[8];
                if (a) {
#pragma omp simd
                    for (int32_t u = 0; u < 8; u++) { // loaded first: then it is a mask
                        const float d = dtap[r + u];
                        v[u] = a[r + u] > 0.0f ? d : 0.0f;
                    }
                } else {
#pragma omp simd
                    for (int32_t u = 0; u < 8; u++) v[u] = dtap[r + u];
                }
#pragma omp simd
                for (int32_t u = 0; u < 8; u++) {
                    dz[r + u] += v[u];
                    acc[u] += v[u];
                }
            }
            for (int32_t u = 0; u < 8; u++) db[c + u] = acc[u];
        }
        for (; c < w; c++)
            for (int32_t i = 0; i < n; i++) {
                const int64_t r = (int64_t)i * w + c;
                const float d = dtap[r], v = a == NULL || a[r] > 0.0f ? d : 0.0f;
                dz[r] += v;
                db[c] += v;
            }
        return;
    }
    // one flat pass over the n w elements (the rows are contiguous); the
    // masks as 0/1 factors, not branches: the loops vectorise
    const int64_t len = (int64_t)n * w;
    if (a == NULL) {
#pragma omp parallel for simd schedule(static) if (len > gkd_tuning.par_min)
        for (int64_t e = 0; e < len; e++) dz[e] += dtap[e];
    } else if (z) {
#pragma omp parallel for simd schedule(static) if (len > gkd_tuning.par_min)
        for (int64_t e = 0; e < len; e++) {
            const float pos = (float)(z[e] > 0.0f);
            dz[e] += dtap[e] * (pos + (1.0f - pos) * (a[e] + 1.0f));
        }
    } else {
#pragma omp parallel for simd schedule(static) if (len > gkd_tuning.par_min)
        for (int64_t e = 0; e < len; e++) dz[e] += dtap[e] * (float)(a[e] > 0.0f);
    }
}

int gkd_model_backward_tap(gnnkd_model *m, const float *dlogits, const float *dtap,
                           const gnnkd_dataset *d, const gnnkd_graph *g, char *msg) {
    if (m == NULL || dlogits == NULL) {
        gkd_msg(msg, "gnnkd_model_backward: m and dlogits must not be NULL");
        return GNNKD_EINVAL;
    }
    gkd_rows_alone = m->rows_alone;
    if (dtap && m->tap <= 0) {
        gkd_msg(msg, "gnnkd_model_backward: a hidden layer's gradient, and no layer tapped");
        return GNNKD_EINVAL;
    }
    int rc = check_data(m, d, g, "gnnkd_model_backward", msg);
    if (rc != GNNKD_OK) return rc;
    int64_t nnz = is_sparse(d) ? gnnkd_csr_nnz(&d->x) : -1;
    if (!m->have_forward || d->n != m->ws_n || nnz != m->ws_nnz) {
        gkd_msg(msg, "gnnkd_model_backward: no forward pass over this dataset to go back through");
        return GNNKD_EINVAL;
    }
    const gnnkd_model_spec *s = &m->spec;
    const int gat = s->kind == GNNKD_MODEL_GAT;
    const gnnkd_csr *ahat = s->kind == GNNKD_MODEL_GCN ? gnnkd_graph_csr(g) : NULL;
    const gnnkd_csr *xs = m->fwd_xs;
    int32_t n = d->n;
    float p = s->dropout;
    // dz: the gradient of layer l's output; dh: of the layer before's, past
    // its ReLU and dropout, and with the layer before's bias gradient: layer
    // l's backward pass gates and sums it as it goes (gate). A GAT's ELU
    // has no such gate: its layers sum their own bias gradients, and dh
    // goes through ELU and dropout after the product.
    const float *dz = dlogits;
    if (s->kind == GNNKD_MODEL_CPF)
        GKD_PROFILED(m->profile, GNNKD_PROFILE_ADJACENCY,
                     8.0 * (double)gnnkd_csr_nnz(&m->sl) * s->dims[s->nlayers] * s->steps,
                     (16.0 + 8.0 * s->dims[s->nlayers]) * (double)gnnkd_csr_nnz(&m->sl) * s->steps,
                     dz = gkd_cpf_backward(m, dlogits, d), "CPF propagation backward (%d steps)",
                     s->steps);
    const float scale = m->fwd_dropout ? 1.0f / (1.0f - p) : 1.0f;
    for (int l = s->nlayers - 1; l >= 0; l--) {
        int32_t i = s->dims[l], lin = gkd_layer_shape_of(s, l).lin;
        float *dh = l == 0 ? m->dx : dz == m->g1 ? m->g2 : m->g1;
        const float *inp = l > 0 ? m->h[l] : m->fwd_x0;
        const gnnkd_csr *lxs = l > 0 ? NULL : xs;
        float *db = l == s->nlayers - 1 || gat ? m->db[l] : NULL; // else the layer above's gate did it
        const gkd_gate gate = {scale, l > 0 ? m->db[l - 1] : NULL},
                       *lg = l > 0 && !gat ? &gate : NULL;
        const float *gz = linear_grad(m, dz, db, ahat, d, l);
        if (m->exact) exact_layer(m, l, dz, gz, lxs, inp, n, i, lin);
        if (l == 0 && !xs && m->fwd_drop_input) // dropped dense features
            GKD_PROFILED(m->profile, GNNKD_PROFILE_GEMM, 2.0 * n * i * lin + (double)n * i,
                         8.0 * n * i + 4.0 * ((double)n * lin + 2.0 * i * lin),
                         gkd_dropout_matmul_backward(m->dw[0], m->xin, m->xin_rows, gz, inp, m->w[0], n,
                                                     i, lin, p, m->fwd_key0),
                         "X^T*G+dropout X (%d,n)x(n,%d)", i, lin);
        else
            gkd_linear_backward(dh, m->dw[l], m->partial, m->nparts, gz, lxs, m->fwd_xval, inp,
                                m->w[l], n, i, lin, lg, m->profile);
        if (gat && dh)
            GKD_PROFILED(m->profile, GNNKD_PROFILE_ELEMENTWISE, 3.0 * n * i, 12.0 * n * i,
                         gkd_elu_dropout_backward(dh, m->h[l], m->z[l - 1], (int64_t)n * i,
                                                  m->fwd_dropout ? p : 0.0f, m->fwd_drop_key[l - 1]),
                         "elu%s backward (n,%d)", m->fwd_dropout ? ",dropout" : "", i);
        if (dtap && l == m->tap)
            GKD_PROFILED(m->profile, GNNKD_PROFILE_ELEMENTWISE, 3.0 * n * i, 16.0 * n * i,
                         tap_backward(dh, gat ? NULL : m->db[l - 1], dtap,
                                      m->tap_preact ? NULL : gkd_model_tap(m),
                                      gat ? m->z[l - 1] : NULL, n, i),
                         "hidden loss backward (n,%d)", i);
        dz = dh;
    }
    return GNNKD_OK;
}

gnnkd_status gnnkd_model_input_grad(gnnkd_model *m, float *dx, const float *dlogits,
                                    const gnnkd_dataset *d, const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
    if (m == NULL || dx == NULL) {
        gkd_msg(msg, "gnnkd_model_input_grad: m and dx must not be NULL");
        return GNNKD_EINVAL;
    }
    const int other = m->spec.kind == GNNKD_MODEL_GAT || m->spec.kind == GNNKD_MODEL_CPF;
    if (other || !m->have_forward || m->fwd_xs != NULL || m->fwd_dropout) {
        gkd_msg(msg, "gnnkd_model_input_grad: needs a forward pass of a %s over dense "
                "features without dropout%s", gnnkd_model_kind_name(m->spec.kind),
                other ? " (and a model other than gat or cpf)" : "");
        return GNNKD_EINVAL;
    }
    // the first layer's backward writes its input gradient (dX = G W^T) here
    m->dx = dx;
    gnnkd_status rc = gnnkd_model_backward(m, dlogits, d, g, msg);
    m->dx = NULL;
    return rc;
}
