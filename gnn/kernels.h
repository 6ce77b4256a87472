/*
 * kernels.h — the numerical core behind the models (private, prefix gkd_).
 *
 * As in llm.c, every operation is a plain function over flat row-major float
 * arrays: outputs first, then inputs, then the shape integers. Backward
 * functions ACCUMULATE (+=) into their gradients; the caller zeroes them.
 * Every fast kernel has a plain *_ref twin that the tests use as the oracle.
 */
#ifndef GNNKD_KERNELS_H
#define GNNKD_KERNELS_H

#include "gnn/gnn.h"

#include <string.h>

/* ---- the settings and the copies of the hot kernels (tuning.c) ------------

 * gkd_tuning (gnn.h) holds the settings in force, thresholds the kernels
 * read with a plain load. kernels.c is compiled once per gnnkd_isa level
 * (CMakeLists.txt), its functions static, each copy exporting one table
 * gkd_kernels_isa<level>; tuning.c points gkd_active at one of them (CPU
 * features, GNNKD_ISA or gnnkd_tuning_set). The kernels' names below are
 * wrappers: a load and an indirect call, as target_clones' ifunc was. */

/* Applies the environment's GNNKD_* settings to *t; each malformed or
 * out-of-range one is ignored with a warning on stderr (the last one also in
 * msg). Returns how many were ignored. */
int gkd_tuning_env(gnnkd_tuning *t, char *msg);

typedef struct gkd_epilogue gkd_epilogue;
typedef struct gkd_gate gkd_gate;
typedef struct {
    int level; /* the gnnkd_isa this copy was compiled for */
    void (*epilogue_forward)(float *y, int64_t n, int32_t h, const gkd_epilogue *ep);
    void (*spmm)(float *y, const gnnkd_csr *a, const float *val, const float *x, int32_t h,
                 const gkd_epilogue *ep);
    void (*dropout_spmm)(float *y, gnnkd_csr *xd, uint8_t *keep, const gnnkd_csr *x,
                         const float *w, int32_t h, float p, uint64_t key,
                         const gkd_epilogue *ep);
    void (*spmm_t)(float *dx, float *partial, int nparts, const gnnkd_csr *a, const float *val,
                   const float *g, int32_t h);
    void (*matmul_forward)(float *out, const float *inp, const float *w, int64_t n, int32_t i,
                           int32_t o);
    void (*matmul_backward)(float *dinp, float *dw, const float *dout, const float *inp,
                            const float *w, int64_t n, int32_t i, int32_t o,
                            const gkd_gate *gate);
    void (*bias_backward)(float *db, const float *dout, int32_t n, int32_t o);
    void (*relu_dropout_backward)(float *dinp, const float *dout, const float *out, int64_t len,
                                  float scale);
    void (*dropout)(float *out, const float *inp, int64_t e0, int64_t len, float p,
                    uint64_t key);
    double (*adam)(float *p, float *g, float *m, float *v, int64_t len, float wd, float b1,
                   float b2, float c1, float c2, float lr, float eps);
    void (*gat_softmax)(float *alpha, float *alphad, const gnnkd_csr *a, const float *sdst,
                        const float *ssrc, int32_t H, float p, uint64_t key);
    void (*gat_spmm)(float *y, const gnnkd_csr *a, const float *alpha, const int64_t *perm,
                     const float *x, int32_t H, int32_t F, int64_t xrow, int32_t xhead,
                     float scale, int mean);
    void (*gat_softmax_backward)(float *de, float *dsdst, const gnnkd_csr *a, const float *alpha,
                                 const float *t, const float *dy, int64_t dyrow, int32_t dyhead,
                                 float dyscale, const float *sdst, const float *ssrc, int32_t H,
                                 int32_t F, float p, uint64_t key);
    void (*elu_dropout)(float *h, const float *z, int64_t len, float p, uint64_t key);
    void (*elu_dropout_backward)(float *dh, const float *h, const float *z, int64_t len, float p,
                                 uint64_t key);
    void (*sage_aggregate)(float *y, const gnnkd_csr *a, const float *invdeg, const float *t,
                           int32_t o, const gkd_epilogue *ep);
    void (*sage_scatter)(float *g, const gnnkd_csr *a, const float *invdeg, const float *dz,
                         int32_t o);
    void (*exact_rows)(double *s, const gnnkd_csr *xs, const float *xval, const float *x,
                       const float *g, int64_t r0, int64_t r1, int32_t i, int32_t o);
    /* LSP's per-edge passes over rows i0..i1-1 (gnn.h's gkd_lsp_rows_*) */
    void (*lsp_rows_raw)(float *p, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                         int32_t i1);
    void (*lsp_rows_loss)(gkd_lsp *l, const float *z, int32_t D, int32_t i0, int32_t i1);
    void (*lsp_rows_gather)(float *dz, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                            int32_t i1, float scale);
} gkd_kernels;

extern const gkd_kernels gkd_kernels_isa0; /* baseline: the build's own flags */
extern const gkd_kernels gkd_kernels_isa1, gkd_kernels_isa2; /* x86-64-v3, x86-64-v4 (x86 only) */
extern const gkd_kernels *gkd_active; /* the copy in use */

/* Set on the calling thread by a model's passes (its rows_alone): the dense
 * products then compute each row by itself in one fixed order, so its bits
 * depend neither on the thread count nor on the rows around it, and a
 * part's rows come out as the whole graph's. OpenBLAS's AVX-512 kernels
 * round a row by where its block starts, so it serves only the others. */
extern _Thread_local int gkd_rows_alone;

/* ---- dropout masks ------------------------------------------------------- */

/* The mask: element e is kept when a 32-bit hash of (key, e) is at least
 * p 2^32 — a pure function of (key, e), so any thread count draws the same
 * mask. The hash is two rounds of Wellons's lowbias32 (a bijection of the
 * low 32 bits of e, keyed by both halves of key and e's high bits): 32-bit
 * multiplies vectorise (AVX2 vpmulld) where SplitMix64's 64-bit ones do not. */
static inline uint32_t gkd_lowbias32(uint32_t x) {
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return x;
}

/* The hash of e from its low 32 bits lo and gkd_mask_hi(e): loops over a run
 * of e that shares its high bits hash in 32-bit lanes only. */
static inline uint32_t gkd_mask_hi(int64_t e) { return (uint32_t)((uint64_t)e >> 32) * 0x9e3779b9U; }
static inline uint32_t gkd_mask_mix(uint64_t key, uint32_t lo, uint32_t hi) {
    return gkd_lowbias32(gkd_lowbias32(lo ^ (uint32_t)key) ^ (uint32_t)(key >> 32) ^ hi);
}
static inline uint32_t gkd_mask_bits(uint64_t key, int64_t e) {
    return gkd_mask_mix(key, (uint32_t)e, gkd_mask_hi(e));
}
/* The end of the run of e0 that shares its high 32 bits, capped at e1. */
static inline int64_t gkd_mask_run(int64_t e0, int64_t e1) {
    int64_t end = (int64_t)(((uint64_t)e0 | 0xffffffffULL) + 1);
    return end < e1 ? end : e1;
}

static inline uint32_t gkd_keep_threshold(float p) { return (uint32_t)((double)p * 4294967296.0); }

/* x if bits >= threshold, else +0, without a branch: the mask is a coin
 * toss, and mispredicted branches cost more than the hashing did. */
static inline float gkd_keep_or_zero(float x, uint32_t bits, uint32_t threshold) {
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    u &= 0u - (uint32_t)(bits >= threshold);
    memcpy(&x, &u, sizeof x);
    return x;
}

/* What a layer does to its product before storing it, row by row while the
 * row is in L1: y + bias (if bias), then max(., 0) (if relu) and, if p > 0,
 * dropout by gkd_dropout_forward's mask (key, element r h + c) of the (n, h)
 * output. A hidden layer's output is then the next layer's input in one
 * pass, where bias, then ReLU and dropout, took two more. */
struct gkd_epilogue {
    const float *bias; /* (h) or NULL */
    int relu;
    float p;           /* dropout after the ReLU (relu must be set), or 0 */
    uint64_t key;
};

/* y (n, h) = the epilogue of y, in place (ep may be NULL: nothing). */
static inline void gkd_epilogue_forward(float *y, int64_t n, int32_t h, const gkd_epilogue *ep) {
    gkd_active->epilogue_forward(y, n, h, ep);
}

/* ---- profiling (profile.c) ------------------------------------------------ */

/* Runs call; if the profile p is not NULL, times it and adds it, with its
 * flops and bytes (expressions evaluated only then), to p's entry named by
 * the printf-style rest. Without a profile: the call alone, no clock read. */
#define GKD_PROFILED(p, group, flops, bytes, call, ...)                                    \
    do {                                                                                  \
        if ((p) == NULL) {                                                                \
            call;                                                                         \
        } else {                                                                          \
            double gkd_t0_ = gkd_now();                                                   \
            call;                                                                         \
            gkd_profile_add((p), (group), gkd_now() - gkd_t0_, (flops), (bytes), __VA_ARGS__); \
        }                                                                                 \
    } while (0)

/* "+bias", "+bias,relu", "+bias,relu,dropout" or "": an epilogue in a name. */
const char *gkd_epilogue_text(const gkd_epilogue *ep);

/* The least bytes a CSR matrix takes to read: rowptr, colidx and values. */
static inline double gkd_csr_bytes(const gnnkd_csr *a, int with_values) {
    double nnz = (double)gnnkd_csr_nnz(a);
    return 8.0 * (a->nrows + 1) + 4.0 * nnz + (with_values ? 4.0 * nnz : 0.0);
}

/* ---- sparse and dense products (kernels.c) -------------------------------- */

/* y = A x, then the epilogue ep (NULL: none). A (n, m) is the CSR structure
 * a with values val (nnz; NULL means all ones: a->val is NOT consulted, so a
 * caller may pass dropout-scaled values), x is (m, h), y is (n, h) and is
 * overwritten. Row-parallel. */
static inline void gkd_spmm(float *y, const gnnkd_csr *a, const float *val, const float *x,
                            int32_t h, const gkd_epilogue *ep) {
    gkd_active->spmm(y, a, val, x, h, ep);
}
void gkd_spmm_ref(float *y, const gnnkd_csr *a, const float *val, const float *x, int32_t h);

/* y (n, h) = dropout(X) w for a sparse X (n, m), w (m, h), and xd =
 * dropout(X): the entries of x (values 1 if x->val is NULL) that
 * gkd_dropout_forward's mask over x's nnz values keeps, scaled by
 * 1 / (1 - p). xd->rowptr (n + 1), colidx and val (nnz of x) are the
 * caller's, and keep (nnz of x) is scratch for the mask. X w and X^T g then
 * do about 1 - p of the work (Kipf's sparse_dropout and PyTorch do the
 * same); dropping and multiplying in one pass reads each row once. At most
 * GKD_MAX_THREADS threads; the bits do not depend on their number. */
#define GKD_MAX_THREADS 256
static inline void gkd_dropout_spmm(float *y, gnnkd_csr *xd, uint8_t *keep, const gnnkd_csr *x,
                                    const float *w, int32_t h, float p, uint64_t key,
                                    const gkd_epilogue *ep) {
    gkd_active->dropout_spmm(y, xd, keep, x, w, h, p, key, ep);
}

/* dx += A^T g with A (n, m) = (structure a, values val), g (n, h), dx (m, h),
 * scattered row by row of A without a transpose. A team splits either A's
 * columns (each thread owns rows of dx: no scratch, the same bits on any
 * thread count; A's columns must ascend within its rows, as gnnkd_csr
 * promises) or, for a tall A (4 m < n) when partial holds nparts >= threads
 * - 1 blocks of m h floats, A's rows (the same bits for the same number of
 * threads). Scattering beats gathering through a precomputed transpose:
 * the scatter target (m, h) stays in L2 while g is streamed. */
static inline void gkd_spmm_t(float *dx, float *partial, int nparts, const gnnkd_csr *a,
                              const float *val, const float *g, int32_t h) {
    gkd_active->spmm_t(dx, partial, nparts, a, val, g, h);
}
/* Whether gkd_spmm_t on an (n, m) A wants partials: the workspace's rule. */
static inline int gkd_spmm_t_partials(int64_t n, int64_t m) { return 4 * m < n; }
void gkd_spmm_t_ref(float *dx, const gnnkd_csr *a, const float *val, const float *g, int32_t h);

/* out (n, o) = inp (n, i) w (i, o), overwritten (cblas_sgemm). */
static inline void gkd_matmul_forward(float *out, const float *inp, const float *w, int64_t n,
                                      int32_t i, int32_t o) {
    gkd_active->matmul_forward(out, inp, w, n, i, o);
}
void gkd_matmul_forward_ref(float *out, const float *inp, const float *w, int64_t n, int32_t i,
                           int32_t o);

/* What a backward pass does to the input gradient dinp (n, i) it writes,
 * row by row while the row is in L1: scale > 0 gates it by the input's ReLU
 * and dropout (the input is dropout(relu(z)) of the layer before, and dinp
 * becomes the gradient of z: gkd_relu_dropout_backward with that scale); db
 * (i), if not NULL, gets its column sums, the layer before's bias gradient
 * (which saves a pass over dinp). */
struct gkd_gate {
    float scale;
    float *db;
};

/* dinp (n, i) = dout (n, o) w^T, overwritten (skipped when dinp is NULL:
 * input gradients always land in a fresh buffer, so no zeroing pass), then
 * gate (or NULL); and dw (i, o) += inp^T dout. */
static inline void gkd_matmul_backward(float *dinp, float *dw, const float *dout,
                                       const float *inp, const float *w, int64_t n, int32_t i,
                                       int32_t o, const gkd_gate *gate) {
    gkd_active->matmul_backward(dinp, dw, dout, inp, w, n, i, o, gate);
}
void gkd_matmul_backward_ref(float *dinp, float *dw, const float *dout, const float *inp,
                            const float *w, int64_t n, int32_t i, int32_t o);

/* ---- the normalised adjacency as a GraphBLAS product (graph.c) ----------- */

/* y (n, h) = Â x (n, h) computed by GrB_mxm: the reference for gkd_spmm. */
int gkd_graph_spmm_ref(float *y, const gnnkd_graph *g, const float *x, int32_t h, char *msg);

/* ---- layers (layers.c) -----------------------------------------------------

 * The input X (n, i) of a layer is either sparse, xs != NULL with values
 * xval (nnz; dropout already applied), or dense, inp. partial / nparts is
 * the scratch of gkd_spmm_t for the sparse case. The first layer never
 * computes an input gradient (dinp NULL). prof (or NULL) records each
 * kernel call (GKD_PROFILED). */

/* Linear map out (n, o) = X w (i, o), overwritten, then the epilogue ep
 * (or NULL). */
void gkd_linear_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                       const float *w, int32_t n, int32_t i, int32_t o, const gkd_epilogue *ep,
                       gnnkd_profile *prof);
/* dw += X^T dout, and dinp (n, i) = dout w^T (overwritten) for a dense input
 * if dinp. */
void gkd_linear_backward(float *dinp, float *dw, float *partial, int nparts, const float *dout,
                        const gnnkd_csr *xs, const float *xval, const float *inp,
                        const float *w, int32_t n, int32_t i, int32_t o, const gkd_gate *gate,
                        gnnkd_profile *prof);

/* db (o) += the column sums of dout (n, o). (The forward pass adds the bias
 * in the epilogue.) */
static inline void gkd_bias_backward(float *db, const float *dout, int32_t n, int32_t o) {
    gkd_active->bias_backward(db, dout, n, o);
}
/* The same, recorded in prof (or NULL). */
void gkd_bias_backward_profiled(float *db, const float *dout, int32_t n, int32_t o,
                                gnnkd_profile *prof);

/* Fully connected (MLP) layer: out (n, o) = the epilogue ep (the bias b, and
 * for a hidden layer ReLU and dropout) of X w. */
void gkd_dense_forward(float *out, const gnnkd_csr *xs, const float *xval, const float *inp,
                      const float *w, const gkd_epilogue *ep, int32_t n, int32_t i, int32_t o,
                      gnnkd_profile *prof);
void gkd_dense_backward(float *dinp, float *dw, float *db, float *partial, int nparts,
                       const float *dout, const gnnkd_csr *xs, const float *xval,
                       const float *inp, const float *w, int32_t n, int32_t i, int32_t o,
                       const gkd_gate *gate, gnnkd_profile *prof);

/* Graph convolution (Kipf & Welling): out (n, o) = Â (X w) + b, and the rest
 * of the epilogue ep, with t (n, o) receiving X w. X w first: a sparse X is never densified, and for the usual
 * o <= i the product with Â is the cheaper one. Â is symmetric, so the
 * backward pass multiplies by Â again; gt (n, o) is its workspace. */
void gkd_gcn_forward(float *out, float *t, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                    const float *xval, const float *inp, const float *w, const gkd_epilogue *ep,
                    int32_t n, int32_t i, int32_t o, gnnkd_profile *prof);
void gkd_gcn_backward(float *dinp, float *dw, float *db, float *gt, float *partial, int nparts,
                     const float *dout, const gnnkd_csr *ahat, const gnnkd_csr *xs,
                     const float *xval, const float *inp, const float *w, int32_t n,
                     int32_t i, int32_t o, const gkd_gate *gate, gnnkd_profile *prof);

/* out (len) = max(inp, 0); out may be inp. dinp += dout where inp > 0.
 * The models do these in gkd_epilogue and gkd_gate; these are the tests'
 * references (as is gkd_dropout_backward). */
/* ---- exact sums (exact.c) ---------------------------------------------------- */

/* A term p (a product x g of two floats, exact in double, or a bias
 * gradient g) is cut into two integers by rounding: p 2^18 = A + B 2^-39 (to
 * 2^-58), so |A| <= 2^38 and |B| <= 2^38 while |p| <= 2^20, and the sums of
 * GKD_EXACT_ROWS of them are exact in double: the hot loop is float adds
 * and multiplies that vectorise, and every GKD_EXACT_ROWS rows the sums go
 * into the 128-bit integer, in units of 2^-57. */
#define GKD_EXACT_ROWS 16384
#define GKD_EXACT_SCALE_A 0x1p18
#define GKD_EXACT_SCALE_B 0x1p39
#define GKD_EXACT_ROUND 0x1.8p52 /* (v + it) - it rounds v to an integer, |v| < 2^51 */

/* s += the parts of the terms x[r][k] g[r][c] of rows r0 .. r1 - 1: s holds
 * i blocks [A sums (o) | B sums (o)], one per row k of X^T g. X is (n, i)
 * sparse (xs, xval; NULL values are ones) or dense x; g is (n, o). */
static inline void gkd_exact_rows(double *s, const gnnkd_csr *xs, const float *xval,
                                  const float *x, const float *g, int64_t r0, int64_t r1,
                                  int32_t i, int32_t o) {
    gkd_active->exact_rows(s, xs, xval, x, g, r0, r1, i, o);
}
void gkd_exact_rows_ref(double *s, const gnnkd_csr *xs, const float *xval, const float *x,
                        const float *g, int64_t r0, int64_t r1, int32_t i, int32_t o);

/* acc (i, o) += X^T g exactly (gkd_exact units), X (n, i) sparse (xs, xval;
 * NULL values are ones) or dense x, g (n, o). part: threads blocks of
 * gkd_exact_part_len(i, o) zeros, left zero. O(nnz(X) o) or O(n i o)
 * vectorised float operations; threads over rows. */
int64_t gkd_exact_part_len(int32_t i, int32_t o);
void gkd_exact_xtg(gkd_exact *acc, double *part, int threads, const gnnkd_csr *xs,
                   const float *xval, const float *x, const float *g, int64_t n, int32_t i,
                   int32_t o);
/* acc (o) += the column sums of g (n, o), exactly; part: 2 o zeros, left zero. */
void gkd_exact_colsum(gkd_exact *acc, double *part, const float *g, int64_t n, int32_t o);
/* out (len) = acc rounded to float (through double); acc zeroed. */
void gkd_exact_round(float *out, gkd_exact *acc, int64_t len);

void gkd_relu_forward(float *out, const float *inp, int64_t len);
void gkd_relu_backward(float *dinp, const float *dout, const float *inp, int64_t len);

/* Inverted dropout: element e is kept, and scaled by 1 / (1 - p), with
 * probability 1 - p, by a mask that is a function of (key, e) only
 * (gkd_mask_bits). out may be inp. The backward pass recomputes the mask.
 * With gkd_relu_forward, the reference of gkd_epilogue's ReLU and dropout.
 * gkd_dropout_range does elements e0 .. e0 + len - 1 of a larger array. */
static inline void gkd_dropout_range(float *out, const float *inp, int64_t e0, int64_t len,
                                     float p, uint64_t key) {
    gkd_active->dropout(out, inp, e0, len, p, key);
}
static inline void gkd_dropout_forward(float *out, const float *inp, int64_t len, float p,
                                       uint64_t key) {
    gkd_active->dropout(out, inp, 0, len, p, key);
}
void gkd_dropout_backward(float *dinp, const float *dout, int64_t len, float p, uint64_t key);

/* The backward pass of out = dropout(relu(inp)) from out alone: out > 0
 * exactly where inp > 0 and the mask kept the element, so dinp = dout * scale
 * there and 0 elsewhere (overwritten: no zeroing pass), with scale =
 * 1 / (1 - p) (1 without dropout). Saves recomputing the mask and a pass over
 * the activations; gkd_dropout_backward and gkd_relu_backward are its
 * reference. */
static inline void gkd_relu_dropout_backward(float *dinp, const float *dout, const float *out,
                                             int64_t len, float scale) {
    gkd_active->relu_dropout_backward(dinp, dout, out, len, scale);
}

/* X w and dw += X^T dout for X = dropout(inp) of a dense inp (n, i), with
 * gkd_dropout_forward's mask (key) over its n i elements, without holding X:
 * blocks of B rows are dropped into buf (B, i) and multiplied; the backward
 * pass draws the same mask again. A dropped copy of a big X would not fit,
 * and each block hands the cores from our threads to OpenBLAS's, so blocks
 * are few and large: gkd_drop_rows(i) rows of about drop_floats floats. */
static inline int64_t gkd_drop_rows(int32_t i) {
    int64_t f = gkd_tuning.drop_floats;
    return i > 0 && i < f ? f / i : 1;
}
void gkd_dropout_matmul_forward(float *out, float *buf, int64_t B, const float *inp,
                               const float *w, int32_t n, int32_t i, int32_t o, float p,
                               uint64_t key);
void gkd_dropout_matmul_backward(float *dw, float *buf, int64_t B, const float *dout,
                                const float *inp, const float *w, int32_t n, int32_t i,
                                int32_t o, float p, uint64_t key);

/* One Adam step over len parameters p with gradients g (zeroed as they are
 * used) and moments m, v; returns the sum of the new p's squares. */
static inline double gkd_adam_range(float *p, float *g, float *m, float *v, int64_t len,
                                    float wd, float b1, float b2, float c1, float c2, float lr,
                                    float eps) {
    return gkd_active->adam(p, g, m, v, len, wd, b1, b2, c1, c2, lr, eps);
}

/* ---- graph attention (kernels.c; Veličković et al. 2018) -------------------------

 * a is the graph with self loops (symmetric pattern, columns ascending), nnz
 * edges; per-edge arrays are (nnz, H), per-node scores (n, H), features
 * (n, H, F) row-major. Row i of a lists i's in-neighbours j. */

#define GKD_GAT_SLOPE 0.2f /* LeakyReLU's negative slope, as in the paper */

/* alpha (nnz, H) = softmax over each row i of e_ij = LeakyReLU(sdst[i] +
 * ssrc[j]) (the row's max subtracted first), alphad = dropout(alpha) with
 * the mask (key, element k H + h) (alphad may be alpha's copy when p = 0).
 * Row-parallel. */
static inline void gkd_gat_softmax(float *alpha, float *alphad, const gnnkd_csr *a,
                                   const float *sdst, const float *ssrc, int32_t H, float p,
                                   uint64_t key) {
    gkd_active->gat_softmax(alpha, alphad, a, sdst, ssrc, H, p, key);
}
void gkd_gat_softmax_ref(float *alpha, float *alphad, const gnnkd_csr *a, const float *sdst,
                         const float *ssrc, int32_t H, float p, uint64_t key);

/* The attention-weighted SpMM, y overwritten: for head h of row i,
 * S = scale * sum_k alpha[k' H + h] x[j xrow + h xhead + (0..F)] over row i's
 * edges k (column j; k' = perm[k], or k if perm is NULL); y is (n, F), the
 * sum of the heads' S, if mean, else (n, H, F). The forward pass: x = T
 * (xrow H F, xhead F), scale 1/H for averaged heads. The backward pass of
 * T: alpha gathered through the reverse edges perm, x = dy (xhead 0 for
 * averaged heads). Row-parallel, no scatter. */
static inline void gkd_gat_spmm(float *y, const gnnkd_csr *a, const float *alpha,
                                const int64_t *perm, const float *x, int32_t H, int32_t F,
                                int64_t xrow, int32_t xhead, float scale, int mean) {
    gkd_active->gat_spmm(y, a, alpha, perm, x, H, F, xrow, xhead, scale, mean);
}
void gkd_gat_spmm_ref(float *y, const gnnkd_csr *a, const float *alpha, const int64_t *perm,
                      const float *x, int32_t H, int32_t F, int64_t xrow, int32_t xhead,
                      float scale, int mean);

/* The edge softmax's backward pass, overwriting de (nnz, H) and dsdst (n, H):
 * for edge k = (i, j), head h, g = dy_i,h . t_j,h (dy_i,h at dy + i dyrow + h
 * dyhead, times dyscale), through the attention dropout (key, p) to dalpha;
 * de = alpha (dalpha - sum_row alpha dalpha) LeakyReLU'(sdst[i] + ssrc[j]);
 * dsdst[i, h] = the row's sum of de. (ssrc's gradient is de summed by
 * column: through the reverse edges.) Row-parallel. */
static inline void gkd_gat_softmax_backward(float *de, float *dsdst, const gnnkd_csr *a,
                                            const float *alpha, const float *t, const float *dy,
                                            int64_t dyrow, int32_t dyhead, float dyscale,
                                            const float *sdst, const float *ssrc, int32_t H,
                                            int32_t F, float p, uint64_t key) {
    gkd_active->gat_softmax_backward(de, dsdst, a, alpha, t, dy, dyrow, dyhead, dyscale, sdst,
                                     ssrc, H, F, p, key);
}
void gkd_gat_softmax_backward_ref(float *de, float *dsdst, const gnnkd_csr *a, const float *alpha,
                                  const float *t, const float *dy, int64_t dyrow, int32_t dyhead,
                                  float dyscale, const float *sdst, const float *ssrc, int32_t H,
                                  int32_t F, float p, uint64_t key);

/* ---- GraphSAGE's mean aggregator (kernels.c; Hamilton et al. 2017) ------------

 * a is the graph without self loops (symmetric), invdeg (n) 1 / degree (0
 * for isolated nodes); t (n, 2o) = [X W_self | X W_neigh]. */

/* y (n, o) = t[:, :o] + invdeg[i] sum_{j in N(i)} t[j, o:], then ep. */
static inline void gkd_sage_aggregate(float *y, const gnnkd_csr *a, const float *invdeg,
                                      const float *t, int32_t o, const gkd_epilogue *ep) {
    gkd_active->sage_aggregate(y, a, invdeg, t, o, ep);
}
/* h (len) = dropout(ELU(z)) with the mask (key, element e) and p (0: no
 * dropout); the backward pass turns dh into the gradient of z, in place,
 * from h and z (ELU'(z) = ELU(z) + 1 below zero, read off h: no exp). */
static inline void gkd_elu_dropout_forward(float *h, const float *z, int64_t len, float p,
                                           uint64_t key) {
    gkd_active->elu_dropout(h, z, len, p, key);
}
static inline void gkd_elu_dropout_backward(float *dh, const float *h, const float *z, int64_t len,
                                            float p, uint64_t key) {
    gkd_active->elu_dropout_backward(dh, h, z, len, p, key);
}
void gkd_elu_dropout_forward_ref(float *h, const float *z, int64_t len, float p, uint64_t key);
void gkd_elu_dropout_backward_ref(float *dh, const float *h, const float *z, int64_t len, float p,
                                  uint64_t key);

void gkd_sage_aggregate_ref(float *y, const gnnkd_csr *a, const float *invdeg, const float *t,
                            int32_t o);

/* g (n, 2o) = [dz | sum_{j in N(i)} invdeg[j] dz_j], overwritten: the
 * gradient of t (the mean's transpose, gathered as the graph is symmetric). */
static inline void gkd_sage_scatter(float *g, const gnnkd_csr *a, const float *invdeg,
                                    const float *dz, int32_t o) {
    gkd_active->sage_scatter(g, a, invdeg, dz, o);
}
void gkd_sage_scatter_ref(float *g, const gnnkd_csr *a, const float *invdeg, const float *dz,
                          int32_t o);

/* ---- the model object (model.c, model_io.c, gat.c, sage.c) --------------------- */

/* Layer l's parameters: nw weights, then its bias (dims[l+1]). The weights
 * are W (dims[l], lin) row-major; a GAT's are followed by a_src and then
 * a_dst, (heads, f) each. lin is the width of X W: dims[l+1] for GCN and
 * MLP, 2 dims[l+1] for SAGE ([W_self | W_neigh] side by side), heads f for
 * GAT (f = dims[l+1] / heads for a hidden layer, the classes for the
 * output). The one table of the layout: every other function asks it. */
typedef struct {
    int32_t heads, f, lin;
    int64_t nw;
} gkd_layer_shape;
gkd_layer_shape gkd_layer_shape_of(const gnnkd_model_spec *s, int l);

struct gnnkd_model {
    gnnkd_model_spec spec; /* complete: dims[0] and dims[nlayers] filled in */
    gnnkd_feature_norm feature_norm; /* of the features it was trained on */
    /* position features (gnnkd_model_set_position): the last pos_dim input
     * columns are position columns; pos (pos_n, pos_dim) the known nodes'
     * rows, or NULL */
    float *pos;
    int32_t pos_n, pos_dim;
    int64_t nparams;
    float *params, *grads, *adam_m, *adam_v; /* (nparams) each */
    float *w[GNNKD_MAX_LAYERS], *b[GNNKD_MAX_LAYERS];   /* into params */
    float *dw[GNNKD_MAX_LAYERS], *db[GNNKD_MAX_LAYERS]; /* into grads */
    gkd_exact *exact; /* (nparams) exact gradient sums, or NULL (gkd_model_set_exact) */
    double *exact_part; /* exact_threads blocks of the largest layer's gkd_exact_part_len */
    int exact_threads;
    int rows_alone; /* dense products row by row (gkd_rows_alone): set with exact sums, kept */

    /* The workspace, one allocation sized by the first forward over n nodes
     * (feature nnz, thread count) and reused until those change. */
    float *ws;
    int32_t ws_n;
    int64_t ws_nnz;  /* -1 for dense features */
    int ws_threads;
    float *logits;              /* (n, dims[nlayers]) */
    float *h[GNNKD_MAX_LAYERS]; /* (n, dims[l]) inputs of layers l >= 1, each the
                                   epilogue (bias, ReLU, dropout) of layer l-1 */
    float *xin;      /* input after dropout: (nnz) sparse values, or for dense
                        features a (xin_rows, dims[0]) block */
    int64_t xin_rows; /* gkd_drop_rows(dims[0]) capped at n when the workspace was sized */
    gnnkd_csr xd;    /* sparse input after dropout: the kept entries, val = xin */
    uint8_t *xkeep;  /* (nnz) its mask, scratch of gkd_dropout_spmm */
    float *t;        /* (n, max lin) scratch: GCN X w, then Â dz; SAGE X W, then its
                        gradient; GAT the gradient of lin; NULL for MLPs */
    float *g1, *g2;  /* (n, max dims[1..]) each: gradients of a layer's output and input */
    float *partial;  /* (nparts, dims[0], dims[1]) for gkd_spmm_t, if it wants them */
    int nparts;

    gnnkd_profile *profile; /* the caller's, or NULL: gnnkd_model_set_profile */

    /* GAT and SAGE: the graph's structure, built from d->adj with the
     * workspace. GAT: sl = adj + self loops (no values), rev[k] the index
     * of edge k's reverse; SAGE: invdeg (n). */
    const int64_t *ws_adj;  /* d->adj.rowptr it was built from */
    int64_t ws_adj_nnz;
    gnnkd_csr sl;
    int64_t *rev;
    float *invdeg;
    /* GAT activations, per layer l: lin (n, lin) = X W, the scores sdst and
     * ssrc (n, heads), alpha and its dropped alphad (nnz(sl), heads), and z
     * (n, dims[l+1]) the hidden output before ELU and dropout; backward
     * scratch: de (nnz(sl), max heads), dsdst and dssrc (n, max heads). */
    float *lin[GNNKD_MAX_LAYERS], *sdst[GNNKD_MAX_LAYERS], *ssrc[GNNKD_MAX_LAYERS];
    float *alpha[GNNKD_MAX_LAYERS], *alphad[GNNKD_MAX_LAYERS], *z[GNNKD_MAX_LAYERS];
    float *de, *dsdst, *dssrc;

    /* A hidden layer's embedding kept for a loss on it (gkd_model_set_tap):
     * tap is the hidden layer (1 .. nlayers-1, 0: none), tapbuf (n,
     * dims[tap]) in the workspace holds its activation before dropout when
     * the forward pass dropped it (h[tap] holds it otherwise); with
     * tap_preact, its pre-activation (after the bias), before the ReLU
     * (tapbuf) or ELU (a GAT's z). */
    int tap, ws_tap, tap_preact, ws_tap_preact;
    float *tapbuf;

    /* 1: dropout after the hidden layers only, never on the input features
     * (GLNN's and NOSMOG's MLP; gkd_model_set_input_dropout). */
    int no_input_dropout;

    /* What the last forward did, for backward. */
    int have_forward, fwd_dropout, fwd_drop_input, fwd_training;
    uint64_t fwd_key0; /* the input's mask */
    uint64_t fwd_attn_key[GNNKD_MAX_LAYERS], fwd_drop_key[GNNKD_MAX_LAYERS]; /* GAT's masks */
    const gnnkd_csr *fwd_xs;        /* the first layer's input: sparse */
    const float *fwd_xval, *fwd_x0; /* or dense */
    float *dx; /* gnnkd_model_input_grad's output during its backward pass, else NULL */

    /* CPF: the propagation's buffers (cpf.c), made with the workspace; it
     * uses sl and rev as a GAT does. */
    struct gkd_cpf *cpf;
};

/* Checks a complete spec and counts its parameters (GNNKD_EINVAL if bad). */
int gkd_model_spec_check(int64_t *nparams, const gnnkd_model_spec *spec, char *msg);

/* A model of a complete spec with zero parameters. */
int gkd_model_alloc(gnnkd_model **m, const gnnkd_model_spec *spec, char *msg);

/* GAT (gat.c): builds m->sl and m->rev from adj (self loops added, an
 * existing one kept once). GNNKD_ENOMEM. */
int gkd_gat_structure(gnnkd_model *m, const gnnkd_csr *adj, char *msg);
/* Layer l forward: m->lin[l] must hold X W; writes the scores, alpha,
 * alphad and out (n, dims[l+1]) = the aggregation + bias (z before ELU for
 * a hidden layer). training: attention dropout with key. */
void gkd_gat_layer_forward(gnnkd_model *m, float *out, int l, int32_t n, int training,
                           uint64_t key);
/* Layer l backward from dz (n, dims[l+1]): db[l], the attention vectors'
 * gradients, and m->t = the gradient of lin[l]. */
void gkd_gat_layer_backward(gnnkd_model *m, const float *dz, int l, int32_t n);

/* SAGE (sage.c): m->invdeg from adj. */
void gkd_sage_structure(gnnkd_model *m, const gnnkd_csr *adj);

/* CPF (cpf.c). The parameters after the last layer's W: the attention
 * vector a (nfeat), the gate's w (nfeat) and c (1). */
static inline int64_t gkd_cpf_extra(const gnnkd_model_spec *s) { return 2 * (int64_t)s->dims[0] + 1; }
/* m->cpf's buffers for n nodes over m->sl (built before); GNNKD_ENOMEM. */
int gkd_cpf_alloc(gnnkd_model *m, int32_t n, char *msg);
void gkd_cpf_free(gnnkd_model *m);
/* The propagation on top of the MLP's output m->logits (n, C): returns the
 * model's output (n, C), owned by m->cpf. Clamps d's training nodes;
 * attention dropout when training, masks keyed by key. */
const float *gkd_cpf_forward(gnnkd_model *m, const gnnkd_dataset *d, int training, uint64_t key);
/* Backward from dout (n, C): accumulates a's, w's and c's gradients and
 * returns the gradient of the MLP's output (n, C), owned by m->cpf. */
const float *gkd_cpf_backward(gnnkd_model *m, const float *dout, const gnnkd_dataset *d);

#endif /* GNNKD_KERNELS_H */
