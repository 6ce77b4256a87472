/* layers.c — the layers of the models, each a forward and a backward pass
 * over flat arrays, built from the kernels of kernels.c. */
#include "kernels.h"

#include <string.h>

/* ---- X w, for a sparse or a dense X ---------------------------------------- */

void gk_linear_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                       const float *w, int32_t n, int32_t i, int32_t o) {
    // out is (n, o), X is (n, i) sparse (xs, xval) or dense inp, w is (i, o)
    if (xs)
        gk_spmm(out, xs, xval, w, o);
    else
        gk_matmul_forward(out, inp, w, n, i, o);
}

void gk_linear_backward(float *dinp, float *dw, float *partial, int nparts, const float *dout,
                        const gnnkd_csr *xs, const float *xval, const float *inp,
                        const float *w, int32_t n, int32_t i, int32_t o) {
    // dinp is (n, i) or NULL, dw is (i, o), dout is (n, o)
    if (xs)
        gk_spmm_t(dw, partial, nparts, xs, xval, dout, o); // the input gradient is never needed
    else
        gk_matmul_backward(dinp, dw, dout, inp, w, n, i, o);
}

/* ---- bias ---------------------------------------------------------------------- */

void gk_bias_forward(float *out, const float *b, int32_t n, int32_t o) {
    // out is (n, o), b is (o)
#pragma omp parallel for schedule(static) if ((int64_t)n * o > GK_PAR_MIN)
    for (int32_t r = 0; r < n; r++)
        for (int32_t c = 0; c < o; c++) out[(int64_t)r * o + c] += b[c];
}

void gk_bias_backward(float *db, const float *dout, int32_t n, int32_t o) {
    // db is (o), dout is (n, o); serial so the sum's order never changes
    for (int32_t r = 0; r < n; r++)
        for (int32_t c = 0; c < o; c++) db[c] += dout[(int64_t)r * o + c];
}

/* ---- fully connected ----------------------------------------------------------- */

void gk_dense_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                      const float *w, const float *b, int32_t n, int32_t i, int32_t o) {
    // out is (n, o), X is (n, i), w is (i, o), b is (o)
    gk_linear_forward(out, xs, xval, inp, w, n, i, o);
    gk_bias_forward(out, b, n, o);
}

void gk_dense_backward(float *dinp, float *dw, float *db, float *partial, int nparts,
                       const float *dout, const gnnkd_csr *xs, const float *xval,
                       const float *inp, const float *w, int32_t n, int32_t i, int32_t o) {
    gk_bias_backward(db, dout, n, o);
    gk_linear_backward(dinp, dw, partial, nparts, dout, xs, xval, inp, w, n, i, o);
}

/* ---- graph convolution --------------------------------------------------------- */

void gk_gcn_forward(float *out, float *t, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                    const float *xval, const float *inp, const float *w, const float *b,
                    int32_t n, int32_t i, int32_t o) {
    // out is (n, o), t is (n, o), ahat is (n, n), X is (n, i), w is (i, o), b is (o)
    gk_linear_forward(t, xs, xval, inp, w, n, i, o);
    gk_spmm(out, ahat, ahat->val, t, o);
    gk_bias_forward(out, b, n, o);
}

void gk_gcn_backward(float *dinp, float *dw, float *db, float *gt, float *partial, int nparts,
                     const float *dout, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                     const float *xval, const float *inp, const float *w, int32_t n,
                     int32_t i, int32_t o) {
    // gt is (n, o): the gradient of t = X w, which is Â^T dout = Â dout
    gk_bias_backward(db, dout, n, o);
    gk_spmm(gt, ahat, ahat->val, dout, o);
    gk_linear_backward(dinp, dw, partial, nparts, gt, xs, xval, inp, w, n, i, o);
}

/* ---- ReLU and dropout ------------------------------------------------------------ */

void gk_relu_forward(float *out, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++) out[e] = inp[e] > 0.0f ? inp[e] : 0.0f;
}

void gk_relu_backward(float *dinp, const float *dout, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++)
        dinp[e] += inp[e] > 0.0f ? dout[e] : 0.0f;
}

/* The mask is SplitMix64 (Steele, Lea & Flood 2014) over the pair counter
 * e / 2, each 64-bit output deciding two elements by its 32-bit halves: a
 * pure function of (key, e), so any thread count draws the same mask, at a
 * quarter of the hashing of one gk_uniform (two mixes) per element. With
 * keep_or_zero, on PubMed's 19717 x 256 hidden layer: 53 ms -> 5.5 ms. */
#define GK_GOLDEN 0x9e3779b97f4a7c15ULL

static inline uint32_t keep_threshold(float p) { return (uint32_t)((double)p * 4294967296.0); }

static inline int kept(uint64_t key, int64_t e, uint32_t threshold) {
    uint64_t r = gk_mix64(key + (uint64_t)(e >> 1) * GK_GOLDEN);
    return (uint32_t)(r >> (32 * (e & 1))) >= threshold;
}

/* x if bits >= threshold, else +0, without a branch: the mask is a coin
 * toss, and mispredicted branches cost more than the hashing did. */
static inline float keep_or_zero(float x, uint32_t bits, uint32_t threshold) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u &= 0u - (uint32_t)(bits >= threshold);
    memcpy(&x, &u, sizeof x);
    return x;
}

void gk_dropout_forward(float *out, const float *inp, int64_t len, float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t q = 0; q < (len + 1) / 2; q++) {
        uint64_t r = gk_mix64(key + (uint64_t)q * GK_GOLDEN); // == kept(key, 2q or 2q+1)
        int64_t e = 2 * q;
        out[e] = keep_or_zero(inp[e] * scale, (uint32_t)r, threshold);
        if (e + 1 < len) out[e + 1] = keep_or_zero(inp[e + 1] * scale, (uint32_t)(r >> 32), threshold);
    }
}

void gk_dropout_backward(float *dinp, const float *dout, int64_t len, float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++)
        if (kept(key, e, threshold)) dinp[e] += dout[e] * scale;
}

GK_VECTOR void gk_relu_dropout_backward(float *restrict dinp, const float *restrict dout,
                                        const float *restrict out, int64_t len, float scale) {
    // a bit mask, not a select: GCC left the select a branch per element,
    // mispredicted half the time (PubMed (n, 256): 15.3 -> 2.2 ms). A mask
    // rather than a 0/1 factor keeps dropped gradients +0, never -0.
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++)
        dinp[e] = keep_or_zero(dout[e] * scale, out[e] > 0.0f, 1);
}

void gk_relu_dropout_forward(float *out, const float *inp, int64_t len, float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t q = 0; q < (len + 1) / 2; q++) {
        uint64_t r = gk_mix64(key + (uint64_t)q * GK_GOLDEN); // as gk_dropout_forward
        int64_t e = 2 * q;
        float a = inp[e] > 0.0f ? inp[e] : 0.0f;
        out[e] = keep_or_zero(a * scale, (uint32_t)r, threshold);
        if (e + 1 < len) {
            float b = inp[e + 1] > 0.0f ? inp[e + 1] : 0.0f;
            out[e + 1] = keep_or_zero(b * scale, (uint32_t)(r >> 32), threshold);
        }
    }
}

void gk_dropout_csr(gnnkd_csr *out, const gnnkd_csr *x, float p, uint64_t key) {
    // out's arrays hold x's nnz; one serial pass, branch-free appends
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = keep_threshold(p);
    int64_t j = 0;
    uint64_t r = 0;
    out->nrows = x->nrows;
    out->ncols = x->ncols;
    out->rowptr[0] = 0;
    for (int32_t row = 0; row < x->nrows; row++) {
        for (int64_t k = x->rowptr[row]; k < x->rowptr[row + 1]; k++) {
            if (k == x->rowptr[row] || !(k & 1)) r = gk_mix64(key + (uint64_t)(k >> 1) * GK_GOLDEN);
            uint32_t bits = (uint32_t)(r >> (32 * (k & 1)));
            out->colidx[j] = x->colidx[k];
            out->val[j] = (x->val ? x->val[k] : 1.0f) * scale;
            j += bits >= threshold;
        }
        out->rowptr[row + 1] = j;
    }
}

/* ---- X w for X = dropout(a dense input), never materialised --------------- */

/* Block b of rows starts at element e0 = b GK_DROP_ROWS i, which is even, so
 * its mask is gk_dropout_forward's from the pair counter e0 / 2 on: the same
 * key advanced by e0 / 2 steps. */
static uint64_t block_key(uint64_t key, int64_t r0, int32_t i) {
    return key + (uint64_t)(r0 * i / 2) * GK_GOLDEN;
}

void gk_dropout_matmul_forward(float *out, float *buf, const float *inp, const float *w,
                               int32_t n, int32_t i, int32_t o, float p, uint64_t key) {
    // out is (n, o), buf is (GK_DROP_ROWS, i), inp is (n, i), w is (i, o)
    for (int64_t r0 = 0; r0 < n; r0 += GK_DROP_ROWS) {
        int64_t rows = n - r0 < GK_DROP_ROWS ? n - r0 : GK_DROP_ROWS;
        gk_dropout_forward(buf, inp + r0 * i, rows * i, p, block_key(key, r0, i));
        gk_matmul_forward(out + r0 * o, buf, w, rows, i, o);
    }
}

void gk_dropout_matmul_backward(float *dw, float *buf, const float *dout, const float *inp,
                                const float *w, int32_t n, int32_t i, int32_t o, float p,
                                uint64_t key) {
    // dw is (i, o), buf is (GK_DROP_ROWS, i), dout is (n, o), inp is (n, i)
    for (int64_t r0 = 0; r0 < n; r0 += GK_DROP_ROWS) {
        int64_t rows = n - r0 < GK_DROP_ROWS ? n - r0 : GK_DROP_ROWS;
        gk_dropout_forward(buf, inp + r0 * i, rows * i, p, block_key(key, r0, i));
        gk_matmul_backward(NULL, dw, dout + r0 * o, buf, w, rows, i, o);
    }
}
