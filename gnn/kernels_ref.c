/* kernels_ref.c — the plain versions of the kernels, compiled once: the
 * oracles the tests hold the fast kernels of kernels.c to. */
#include "gnn/kernels.h"

#include <math.h>
#include <string.h>

/* ---- sparse and dense products -------------------------------------------------- */

void gkd_spmm_ref(float *y, const gnnkd_csr *a, const float *val, const float *x, int32_t h) {
    for (int64_t r = 0; r < a->nrows; r++)
        for (int32_t c = 0; c < h; c++) {
            double s = 0.0;
            for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
                s += (double)(val ? val[k] : 1.0f) * x[(int64_t)a->colidx[k] * h + c];
            y[r * h + c] = (float)s;
        }
}

void gkd_spmm_t_ref(float *dx, const gnnkd_csr *a, const float *val, const float *g, int32_t h) {
    for (int64_t r = 0; r < a->nrows; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
            for (int32_t c = 0; c < h; c++)
                dx[(int64_t)a->colidx[k] * h + c] += (val ? val[k] : 1.0f) * g[r * h + c];
}

void gkd_matmul_forward_ref(float *out, const float *inp, const float *w, int64_t n, int32_t i,
                           int32_t o) {
    for (int64_t r = 0; r < n; r++)
        for (int32_t c = 0; c < o; c++) {
            double s = 0.0;
            for (int32_t k = 0; k < i; k++) s += (double)inp[r * i + k] * w[(int64_t)k * o + c];
            out[r * o + c] = (float)s;
        }
}

void gkd_matmul_backward_ref(float *dinp, float *dw, const float *dout, const float *inp,
                            const float *w, int64_t n, int32_t i, int32_t o) {
    if (dinp) memset(dinp, 0, sizeof *dinp * (size_t)n * (size_t)i);
    for (int64_t r = 0; r < n; r++)
        for (int32_t k = 0; k < i; k++)
            for (int32_t c = 0; c < o; c++) {
                if (dinp) dinp[r * i + k] += dout[r * o + c] * w[(int64_t)k * o + c];
                dw[(int64_t)k * o + c] += inp[r * i + k] * dout[r * o + c];
            }
}

/* ---- ReLU and dropout ------------------------------------------------------------ */

void gkd_relu_forward(float *out, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min_stream)
    for (int64_t e = 0; e < len; e++) out[e] = inp[e] > 0.0f ? inp[e] : 0.0f;
}

void gkd_relu_backward(float *dinp, const float *dout, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min_stream)
    for (int64_t e = 0; e < len; e++)
        dinp[e] += inp[e] > 0.0f ? dout[e] : 0.0f;
}

void gkd_dropout_backward(float *dinp, const float *dout, int64_t len, float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = gkd_keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min)
    for (int64_t e = 0; e < len; e++)
        dinp[e] += gkd_keep_or_zero(dout[e] * scale, gkd_mask_bits(key, e), threshold);
}

/* ---- graph attention and GraphSAGE ------------------------------------------------ */

void gkd_gat_softmax_ref(float *alpha, float *alphad, const gnnkd_csr *a, const float *sdst,
                         const float *ssrc, int32_t H, float p, uint64_t key) {
    for (int64_t i = 0; i < a->nrows; i++)
        for (int32_t h = 0; h < H; h++) {
            double mx = -INFINITY, sum = 0.0;
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
                double e = (double)sdst[i * H + h] + ssrc[(int64_t)a->colidx[k] * H + h];
                e = e > 0.0 ? e : GKD_GAT_SLOPE * e;
                mx = e > mx ? e : mx;
            }
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
                double e = (double)sdst[i * H + h] + ssrc[(int64_t)a->colidx[k] * H + h];
                e = e > 0.0 ? e : GKD_GAT_SLOPE * e;
                sum += exp(e - mx);
            }
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
                double e = (double)sdst[i * H + h] + ssrc[(int64_t)a->colidx[k] * H + h];
                e = e > 0.0 ? e : GKD_GAT_SLOPE * e;
                float v = (float)(exp(e - mx) / sum);
                alpha[k * H + h] = v;
                alphad[k * H + h] = v;
            }
        }
    const uint32_t threshold = gkd_keep_threshold(p);
    for (int64_t e = 0; p > 0.0f && e < gnnkd_csr_nnz(a) * H; e++)
        alphad[e] = gkd_mask_bits(key, e) >= threshold ? alphad[e] / (1.0f - p) : 0.0f;
}

void gkd_gat_spmm_ref(float *y, const gnnkd_csr *a, const float *alpha, const int64_t *perm,
                      const float *x, int32_t H, int32_t F, int64_t xrow, int32_t xhead,
                      float scale, int mean) {
    int64_t yrow = mean ? F : (int64_t)H * F;
    for (int64_t i = 0; i < a->nrows; i++)
        for (int64_t c = 0; c < yrow; c++) {
            double s = 0.0;
            for (int32_t h = 0; h < H; h++) {
                if (!mean && c / F != h) continue;
                for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
                    s += (double)alpha[(perm ? perm[k] : k) * H + h] *
                         x[(int64_t)a->colidx[k] * xrow + (int64_t)h * xhead + c % F];
            }
            y[i * yrow + c] = (float)(s * scale);
        }
}

void gkd_gat_softmax_backward_ref(float *de, float *dsdst, const gnnkd_csr *a, const float *alpha,
                                  const float *t, const float *dy, int64_t dyrow, int32_t dyhead,
                                  float dyscale, const float *sdst, const float *ssrc, int32_t H,
                                  int32_t F, float p, uint64_t key) {
    const uint32_t threshold = gkd_keep_threshold(p);
    for (int64_t i = 0; i < a->nrows; i++)
        for (int32_t h = 0; h < H; h++) {
            double s = 0.0, row = 0.0;
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
                double g = 0.0;
                for (int32_t f = 0; f < F; f++)
                    g += (double)dy[i * dyrow + (int64_t)h * dyhead + f] *
                         t[(int64_t)a->colidx[k] * H * F + (int64_t)h * F + f];
                g *= dyscale;
                if (p > 0.0f) g = gkd_mask_bits(key, k * H + h) >= threshold ? g / (1.0 - p) : 0.0;
                de[k * H + h] = (float)g;
                s += alpha[k * H + h] * g;
            }
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
                double e = (double)sdst[i * H + h] + ssrc[(int64_t)a->colidx[k] * H + h];
                double g = alpha[k * H + h] * (de[k * H + h] - s) * (e > 0.0 ? 1.0 : GKD_GAT_SLOPE);
                de[k * H + h] = (float)g;
                row += g;
            }
            dsdst[i * H + h] = (float)row;
        }
}

void gkd_sage_aggregate_ref(float *y, const gnnkd_csr *a, const float *invdeg, const float *t,
                            int32_t o) {
    for (int64_t i = 0; i < a->nrows; i++)
        for (int32_t c = 0; c < o; c++) {
            double s = 0.0;
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
                s += t[(int64_t)a->colidx[k] * 2 * o + o + c];
            y[i * o + c] = (float)(t[i * 2 * o + c] + invdeg[i] * s);
        }
}

void gkd_sage_scatter_ref(float *g, const gnnkd_csr *a, const float *invdeg, const float *dz,
                          int32_t o) {
    for (int64_t i = 0; i < a->nrows; i++)
        for (int32_t c = 0; c < o; c++) {
            double s = 0.0;
            for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
                s += (double)invdeg[a->colidx[k]] * dz[(int64_t)a->colidx[k] * o + c];
            g[i * 2 * o + c] = dz[i * o + c];
            g[i * 2 * o + o + c] = (float)s;
        }
}

/* ELU and dropout between GAT layers, element by element (the references
 * of the fused kernels). */
void gkd_elu_dropout_forward_ref(float *h, const float *z, int64_t len, float p, uint64_t key) {
    const float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const uint32_t threshold = gkd_keep_threshold(p);
    for (int64_t e = 0; e < len; e++) {
        float v = z[e] > 0.0f ? z[e] : gkd_exp_neg(z[e] < 0.0f ? z[e] : 0.0f) - 1.0f;
        h[e] = p > 0.0f ? gkd_keep_or_zero(v * scale, gkd_mask_bits(key, e), threshold) : v;
    }
}

void gkd_elu_dropout_backward_ref(float *dh, const float *h, const float *z, int64_t len, float p,
                              uint64_t key) {
    // ELU'(z) = ELU(z) + 1 for z <= 0, read off the kept h = ELU(z) scale:
    // no exponential; dropped elements are masked off anyway
    const float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f, keep = 1.0f - p;
    const uint32_t threshold = gkd_keep_threshold(p);
    for (int64_t e = 0; e < len; e++) {
        float g = dh[e] * scale * (z[e] > 0.0f ? 1.0f : h[e] * keep + 1.0f);
        dh[e] = p > 0.0f ? gkd_keep_or_zero(g, gkd_mask_bits(key, e), threshold) : g;
    }
}

/* exact_rows term by term: the parts by nearbyint (ties to even, as the
 * kernel's rounding by addition), no skipped zeros. */
void gkd_exact_rows_ref(double *s, const gnnkd_csr *xs, const float *xval, const float *x,
                        const float *g, int64_t r0, int64_t r1, int32_t i, int32_t o) {
    for (int64_t r = r0; r < r1; r++)
        for (int32_t k = 0; k < i; k++) {
            float xk = x ? x[r * i + k] : 0.0f;
            for (int64_t e = xs ? xs->rowptr[r] : 0; xs && e < xs->rowptr[r + 1]; e++)
                if (xs->colidx[e] == k) xk = xval ? xval[e] : 1.0f;
            for (int32_t c = 0; c < o; c++) {
                double p = (double)xk * g[r * o + c] * GKD_EXACT_SCALE_A, a = nearbyint(p);
                s[2 * (int64_t)k * o + c] += a;
                s[2 * (int64_t)k * o + o + c] += nearbyint((p - a) * GKD_EXACT_SCALE_B);
            }
        }
}
