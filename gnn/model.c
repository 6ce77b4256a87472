/* model.c — GCN and MLP models: shape specifications, parameters carved from
 * one allocation (as in llm.c), the forward and backward passes over all
 * nodes, and Adam. */
#include "gnn/kernels.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>

/* Widths beyond this are surely a typo, and keep every size product in range. */
#define GKD_MAX_WIDTH (1 << 20)
/* The counter stream of the weight initialisation; dropout uses the training
 * steps, which never get this far. */
#define GKD_INIT_STREAM UINT64_MAX

/* ---- specifications ------------------------------------------------------------ */

gnnkd_status gnnkd_model_spec_parse(gnnkd_model_spec *spec, const char *text, char *msg) {
    GKD_CLEAR_MSG;
    if (spec == NULL || text == NULL) {
        gkd_msg(msg, "gnnkd_model_spec_parse: spec and text must not be NULL");
        return GNNKD_EINVAL;
    }
    memset(spec, 0, sizeof *spec);
    const char *colon = strchr(text, ':');
    size_t klen = colon ? (size_t)(colon - text) : strlen(text);
    int32_t width;
    if (klen == 3 && !strncmp(text, "gcn", 3)) {
        spec->kind = GNNKD_MODEL_GCN;
        width = 16; // Kipf & Welling
    } else if (klen == 3 && !strncmp(text, "mlp", 3)) {
        spec->kind = GNNKD_MODEL_MLP;
        width = 64;
    } else {
        gkd_msg(msg, "model '%s': the kind must be gcn or mlp (e.g. gcn:16, mlp:256,256)", text);
        return GNNKD_EINVAL;
    }
    spec->dropout = 0.5f;
    if (colon == NULL) {
        spec->nlayers = 2;
        spec->dims[1] = width;
        return GNNKD_OK;
    }
    const char *p = colon + 1;
    int nhidden = 0;
    for (;;) {
        if (!isdigit((unsigned char)*p)) {
            gkd_msg(msg, "model '%s': expected a hidden width at '%s'", text, p);
            return GNNKD_EINVAL;
        }
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (errno != 0 || v <= 0 || v > GKD_MAX_WIDTH) {
            gkd_msg(msg, "model '%s': hidden widths must be 1..%d", text, GKD_MAX_WIDTH);
            return GNNKD_EINVAL;
        }
        if (nhidden == GNNKD_MAX_LAYERS - 1) {
            gkd_msg(msg, "model '%s': at most %d hidden layers", text, GNNKD_MAX_LAYERS - 1);
            return GNNKD_EINVAL;
        }
        spec->dims[1 + nhidden++] = (int32_t)v;
        p = end;
        if (*p == '\0') break;
        if (*p != ',') {
            gkd_msg(msg, "model '%s': unexpected '%c' after a width", text, *p);
            return GNNKD_EINVAL;
        }
        p++;
    }
    spec->nlayers = nhidden + 1;
    return GNNKD_OK;
}

void gnnkd_model_spec_format(char *buf, size_t len, const gnnkd_model_spec *spec) {
    if (buf == NULL || len == 0) return;
    size_t used = (size_t)snprintf(buf, len, "%s:", spec->kind == GNNKD_MODEL_MLP ? "mlp" : "gcn");
    for (int l = 1; l < spec->nlayers && used < len; l++)
        used += (size_t)snprintf(buf + used, len - used, l > 1 ? ",%d" : "%d", spec->dims[l]);
}

/* ---- parameters ----------------------------------------------------------------- */

/* Checks a complete spec (dims[0] and dims[nlayers] filled in) and counts its
 * parameters. */
int gkd_model_spec_check(int64_t *nparams, const gnnkd_model_spec *s, char *msg) {
    if (s->kind != GNNKD_MODEL_GCN && s->kind != GNNKD_MODEL_MLP) {
        gkd_msg(msg, "model: unknown kind %d", (int)s->kind);
        return GNNKD_EINVAL;
    }
    if (s->nlayers < GNNKD_MIN_LAYERS || s->nlayers > GNNKD_MAX_LAYERS) {
        gkd_msg(msg, "model: %d layers; %d..%d are supported", s->nlayers, GNNKD_MIN_LAYERS,
                GNNKD_MAX_LAYERS);
        return GNNKD_EINVAL;
    }
    if (!(s->dropout >= 0.0f && s->dropout < 1.0f)) {
        gkd_msg(msg, "model: dropout %g is not in [0, 1)", (double)s->dropout);
        return GNNKD_EINVAL;
    }
    int64_t total = 0;
    for (int l = 0; l <= s->nlayers; l++)
        if (s->dims[l] <= 0 || s->dims[l] > (l == 0 ? INT32_MAX : GKD_MAX_WIDTH)) {
            gkd_msg(msg, "model: layer dimension %d is %d%s", l, s->dims[l],
                    l == s->nlayers && s->dims[l] == 0 ? " (0 classes: the dataset has no labels)"
                    : l == 0 && s->dims[l] == 0        ? " (the dataset has no features)"
                                                       : "");
            return GNNKD_EINVAL;
        }
    for (int l = 0; l < s->nlayers; l++)
        total += (int64_t)s->dims[l] * s->dims[l + 1] + s->dims[l + 1]; // < 2^52 each
    *nparams = total;
    return GNNKD_OK;
}

/* Points w, b, dw, db into the flat arrays: layer by layer, W (in, out)
 * row-major, then b (out). */
static void carve(gnnkd_model *m) {
    int64_t off = 0;
    for (int l = 0; l < m->spec.nlayers; l++) {
        int64_t nw = (int64_t)m->spec.dims[l] * m->spec.dims[l + 1];
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
    // Glorot & Bengio (2010) uniform weights; zero biases (from calloc)
    for (int l = 0; l < s.nlayers; l++) {
        float r = sqrtf(6.0f / (float)(s.dims[l] + s.dims[l + 1]));
        uint64_t key = gkd_key(seed, GKD_INIT_STREAM, (uint64_t)l);
        int64_t nw = (int64_t)s.dims[l] * s.dims[l + 1];
        for (int64_t e = 0; e < nw; e++)
            (*m)->w[l][e] = r * (2.0f * gkd_uniform(key, (uint64_t)e) - 1.0f);
    }
    return GNNKD_OK;
}

void gnnkd_model_free(gnnkd_model **m) {
    if (m == NULL || *m == NULL) return;
    free((*m)->params);
    free((*m)->grads);
    free((*m)->adam_m);
    free((*m)->adam_v);
    free((*m)->ws);
    free((*m)->xd.rowptr);
    free((*m)->xd.colidx);
    free((*m)->xkeep);
    free(*m);
    *m = NULL;
}

const gnnkd_model_spec *gnnkd_model_get_spec(const gnnkd_model *m) { return &m->spec; }
int64_t gnnkd_model_num_params(const gnnkd_model *m) { return m->nparams; }

float *gkd_model_params(gnnkd_model *m) { return m->params; }
float *gkd_model_grads(gnnkd_model *m) { return m->grads; }

void gkd_model_zero_grad(gnnkd_model *m) {
    memset(m->grads, 0, sizeof *m->grads * (size_t)m->nparams);
}

void gkd_model_reset_adam(gnnkd_model *m) {
    memset(m->adam_m, 0, sizeof *m->adam_m * (size_t)m->nparams);
    memset(m->adam_v, 0, sizeof *m->adam_v * (size_t)m->nparams);
}

static int decayed(const gnnkd_train_options *o, int l) { return l == 0 || o->decay_all_layers; }

static double adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t);

double gkd_model_adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t) {
    double l2 = 0.0;
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
        int64_t nw = (int64_t)s->dims[l] * s->dims[l + 1], off = m->w[l] - m->params;
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
        int64_t nw = (int64_t)s->dims[l] * s->dims[l + 1], e = 0;
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
    return GNNKD_OK;
}

/* Sizes the workspace for d's n (and feature nnz) and the thread count, and
 * carves it; a no-op when they have not changed since the last call. */
static int workspace(gnnkd_model *m, const gnnkd_dataset *d, char *msg) {
    const gnnkd_model_spec *s = &m->spec;
    int L = s->nlayers, threads = omp_get_max_threads();
    int64_t nnz = is_sparse(d) ? gnnkd_csr_nnz(&d->x) : -1;
    // the dense dropout's blocks, by the tuning in force now
    int64_t rows = nnz < 0 && s->dropout > 0.0f ? gkd_drop_rows(s->dims[0]) : 0;
    if (rows > d->n) rows = d->n;
    if (m->ws && m->ws_n == d->n && m->ws_nnz == nnz && m->ws_threads == threads &&
        m->xin_rows == rows)
        return GNNKD_OK;
    GKD_FREE(m->ws);
    GKD_FREE(m->xd.rowptr);
    GKD_FREE(m->xd.colidx);
    GKD_FREE(m->xkeep);
    m->have_forward = 0;

    int64_t n = d->n, maxd = 0, total = 0;
    for (int l = 1; l <= L; l++) maxd = s->dims[l] > maxd ? s->dims[l] : maxd;
    int64_t sz_h[GNNKD_MAX_LAYERS];
    for (int l = 0; l < L; l++) {
        sz_h[l] = l > 0 ? n * s->dims[l] : 0;
        total += sz_h[l];
    }
    total += n * s->dims[L]; // the logits
    int64_t sz_xin = s->dropout > 0.0f ? (nnz >= 0 ? nnz : rows * s->dims[0]) : 0;
    int64_t sz_t = s->kind == GNNKD_MODEL_GCN ? n * maxd : 0; // X w and Â dz
    int nparts = nnz >= 0 && gkd_spmm_t_partials(n, s->dims[0]) ? threads - 1 : 0;
    int64_t sz_partial = (int64_t)nparts * s->dims[0] * s->dims[1];
    total += sz_xin + sz_t + 2 * n * maxd + sz_partial;

    float *p = gkd_calloc((size_t)total, sizeof *p);
    if (p == NULL) {
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
            GKD_FREE(m->xd.rowptr);
            GKD_FREE(m->xd.colidx);
            GKD_FREE(m->xkeep);
            gkd_msg(msg, "model: out of memory for the dropped features (%lld nonzeros)",
                   (long long)nnz);
            return GNNKD_ENOMEM;
        }
    }
    m->ws = p;
    for (int l = 0; l < L; l++) m->h[l] = l > 0 ? p : NULL, p += sz_h[l];
    m->logits = p, p += n * s->dims[L];
    m->xin = p, p += sz_xin;
    m->xd.val = m->xd.rowptr ? m->xin : NULL;
    m->t = sz_t ? p : NULL, p += sz_t;
    m->g1 = p, p += n * maxd;
    m->g2 = p, p += n * maxd;
    m->partial = p;
    m->nparts = nparts;
    m->ws_n = d->n;
    m->ws_nnz = nnz;
    m->ws_threads = threads;
    m->xin_rows = rows;
    return GNNKD_OK;
}

/* Layer l of the model on input (xs, xval) or inp, into out, ending with ep. */
static void layer_forward(gnnkd_model *m, float *out, const gnnkd_csr *ahat, int l,
                          const gnnkd_csr *xs, const float *xval, const float *inp, int32_t n,
                          const gkd_epilogue *ep) {
    int32_t i = m->spec.dims[l], o = m->spec.dims[l + 1];
    if (m->spec.kind == GNNKD_MODEL_GCN)
        gkd_gcn_forward(out, m->t, ahat, xs, xval, inp, m->w[l], ep, n, i, o, m->profile);
    else
        gkd_dense_forward(out, xs, xval, inp, m->w[l], ep, n, i, o, m->profile);
}

/* Layer 0 with dropout on its input: the dropped features are multiplied as
 * they are drawn. Sparse ones are kept in m->xd for the backward pass
 * (gkd_dropout_spmm); dense ones are never held whole
 * (gkd_dropout_matmul_forward). */
static void dropped_forward(gnnkd_model *m, float *out, const gnnkd_csr *ahat,
                            const gnnkd_dataset *d, uint64_t key, const gkd_epilogue *ep) {
    int32_t n = d->n, i = m->spec.dims[0], o = m->spec.dims[1];
    float p = m->spec.dropout;
    int gcn = m->spec.kind == GNNKD_MODEL_GCN;
    float *xw = gcn ? m->t : out;
    const gkd_epilogue *xep = gcn ? NULL : ep;
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
        if (!gcn)
            GKD_PROFILED(prof, GNNKD_PROFILE_ELEMENTWISE, (double)n * o, 8.0 * n * o + 4.0 * o,
                         gkd_epilogue_forward(out, n, o, ep), "%s (n,%d)",
                         gkd_epilogue_text(ep) + 1, o);
    }
    if (gcn)
        GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * (double)gnnkd_csr_nnz(ahat) * o,
                     gkd_csr_bytes(ahat, 1) + 8.0 * n * o, gkd_spmm(out, ahat, ahat->val, m->t, o, ep),
                     "A*T%s (n,%d)", gkd_epilogue_text(ep), o);
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
    const gnnkd_model_spec *s = &m->spec;
    int L = s->nlayers, drop = training && s->dropout > 0.0f;
    int32_t n = d->n;
    float p = s->dropout;
    const gnnkd_csr *ahat = gnnkd_graph_csr(g);

    // the first layer's input: sparse (xs, xval) or dense x0; after dropout,
    // sparse ones are m->xd
    const gnnkd_csr *xs = is_sparse(d) ? &d->x : NULL;
    const float *xval = xs ? d->x.val : NULL, *x0 = xs ? NULL : d->xdense;
    // layer l writes the next layer's input h[l + 1], after bias, ReLU and
    // dropout, in its epilogue; the last one the logits
    uint64_t key0 = gkd_key(seed, step, 0);
    for (int l = 0; l < L; l++) {
        int hidden = l < L - 1;
        float *out = hidden ? m->h[l + 1] : m->logits;
        gkd_epilogue ep = {m->b[l], hidden, drop && hidden ? p : 0.0f,
                          gkd_key(seed, step, (uint64_t)l + 1)};
        if (l == 0 && drop) {
            dropped_forward(m, out, ahat, d, key0, &ep);
            if (xs) xs = &m->xd, xval = m->xd.val;
        } else {
            layer_forward(m, out, ahat, l, l == 0 ? xs : NULL, l == 0 ? xval : NULL,
                          l == 0 ? x0 : m->h[l], n, &ep);
        }
    }
    m->have_forward = 1;
    m->fwd_dropout = drop;
    m->fwd_key0 = key0;
    m->fwd_xs = xs;
    m->fwd_xval = xval;
    m->fwd_x0 = x0;
    *logits = m->logits;
    return GNNKD_OK;
}

gnnkd_status gnnkd_model_backward(gnnkd_model *m, const float *dlogits, const gnnkd_dataset *d,
                                  const gnnkd_graph *g, char *msg) {
    GKD_CLEAR_MSG;
    if (m == NULL || dlogits == NULL) {
        gkd_msg(msg, "gnnkd_model_backward: m and dlogits must not be NULL");
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
    const gnnkd_csr *ahat = gnnkd_graph_csr(g);
    const gnnkd_csr *xs = m->fwd_xs;
    int32_t n = d->n;
    float p = s->dropout;
    // dz: the gradient of layer l's output; dh: of the layer before's, past
    // its ReLU and dropout, and with the layer before's bias gradient: layer
    // l's backward pass gates and sums it as it goes (gate)
    const float *dz = dlogits;
    const float scale = m->fwd_dropout ? 1.0f / (1.0f - p) : 1.0f;
    for (int l = s->nlayers - 1; l >= 0; l--) {
        int32_t i = s->dims[l], o = s->dims[l + 1];
        float *dh = l == 0 ? NULL : dz == m->g1 ? m->g2 : m->g1;
        const float *inp = l > 0 ? m->h[l] : m->fwd_x0;
        const gnnkd_csr *lxs = l > 0 ? NULL : xs;
        float *db = l == s->nlayers - 1 ? m->db[l] : NULL; // else the layer above's gate did it
        const gkd_gate gate = {scale, l > 0 ? m->db[l - 1] : NULL}, *lg = l > 0 ? &gate : NULL;
        if (l == 0 && !xs && m->fwd_dropout) { // dropped dense features
            const float *gz = dz;
            if (db) gkd_bias_backward_profiled(db, dz, n, o, m->profile);
            if (s->kind == GNNKD_MODEL_GCN) { // Â^T dz = Â dz
                GKD_PROFILED(m->profile, GNNKD_PROFILE_ADJACENCY,
                             2.0 * (double)gnnkd_csr_nnz(ahat) * o,
                             gkd_csr_bytes(ahat, 1) + 8.0 * n * o,
                             gkd_spmm(m->t, ahat, ahat->val, dz, o, NULL), "A*T (n,%d)", o);
                gz = m->t;
            }
            GKD_PROFILED(m->profile, GNNKD_PROFILE_GEMM, 2.0 * n * i * o + (double)n * i,
                         8.0 * n * i + 4.0 * ((double)n * o + 2.0 * i * o),
                         gkd_dropout_matmul_backward(m->dw[0], m->xin, m->xin_rows, gz, inp, m->w[0], n, i, o,
                                                     p, m->fwd_key0),
                         "X^T*G+dropout X (%d,n)x(n,%d)", i, o);
        } else if (s->kind == GNNKD_MODEL_GCN)
            gkd_gcn_backward(dh, m->dw[l], db, m->t, m->partial, m->nparts, dz, ahat, lxs,
                            m->fwd_xval, inp, m->w[l], n, i, o, lg, m->profile);
        else
            gkd_dense_backward(dh, m->dw[l], db, m->partial, m->nparts, dz, lxs,
                              m->fwd_xval, inp, m->w[l], n, i, o, lg, m->profile);
        dz = dh;
    }
    return GNNKD_OK;
}
