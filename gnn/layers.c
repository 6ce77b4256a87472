/* layers.c — the layers of the models, each a forward and a backward pass
 * over flat arrays, built from the kernels of kernels.c. */
#include "kernels.h"

#include <string.h>

/* ---- X w, for a sparse or a dense X ---------------------------------------- */

void gk_linear_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                       const float *w, int32_t n, int32_t i, int32_t o, const gk_epilogue *ep) {
    // out is (n, o), X is (n, i) sparse (xs, xval) or dense inp, w is (i, o)
    if (xs) {
        gk_spmm(out, xs, xval, w, o, ep);
    } else {
        gk_matmul_forward(out, inp, w, n, i, o);
        gk_epilogue_forward(out, n, o, ep);
    }
}

void gk_linear_backward(float *dinp, float *dw, float *partial, int nparts, const float *dout,
                        const gnnkd_csr *xs, const float *xval, const float *inp,
                        const float *w, int32_t n, int32_t i, int32_t o, const gk_gate *gate) {
    // dinp is (n, i) or NULL, dw is (i, o), dout is (n, o)
    if (xs)
        gk_spmm_t(dw, partial, nparts, xs, xval, dout, o); // the input gradient is never needed
    else
        gk_matmul_backward(dinp, dw, dout, inp, w, n, i, o, gate);
}

/* ---- bias ---------------------------------------------------------------------- */

GK_VECTOR void gk_bias_backward(float *restrict db, const float *restrict dout, int32_t n,
                                int32_t o) {
    // db is (o), dout is (n, o). Narrow (o <= 16): dout read as one flat
    // array in chunks of P = lcm(o, 8) floats, whole vectors, column
    // e % o of chunk element e (CiteSeer (n, 6): 0.011 -> 0.003 ms). Each
    // column sums its rows in the same order on any thread count.
    if (o <= 16) {
        int32_t P = o;
        while (P % 8) P += o;
        float acc[128] = {0}; // P <= 128
        int64_t len = (int64_t)n * o, e = 0;
        for (; e + P <= len; e += P)
            for (int32_t j = 0; j < P; j++) acc[j] += dout[e + j];
        for (int32_t j = 0; e + j < len; j++) acc[j] += dout[e + j];
        for (int32_t j = 0; j < P; j++) db[j % o] += acc[j];
        return;
    }
    // Wider: threads split the columns in blocks of 64, and each sums its
    // block over the rows in order, 8 lanes at a time
    int32_t nb = (o + 63) / 64;
#pragma omp parallel for schedule(static) if ((int64_t)n * o > GK_PAR_MIN_STREAM && nb > 1)
    for (int32_t b = 0; b < nb; b++) {
        int32_t c0 = 64 * b, c1 = c0 + 64 < o ? c0 + 64 : o;
        for (int32_t r = 0; r < n; r++)
            for (int32_t c = c0; c < c1; c++) db[c] += dout[(int64_t)r * o + c];
    }
}

/* ---- fully connected ----------------------------------------------------------- */

void gk_dense_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                      const float *w, const gk_epilogue *ep, int32_t n, int32_t i, int32_t o) {
    // out is (n, o), X is (n, i), w is (i, o)
    gk_linear_forward(out, xs, xval, inp, w, n, i, o, ep);
}

void gk_dense_backward(float *dinp, float *dw, float *db, float *partial, int nparts,
                       const float *dout, const gnnkd_csr *xs, const float *xval,
                       const float *inp, const float *w, int32_t n, int32_t i, int32_t o,
                       const gk_gate *gate) {
    if (db) gk_bias_backward(db, dout, n, o);
    gk_linear_backward(dinp, dw, partial, nparts, dout, xs, xval, inp, w, n, i, o, gate);
}

/* ---- graph convolution --------------------------------------------------------- */

void gk_gcn_forward(float *out, float *t, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                    const float *xval, const float *inp, const float *w, const gk_epilogue *ep,
                    int32_t n, int32_t i, int32_t o) {
    // out is (n, o), t is (n, o), ahat is (n, n), X is (n, i), w is (i, o)
    gk_linear_forward(t, xs, xval, inp, w, n, i, o, NULL);
    gk_spmm(out, ahat, ahat->val, t, o, ep);
}

void gk_gcn_backward(float *dinp, float *dw, float *db, float *gt, float *partial, int nparts,
                     const float *dout, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                     const float *xval, const float *inp, const float *w, int32_t n,
                     int32_t i, int32_t o, const gk_gate *gate) {
    // gt is (n, o): the gradient of t = X w, which is Â^T dout = Â dout
    if (db) gk_bias_backward(db, dout, n, o);
    gk_spmm(gt, ahat, ahat->val, dout, o, NULL);
    gk_linear_backward(dinp, dw, partial, nparts, gt, xs, xval, inp, w, n, i, o, gate);
}

/* ---- ReLU and dropout ------------------------------------------------------------ */

void gk_relu_forward(float *out, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN_STREAM)
    for (int64_t e = 0; e < len; e++) out[e] = inp[e] > 0.0f ? inp[e] : 0.0f;
}

void gk_relu_backward(float *dinp, const float *dout, const float *inp, int64_t len) {
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN_STREAM)
    for (int64_t e = 0; e < len; e++)
        dinp[e] += inp[e] > 0.0f ? dout[e] : 0.0f;
}

/* out[e] = dropout(inp[e]) for the elements e0 .. e0 + len - 1 of a larger
 * array (whose mask is key's). */
GK_VECTOR static void dropout_range(float *out, const float *inp, int64_t e0, int64_t len,
                                    float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = gk_keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++)
        out[e] = gk_keep_or_zero(inp[e] * scale, gk_mask_bits(key, e0 + e), threshold);
}

void gk_dropout_forward(float *out, const float *inp, int64_t len, float p, uint64_t key) {
    dropout_range(out, inp, 0, len, p, key); // in place is fine: element by element
}

GK_VECTOR void gk_dropout_backward(float *restrict dinp, const float *restrict dout, int64_t len,
                                   float p, uint64_t key) {
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = gk_keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN)
    for (int64_t e = 0; e < len; e++)
        dinp[e] += gk_keep_or_zero(dout[e] * scale, gk_mask_bits(key, e), threshold);
}

GK_VECTOR void gk_relu_dropout_backward(float *restrict dinp, const float *restrict dout,
                                        const float *restrict out, int64_t len, float scale) {
    // a bit mask, not a select: GCC left the select a branch per element,
    // mispredicted half the time (PubMed (n, 256): 15.3 -> 2.2 ms). A mask
    // rather than a 0/1 factor keeps dropped gradients +0, never -0.
#pragma omp parallel for schedule(static) if (len > GK_PAR_MIN_STREAM)
    for (int64_t e = 0; e < len; e++)
        dinp[e] = gk_keep_or_zero(dout[e] * scale, out[e] > 0.0f, 1);
}

/* ---- X w for X = dropout(a dense input), never materialised --------------- */

void gk_dropout_matmul_forward(float *out, float *buf, const float *inp, const float *w,
                               int32_t n, int32_t i, int32_t o, float p, uint64_t key) {
    // out is (n, o), buf is (B, i) with B = gk_drop_rows(i), inp is (n, i), w is (i, o)
    int64_t B = gk_drop_rows(i);
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        int64_t rows = n - r0 < B ? n - r0 : B;
        dropout_range(buf, inp + r0 * i, r0 * i, rows * i, p, key);
        gk_matmul_forward(out + r0 * o, buf, w, rows, i, o);
    }
}

void gk_dropout_matmul_backward(float *dw, float *buf, const float *dout, const float *inp,
                                const float *w, int32_t n, int32_t i, int32_t o, float p,
                                uint64_t key) {
    // dw is (i, o), buf is (B, i) with B = gk_drop_rows(i), dout is (n, o), inp is (n, i)
    int64_t B = gk_drop_rows(i);
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        int64_t rows = n - r0 < B ? n - r0 : B;
        dropout_range(buf, inp + r0 * i, r0 * i, rows * i, p, key);
        gk_matmul_backward(NULL, dw, dout + r0 * o, buf, w, rows, i, o, NULL);
    }
}
