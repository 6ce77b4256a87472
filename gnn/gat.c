/* gat.c — graph attention layers (Veličković et al. 2018) of a model: the
 * graph with self loops and its reverse edges, the attention scores, the
 * layer's forward and backward passes around the edge-softmax and SpMM
 * kernels, and ELU with dropout between layers. */
#include "gnn/kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

int gkd_gat_structure(gnnkd_model *m, const gnnkd_csr *adj, char *msg) {
    const int32_t n = adj->nrows;
    int64_t nnz = gnnkd_csr_nnz(adj) + n; // at most: one self loop per row added
    GKD_FREE(m->sl.rowptr);
    GKD_FREE(m->sl.colidx);
    GKD_FREE(m->rev);
    m->sl.rowptr = gkd_calloc((size_t)n + 1, sizeof *m->sl.rowptr);
    m->sl.colidx = gkd_calloc((size_t)nnz, sizeof *m->sl.colidx);
    m->rev = gkd_calloc((size_t)nnz, sizeof *m->rev);
    if (m->sl.rowptr == NULL || m->sl.colidx == NULL || m->rev == NULL) {
        GKD_FREE(m->sl.rowptr);
        GKD_FREE(m->sl.colidx);
        GKD_FREE(m->rev);
        gkd_msg(msg, "model: out of memory for the graph with self loops (%lld edges)",
                (long long)nnz);
        return GNNKD_ENOMEM;
    }
    m->sl.nrows = m->sl.ncols = n;
    int64_t e = 0;
    for (int32_t i = 0; i < n; i++) { // adj's columns ascend: merge i in
        int self = 0;
        for (int64_t k = adj->rowptr[i]; k < adj->rowptr[i + 1]; k++) {
            int32_t j = adj->colidx[k];
            if (!self && j >= i) {
                m->sl.colidx[e++] = i;
                self = 1;
                if (j == i) continue;
            }
            m->sl.colidx[e++] = j;
        }
        if (!self) m->sl.colidx[e++] = i;
        m->sl.rowptr[i + 1] = e;
    }
    // rev: edge (i, j) at k, its reverse (j, i) at the position of i in row
    // j; a cursor per row finds them in one pass, rows and columns ascending
    int64_t *next = gkd_calloc((size_t)n, sizeof *next);
    if (next == NULL) {
        gkd_msg(msg, "model: out of memory for the reverse edges");
        return GNNKD_ENOMEM;
    }
    for (int32_t j = 0; j < n; j++) next[j] = m->sl.rowptr[j];
    for (int32_t i = 0; i < n; i++)
        for (int64_t k = m->sl.rowptr[i]; k < m->sl.rowptr[i + 1]; k++) {
            int32_t j = m->sl.colidx[k];
            m->rev[k] = next[j]++; // row j meets i in ascending i order
        }
    free(next);
    return GNNKD_OK;
}

/* s (n, H) = per head, t_i,h . a_h, for both attention vectors. */
static void scores(float *sdst, float *ssrc, const float *t, const float *asrc, const float *adst,
                   int32_t n, int32_t H, int32_t F) {
    const int64_t lin = (int64_t)H * F;
#pragma omp parallel for schedule(static) if ((int64_t)n * lin > gkd_tuning.par_min)
    for (int32_t i = 0; i < n; i++)
        for (int32_t h = 0; h < H; h++) {
            const float *ti = t + i * lin + (int64_t)h * F;
            float sd = 0.0f, ss = 0.0f;
            for (int32_t f = 0; f < F; f++) {
                sd += ti[f] * adst[(int64_t)h * F + f];
                ss += ti[f] * asrc[(int64_t)h * F + f];
            }
            sdst[(int64_t)i * H + h] = sd;
            ssrc[(int64_t)i * H + h] = ss;
        }
}

void gkd_gat_layer_forward(gnnkd_model *m, float *out, int l, int32_t n, int training,
                           uint64_t key) {
    const gnnkd_model_spec *s = &m->spec;
    const gkd_layer_shape sh = gkd_layer_shape_of(s, l);
    const int32_t H = sh.heads, F = sh.f, o = s->dims[l + 1];
    const int mean = l == s->nlayers - 1;
    const float *asrc = m->w[l] + (int64_t)s->dims[l] * sh.lin, *adst = asrc + sh.lin;
    const float p = training ? s->attn_dropout : 0.0f;
    const double nnz = (double)gnnkd_csr_nnz(&m->sl);
    gnnkd_profile *prof = m->profile;
    GKD_PROFILED(prof, GNNKD_PROFILE_ELEMENTWISE, 4.0 * n * sh.lin, 4.0 * n * sh.lin + 8.0 * n * H,
                 scores(m->sdst[l], m->ssrc[l], m->lin[l], asrc, adst, n, H, F),
                 "GAT scores (n,%dx%d)", H, F);
    GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 6.0 * nnz * H, gkd_csr_bytes(&m->sl, 0) + 8.0 * nnz * H,
                 gkd_gat_softmax(m->alpha[l], m->alphad[l], &m->sl, m->sdst[l], m->ssrc[l], H, p, key),
                 "GAT edge softmax%s (nnz,%d)", p > 0.0f ? "+dropout" : "", H);
    GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * nnz * sh.lin,
                 gkd_csr_bytes(&m->sl, 0) + 4.0 * nnz * H + 4.0 * n * (sh.lin + o),
                 gkd_gat_spmm(out, &m->sl, m->alphad[l], NULL, m->lin[l], H, F, sh.lin, F,
                              mean ? 1.0f / (float)H : 1.0f, mean),
                 "GAT A*T (n,%dx%d)%s", H, F, mean ? " mean" : "");
    gkd_epilogue ep = {m->b[l], 0, 0.0f, 0};
    gkd_epilogue_forward(out, n, o, &ep);
}

void gkd_gat_layer_backward(gnnkd_model *m, const float *dz, int l, int32_t n) {
    const gnnkd_model_spec *s = &m->spec;
    const gkd_layer_shape sh = gkd_layer_shape_of(s, l);
    const int32_t H = sh.heads, F = sh.f, o = s->dims[l + 1];
    const int mean = l == s->nlayers - 1;
    const int64_t lin = sh.lin, dyrow = mean ? F : lin;
    const int32_t dyhead = mean ? 0 : F;
    const float dyscale = mean ? 1.0f / (float)H : 1.0f;
    const float *asrc = m->w[l] + (int64_t)s->dims[l] * lin, *adst = asrc + lin;
    float *dasrc = m->dw[l] + (int64_t)s->dims[l] * lin, *dadst = dasrc + lin;
    const float p = m->fwd_training ? s->attn_dropout : 0.0f;
    const uint64_t key = m->fwd_attn_key[l];
    const double nnz = (double)gnnkd_csr_nnz(&m->sl);
    gnnkd_profile *prof = m->profile;
    gkd_bias_backward_profiled(m->db[l], dz, n, o, prof);
    // the gradient of lin through the weighted sum: alpha^T dy
    GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * nnz * lin,
                 gkd_csr_bytes(&m->sl, 0) + 12.0 * nnz * H + 4.0 * n * (lin + o),
                 gkd_gat_spmm(m->t, &m->sl, m->alphad[l], m->rev, dz, H, F, dyrow, dyhead, dyscale, 0),
                 "GAT A^T*G (n,%dx%d)", H, F);
    GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * nnz * lin + 8.0 * nnz * H,
                 gkd_csr_bytes(&m->sl, 0) + 8.0 * nnz * H + 4.0 * n * (lin + o),
                 gkd_gat_softmax_backward(m->de, m->dsdst, &m->sl, m->alpha[l], m->lin[l], dz, dyrow,
                                          dyhead, dyscale, m->sdst[l], m->ssrc[l], H, F, p, key),
                 "GAT edge softmax backward (nnz,%d)", H);
    const int64_t *rp = m->sl.rowptr, *rev = m->rev;
    float *de = m->de, *dsdst = m->dsdst, *dssrc = m->dssrc, *t = m->lin[l], *gt = m->t;
    // dssrc: de summed by column, gathered through the reverse edges; then
    // the scores' gradient into lin's, and the attention vectors' (per
    // thread block of nodes, summed in block order: the same bits on any
    // thread count)
#pragma omp parallel for schedule(static) if (nnz * H > gkd_tuning.par_min)
    for (int32_t j = 0; j < n; j++) {
        for (int32_t h = 0; h < H; h++) dssrc[(int64_t)j * H + h] = 0.0f;
        for (int64_t k = rp[j]; k < rp[j + 1]; k++)
            for (int32_t h = 0; h < H; h++) dssrc[(int64_t)j * H + h] += de[rev[k] * H + h];
    }
#pragma omp parallel for schedule(static) if ((int64_t)n * lin > gkd_tuning.par_min)
    for (int32_t i = 0; i < n; i++)
        for (int32_t h = 0; h < H; h++) {
            const float gd = dsdst[(int64_t)i * H + h], gs = dssrc[(int64_t)i * H + h];
            float *gi = gt + i * lin + (int64_t)h * F;
            for (int32_t f = 0; f < F; f++)
                gi[f] += gd * adst[(int64_t)h * F + f] + gs * asrc[(int64_t)h * F + f];
        }
    for (int32_t i = 0; i < n; i++)
        for (int32_t h = 0; h < H; h++) {
            const float gd = dsdst[(int64_t)i * H + h], gs = dssrc[(int64_t)i * H + h];
            const float *ti = t + i * lin + (int64_t)h * F;
            for (int32_t f = 0; f < F; f++) {
                dadst[(int64_t)h * F + f] += gd * ti[f];
                dasrc[(int64_t)h * F + f] += gs * ti[f];
            }
        }
}
