/* kernels_ref.c — the plain versions of the kernels, compiled once: the
 * oracles the tests hold the fast kernels of kernels.c to. */
#include "gnn/kernels.h"

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
