/* layers.c — the layers of the models, each a forward and a backward pass
 * over flat arrays, built from the kernels of kernels.c. */
#include "gnn/kernels.h"

#include <string.h>

/* ---- X w, for a sparse or a dense X ---------------------------------------- */

void gkd_linear_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                       const float *w, int32_t n, int32_t i, int32_t o, const gkd_epilogue *ep) {
    // out is (n, o), X is (n, i) sparse (xs, xval) or dense inp, w is (i, o)
    if (xs) {
        gkd_spmm(out, xs, xval, w, o, ep);
    } else {
        gkd_matmul_forward(out, inp, w, n, i, o);
        gkd_epilogue_forward(out, n, o, ep);
    }
}

void gkd_linear_backward(float *dinp, float *dw, float *partial, int nparts, const float *dout,
                        const gnnkd_csr *xs, const float *xval, const float *inp,
                        const float *w, int32_t n, int32_t i, int32_t o, const gkd_gate *gate) {
    // dinp is (n, i) or NULL, dw is (i, o), dout is (n, o)
    if (xs)
        gkd_spmm_t(dw, partial, nparts, xs, xval, dout, o); // the input gradient is never needed
    else
        gkd_matmul_backward(dinp, dw, dout, inp, w, n, i, o, gate);
}

/* ---- fully connected ----------------------------------------------------------- */

void gkd_dense_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                      const float *w, const gkd_epilogue *ep, int32_t n, int32_t i, int32_t o) {
    // out is (n, o), X is (n, i), w is (i, o)
    gkd_linear_forward(out, xs, xval, inp, w, n, i, o, ep);
}

void gkd_dense_backward(float *dinp, float *dw, float *db, float *partial, int nparts,
                       const float *dout, const gnnkd_csr *xs, const float *xval,
                       const float *inp, const float *w, int32_t n, int32_t i, int32_t o,
                       const gkd_gate *gate) {
    if (db) gkd_bias_backward(db, dout, n, o);
    gkd_linear_backward(dinp, dw, partial, nparts, dout, xs, xval, inp, w, n, i, o, gate);
}

/* ---- graph convolution --------------------------------------------------------- */

void gkd_gcn_forward(float *out, float *t, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                    const float *xval, const float *inp, const float *w, const gkd_epilogue *ep,
                    int32_t n, int32_t i, int32_t o) {
    // out is (n, o), t is (n, o), ahat is (n, n), X is (n, i), w is (i, o)
    gkd_linear_forward(t, xs, xval, inp, w, n, i, o, NULL);
    gkd_spmm(out, ahat, ahat->val, t, o, ep);
}

void gkd_gcn_backward(float *dinp, float *dw, float *db, float *gt, float *partial, int nparts,
                     const float *dout, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                     const float *xval, const float *inp, const float *w, int32_t n,
                     int32_t i, int32_t o, const gkd_gate *gate) {
    // gt is (n, o): the gradient of t = X w, which is Â^T dout = Â dout
    if (db) gkd_bias_backward(db, dout, n, o);
    gkd_spmm(gt, ahat, ahat->val, dout, o, NULL);
    gkd_linear_backward(dinp, dw, partial, nparts, gt, xs, xval, inp, w, n, i, o, gate);
}

/* ---- X w for X = dropout(a dense input), never materialised --------------- */

void gkd_dropout_matmul_forward(float *out, float *buf, int64_t B, const float *inp,
                               const float *w, int32_t n, int32_t i, int32_t o, float p,
                               uint64_t key) {
    // out is (n, o), buf is (B, i), inp is (n, i), w is (i, o)
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        int64_t rows = n - r0 < B ? n - r0 : B;
        gkd_dropout_range(buf, inp + r0 * i, r0 * i, rows * i, p, key);
        gkd_matmul_forward(out + r0 * o, buf, w, rows, i, o);
    }
}

void gkd_dropout_matmul_backward(float *dw, float *buf, int64_t B, const float *dout,
                                const float *inp, const float *w, int32_t n, int32_t i,
                                int32_t o, float p, uint64_t key) {
    // dw is (i, o), buf is (B, i), dout is (n, o), inp is (n, i)
    for (int64_t r0 = 0; r0 < n; r0 += B) {
        int64_t rows = n - r0 < B ? n - r0 : B;
        gkd_dropout_range(buf, inp + r0 * i, r0 * i, rows * i, p, key);
        gkd_matmul_backward(NULL, dw, dout + r0 * o, buf, w, rows, i, o, NULL);
    }
}
