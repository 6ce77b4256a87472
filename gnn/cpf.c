/* cpf.c — CPF's student (Yang, Liu & Shi, WWW 2021, the inductive PLP of
 * their code): parameterised label propagation from the training labels
 * over the graph with self loops, edge weights a softmax of a feature score
 * of the neighbour, mixed at each step with the feature-transformation
 * MLP's output (model.c computes it into m->logits) through a per-node gate
 * on the features. Their code's gate is a free parameter per node; a gate
 * on the features serves nodes never seen in training as well. */
#include "gnn/kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

struct gkd_cpf {
    int32_t n, C, K;
    int64_t E;
    int32_t *cls;      /* (n) the clamped class of a training node, else -1 */
    float *el, *gate;  /* (n) a . x_j; g_i */
    float *alpha;      /* (E) the softmax over each row of sl */
    float *h;          /* (K + 1, n, C) the states; h_K the output */
    float *s;          /* (K, n, C) each step's propagated labels before the gate */
    float *dalpha;     /* (E) */
    float *dh, *ds, *df; /* (n, C) each */
    float *dgate, *del; /* (n) each */
    float p;           /* the last forward's attention dropout */
    uint64_t key;      /* and its masks' key */
};

void gkd_cpf_free(gnnkd_model *m) {
    if (m->cpf == NULL) return;
    free(m->cpf->cls);
    free(m->cpf->el);
    free(m->cpf);
    m->cpf = NULL;
}

int gkd_cpf_alloc(gnnkd_model *m, int32_t n, char *msg) {
    gkd_cpf_free(m);
    const int32_t C = m->spec.dims[m->spec.nlayers], K = m->spec.steps;
    const int64_t E = gnnkd_csr_nnz(&m->sl), nc = (int64_t)n * C;
    const int64_t total = 4 * (int64_t)n + 2 * E + (2 * (int64_t)K + 1) * nc + 3 * nc;
    struct gkd_cpf *c = gkd_calloc(1, sizeof *c);
    float *p = gkd_calloc((size_t)total, sizeof *p);
    int32_t *cls = gkd_calloc((size_t)n, sizeof *cls);
    if (c == NULL || p == NULL || cls == NULL) {
        free(c);
        free(p);
        free(cls);
        gkd_msg(msg, "model: out of memory for CPF's propagation (%lld floats)", (long long)total);
        return GNNKD_ENOMEM;
    }
    *c = (struct gkd_cpf){.n = n, .C = C, .K = K, .E = E, .cls = cls};
    c->el = p, p += n;
    c->gate = p, p += n;
    c->dgate = p, p += n;
    c->del = p, p += n;
    c->alpha = p, p += E;
    c->dalpha = p, p += E;
    c->h = p, p += (K + 1) * nc;
    c->s = p, p += K * nc;
    c->dh = p, p += nc;
    c->ds = p, p += nc;
    c->df = p;
    m->cpf = c;
    return GNNKD_OK;
}

/* x_i . v over d's features (sparse, a pattern, or dense). */
static float row_dot(const gnnkd_dataset *d, int32_t i, const float *v) {
    float acc = 0.0f;
    if (d->x.rowptr) {
        for (int64_t k = d->x.rowptr[i]; k < d->x.rowptr[i + 1]; k++)
            acc += (d->x.val ? d->x.val[k] : 1.0f) * v[d->x.colidx[k]];
    } else {
        const float *x = d->xdense + (int64_t)i * d->nfeat;
        for (int32_t f = 0; f < d->nfeat; f++) acc += x[f] * v[f];
    }
    return acc;
}

/* out (nfeat) += X^T coef, coef (n); serial: the same bits on any thread count. */
static void xt_accumulate(float *out, const gnnkd_dataset *d, const float *coef) {
    for (int32_t i = 0; i < d->n; i++) {
        const float g = coef[i];
        if (g == 0.0f) continue;
        if (d->x.rowptr) {
            for (int64_t k = d->x.rowptr[i]; k < d->x.rowptr[i + 1]; k++)
                out[d->x.colidx[k]] += g * (d->x.val ? d->x.val[k] : 1.0f);
        } else {
            const float *x = d->xdense + (int64_t)i * d->nfeat;
            for (int32_t f = 0; f < d->nfeat; f++) out[f] += g * x[f];
        }
    }
}

/* The factor of edge e's weight at step k: its dropout mask over 1 - p. */
static inline float kept(uint64_t key, int64_t e, uint32_t threshold, float scale) {
    return gkd_mask_bits(key, e) >= threshold ? scale : 0.0f;
}

const float *gkd_cpf_forward(gnnkd_model *m, const gnnkd_dataset *d, int training, uint64_t key) {
    struct gkd_cpf *c = m->cpf;
    const gnnkd_model_spec *s = &m->spec;
    const int32_t n = c->n, C = c->C, K = c->K, F = s->dims[0];
    const int64_t nc = (int64_t)n * C;
    const float *a = m->w[s->nlayers - 1] + (int64_t)s->dims[s->nlayers - 1] * C;
    const float *wg = a + F, bg = wg[F];
    const float *f = m->logits;
    const int64_t *rp = m->sl.rowptr;
    const int32_t *col = m->sl.colidx;
    c->p = training ? s->attn_dropout : 0.0f;
    c->key = key;
    const uint32_t threshold = gkd_keep_threshold(c->p);
    const float scale = 1.0f / (1.0f - c->p);
    // clamped nodes: the training split's, from d (it may differ between calls)
    for (int32_t i = 0; i < n; i++) c->cls[i] = -1;
    for (int32_t t = 0; t < d->nsplit[GNNKD_TRAIN]; t++) {
        int32_t i = d->split[GNNKD_TRAIN][t];
        if (i >= 0 && i < n && d->label[i] >= 0 && d->label[i] < C) c->cls[i] = d->label[i];
    }
    const double work = (double)gnnkd_csr_nnz(&m->sl) * C * K + (double)n * F;
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
    for (int32_t i = 0; i < n; i++) {
        c->el[i] = row_dot(d, i, a);
        c->gate[i] = 1.0f / (1.0f + expf(-(row_dot(d, i, wg) + bg)));
    }
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
    for (int32_t i = 0; i < n; i++) { // every row has its self loop: never empty
        float mx = -INFINITY, sum = 0.0f;
        for (int64_t e = rp[i]; e < rp[i + 1]; e++) mx = fmaxf(mx, c->el[col[e]]);
        for (int64_t e = rp[i]; e < rp[i + 1]; e++) sum += c->alpha[e] = expf(c->el[col[e]] - mx);
        for (int64_t e = rp[i]; e < rp[i + 1]; e++) c->alpha[e] /= sum;
    }
    for (int32_t i = 0; i < n; i++)
        for (int32_t k = 0; k < C; k++)
            c->h[(int64_t)i * C + k] = c->cls[i] < 0 ? 1.0f / (float)C : (float)(c->cls[i] == k);
    for (int32_t step = 1; step <= K; step++) {
        const float *hp = c->h + (step - 1) * nc;
        float *hs = c->h + step * nc, *ps = c->s + (step - 1) * nc;
        const uint64_t ks = gkd_key(key, (uint64_t)step, 0);
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
        for (int32_t i = 0; i < n; i++) {
            float *hi = hs + (int64_t)i * C, *pi = ps + (int64_t)i * C;
            if (c->cls[i] >= 0) {
                for (int32_t k = 0; k < C; k++) hi[k] = (float)(c->cls[i] == k), pi[k] = 0.0f;
                continue;
            }
            for (int32_t k = 0; k < C; k++) pi[k] = 0.0f;
            for (int64_t e = rp[i]; e < rp[i + 1]; e++) {
                const float w = c->alpha[e] * (c->p > 0.0f ? kept(ks, e, threshold, scale) : 1.0f);
                const float *hj = hp + (int64_t)col[e] * C;
                for (int32_t k = 0; k < C; k++) pi[k] += w * hj[k];
            }
            const float g = c->gate[i], *fi = f + (int64_t)i * C;
            for (int32_t k = 0; k < C; k++) hi[k] = fmaxf(g * pi[k] + (1.0f - g) * fi[k], 0.0f);
        }
    }
    return c->h + K * nc;
}

const float *gkd_cpf_backward(gnnkd_model *m, const float *dout, const gnnkd_dataset *d) {
    struct gkd_cpf *c = m->cpf;
    const gnnkd_model_spec *s = &m->spec;
    const int32_t n = c->n, C = c->C, K = c->K, F = s->dims[0];
    const int64_t nc = (int64_t)n * C;
    const int64_t off = (int64_t)s->dims[s->nlayers - 1] * C;
    float *da = m->dw[s->nlayers - 1] + off, *dwg = da + F;
    const float *f = m->logits;
    const int64_t *rp = m->sl.rowptr, *rev = m->rev;
    const int32_t *col = m->sl.colidx;
    const uint32_t threshold = gkd_keep_threshold(c->p);
    const float scale = 1.0f / (1.0f - c->p);
    const double work = (double)gnnkd_csr_nnz(&m->sl) * C * K + (double)n * F;
    memcpy(c->dh, dout, (size_t)nc * sizeof *c->dh);
    memset(c->df, 0, (size_t)nc * sizeof *c->df);
    memset(c->dgate, 0, (size_t)n * sizeof *c->dgate);
    memset(c->dalpha, 0, (size_t)c->E * sizeof *c->dalpha);
    for (int32_t step = K; step >= 1; step--) {
        const float *hp = c->h + (step - 1) * nc, *hs = c->h + step * nc;
        const float *ps = c->s + (step - 1) * nc;
        const uint64_t ks = gkd_key(c->key, (uint64_t)step, 0);
        // through the ReLU and the gate; a clamped node passes nothing back
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
        for (int32_t i = 0; i < n; i++) {
            float *dsi = c->ds + (int64_t)i * C;
            if (c->cls[i] >= 0) {
                for (int32_t k = 0; k < C; k++) dsi[k] = 0.0f;
                continue;
            }
            const float g = c->gate[i];
            const int64_t r = (int64_t)i * C;
            float dg = 0.0f;
            for (int32_t k = 0; k < C; k++) {
                const float dz = hs[r + k] > 0.0f ? c->dh[r + k] : 0.0f;
                dg += dz * (ps[r + k] - f[r + k]);
                c->df[r + k] += (1.0f - g) * dz;
                dsi[k] = g * dz;
            }
            c->dgate[i] += dg;
            for (int64_t e = rp[i]; e < rp[i + 1]; e++) {
                const float *hj = hp + (int64_t)col[e] * C;
                float acc = 0.0f;
                for (int32_t k = 0; k < C; k++) acc += dsi[k] * hj[k];
                c->dalpha[e] += acc * (c->p > 0.0f ? kept(ks, e, threshold, scale) : 1.0f);
            }
        }
        if (step == 1) break; // h_0 is constant
        // dh_{k-1,j} = sum_i alpha~_ij ds_i: row j's reverse edges, gathered
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
        for (int32_t j = 0; j < n; j++) {
            float *dhj = c->dh + (int64_t)j * C;
            for (int32_t k = 0; k < C; k++) dhj[k] = 0.0f;
            for (int64_t e = rp[j]; e < rp[j + 1]; e++) {
                const int64_t q = rev[e];
                const float w = c->alpha[q] * (c->p > 0.0f ? kept(ks, q, threshold, scale) : 1.0f);
                const float *dsi = c->ds + (int64_t)col[e] * C;
                for (int32_t k = 0; k < C; k++) dhj[k] += w * dsi[k];
            }
        }
    }
    // the softmax's backward pass in place: dalpha becomes the scores' gradient
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
    for (int32_t i = 0; i < n; i++) {
        float dot = 0.0f;
        for (int64_t e = rp[i]; e < rp[i + 1]; e++) dot += c->alpha[e] * c->dalpha[e];
        for (int64_t e = rp[i]; e < rp[i + 1]; e++) c->dalpha[e] = c->alpha[e] * (c->dalpha[e] - dot);
    }
    // the scores' gradient by source node, and the gate's
    float *del = c->del;
    float dc = 0.0f;
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min)
    for (int32_t j = 0; j < n; j++) {
        float acc = 0.0f;
        for (int64_t e = rp[j]; e < rp[j + 1]; e++) acc += c->dalpha[rev[e]];
        del[j] = acc;
        c->dgate[j] *= c->gate[j] * (1.0f - c->gate[j]);
    }
    for (int32_t i = 0; i < n; i++) dc += c->dgate[i];
    xt_accumulate(da, d, del);
    xt_accumulate(dwg, d, c->dgate);
    dwg[F] += dc;
    return c->df;
}
