/* layers.c — the layers of the models, each a forward and a backward pass
 * over flat arrays, built from the kernels of kernels.c. */
#include "gnn/kernels.h"

#include <string.h>

/* ---- X w, for a sparse or a dense X ---------------------------------------- */

/* Â x with the epilogue ep, recorded as "A*T" (T: whatever Â multiplies). */
static void ahat_times(float *y, const gnnkd_csr *ahat, const float *x, int32_t n, int32_t o,
                       const gkd_epilogue *ep, gnnkd_profile *prof) {
    GKD_PROFILED(prof, GNNKD_PROFILE_ADJACENCY, 2.0 * (double)gnnkd_csr_nnz(ahat) * o,
                 gkd_csr_bytes(ahat, 1) + 8.0 * n * o, gkd_spmm(y, ahat, ahat->val, x, o, ep),
                 "A*T%s (n,%d)", gkd_epilogue_text(ep), o);
}

void gkd_linear_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                       const float *w, int32_t n, int32_t i, int32_t o, const gkd_epilogue *ep,
                       gnnkd_profile *prof) {
    // out is (n, o), X is (n, i) sparse (xs, xval) or dense inp, w is (i, o)
    if (xs) {
        GKD_PROFILED(prof, GNNKD_PROFILE_SPARSE_FEATURES, 2.0 * (double)gnnkd_csr_nnz(xs) * o,
                     gkd_csr_bytes(xs, xval != NULL) + 4.0 * i * o + 4.0 * n * o,
                     gkd_spmm(out, xs, xval, w, o, ep), "X*W sparse%s (n,%d)->(n,%d)",
                     gkd_epilogue_text(ep), i, o);
    } else {
        GKD_PROFILED(prof, GNNKD_PROFILE_GEMM, 2.0 * n * i * o, 4.0 * ((double)n * i + i * o + n * o),
                     gkd_matmul_forward(out, inp, w, n, i, o), "H*W (n,%d)x(%d,%d)", i, i, o);
        if (ep)
            GKD_PROFILED(prof, GNNKD_PROFILE_ELEMENTWISE, (double)n * o, 8.0 * n * o + 4.0 * o,
                         gkd_epilogue_forward(out, n, o, ep), "%s (n,%d)",
                         gkd_epilogue_text(ep) + 1, o);
    }
}

void gkd_linear_backward(float *dinp, float *dw, float *partial, int nparts, const float *dout,
                        const gnnkd_csr *xs, const float *xval, const float *inp,
                        const float *w, int32_t n, int32_t i, int32_t o, const gkd_gate *gate,
                        gnnkd_profile *prof) {
    // dinp is (n, i) or NULL, dw is (i, o), dout is (n, o)
    if (xs) // the input gradient is never needed
        GKD_PROFILED(prof, GNNKD_PROFILE_SPARSE_FEATURES, 2.0 * (double)gnnkd_csr_nnz(xs) * o,
                     gkd_csr_bytes(xs, xval != NULL) + 4.0 * n * o + 8.0 * i * o,
                     gkd_spmm_t(dw, partial, nparts, xs, xval, dout, o),
                     "X^T*G sparse ->(%d,%d)", i, o);
    else if (dinp)
        GKD_PROFILED(prof, GNNKD_PROFILE_GEMM, 4.0 * n * i * o + (gate ? 2.0 * n * i : 0.0),
                     4.0 * ((double)n * o + i * o + 2.0 * n * i) + 4.0 * ((double)n * i + n * o + 2.0 * i * o),
                     gkd_matmul_backward(dinp, dw, dout, inp, w, n, i, o, gate),
                     "dH,dW%s (n,%d)x(%d,%d)", gate ? "+relu,dropout,bias grad" : "", o, o, i);
    else
        GKD_PROFILED(prof, GNNKD_PROFILE_GEMM, 2.0 * n * i * o,
                     4.0 * ((double)n * i + n * o + 2.0 * i * o),
                     gkd_matmul_backward(NULL, dw, dout, inp, w, n, i, o, gate),
                     "X^T*G (%d,n)x(n,%d)", i, o);
}

/* db (o) += column sums of dout (n, o), recorded. */
void gkd_bias_backward_profiled(float *db, const float *dout, int32_t n, int32_t o,
                                gnnkd_profile *prof) {
    GKD_PROFILED(prof, GNNKD_PROFILE_ELEMENTWISE, (double)n * o, 4.0 * n * o + 8.0 * o,
                 gkd_bias_backward(db, dout, n, o), "bias grad (n,%d)", o);
}

/* ---- fully connected ----------------------------------------------------------- */

void gkd_dense_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                      const float *w, const gkd_epilogue *ep, int32_t n, int32_t i, int32_t o,
                      gnnkd_profile *prof) {
    // out is (n, o), X is (n, i), w is (i, o)
    gkd_linear_forward(out, xs, xval, inp, w, n, i, o, ep, prof);
}

void gkd_dense_backward(float *dinp, float *dw, float *db, float *partial, int nparts,
                       const float *dout, const gnnkd_csr *xs, const float *xval,
                       const float *inp, const float *w, int32_t n, int32_t i, int32_t o,
                       const gkd_gate *gate, gnnkd_profile *prof) {
    if (db) gkd_bias_backward_profiled(db, dout, n, o, prof);
    gkd_linear_backward(dinp, dw, partial, nparts, dout, xs, xval, inp, w, n, i, o, gate, prof);
}

/* ---- graph convolution --------------------------------------------------------- */

void gkd_gcn_forward(float *out, float *t, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                    const float *xval, const float *inp, const float *w, const gkd_epilogue *ep,
                    int32_t n, int32_t i, int32_t o, gnnkd_profile *prof) {
    // out is (n, o), t is (n, o), ahat is (n, n), X is (n, i), w is (i, o)
    gkd_linear_forward(t, xs, xval, inp, w, n, i, o, NULL, prof);
    ahat_times(out, ahat, t, n, o, ep, prof);
}

void gkd_gcn_backward(float *dinp, float *dw, float *db, float *gt, float *partial, int nparts,
                     const float *dout, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                     const float *xval, const float *inp, const float *w, int32_t n,
                     int32_t i, int32_t o, const gkd_gate *gate, gnnkd_profile *prof) {
    // gt is (n, o): the gradient of t = X w, which is Â^T dout = Â dout
    if (db) gkd_bias_backward_profiled(db, dout, n, o, prof);
    ahat_times(gt, ahat, dout, n, o, NULL, prof);
    gkd_linear_backward(dinp, dw, partial, nparts, gt, xs, xval, inp, w, n, i, o, gate, prof);
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
