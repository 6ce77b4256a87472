/* kernels.c — the hot paths: sparse times dense (forward and transposed),
 * the dense GEMMs, the elementwise passes, Adam and LSP's per-edge passes.
 * Their plain reference versions, for the tests, are in kernels_ref.c (LSP's
 * in distill/lsp.c).
 *
 * This file is compiled once per gnnkd_isa level (CMakeLists.txt), with
 * GKD_ISA_LEVEL set and that level's -march: every function is static, and
 * each copy exports only its table, gkd_kernels_isa<level> (tuning.c picks
 * one). */
#include "gnn/kernels.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#ifndef GKD_ISA_LEVEL
#error "kernels.c is compiled once per level with GKD_ISA_LEVEL set (CMakeLists.txt)"
#endif
// the copy a table claims to be is the one the compiler made
#if GKD_ISA_LEVEL == 2 /* GNNKD_ISA_X86_64_V4 */ && !(defined(__AVX512F__) && defined(__AVX512VL__))
#error "the x86-64-v4 copy of kernels.c must be compiled with -march=x86-64-v4"
#endif
#if GKD_ISA_LEVEL == 1 /* GNNKD_ISA_X86_64_V3 */ && !(defined(__AVX2__) && defined(__FMA__))
#error "the x86-64-v3 copy of kernels.c must be compiled with -march=x86-64-v3"
#endif

/* ---- y = A x ----------------------------------------------------------------- */

/* ar (H) += v g (H), 8 lanes at a time: spelt out in vectors because GCC
 * made scalar code of the plain loop in places. */
typedef float gkd_v8 __attribute__((vector_size(32)));
typedef float gkd_v16 __attribute__((vector_size(64)));

/* Rows of 64 to 256 floats held whole in 16-lane registers (a row of X W or
 * Â T being summed, g's row in X^T G): only with AVX-512's 32 registers; the
 * other copies keep their own loops. */
static int wide_rows(int32_t h) {
#ifdef __AVX512F__
    return h == 64 || h == 128 || h == 256;
#else
    (void)h;
    return 0;
#endif
}
__attribute__((always_inline)) static inline void axpy_row(float *restrict ar, float v,
                                                           const float *restrict g, int32_t H) {
    int32_t c = 0;
    for (; c + 8 <= H; c += 8) {
        gkd_v8 a, b;
        memcpy(&a, ar + c, sizeof a);
        memcpy(&b, g + c, sizeof b);
        a += v * b;
        memcpy(ar + c, &a, sizeof a);
    }
    for (; c < H; c++) ar[c] += v * g[c];
}

/* Rows of y no wider than GKD_SPMM_SMALL (the logits, GCN-16) sum in
 * registers, H a constant: faster than the generic loop with its runtime
 * trip count. Two sums, over the even and the odd nonzeros, halve the chain
 * of dependent adds. */
#define GKD_SPMM_SMALL 16
#define GKD_SPMM_ROW(H)                                                                     \
    case H: {                                                                              \
        float acc0[H] = {0}, acc1[H] = {0};                                                \
        for (; k + 2 <= end; k += 2) {                                                     \
            if (ahead && k + ahead + 1 < nnz) {                                            \
                __builtin_prefetch(x + (int64_t)colidx[k + ahead] * H);                    \
                __builtin_prefetch(x + (int64_t)colidx[k + ahead + 1] * H);                \
            }                                                                              \
            float v0 = val ? val[k] : 1.0f, v1 = val ? val[k + 1] : 1.0f;                  \
            const float *restrict x0 = x + (int64_t)colidx[k] * H;                         \
            const float *restrict x1 = x + (int64_t)colidx[k + 1] * H;                     \
            for (int32_t c = 0; c < H; c++) {                                              \
                acc0[c] += v0 * x0[c];                                                     \
                acc1[c] += v1 * x1[c];                                                     \
            }                                                                              \
        }                                                                                  \
        if (k < end) {                                                                     \
            float v0 = val ? val[k] : 1.0f;                                                \
            const float *restrict x0 = x + (int64_t)colidx[k] * H;                         \
            for (int32_t c = 0; c < H; c++) acc0[c] += v0 * x0[c];                         \
        }                                                                                  \
        for (int32_t c = 0; c < H; c++) yr[c] = acc0[c] + acc1[c];                         \
        if (ep) epilogue_row(yr, r, H, ep); /* H a constant: whole vectors */             \
        break;                                                                             \
    }

/* The epilogue of row r of y (n, h). */
__attribute__((always_inline)) static inline void epilogue_row(float *restrict yr, int64_t r,
                                                               int32_t h,
                                                               const gkd_epilogue *ep) {
    if (ep->bias)
        for (int32_t c = 0; c < h; c++) yr[c] += ep->bias[c];
    if (ep->p > 0.0f) {
        const float scale = 1.0f / (1.0f - ep->p);
        const uint32_t threshold = gkd_keep_threshold(ep->p);
        const int64_t e0 = r * h;
        const uint32_t lo = (uint32_t)e0, hi = gkd_mask_hi(e0);
        if (gkd_mask_run(e0, e0 + h) == e0 + h) // the row's e share their high bits
            for (int32_t c = 0; c < h; c++) {
                // ReLU as a mask too: a select became a mispredicted branch
                uint32_t keep = (gkd_mask_mix(ep->key, lo + (uint32_t)c, hi) >= threshold) &
                                (yr[c] > 0.0f);
                yr[c] = gkd_keep_or_zero(yr[c] * scale, keep, 1);
            }
        else
            for (int32_t c = 0; c < h; c++) {
                uint32_t keep = (gkd_mask_bits(ep->key, e0 + c) >= threshold) & (yr[c] > 0.0f);
                yr[c] = gkd_keep_or_zero(yr[c] * scale, keep, 1);
            }
    } else if (ep->relu) {
        for (int32_t c = 0; c < h; c++) yr[c] = gkd_keep_or_zero(yr[c], yr[c] > 0.0f, 1);
    }
}

static void epilogue_forward(float *restrict y, int64_t n, int32_t h, const gkd_epilogue *ep) {
    if (ep == NULL || (ep->bias == NULL && !ep->relu)) return;
    int64_t len = n * h;
#pragma omp parallel for schedule(static) \
    if (len > (ep->p > 0.0f ? gkd_tuning.par_min : gkd_tuning.par_min_stream))
    for (int64_t r = 0; r < n; r++) epilogue_row(y + r * h, r, h, ep);
}

/* A row of y of H floats (64, 128, 256) summed in H / 16 registers, a third
 * of the instructions of the 8-lane loop (which loads and stores y's row
 * every 4 nonzeros). */
#define GKD_SPMM_WIDE(H)                                                                    \
    case H: {                                                                              \
        gkd_v16 acc[H / 16] = {{0}};                                                        \
        for (; k < end; k++) {                                                             \
            float v = val ? val[k] : 1.0f;                                                 \
            const float *restrict xr = x + (int64_t)colidx[k] * H;                         \
            for (int j = 0; j < H / 16; j++) {                                             \
                gkd_v16 b;                                                                  \
                memcpy(&b, xr + 16 * j, sizeof b);                                         \
                acc[j] += v * b;                                                           \
            }                                                                              \
        }                                                                                  \
        memcpy(yr, acc, sizeof acc);                                                       \
        if (ep) epilogue_row(yr, r, H, ep);                                                \
        continue;                                                                          \
    }

/* Rows r0 .. r1-1 of y (n, h) = A x, A given by rowptr, colidx and val (NULL:
 * all ones), then the epilogue ep (or NULL). ahead > 0 prefetches that many
 * nonzeros ahead (nnz bounds it).
 * A function of its own, never inlined: GCC vectorised these loops well
 * only here (inlined into a bigger loop, it kept the sums in memory). */
__attribute__((noinline)) static void
spmm_rows(float *restrict y, const int64_t *restrict rowptr, const int32_t *restrict colidx,
          const float *restrict val, const float *restrict x, int64_t r0, int64_t r1, int32_t h,
          int ahead, int64_t nnz, const gkd_epilogue *ep) {
    const int32_t rowbytes = h * (int32_t)sizeof(float);
    const int wide = !ahead && wide_rows(h);
    for (int64_t r = r0; r < r1; r++) {
        float *restrict yr = y + r * h;
        int64_t k = rowptr[r], end = rowptr[r + 1];
        if (wide) {
            switch (h) { GKD_SPMM_WIDE(64) GKD_SPMM_WIDE(128) GKD_SPMM_WIDE(256) }
        }
        if (h <= GKD_SPMM_SMALL) {
            switch (h) {
                GKD_SPMM_ROW(1) GKD_SPMM_ROW(2) GKD_SPMM_ROW(3) GKD_SPMM_ROW(4)
                GKD_SPMM_ROW(5) GKD_SPMM_ROW(6) GKD_SPMM_ROW(7) GKD_SPMM_ROW(8)
                GKD_SPMM_ROW(9) GKD_SPMM_ROW(10) GKD_SPMM_ROW(11) GKD_SPMM_ROW(12)
                GKD_SPMM_ROW(13) GKD_SPMM_ROW(14) GKD_SPMM_ROW(15) GKD_SPMM_ROW(16)
            }
            continue;
        }
        for (int32_t c = 0; c < h; c++) yr[c] = 0.0f;
        // four nonzeros per pass over yr: a quarter of its loads and stores
        for (; k + 4 <= end; k += 4) {
            if (ahead && k + ahead + 4 <= nnz)
                for (int j = 0; j < 4; j++) {
                    const char *p = (const char *)(x + (int64_t)colidx[k + ahead + j] * h);
                    for (int32_t b = 0; b < rowbytes; b += 64) __builtin_prefetch(p + b);
                }
            float v0 = val ? val[k] : 1.0f, v1 = val ? val[k + 1] : 1.0f;
            float v2 = val ? val[k + 2] : 1.0f, v3 = val ? val[k + 3] : 1.0f;
            const float *restrict x0 = x + (int64_t)colidx[k] * h;
            const float *restrict x1 = x + (int64_t)colidx[k + 1] * h;
            const float *restrict x2 = x + (int64_t)colidx[k + 2] * h;
            const float *restrict x3 = x + (int64_t)colidx[k + 3] * h;
            for (int32_t c = 0; c < h; c++) yr[c] += v0 * x0[c] + v1 * x1[c] + v2 * x2[c] + v3 * x3[c];
        }
        for (; k < end; k++) axpy_row(yr, val ? val[k] : 1.0f, x + (int64_t)colidx[k] * h, h);
        if (ep) epilogue_row(yr, r, h, ep);
    }
}

/* The first row of the block that starts at work w0, work being nonzeros
 * plus rows (rowptr[r] + r rises with r). */
static int64_t block_start(const int64_t *rowptr, int64_t n, int64_t w0) {
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (rowptr[mid] + mid < w0) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

static void spmm(float *y, const gnnkd_csr *a, const float *val, const float *x, int32_t h,
                 const gkd_epilogue *ep) {
    // y is (n, h), a is (n, m) with values val (nnz), x is (m, h)
    const int64_t nnz = gnnkd_csr_nnz(a), n = a->nrows;
    int64_t work = (nnz + n) * h;
    // prefetch x's random rows only when x is far bigger than the caches:
    // below, the prefetches cost more than they save
    const int ahead = (int64_t)a->ncols * h * (int64_t)sizeof(float) > gkd_tuning.prefetch_bytes
                          ? (int)gkd_tuning.prefetch_ahead
                          : 0;
    // static blocks of equal work (nonzeros + rows): power-law degrees make
    // equal row counts very unequal work, and the same rows stay on the
    // same core from one product to the next
#pragma omp parallel if (work > gkd_tuning.par_min)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t r0 = block_start(a->rowptr, n, (nnz + n) * t / T);
        int64_t r1 = t == T - 1 ? n : block_start(a->rowptr, n, (nnz + n) * (t + 1) / T);
        spmm_rows(y, a->rowptr, a->colidx, val, x, r0, r1, h, ahead, nnz, ep);
    }
}

/* ---- y = dropout(X) w, keeping dropout(X) for the backward pass ----------- */

static void dropout_spmm(float *restrict y, gnnkd_csr *xd, uint8_t *restrict keep,
                         const gnnkd_csr *x, const float *restrict w, int32_t h, float p,
                         uint64_t key, const gkd_epilogue *ep) {
    // y is (n, h), x is (n, m), w is (m, h), keep is (nnz); xd gets dropout(x)
    const float scale = 1.0f / (1.0f - p);
    const uint32_t threshold = gkd_keep_threshold(p);
    const int64_t n = x->nrows, nnz = gnnkd_csr_nnz(x), *rowptr = x->rowptr;
    const int32_t *restrict xc = x->colidx;
    const float *restrict xv = x->val;
    int32_t *restrict col = xd->colidx;
    float *restrict val = xd->val;
    int64_t *restrict xdptr = xd->rowptr;
    int64_t kept[GKD_MAX_THREADS];
    int nt = (nnz + n) * h > gkd_tuning.par_min ? omp_get_max_threads() : 1;
    if (nt > GKD_MAX_THREADS) nt = GKD_MAX_THREADS;
    xd->nrows = x->nrows;
    xd->ncols = x->ncols;
    xdptr[0] = 0;
    // Each thread takes a block of rows of equal work and draws its mask;
    // then, once every block's count is known, writes its kept entries in
    // place. No serial pass.
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        int64_t r0 = block_start(rowptr, n, (nnz + n) * t / T);
        int64_t r1 = t == T - 1 ? n : block_start(rowptr, n, (nnz + n) * (t + 1) / T);
        // (bounds in locals: keep, a char array, may alias rowptr for GCC)
        const int64_t k0 = rowptr[r0], k1 = rowptr[r1];
        uint32_t count = 0; // per block: < 2^32 entries a thread
        for (int64_t s0 = k0, s1; s0 < k1; s0 = s1) { // runs sharing their high bits
            s1 = gkd_mask_run(s0, k1);
            const uint32_t lo = (uint32_t)s0, hi = gkd_mask_hi(s0), len = (uint32_t)(s1 - s0);
            uint8_t *restrict kr = keep + s0;
            for (uint32_t j = 0; j < len; j++) {
                uint8_t b = gkd_mask_mix(key, lo + j, hi) >= threshold;
                kr[j] = b;
                count += b;
            }
        }
        int64_t last = k1 - 1; // the block's last kept entry
        while (last >= k0 && !keep[last]) last--;
        kept[t] = count;
#pragma omp barrier
        int64_t j = 0;
        for (int u = 0; u < t; u++) j += kept[u];
        for (int64_t r = r0; r < r1; r++) {
            // branch-free, the mask being a coin toss: every entry is
            // written, and only kept ones advance j. Dropped entries after
            // the block's last kept one are not visited, so nothing lands
            // in the next block's range.
            const int64_t kb = rowptr[r], ke = rowptr[r + 1] <= last ? rowptr[r + 1] : last + 1;
            for (int64_t k = kb; k < ke; k++) {
                col[j] = xc[k];
                val[j] = (xv ? xv[k] : 1.0f) * scale;
                j += keep[k];
            }
            xdptr[r + 1] = j;
        }
#pragma omp barrier
        // xdptr[r0] came from the block before
        spmm_rows(y, xdptr, col, val, w, r0, r1, h, 0, 0, ep);
    }
}

/* ---- dx += A^T g --------------------------------------------------------------- */

/* The first k in [lo, hi) with colidx[k] >= c (columns ascend in a row). */
static inline int64_t first_col(const int32_t *colidx, int64_t lo, int64_t hi, int32_t c) {
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (colidx[mid] < c) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* acc (m, h) += A^T g over rows r0 .. r1-1 of A and its columns c0 .. c1-1
 * (a row's nonzeros there found by bisection). */
#define GKD_SPMMT_ROW(H)                                                                    \
    case H:                                                                                \
        for (; k < ke; k++) axpy_row(acc + (int64_t)colidx[k] * H, val ? val[k] : 1.0f, gr, H); \
        continue;

/* The scatter of a row with g's row of H floats (64, 128, 256) held in H / 16
 * registers: a load, an FMA and a store a register a nonzero, where 8-lane
 * vectors also reload g. */
#define GKD_SPMMT_WIDE(H)                                                                   \
    case H: {                                                                              \
        gkd_v16 gv[H / 16];                                                                 \
        memcpy(gv, gr, sizeof gv);                                                         \
        for (; k < ke; k++) {                                                              \
            float v = val ? val[k] : 1.0f;                                                 \
            float *restrict ar = acc + (int64_t)colidx[k] * H;                             \
            for (int j = 0; j < H / 16; j++) {                                             \
                gkd_v16 b;                                                                  \
                memcpy(&b, ar + 16 * j, sizeof b);                                         \
                b += v * gv[j];                                                            \
                memcpy(ar + 16 * j, &b, sizeof b);                                         \
            }                                                                              \
        }                                                                                  \
        continue;                                                                          \
    }

__attribute__((noinline)) static void
spmm_t_block(float *restrict acc, const gnnkd_csr *a, const float *restrict val,
             const float *restrict g, int32_t h, int64_t r0, int64_t r1, int32_t c0, int32_t c1) {
    const int64_t *restrict rowptr = a->rowptr;
    const int32_t *restrict colidx = a->colidx;
    const int wide = wide_rows(h);
    for (int64_t r = r0; r < r1; r++) {
        const float *restrict gr = g + r * h;
        int64_t k = rowptr[r], ke = rowptr[r + 1];
        if (c0 > 0) k = first_col(colidx, k, ke, c0);
        if (c1 < a->ncols) ke = first_col(colidx, k, ke, c1);
        if (wide) {
            switch (h) { GKD_SPMMT_WIDE(64) GKD_SPMMT_WIDE(128) GKD_SPMMT_WIDE(256) }
        }
        switch (h) {
            GKD_SPMMT_ROW(1) GKD_SPMMT_ROW(2) GKD_SPMMT_ROW(3) GKD_SPMMT_ROW(4)
            GKD_SPMMT_ROW(5) GKD_SPMMT_ROW(6) GKD_SPMMT_ROW(7) GKD_SPMMT_ROW(8)
            GKD_SPMMT_ROW(9) GKD_SPMMT_ROW(10) GKD_SPMMT_ROW(11) GKD_SPMMT_ROW(12)
            GKD_SPMMT_ROW(13) GKD_SPMMT_ROW(14) GKD_SPMMT_ROW(15) GKD_SPMMT_ROW(16)
        }
        for (; k < ke; k++) axpy_row(acc + (int64_t)colidx[k] * h, val ? val[k] : 1.0f, gr, h);
    }
}

static void spmm_t(float *dx, float *partial, int nparts, const gnnkd_csr *a, const float *val,
                   const float *g, int32_t h) {
    // dx is (m, h), partial is (nparts, m, h), a is (n, m), val is (nnz), g is (n, h)
    const int64_t m = a->ncols, n = a->nrows, mh = m * h;
    int nt = gnnkd_csr_nnz(a) * h > gkd_tuning.par_min ? omp_get_max_threads() : 1;
    // Two ways to share the scatter. Tall A (PubMed's X: 500 columns, 19717
    // rows): blocks of A's rows, thread 0 into dx, the others into partials
    // that are then added in thread order; g is read once. Else ranges of
    // A's columns, each thread adding into its own rows of dx every row's
    // nonzeros there: no partials to clear and add, but every thread reads
    // all of g.
    const int by_rows = nt > 1 && nparts >= nt - 1 && 4 * m < n;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        if (by_rows) {
            float *acc = t == 0 ? dx : partial + (int64_t)(t - 1) * mh;
            if (t > 0) memset(acc, 0, sizeof *acc * (size_t)mh);
            spmm_t_block(acc, a, val, g, h, n * t / T, n * (t + 1) / T, 0, (int32_t)m);
#pragma omp barrier
#pragma omp for schedule(static)
            for (int64_t e = 0; e < mh; e++)
                for (int u = 1; u < T; u++) dx[e] += partial[(int64_t)(u - 1) * mh + e];
        } else {
            spmm_t_block(dx, a, val, g, h, 0, n, (int32_t)(m * t / T), (int32_t)(m * (t + 1) / T));
        }
    }
}

/* ---- dense products ------------------------------------------------------------ */

/* OpenBLAS's OpenMP build takes its team size from omp_get_max_threads():
 * a product of fewer than blas_par_min multiply-adds runs on one thread
 * (this thread's ICV, set and restored), where a team costs more than it
 * saves. */
static int blas_begin(int64_t n, int32_t i, int32_t o) {
    int nt = omp_get_max_threads();
    if (nt > 1 && n * i * o < gkd_tuning.blas_par_min) omp_set_num_threads(1);
    return nt;
}
static void blas_end(int nt) { omp_set_num_threads(nt); }

/* out (n, o) = inp w for a narrow w (o <= GKD_NARROW_O: the logits): o dot
 * products a row, each over 8 lanes then summed, against w^T held on the
 * stack, where OpenBLAS does little with so few columns. */
#define GKD_NARROW_O 16
#define GKD_NARROW_IO 8192 /* i o floats, on each thread's stack */
/* For few inputs (i < narrow_min_in) OpenBLAS wins. */
static int narrow(int32_t i, int32_t o) {
    return o <= GKD_NARROW_O && i >= gkd_tuning.narrow_min_in && (int64_t)i * o <= GKD_NARROW_IO;
}

static void matmul_forward_narrow(float *restrict out, const float *restrict inp,
                                            const float *restrict w, int64_t n, int32_t i,
                                            int32_t o) {
    float wt[GKD_NARROW_IO]; // w^T (o, i)
    for (int32_t k = 0; k < i; k++)
        for (int32_t c = 0; c < o; c++) wt[(int64_t)c * i + k] = w[(int64_t)k * o + c];
    int32_t i8 = i & ~7;
#pragma omp parallel for schedule(static) if (n * i * o > gkd_tuning.par_min)
    for (int64_t r = 0; r < n; r++) {
        const float *restrict x = inp + r * i;
        gkd_v8 acc[GKD_NARROW_O] = {{0}};
        for (int32_t k = 0; k < i8; k += 8) {
            gkd_v8 xv;
            memcpy(&xv, x + k, sizeof xv);
            for (int32_t c = 0; c < o; c++) {
                gkd_v8 wv;
                memcpy(&wv, wt + (int64_t)c * i + k, sizeof wv);
                acc[c] += xv * wv;
            }
        }
        for (int32_t c = 0; c < o; c++) {
            float sum = ((acc[c][0] + acc[c][1]) + (acc[c][2] + acc[c][3])) +
                        ((acc[c][4] + acc[c][5]) + (acc[c][6] + acc[c][7]));
            for (int32_t k = i8; k < i; k++) sum += x[k] * wt[(int64_t)c * i + k];
            out[r * o + c] = sum;
        }
    }
}

/* out (n, o) = inp (n, i) w (i, o), each row alone: its k terms added in
 * order into o lanes (gkd_rows_alone). */
static void matmul_forward_rows(float *restrict out, const float *restrict inp,
                                const float *restrict w, int64_t n, int32_t i, int32_t o) {
#pragma omp parallel for schedule(static) if (n * i * o > gkd_tuning.par_min)
    for (int64_t r = 0; r < n; r++) {
        float *restrict y = out + r * o;
        memset(y, 0, sizeof *y * (size_t)o);
        for (int32_t k = 0; k < i; k++) {
            const float x = inp[r * i + k];
            const float *restrict wk = w + (int64_t)k * o;
#pragma omp simd
            for (int32_t c = 0; c < o; c++) y[c] += x * wk[c];
        }
    }
}

/* dinp (n, i) = dout (n, o) w^T, each row alone (gkd_rows_alone). */
static void matmul_dinp_rows(float *restrict dinp, const float *restrict dout,
                             const float *restrict w, int64_t n, int32_t i, int32_t o) {
#pragma omp parallel for schedule(static) if (n * i * o > gkd_tuning.par_min)
    for (int64_t r = 0; r < n; r++) {
        const float *restrict g = dout + r * o;
        for (int32_t k = 0; k < i; k++) {
            const float *restrict wk = w + (int64_t)k * o;
            float acc = 0.0f;
#pragma omp simd reduction(+ : acc)
            for (int32_t c = 0; c < o; c++) acc += g[c] * wk[c];
            dinp[r * i + k] = acc;
        }
    }
}

static void matmul_forward(float *out, const float *inp, const float *w, int64_t n, int32_t i,
                           int32_t o) {
    // out is (n, o), inp is (n, i), w is (i, o)
    if (n == 0 || o == 0) return;
    if (i == 0) {
        memset(out, 0, sizeof *out * (size_t)n * (size_t)o);
        return;
    }
    if (narrow(i, o)) {
        matmul_forward_narrow(out, inp, w, n, i, o);
        return;
    }
    if (gkd_rows_alone) {
        matmul_forward_rows(out, inp, w, n, i, o);
        return;
    }
    int nt = blas_begin(n, i, o);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, o, i, 1.0f, inp, i, w, o,
                0.0f, out, o);
    blas_end(nt);
}

/* dw and dinp of a narrow layer (o <= GKD_NARROW_O, the logits) in one pass
 * over the rows: each row of inp and dout is read once, where two GEMMs
 * read them twice and OpenBLAS does little with a k of 3. Each thread sums
 * its static block of rows into a private dw^T; the blocks are added in
 * thread order, so the bits depend only on the thread count. */
static void matmul_backward_narrow(float *restrict dinp, float *restrict dw,
                                             const float *restrict dout,
                                             const float *restrict inp, const float *restrict w,
                                             int64_t n, int32_t i, int32_t o,
                                             const gkd_gate *gate) {
    float wt[GKD_NARROW_IO]; // w^T (o, i)
    for (int32_t k = 0; k < i; k++)
        for (int32_t c = 0; c < o; c++) wt[(int64_t)c * i + k] = w[(int64_t)k * o + c];
    int nt = n * i * o > gkd_tuning.par_min ? omp_get_max_threads() : 1;
#pragma omp parallel num_threads(nt)
    {
        float acc[GKD_NARROW_IO]; // this thread's dw^T (o, i)
        float dbacc[GKD_NARROW_IO]; // and column sums of dinp (i)
        memset(acc, 0, sizeof(float) * (size_t)i * (size_t)o);
        memset(dbacc, 0, sizeof(float) * (size_t)i);
        const float scale = gate ? gate->scale : 0.0f;
        float *restrict db = gate && dinp ? gate->db : NULL;
#pragma omp for schedule(static)
        for (int64_t r = 0; r < n; r++) {
            const float *restrict x = inp + r * i, *restrict g = dout + r * o;
            if (dinp) {
                float *restrict dx = dinp + r * i;
                for (int32_t k = 0; k < i; k++) dx[k] = 0.0f;
                for (int32_t c = 0; c < o; c++)
                    for (int32_t k = 0; k < i; k++) dx[k] += g[c] * wt[(int64_t)c * i + k];
                if (scale > 0.0f) // the row of inp is in L1 already
                    for (int32_t k = 0; k < i; k++) dx[k] = gkd_keep_or_zero(dx[k] * scale, x[k] > 0.0f, 1);
                if (db)
                    for (int32_t k = 0; k < i; k++) dbacc[k] += dx[k];
            }
            for (int32_t c = 0; c < o; c++)
                for (int32_t k = 0; k < i; k++) acc[(int64_t)c * i + k] += g[c] * x[k];
        }
        // iteration t runs on thread t, in order
#pragma omp for ordered schedule(static, 1)
        for (int t = 0; t < omp_get_num_threads(); t++) {
#pragma omp ordered
            {
                for (int32_t k = 0; k < i; k++)
                    for (int32_t c = 0; c < o; c++) dw[(int64_t)k * o + c] += acc[(int64_t)c * i + k];
                if (db)
                    for (int32_t k = 0; k < i; k++) db[k] += dbacc[k];
            }
        }
    }
}

static void bias_backward(float *db, const float *dout, int32_t n, int32_t o);
static void relu_dropout_backward(float *dinp, const float *dout, const float *out, int64_t len,
                                  float scale);

static void matmul_backward(float *dinp, float *dw, const float *dout, const float *inp,
                            const float *w, int64_t n, int32_t i, int32_t o,
                            const gkd_gate *gate) {
    // dinp is (n, i) or NULL, dw is (i, o), dout is (n, o), inp is (n, i), w is (i, o)
    if (n == 0 || i == 0) return;
    if (o == 0) {
        if (dinp) memset(dinp, 0, sizeof *dinp * (size_t)n * (size_t)i);
        return;
    }
    if (narrow(i, o)) {
        matmul_backward_narrow(dinp, dw, dout, inp, w, n, i, o, gate);
        return;
    }
    // beta 0: dinp is overwritten, no zeroing pass before
    if (dinp && gkd_rows_alone) matmul_dinp_rows(dinp, dout, w, n, i, o);
    int nt = blas_begin(n, i, o);
    if (dinp && !gkd_rows_alone)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, i, o, 1.0f, dout, o, w, o,
                    0.0f, dinp, i);
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, i, o, (int)n, 1.0f, inp, i, dout, o,
                1.0f, dw, o);
    blas_end(nt);
    if (dinp && gate && gate->scale > 0.0f)
        relu_dropout_backward(dinp, dinp, inp, (int64_t)n * i, gate->scale);
    if (dinp && gate && gate->db) bias_backward(gate->db, dinp, (int32_t)n, i);
}

/* ---- elementwise gradients ----------------------------------------------- */

static void bias_backward(float *restrict db, const float *restrict dout, int32_t n, int32_t o) {
    // db is (o), dout is (n, o). Narrow (o <= 16): dout read as one flat
    // array in chunks of P = lcm(o, 8) floats, whole vectors, column
    // e % o of chunk element e. Each column sums its rows in the same order
    // on any thread count.
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
#pragma omp parallel for schedule(static) if ((int64_t)n * o > gkd_tuning.par_min_stream && nb > 1)
    for (int32_t b = 0; b < nb; b++) {
        int32_t c0 = 64 * b, c1 = c0 + 64 < o ? c0 + 64 : o;
        for (int32_t r = 0; r < n; r++)
            for (int32_t c = c0; c < c1; c++) db[c] += dout[(int64_t)r * o + c];
    }
}

static void relu_dropout_backward(float *restrict dinp, const float *restrict dout,
                                  const float *restrict out, int64_t len, float scale) {
    // a bit mask, not a select: GCC left the select a branch per element,
    // mispredicted half the time. A mask rather than a 0/1 factor keeps
    // dropped gradients +0, never -0.
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min_stream)
    for (int64_t e = 0; e < len; e++)
        dinp[e] = gkd_keep_or_zero(dout[e] * scale, out[e] > 0.0f, 1);
}

/* ---- dropout of a range of a larger array ------------------------------------- */

static void dropout(float *restrict out, const float *restrict inp, int64_t e0, int64_t len,
                    float p, uint64_t key) {
    // out[e] = dropout(inp[e]) for the elements e0 .. e0 + len - 1 of the
    // array whose mask is key's; out may be inp (element by element)
    float scale = 1.0f / (1.0f - p);
    uint32_t threshold = gkd_keep_threshold(p);
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min)
    for (int64_t e = 0; e < len; e++)
        out[e] = gkd_keep_or_zero(inp[e] * scale, gkd_mask_bits(key, e0 + e), threshold);
}

/* ---- Adam ---------------------------------------------------------------------- */

/* One pass over params, grads and the moments, the decay folded in; the
 * grads are zeroed as they are used, which saves the trainer a pass over
 * them before the next backward. Division and sqrtf bound it;
 * -fno-math-errno (CMakeLists.txt) lets GCC vectorise sqrtf, the same IEEE
 * operations in the same order in every copy. */
static double adam(float *restrict p, float *restrict g, float *restrict mm, float *restrict vv,
                   int64_t len, float wd, float b1, float b2, float c1, float c2, float lr,
                   float eps) {
    const float step = lr / c1, inv_c2 = 1.0f / c2, a1 = 1.0f - b1, a2 = 1.0f - b2;
    // par_min, not par_min_stream: the square roots and divisions bound it
    int nt = len > gkd_tuning.par_min ? omp_get_max_threads() : 1;
    if (nt > GKD_MAX_THREADS) nt = GKD_MAX_THREADS;
    double part[GKD_MAX_THREADS] = {0}, total = 0.0;
#pragma omp parallel num_threads(nt)
    {
        int t = omp_get_thread_num(), T = omp_get_num_threads();
        const int64_t e0 = len * t / T, e1 = len * (t + 1) / T;
        // the squares of the new weights in float sums over 1024 of them
        // (omp simd: vector lanes may reorder the sum), then in double
        for (int64_t q0 = e0; q0 < e1; q0 += 1024) {
            const int64_t q1 = q0 + 1024 < e1 ? q0 + 1024 : e1;
            float sq = 0.0f;
#pragma omp simd reduction(+ : sq)
            for (int64_t e = q0; e < q1; e++) {
                float ge = g[e] + wd * p[e];
                mm[e] = b1 * mm[e] + a1 * ge;
                vv[e] = b2 * vv[e] + a2 * ge * ge;
                p[e] -= step * mm[e] / (sqrtf(vv[e] * inv_c2) + eps);
                g[e] = 0.0f; // consumed: the next backward pass starts from zero
                sq += p[e] * p[e];
            }
            part[t] += sq;
        }
    }
    for (int t = 0; t < nt; t++) total += part[t]; // in thread order
    return total;
}

/* ---- graph attention --------------------------------------------------------- */

#define GKD_GAT_MAX_HEADS 256 /* the spec's limit */

static inline float lrelu(float x) { return x > 0.0f ? x : GKD_GAT_SLOPE * x; }

static void gat_softmax(float *restrict alpha, float *restrict alphad, const gnnkd_csr *a,
                        const float *restrict sdst, const float *restrict ssrc, int32_t H,
                        float p, uint64_t key) {
    const int64_t n = a->nrows, nnz = gnnkd_csr_nnz(a);
    const float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const uint32_t threshold = gkd_keep_threshold(p);
#pragma omp parallel for schedule(dynamic, 256) if (nnz * H * 8 > gkd_tuning.par_min)
    for (int64_t i = 0; i < n; i++) {
        const int64_t k0 = a->rowptr[i], k1 = a->rowptr[i + 1];
        float mx[GKD_GAT_MAX_HEADS], sum[GKD_GAT_MAX_HEADS];
        const float *restrict di = sdst + i * H;
        for (int32_t h = 0; h < H; h++) mx[h] = -INFINITY, sum[h] = 0.0f;
        for (int64_t k = k0; k < k1; k++) {
            const float *restrict sj = ssrc + (int64_t)a->colidx[k] * H;
            float *restrict ak = alpha + k * H;
            for (int32_t h = 0; h < H; h++) {
                ak[h] = lrelu(di[h] + sj[h]);
                mx[h] = ak[h] > mx[h] ? ak[h] : mx[h];
            }
        }
        for (int64_t k = k0; k < k1; k++) {
            float *restrict ak = alpha + k * H;
            for (int32_t h = 0; h < H; h++) {
                ak[h] = gkd_exp_neg(ak[h] - mx[h]);
                sum[h] += ak[h];
            }
        }
        for (int32_t h = 0; h < H; h++) sum[h] = 1.0f / sum[h];
        for (int64_t k = k0; k < k1; k++) {
            float *restrict ak = alpha + k * H, *restrict dk = alphad + k * H;
            for (int32_t h = 0; h < H; h++) {
                ak[h] *= sum[h];
                dk[h] = p > 0.0f ? gkd_keep_or_zero(ak[h] * scale, gkd_mask_bits(key, k * H + h),
                                                    threshold)
                                 : ak[h];
            }
        }
    }
}

/* ELU and dropout between GAT layers, in blocks whose mask counters share
 * their high bits (32-bit hashing only), so that every copy vectorises the
 * exp, the hash and the select together. */
#define GKD_ELU_BLOCK 4096

/* out = dropout(ELU(z)) (forward), or out = dz from out = dh, h and z
 * (backward: ELU'(z) = ELU(z) + 1 below zero, read off h = the kept ELU(z)
 * scaled); one block walk, one vectorisable loop each way. */
static void elu_pass(float *restrict out, const float *restrict h, const float *restrict z,
                     int64_t len, float p, uint64_t key, int backward) {
    const float scale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f, keep = 1.0f - p;
    const uint32_t threshold = gkd_keep_threshold(p); // 0 for p = 0: every element kept
    const int64_t nb = (len + GKD_ELU_BLOCK - 1) / GKD_ELU_BLOCK;
#pragma omp parallel for schedule(static) if (len > gkd_tuning.par_min)
    for (int64_t b = 0; b < nb; b++) {
        const int64_t e1 = (b + 1) * GKD_ELU_BLOCK < len ? (b + 1) * GKD_ELU_BLOCK : len;
        for (int64_t e0 = b * GKD_ELU_BLOCK; e0 < e1;) {
            const int64_t r1 = gkd_mask_run(e0, e1);
            const int32_t cnt = (int32_t)(r1 - e0);
            const uint32_t hi = gkd_mask_hi(e0), lo = (uint32_t)e0;
            float *restrict o = out + e0;
            const float *restrict zr = z + e0;
            if (backward) {
                const float *restrict hr = h + e0;
                for (int32_t k = 0; k < cnt; k++) {
                    const float g = o[k] * scale * (zr[k] > 0.0f ? 1.0f : hr[k] * keep + 1.0f);
                    o[k] = gkd_keep_or_zero(g, gkd_mask_mix(key, lo + (uint32_t)k, hi), threshold);
                }
            } else {
                for (int32_t k = 0; k < cnt; k++) {
                    const float x = zr[k], v = x > 0.0f ? x : gkd_exp_neg(x < 0.0f ? x : 0.0f) - 1.0f;
                    o[k] = gkd_keep_or_zero(v * scale, gkd_mask_mix(key, lo + (uint32_t)k, hi),
                                            threshold);
                }
            }
            e0 = r1;
        }
    }
}

static void elu_dropout(float *h, const float *z, int64_t len, float p, uint64_t key) {
    elu_pass(h, NULL, z, len, p, key, 0);
}

static void elu_dropout_backward(float *dh, const float *h, const float *z, int64_t len, float p,
                                 uint64_t key) {
    elu_pass(dh, h, z, len, p, key, 1);
}

static void gat_spmm(float *restrict y, const gnnkd_csr *a, const float *restrict alpha,
                     const int64_t *restrict perm, const float *restrict x, int32_t H, int32_t F,
                     int64_t xrow, int32_t xhead, float scale, int mean) {
    const int64_t n = a->nrows, nnz = gnnkd_csr_nnz(a), yrow = mean ? F : (int64_t)H * F;
#pragma omp parallel for schedule(dynamic, 256) if (nnz * H * F > gkd_tuning.par_min)
    for (int64_t i = 0; i < n; i++) {
        float *restrict yr = y + i * yrow;
        memset(yr, 0, sizeof *yr * (size_t)yrow);
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
            const int64_t kk = perm ? perm[k] : k;
            const float *restrict xj = x + (int64_t)a->colidx[k] * xrow;
            const float *restrict ak = alpha + kk * H;
            for (int32_t h = 0; h < H; h++)
                axpy_row(yr + (mean ? 0 : (int64_t)h * F), ak[h], xj + (int64_t)h * xhead, F);
        }
        if (scale != 1.0f)
            for (int64_t c = 0; c < yrow; c++) yr[c] *= scale;
    }
}

static void gat_softmax_backward(float *restrict de, float *restrict dsdst, const gnnkd_csr *a,
                                 const float *restrict alpha, const float *restrict t,
                                 const float *restrict dy, int64_t dyrow, int32_t dyhead,
                                 float dyscale, const float *restrict sdst,
                                 const float *restrict ssrc, int32_t H, int32_t F, float p,
                                 uint64_t key) {
    const int64_t n = a->nrows, nnz = gnnkd_csr_nnz(a), trow = (int64_t)H * F;
    const float pscale = p > 0.0f ? 1.0f / (1.0f - p) : 1.0f;
    const uint32_t threshold = gkd_keep_threshold(p);
#pragma omp parallel for schedule(dynamic, 256) if (nnz * H * F > gkd_tuning.par_min)
    for (int64_t i = 0; i < n; i++) {
        const int64_t k0 = a->rowptr[i], k1 = a->rowptr[i + 1];
        float s[GKD_GAT_MAX_HEADS];
        const float *restrict dyi = dy + i * dyrow;
        for (int32_t h = 0; h < H; h++) s[h] = 0.0f;
        for (int64_t k = k0; k < k1; k++) {
            const float *restrict tj = t + (int64_t)a->colidx[k] * trow;
            for (int32_t h = 0; h < H; h++) {
                const float *restrict u = dyi + (int64_t)h * dyhead, *restrict v = tj + (int64_t)h * F;
                float g = 0.0f;
                for (int32_t f = 0; f < F; f++) g += u[f] * v[f];
                de[k * H + h] = g * (dyscale * pscale);
            }
        }
        // the row's elements k H + h are contiguous: the mask in one flat pass
        if (p > 0.0f)
            for (int64_t e = k0 * H; e < k1 * H; e++)
                de[e] = gkd_keep_or_zero(de[e], gkd_mask_bits(key, e), threshold);
        for (int64_t k = k0; k < k1; k++)
            for (int32_t h = 0; h < H; h++) s[h] += alpha[k * H + h] * de[k * H + h];
        float *restrict di = dsdst + i * H;
        for (int32_t h = 0; h < H; h++) di[h] = 0.0f;
        for (int64_t k = k0; k < k1; k++) {
            const float *restrict sj = ssrc + (int64_t)a->colidx[k] * H;
            for (int32_t h = 0; h < H; h++) {
                float e = sdst[i * H + h] + sj[h];
                float g = alpha[k * H + h] * (de[k * H + h] - s[h]) * (e > 0.0f ? 1.0f : GKD_GAT_SLOPE);
                de[k * H + h] = g;
                di[h] += g;
            }
        }
    }
}

/* ---- GraphSAGE's mean aggregator ------------------------------------------------ */

static void sage_aggregate(float *restrict y, const gnnkd_csr *a, const float *restrict invdeg,
                           const float *restrict t, int32_t o, const gkd_epilogue *ep) {
    const int64_t n = a->nrows, nnz = gnnkd_csr_nnz(a), trow = 2 * (int64_t)o;
#pragma omp parallel for schedule(dynamic, 256) if ((nnz + n) * o > gkd_tuning.par_min)
    for (int64_t i = 0; i < n; i++) {
        float *restrict yr = y + i * o;
        memset(yr, 0, sizeof *yr * (size_t)o);
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++)
            axpy_row(yr, 1.0f, t + (int64_t)a->colidx[k] * trow + o, o);
        const float inv = invdeg[i], *restrict ti = t + i * trow;
        for (int32_t c = 0; c < o; c++) yr[c] = ti[c] + inv * yr[c];
        if (ep) epilogue_row(yr, i, o, ep);
    }
}

static void sage_scatter(float *restrict g, const gnnkd_csr *a, const float *restrict invdeg,
                         const float *restrict dz, int32_t o) {
    const int64_t n = a->nrows, nnz = gnnkd_csr_nnz(a), grow = 2 * (int64_t)o;
#pragma omp parallel for schedule(dynamic, 256) if ((nnz + n) * o > gkd_tuning.par_min)
    for (int64_t i = 0; i < n; i++) {
        float *restrict gr = g + i * grow;
        memcpy(gr, dz + i * o, sizeof *gr * (size_t)o);
        memset(gr + o, 0, sizeof *gr * (size_t)o);
        for (int64_t k = a->rowptr[i]; k < a->rowptr[i + 1]; k++) {
            const int32_t j = a->colidx[k];
            axpy_row(gr + o, invdeg[j], dz + (int64_t)j * o, o);
        }
    }
}

/* ---- exact sums: the hot loop of exact.c --------------------------------------------- */

/* s (i blocks of [A | B], o each) += the parts of x g' of rows r0 .. r1:
 * kernels.h says how a term is cut. */
static void exact_rows(double *restrict s, const gnnkd_csr *xs, const float *restrict xval,
                       const float *restrict x, const float *restrict g, int64_t r0, int64_t r1,
                       int32_t i, int32_t o) {
    const double R = GKD_EXACT_ROUND;
    for (int64_t r = r0; r < r1; r++) {
        const float *restrict gr = g + r * o;
        const int64_t k0 = xs ? xs->rowptr[r] : 0, k1 = xs ? xs->rowptr[r + 1] : i;
        for (int64_t k = k0; k < k1; k++) {
            const float xk = xs ? (xval ? xval[k] : 1.0f) : x[r * i + k];
            if (xk == 0.0f) continue; // after ReLU and dropout, most dense ones are
            const double xv = (double)xk * GKD_EXACT_SCALE_A;
            double *restrict sa = s + 2 * (xs ? (int64_t)xs->colidx[k] : k) * o;
            double *restrict sb = sa + o;
            for (int32_t c = 0; c < o; c++) {
                double p = xv * gr[c], a = (p + R) - R; // p - a: exact, p's low bits
                sa[c] += a;
                sb[c] += ((p - a) * GKD_EXACT_SCALE_B + R) - R;
            }
        }
    }
}

/* ---- LSP's per-edge passes (distill/lsp.c drives them; gnn.h) --------------------- */

/* How many edges ahead the passes prefetch a neighbour's row. */
#define GKD_LSP_AHEAD 16

/* Asks for the D floats of row (every 64-byte line: a row of 64 floats
 * spans four). */
static inline void lsp_prefetch_row(const float *row, int32_t D) {
    for (int32_t c = 0; c < D; c += 16) __builtin_prefetch(row + c);
}

/* The columns go in blocks of 8 with a fixed inner count, which every copy
 * vectorises whole, also for a narrow layer (D = 8) that a 16-wide loop
 * over D would leave to its scalar tail. */
#define GKD_LSP_W 8

/* The sum over c < D of (a_c - b_c)^2 (op 0), |a_c - b_c| (op 1) or a_c b_c
 * (op 2). */
static inline __attribute__((always_inline)) float lsp_reduce(const float *restrict a,
                                                              const float *restrict b, int32_t D,
                                                              int op) {
    float acc[GKD_LSP_W] = {0};
    int32_t c = 0;
    for (; c + GKD_LSP_W <= D; c += GKD_LSP_W)
#pragma omp simd
        for (int32_t u = 0; u < GKD_LSP_W; u++) {
            const float x = a[c + u], y = b[c + u];
            acc[u] += op == 0 ? (x - y) * (x - y) : op == 1 ? fabsf(x - y) : x * y;
        }
    for (; c < D; c++) {
        const float x = a[c], y = b[c];
        acc[0] += op == 0 ? (x - y) * (x - y) : op == 1 ? fabsf(x - y) : x * y;
    }
    return ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
}

/* The kernel of z_i and z_j (D each) by form, and *f its factor in
 * dk/dz_i = f * direction (lsp_row_gather's); inv_s2 = 1 / sigma^2 (rbf),
 * hoisted out of the edge loop. The sums' order depends on the copy, never
 * on the thread count. */
static inline __attribute__((always_inline)) float lsp_kernel(float *f, const gkd_lsp_form *form,
                                                              float inv_s2, const float *restrict zi,
                                                              const float *restrict zj, int32_t D) {
    switch (form->kernel) {
    case GNNKD_LSP_RBF:
        *f = inv_s2;
        return -0.5f * lsp_reduce(zi, zj, D, 0) * inv_s2;
    case GNNKD_LSP_L1: {
        float k = gkd_exp_neg(-lsp_reduce(zi, zj, D, 1) / form->sigma);
        *f = k / form->sigma;
        return k;
    }
    default: {
        float acc = lsp_reduce(zi, zj, D, 2);
        if (form->kernel == GNNKD_LSP_LINEAR) {
            *f = 1.0f;
            return acc;
        }
        float b = acc + GKD_LSP_POLY_C; // degree 2
        *f = 2.0f * b;
        return b * b;
    }
    }
}

/* Row i's kernel values r, factors f and softmax p over its edges;
 * returns its log-sum-exp (0 without edges) and, if kl is given, sets *kl
 * to the row's KL(p || q) (KL(q || p) with form.reverse), log p_ij = r_ij -
 * lse_i. inv = 1 / tau and inv_s2 = 1 / sigma^2 come from the caller, once
 * for a range of rows. One exponential an edge, after the kernels'. */
static inline __attribute__((always_inline)) float lsp_row_raw(float *r, float *p, float *f,
                                                               double *kl, const gkd_lsp *l,
                                                               const float *z, int32_t D, int32_t i,
                                                               float inv, float inv_s2) {
    const int64_t k0 = l->s.rowptr[i], k1 = l->s.rowptr[i + 1];
    if (k0 == k1) {
        if (kl) *kl = l->form.reverse ? l->qlq[i] : 0.0;
        return 0.0f;
    }
    const float *zi = z + (int64_t)i * D;
    float mx = -INFINITY;
    const int64_t nnz = l->s.rowptr[l->n];
    for (int64_t k = k0; k < k1; k++) {
        // the neighbours' rows are random reads: ask for the next rows' early
        if (k + GKD_LSP_AHEAD < nnz) lsp_prefetch_row(z + (int64_t)l->s.colidx[k + GKD_LSP_AHEAD] * D, D);
        r[k] = inv * lsp_kernel(&f[k], &l->form, inv_s2, zi, z + (int64_t)l->s.colidx[k] * D, D);
        mx = r[k] > mx ? r[k] : mx;
    }
    float sum = 0.0f;
    for (int64_t k = k0; k < k1; k++) sum += p[k] = gkd_exp_neg(r[k] - mx);
    const float inv_sum = 1.0f / sum, lse = mx + logf(sum);
    if (!kl) {
        for (int64_t k = k0; k < k1; k++) p[k] *= inv_sum;
        return lse;
    }
    const float *tq = l->tq;
    double acc = 0.0;
    if (!l->form.reverse) { // KL(p || q), tq = log q
        for (int64_t k = k0; k < k1; k++) {
            p[k] *= inv_sum;
            acc += (double)p[k] * (r[k] - lse - tq[k]);
        }
    } else { // KL(q || p) = sum q log q - sum q log p, tq = q
        for (int64_t k = k0; k < k1; k++) {
            p[k] *= inv_sum;
            acc -= (double)tq[k] * (r[k] - lse);
        }
        acc += l->qlq[i];
    }
    *kl = acc;
    return lse;
}

/* The passes over rows i0..i1-1 (gnn.h's gkd_lsp_rows_*). Each comes in a
 * copy with D = GKD_LSP_W fixed, which the compiler unrolls, for a narrow
 * layer (a gcn:8 student's): at a few edges a row, the loops' set-up over
 * D costs as much as the edges (a third of the pass on PubMed). */
static inline __attribute__((always_inline)) void lsp_rows_raw_at(float *p, const gkd_lsp *l,
                                                                  const float *z, int32_t D,
                                                                  int32_t i0, int32_t i1) {
    const float inv = 1.0f / l->form.tau, inv_s2 = 1.0f / (l->form.sigma * l->form.sigma);
    for (int32_t i = i0; i < i1; i++) (void)lsp_row_raw(l->r, p, l->f, NULL, l, z, D, i, inv, inv_s2);
}
static void lsp_rows_raw(float *p, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                         int32_t i1) {
    if (D == GKD_LSP_W) lsp_rows_raw_at(p, l, z, GKD_LSP_W, i0, i1);
    else lsp_rows_raw_at(p, l, z, D, i0, i1);
}

static inline __attribute__((always_inline)) void lsp_rows_loss_at(gkd_lsp *l, const float *z,
                                                                   int32_t D, int32_t i0,
                                                                   int32_t i1) {
    const float inv = 1.0f / l->form.tau, inv_s2 = 1.0f / (l->form.sigma * l->form.sigma);
    for (int32_t i = i0; i < i1; i++)
        l->lse[i] = lsp_row_raw(l->r, l->p, l->f, &l->kl[i], l, z, D, i, inv, inv_s2);
}
static void lsp_rows_loss(gkd_lsp *l, const float *z, int32_t D, int32_t i0, int32_t i1) {
    if (D == GKD_LSP_W) lsp_rows_loss_at(l, z, GKD_LSP_W, i0, i1);
    else lsp_rows_loss_at(l, z, D, i0, i1);
}

/* Row i of gkd_lsp_rows_gather. The weight of edge k = (i, j) is scale f_ij
 * (dKL_i/ds_ij + dKL_j/ds_ji), with dKL/ds = p (log p - log q - KL) for
 * KL(p || q) and p - q for KL(q || p); row j's side comes from r_ij = r_ji,
 * lse_j, kl_j and the transposed target, one exponential an edge, so no pass
 * reads another row's edges. The weights go into f's row (free after the
 * loss pass), then the direction of dk/dz_i: z_j - z_i (rbf), z_j (linear,
 * poly), sign(z_j - z_i) (l1). */
static inline __attribute__((always_inline)) void lsp_row_gather(float *dz, const gkd_lsp *l,
                                                                 const float *z, int32_t D,
                                                                 int32_t i, float scale) {
    const int64_t k0 = l->s.rowptr[i], k1 = l->s.rowptr[i + 1];
    float *restrict di = dz + (int64_t)i * D, *restrict w = l->f;
    const float *restrict zi = z + (int64_t)i * D;
    const float *restrict r = l->r, *restrict p = l->p, *restrict lse = l->lse;
    const int32_t *restrict col = l->s.colidx;
    const float lse_i = lse[i];
    float wsum = 0.0f;
    if (l->form.reverse) {
        const float *restrict q = l->tq, *restrict qt = l->tqt;
        for (int64_t k = k0; k < k1; k++) {
            w[k] = scale * w[k] * (p[k] - q[k] + gkd_exp_neg(r[k] - lse[col[k]]) - qt[k]);
            wsum += w[k];
        }
    } else {
        const float *restrict lq = l->tq, *restrict lqt = l->tqt;
        const double *restrict kl = l->kl;
        const float kl_i = (float)kl[i];
        for (int64_t k = k0; k < k1; k++) {
            const float lpi = r[k] - lse_i, lpj = r[k] - lse[col[k]];
            w[k] = scale * w[k] *
                   (p[k] * (lpi - lq[k] - kl_i) + gkd_exp_neg(lpj) * (lpj - lqt[k] - (float)kl[col[k]]));
            wsum += w[k];
        }
    }
    // each neighbour's row read once, into di (registers when D is fixed)
    memset(di, 0, (size_t)D * sizeof *di);
    for (int64_t k = k0; k < k1; k++) {
        if (k + GKD_LSP_AHEAD < k1) lsp_prefetch_row(z + (int64_t)col[k + GKD_LSP_AHEAD] * D, D);
        const float wk = w[k];
        const float *restrict zj = z + (int64_t)col[k] * D;
        int32_t c = 0;
        if (l->form.kernel == GNNKD_LSP_L1) {
            for (; c + GKD_LSP_W <= D; c += GKD_LSP_W)
#pragma omp simd
                for (int32_t u = c; u < c + GKD_LSP_W; u++)
                    di[u] += zj[u] > zi[u] ? wk : zj[u] < zi[u] ? -wk : 0.0f;
            for (; c < D; c++) di[c] += zj[c] > zi[c] ? wk : zj[c] < zi[c] ? -wk : 0.0f;
        } else {
            for (; c + GKD_LSP_W <= D; c += GKD_LSP_W)
#pragma omp simd
                for (int32_t u = c; u < c + GKD_LSP_W; u++) di[u] += wk * zj[u];
            for (; c < D; c++) di[c] += wk * zj[c];
        }
    }
    if (l->form.kernel == GNNKD_LSP_RBF)
        for (int32_t c = 0; c < D; c++) di[c] -= wsum * zi[c];
}

static void lsp_rows_gather(float *dz, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                            int32_t i1, float scale) {
    if (D == GKD_LSP_W)
        for (int32_t i = i0; i < i1; i++) lsp_row_gather(dz, l, z, GKD_LSP_W, i, scale);
    else
        for (int32_t i = i0; i < i1; i++) lsp_row_gather(dz, l, z, D, i, scale);
}

/* ---- this copy's table ------------------------------------------------------------ */

#define GKD_CAT_(a, b) a##b
#define GKD_CAT(a, b) GKD_CAT_(a, b)
const gkd_kernels GKD_CAT(gkd_kernels_isa, GKD_ISA_LEVEL) = {
    .level = GKD_ISA_LEVEL,
    .epilogue_forward = epilogue_forward,
    .spmm = spmm,
    .dropout_spmm = dropout_spmm,
    .spmm_t = spmm_t,
    .matmul_forward = matmul_forward,
    .matmul_backward = matmul_backward,
    .bias_backward = bias_backward,
    .relu_dropout_backward = relu_dropout_backward,
    .dropout = dropout,
    .adam = adam,
    .gat_softmax = gat_softmax,
    .gat_spmm = gat_spmm,
    .gat_softmax_backward = gat_softmax_backward,
    .elu_dropout = elu_dropout,
    .elu_dropout_backward = elu_dropout_backward,
    .sage_aggregate = sage_aggregate,
    .sage_scatter = sage_scatter,
    .exact_rows = exact_rows,
    .lsp_rows_raw = lsp_rows_raw,
    .lsp_rows_loss = lsp_rows_loss,
    .lsp_rows_gather = lsp_rows_gather,
};
