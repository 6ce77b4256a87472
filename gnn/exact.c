/* exact.c — weight and bias gradients summed exactly, for reproducible
 * training (gnnkd_train_options.reproducible). Each term (a product x g of
 * two floats, exact in double, or a bias gradient g) is truncated to a
 * multiple of 2^-64 and added as a 128-bit integer: integer sums do not
 * depend on the order of their terms, so P ranks' partial sums, added in any
 * order, and any thread count give the single process's bits. The float
 * kernels' sums (BLAS, per-thread partials) have no such property. */
#include "gnn/kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* trunc(v 2^64) as an integer, v clamped to [-2^38, 2^38] (NaN to 0): a sum
 * of up to 2^24 terms stays inside 127 bits. Below 2^-64 a term is 0. */
static inline gkd_exact quantum(double v) {
    const double lim = 0x1p38;
    if (!(fabs(v) <= lim)) v = v > 0.0 ? lim : v < 0.0 ? -lim : 0.0;
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    int e = (int)(b >> 52 & 0x7ff); // v = mant 2^(e - 1075), so v 2^64 = mant 2^(e - 1011)
    if (e == 0) return 0;           // zero or subnormal
    uint64_t mant = (b & 0xfffffffffffffULL) | 0x10000000000000ULL;
    int sh = e - 1011;
    unsigned __int128 r = sh >= 0 ? (unsigned __int128)mant << sh : sh > -64 ? mant >> -sh : 0;
    return b >> 63 ? -(gkd_exact)r : (gkd_exact)r;
}

/* Column blocks of the (., o) accumulators: each thread owns whole blocks,
 * so no two threads add into one integer. */
enum { EXACT_BLOCK = 16 };

void gkd_exact_xtg(gkd_exact *acc, const gnnkd_csr *xs, const float *xval, const float *x,
                   const float *g, int64_t n, int32_t i, int32_t o) {
    // acc is (i, o), X is (n, i) sparse (xs, xval; NULL values: ones) or dense x, g is (n, o)
    const int32_t nb = (o + EXACT_BLOCK - 1) / EXACT_BLOCK;
    const double work = xs ? (double)gnnkd_csr_nnz(xs) * o : (double)n * i * o;
#pragma omp parallel for schedule(static) if (work > gkd_tuning.par_min && nb > 1)
    for (int32_t b = 0; b < nb; b++) {
        const int32_t c0 = b * EXACT_BLOCK, c1 = c0 + EXACT_BLOCK < o ? c0 + EXACT_BLOCK : o;
        for (int64_t r = 0; r < n; r++) {
            const float *gr = g + r * o;
            if (xs) {
                for (int64_t k = xs->rowptr[r]; k < xs->rowptr[r + 1]; k++) {
                    const double xv = xval ? xval[k] : 1.0;
                    gkd_exact *a = acc + (int64_t)xs->colidx[k] * o;
                    for (int32_t c = c0; c < c1; c++) a[c] += quantum(xv * gr[c]);
                }
            } else {
                const float *xr = x + r * i;
                for (int32_t k = 0; k < i; k++) {
                    if (xr[k] == 0.0f) continue; // after ReLU and dropout, most are
                    const double xv = xr[k];
                    gkd_exact *a = acc + (int64_t)k * o;
                    for (int32_t c = c0; c < c1; c++) a[c] += quantum(xv * gr[c]);
                }
            }
        }
    }
}

void gkd_exact_colsum(gkd_exact *acc, const float *g, int64_t n, int32_t o) {
    // acc is (o), g is (n, o)
    for (int64_t r = 0; r < n; r++)
        for (int32_t c = 0; c < o; c++) acc[c] += quantum(g[r * o + c]);
}

void gkd_exact_round(float *out, gkd_exact *acc, int64_t len) {
    // int128 to double rounds to nearest; the scaling by 2^-64 is exact
    for (int64_t e = 0; e < len; e++) {
        out[e] = (float)((double)acc[e] * 0x1p-64);
        acc[e] = 0;
    }
}
