/* exact.c — weight and bias gradients summed exactly, for reproducible
 * training (gnnkd_train_options.reproducible). Integer sums do not depend on
 * the order of their terms, so P ranks' partial sums, added in any order,
 * and any thread count give the single process's bits; the float kernels'
 * sums (BLAS, per-thread partials) have no such property.
 *
 * kernels.h says how a term is cut into integers that doubles sum exactly
 * (gkd_exact_rows, the hot loop, per copy of the kernels); this file runs
 * it over blocks of rows and moves its sums into the 128-bit integers. */
#include "gnn/kernels.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* A part's sum as an integer: beyond 2^62 (terms beyond 2^20, which the
 * doubles no longer sum exactly: training has diverged) it saturates, and a
 * NaN sum counts 0 — finite, defined, if no longer exact. */
static inline int64_t whole(double v) {
    return v == v ? (int64_t)(v > 0x1p62 ? 0x1p62 : v < -0x1p62 ? -0x1p62 : v) : 0;
}

/* acc (rows, o) += the integers that s holds (rows blocks of A then B
 * sums, o each); s zeroed. */
static void flush(gkd_exact *acc, double *s, int64_t rows, int32_t o) {
    for (int64_t k = 0; k < rows; k++) {
        double *sa = s + 2 * k * o, *sb = sa + o;
        for (int32_t c = 0; c < o; c++) {
            acc[k * o + c] += (gkd_exact)whole(sa[c]) * ((gkd_exact)1 << 39) + whole(sb[c]);
            sa[c] = sb[c] = 0.0;
        }
    }
}

int64_t gkd_exact_part_len(int32_t i, int32_t o) { return 2 * (int64_t)i * o; }

void gkd_exact_xtg(gkd_exact *acc, double *part, int threads, const gnnkd_csr *xs,
                   const float *xval, const float *x, const float *g, int64_t n, int32_t i,
                   int32_t o) {
    // acc is (i, o); part holds threads blocks of gkd_exact_part_len(i, o)
    // zeros; X is (n, i) sparse (xs, xval; NULL values: ones) or dense x; g is (n, o)
    const int64_t len = gkd_exact_part_len(i, o), nblocks = (n + GKD_EXACT_ROWS - 1) / GKD_EXACT_ROWS;
    const double work = xs ? (double)gnnkd_csr_nnz(xs) * o : (double)n * i * o;
    int nt = work > gkd_tuning.par_min ? omp_get_max_threads() : 1;
    nt = nt < threads ? nt : threads;
#pragma omp parallel num_threads(nt)
    {
        double *s = part + (int64_t)omp_get_thread_num() * len;
        int any = 0;
#pragma omp for schedule(static)
        for (int64_t b = 0; b < nblocks; b++) {
            int64_t r0 = b * GKD_EXACT_ROWS, r1 = r0 + GKD_EXACT_ROWS < n ? r0 + GKD_EXACT_ROWS : n;
            if (any) {
#pragma omp critical(gkd_exact)
                flush(acc, s, i, o); // integer adds: the threads' order does not matter
            }
            gkd_exact_rows(s, xs, xval, x, g, r0, r1, i, o);
            any = 1;
        }
        if (any) {
#pragma omp critical(gkd_exact)
            flush(acc, s, i, o);
        }
    }
}

void gkd_exact_colsum(gkd_exact *acc, double *part, const float *g, int64_t n, int32_t o) {
    // acc is (o), part 2 (o) zeros, g is (n, o): kernels.h's cut, term by term
    const double R = GKD_EXACT_ROUND;
    for (int64_t r = 0; r < n; r++) {
        if (r > 0 && r % GKD_EXACT_ROWS == 0) flush(acc, part, 1, o);
        for (int32_t c = 0; c < o; c++) {
            double p = g[r * o + c] * GKD_EXACT_SCALE_A, a = (p + R) - R;
            part[c] += a;
            part[o + c] += ((p - a) * GKD_EXACT_SCALE_B + R) - R;
        }
    }
    flush(acc, part, 1, o);
}

void gkd_exact_round(float *out, gkd_exact *acc, int64_t len) {
    // int128 to double rounds to nearest; the scaling by 2^-57 is exact
    for (int64_t e = 0; e < len; e++) {
        out[e] = (float)((double)acc[e] * 0x1p-57);
        acc[e] = 0;
    }
}
