/* test_kernels.c — every fast kernel against its plain reference, on random
 * shapes with empty rows, h = 1, n = 1 and non-square matrices, on 1 and 2
 * threads. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/kernels.h"
#include "tests/common.h"
#include "tests/forced_isa.h"

/* A random (n, m) CSR with about density * m entries a row, every third
 * row empty, values in [-1, 1). */
static void random_csr(gnnkd_csr *a, int32_t n, int32_t m, double density, uint64_t seed) {
    a->nrows = n;
    a->ncols = m;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * m + 1, sizeof *a->colidx);
    a->val = calloc((size_t)n * m + 1, sizeof *a->val);
    for (int32_t i = 0; i < n; i++) {
        a->rowptr[i + 1] = a->rowptr[i];
        if (i % 3 == 1) continue;
        for (int32_t j = 0; j < m; j++)
            if (gkd_uniform(seed, (uint64_t)i * m + j) < density) {
                a->val[a->rowptr[i + 1]] = 2.0f * gkd_uniform(seed + 1, (uint64_t)i * m + j) - 1.0f;
                a->colidx[a->rowptr[i + 1]++] = j;
            }
    }
}

static const int32_t SHAPES[][3] = { // n, m, h
    {1, 1, 1}, {1, 7, 3}, {7, 1, 5}, {13, 13, 1}, {37, 11, 16}, {11, 50, 9}, {200, 80, 33}, {70, 300, 64},
    {1, 70, 2}, {9, 64, 16}, // the narrow GEMMs (i >= 64, o <= 16)
    {50, 40, 256}, {30, 20, 128}, // rows held in registers (AVX-512)
};
#define NSHAPES (int)(sizeof SHAPES / sizeof SHAPES[0])

Test(kernels, spmm_matches_reference) {
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        for (int s = 0; s < NSHAPES; s++) {
            int32_t n = SHAPES[s][0], m = SHAPES[s][1], h = SHAPES[s][2];
            gnnkd_csr a;
            random_csr(&a, n, m, 0.3, 100 + s);
            float *x = test_random_array((int64_t)m * h, 200 + s, 1.0f);
            float *y = test_random_array((int64_t)n * h, 1, 1.0f), *yr = test_random_array((int64_t)n * h, 2, 1.0f);
            gkd_spmm(y, &a, a.val, x, h, NULL); // overwrites whatever y held
            gkd_spmm_ref(yr, &a, a.val, x, h);
            test_assert_close(y, yr, (int64_t)n * h, 1e-5, "spmm with values");
            gkd_spmm(y, &a, NULL, x, h, NULL);
            gkd_spmm_ref(yr, &a, NULL, x, h);
            test_assert_close(y, yr, (int64_t)n * h, 1e-5, "spmm of a pattern");
            free(x);
            free(y);
            free(yr);
            gnnkd_csr_clear(&a);
        }
    }
}

Test(kernels, spmm_t_matches_reference) {
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        for (int s = 0; s < NSHAPES; s++) {
            int32_t n = SHAPES[s][0], m = SHAPES[s][1], h = SHAPES[s][2];
            gnnkd_csr a;
            random_csr(&a, n, m, 0.3, 300 + s);
            float *g = test_random_array((int64_t)n * h, 400 + s, 1.0f);
            // both start from the same non-zero dx: the kernel accumulates
            float *dx = test_random_array((int64_t)m * h, 5, 1.0f), *dxr = test_random_array((int64_t)m * h, 5, 1.0f);
            gkd_spmm_t(dx, NULL, 0, &a, a.val, g, h);
            gkd_spmm_t_ref(dxr, &a, a.val, g, h);
            test_assert_close(dx, dxr, (int64_t)m * h, 1e-5, "spmm_t");
            free(dx), free(dxr), free(g);
            gnnkd_csr_clear(&a);
        }
    }
}

/* Big enough for a team: threads own ranges of dx's rows, so 1, 2 and 3
 * threads give the same bits, a narrow (h 8) and a wide (h 40) row, values
 * and a pattern, a column range with no nonzeros at all. */
Test(kernels, spmm_t_same_bits_on_any_threads) {
    gnnkd_csr a;
    random_csr(&a, 3000, 60, 0.2, 77);
    for (int64_t k = 0; k < gnnkd_csr_nnz(&a); k++) // columns 20..29 empty
        if (a.colidx[k] >= 20 && a.colidx[k] < 30) a.colidx[k] = k % 2 ? 19 : 30;
    for (int32_t r = 0; r < a.nrows; r++) // ascending again: a sort of each row
        for (int64_t k = a.rowptr[r] + 1; k < a.rowptr[r + 1]; k++)
            for (int64_t q = k; q > a.rowptr[r] && a.colidx[q - 1] > a.colidx[q]; q--) {
                int32_t c = a.colidx[q]; a.colidx[q] = a.colidx[q - 1]; a.colidx[q - 1] = c;
                float v = a.val[q]; a.val[q] = a.val[q - 1]; a.val[q - 1] = v;
            }
    const int32_t hs[2] = {8, 40};
    for (int hi = 0; hi < 2; hi++)
        for (int pattern = 0; pattern <= 1; pattern++) {
            int32_t h = hs[hi];
            const float *val = pattern ? NULL : a.val;
            cr_assert_gt(gnnkd_csr_nnz(&a) * h, gkd_tuning.par_min);
            float *g = test_random_array(3000 * (int64_t)h, 78, 1.0f), *dx[4], *ref = calloc(60 * (size_t)h, sizeof(float));
            gkd_spmm_t_ref(ref, &a, val, g, h);
            for (int threads = 1; threads <= 3; threads++) {
                gnnkd_set_threads(threads);
                dx[threads] = calloc(60 * (size_t)h, sizeof(float));
                gkd_spmm_t(dx[threads], NULL, 0, &a, val, g, h); // no partials: by columns
                test_assert_close(dx[threads], ref, 60 * (int64_t)h, 1e-5, "spmm_t on a team");
                cr_assert(memcmp(dx[threads], dx[1], sizeof(float) * 60 * (size_t)h) == 0,
                          "h %d: %d threads differ from 1", h, threads);
            }
            for (int threads = 1; threads <= 3; threads++) free(dx[threads]);
            free(g), free(ref);
        }
    gnnkd_set_threads(0);
    gnnkd_csr_clear(&a);
}

/* A tall A with partials: blocks of rows into garbage-filled partials, on 2
 * and 3 threads, against the reference; the same bits when repeated. */
Test(kernels, spmm_t_by_rows_with_partials) {
    gnnkd_csr a;
    random_csr(&a, 3000, 60, 0.2, 79);
    cr_assert(gkd_spmm_t_partials(a.nrows, a.ncols));
    int32_t h = 24;
    float *g = test_random_array(3000 * (int64_t)h, 80, 1.0f), *partial = test_random_array(2 * 60 * (int64_t)h, 81, 1.0f);
    float *ref = calloc(60 * (size_t)h, sizeof(float));
    gkd_spmm_t_ref(ref, &a, a.val, g, h);
    for (int threads = 2; threads <= 3; threads++) {
        gnnkd_set_threads(threads);
        float *dx1 = calloc(60 * (size_t)h, sizeof(float)), *dx2 = calloc(60 * (size_t)h, sizeof(float));
        gkd_spmm_t(dx1, partial, 2, &a, a.val, g, h);
        gkd_spmm_t(dx2, partial, 2, &a, a.val, g, h);
        test_assert_close(dx1, ref, 60 * (int64_t)h, 1e-5, "spmm_t by rows");
        cr_assert(memcmp(dx1, dx2, sizeof(float) * 60 * (size_t)h) == 0, "repeated on %d threads", threads);
        free(dx1), free(dx2);
    }
    gnnkd_set_threads(0);
    free(g), free(partial), free(ref);
    gnnkd_csr_clear(&a);
}

Test(kernels, matmul_matches_reference) {
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        for (int s = 0; s < NSHAPES; s++) {
            int32_t n = SHAPES[s][0], i = SHAPES[s][1], o = SHAPES[s][2];
            float *inp = test_random_array((int64_t)n * i, 10 + s, 1.0f), *w = test_random_array((int64_t)i * o, 20 + s, 1.0f);
            float *dout = test_random_array((int64_t)n * o, 30 + s, 1.0f);
            float *out = test_random_array((int64_t)n * o, 1, 1.0f), *outr = test_random_array((int64_t)n * o, 2, 1.0f);
            gkd_matmul_forward(out, inp, w, n, i, o);
            gkd_matmul_forward_ref(outr, inp, w, n, i, o);
            test_assert_close(out, outr, (int64_t)n * o, 1e-5, "matmul forward");

            float *dinp = test_random_array((int64_t)n * i, 3, 1.0f), *dinpr = test_random_array((int64_t)n * i, 3, 1.0f);
            float *dw = test_random_array((int64_t)i * o, 4, 1.0f), *dwr = test_random_array((int64_t)i * o, 4, 1.0f);
            gkd_matmul_backward(dinp, dw, dout, inp, w, n, i, o, NULL);
            gkd_matmul_backward_ref(dinpr, dwr, dout, inp, w, n, i, o);
            test_assert_close(dinp, dinpr, (int64_t)n * i, 1e-5, "matmul backward dinp");
            test_assert_close(dw, dwr, (int64_t)i * o, 1e-5, "matmul backward dw");
            // gated by the input's ReLU and dropout (scale 2): zero where inp <= 0
            // and the column sums of the gated dinp into db (from 1s)
            float *dwg = test_random_array((int64_t)i * o, 4, 1.0f), *db = malloc(sizeof(float) * (size_t)i);
            for (int32_t k = 0; k < i; k++) db[k] = 1.0f;
            gkd_matmul_backward(dinp, dwg, dout, inp, w, n, i, o, &(gkd_gate){2.0f, db});
            for (int64_t e = 0; e < (int64_t)n * i; e++) dinpr[e] = inp[e] > 0.0f ? 2.0f * dinpr[e] : 0.0f;
            test_assert_close(dinp, dinpr, (int64_t)n * i, 1e-5, "matmul backward gated dinp");
            for (int32_t k = 0; k < i; k++) {
                double sum = 1.0;
                for (int32_t r = 0; r < n; r++) sum += dinpr[(int64_t)r * i + k];
                cr_assert(fabs(db[k] - sum) <= 1e-4 * (1.0 + fabs(sum)), "db[%d] %g vs %g", k, db[k], sum);
            }
            free(db);
            for (int64_t e = 0; e < (int64_t)n * i; e++)
                if (inp[e] <= 0.0f) cr_assert(dinp[e] == 0.0f && !signbit(dinp[e]), "a gated gradient is +0");
            test_assert_close(dwg, dwr, (int64_t)i * o, 1e-5, "matmul backward dw, gated");
            free(dwg);
            // without an input gradient only dw moves
            gkd_matmul_backward(NULL, dw, dout, inp, w, n, i, o, NULL);
            gkd_matmul_backward_ref(NULL, dwr, dout, inp, w, n, i, o);
            test_assert_close(dw, dwr, (int64_t)i * o, 1e-5, "matmul backward dw only");
            free(inp), free(w), free(dout), free(out), free(outr);
            free(dinp), free(dinpr), free(dw), free(dwr);
        }
    }
}

/* With gkd_rows_alone the dense products compute each row by itself: the
 * reference's values, and a block of rows taken from the middle (as a
 * part's rows are) gives the same bits as the whole, on 1 and 2 threads.
 * (OpenBLAS's AVX-512 kernels fail this.) */
Test(kernels, matmul_rows_alone_by_position) {
    int32_t n = 1500, i = 40, o = 64; // not narrow: OpenBLAS's shape otherwise
    cr_assert_gt((int64_t)n * i * o, gkd_tuning.par_min);
    float *inp = test_random_array((int64_t)n * i, 41, 1.0f), *w = test_random_array((int64_t)i * o, 42, 1.0f);
    float *dout = test_random_array((int64_t)n * o, 43, 1.0f);
    float *out = malloc(sizeof(float) * (size_t)n * o), *outr = malloc(sizeof(float) * (size_t)n * o);
    float *part = malloc(sizeof(float) * (size_t)n * o), *dinp = malloc(sizeof(float) * (size_t)n * i);
    float *dinpr = malloc(sizeof(float) * (size_t)n * i), *dpart = malloc(sizeof(float) * (size_t)n * i);
    float *dw = calloc((size_t)i * o, sizeof(float));
    const int64_t r0 = 333, rows = 777; // an odd block in the middle
    gkd_rows_alone = 1;
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        gkd_matmul_forward(out, inp, w, n, i, o);
        gkd_matmul_forward(part, inp + r0 * i, w, rows, i, o);
        cr_assert(memcmp(out + r0 * o, part, sizeof(float) * (size_t)rows * o) == 0,
                  "forward: a block's rows differ from the whole's on %d threads", threads);
        gkd_matmul_backward(dinp, dw, dout, inp, w, n, i, o, NULL);
        gkd_matmul_backward(dpart, dw, dout + r0 * o, inp + r0 * i, w, rows, i, o, NULL);
        cr_assert(memcmp(dinp + r0 * i, dpart, sizeof(float) * (size_t)rows * i) == 0,
                  "dinp: a block's rows differ from the whole's on %d threads", threads);
    }
    gkd_rows_alone = 0;
    gnnkd_set_threads(0);
    gkd_matmul_forward_ref(outr, inp, w, n, i, o);
    test_assert_close(out, outr, (int64_t)n * o, 1e-5, "rows-alone forward");
    gkd_matmul_backward_ref(dinpr, dw, dout, inp, w, n, i, o);
    test_assert_close(dinp, dinpr, (int64_t)n * i, 1e-5, "rows-alone dinp");
    free(inp), free(w), free(dout), free(out), free(outr), free(part), free(dinp), free(dinpr);
    free(dpart), free(dw);
}

/* Row r of (A x) is sum_k A(r, k) x(k, :); check one value by hand. */
Test(kernels, spmm_small_by_hand) {
    int64_t rowptr[4] = {0, 2, 2, 3};
    int32_t colidx[3] = {0, 2, 1};
    float val[3] = {2.0f, -1.0f, 0.5f};
    gnnkd_csr a = {3, 3, rowptr, colidx, val};
    float x[6] = {1, 2, 3, 4, 5, 6}; // (3, 2)
    float y[6];
    gkd_spmm(y, &a, val, x, 2, NULL);
    float want[6] = {2 * 1 - 5, 2 * 2 - 6, 0, 0, 0.5f * 3, 0.5f * 4};
    for (int e = 0; e < 6; e++) cr_assert_eq(y[e], want[e], "element %d", e);
    float dx[6] = {0};
    gkd_spmm_t(dx, NULL, 0, &a, val, y, 2); // A^T y
    float wantt[6] = {2 * y[0], 2 * y[1], 0.5f * y[4], 0.5f * y[5], -y[0], -y[1]};
    for (int e = 0; e < 6; e++) cr_assert_eq(dx[e], wantt[e], "transpose element %d", e);
}

/* The one-pass backward and the forward of a narrow layer (o <= 16), big
 * enough to run on 2 threads: against the reference, and the same bits when
 * repeated. */
Test(kernels, matmul_backward_narrow_on_threads) {
    int32_t n = 3001, i = 67, o = 3; // i >= 64: the narrow kernels, not OpenBLAS
    cr_assert_gt((int64_t)n * i * o, gkd_tuning.par_min);
    float *inp = test_random_array((int64_t)n * i, 11, 1.0f), *w = test_random_array((int64_t)i * o, 12, 1.0f);
    float *dout = test_random_array((int64_t)n * o, 13, 1.0f);
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        float *dinp = test_random_array((int64_t)n * i, 3, 1.0f), *dinpr = test_random_array((int64_t)n * i, 3, 1.0f);
        float *dw = test_random_array((int64_t)i * o, 4, 1.0f), *dwr = test_random_array((int64_t)i * o, 4, 1.0f);
        float *dw2 = test_random_array((int64_t)i * o, 4, 1.0f);
        gkd_matmul_backward(dinp, dw, dout, inp, w, n, i, o, NULL);
        gkd_matmul_backward_ref(dinpr, dwr, dout, inp, w, n, i, o);
        test_assert_close(dinp, dinpr, (int64_t)n * i, 1e-5, "narrow dinp");
        test_assert_close(dw, dwr, (int64_t)i * o, 1e-4, "narrow dw");
        gkd_matmul_backward(dinpr, dw2, dout, inp, w, n, i, o, NULL);
        cr_assert(memcmp(dw, dw2, sizeof(float) * (size_t)i * o) == 0, "dw differs on %d threads", threads);
        float *out = test_random_array((int64_t)n * o, 5, 1.0f), *outr = test_random_array((int64_t)n * o, 6, 1.0f);
        gkd_matmul_forward(out, inp, w, n, i, o);
        gkd_matmul_forward_ref(outr, inp, w, n, i, o);
        test_assert_close(out, outr, (int64_t)n * o, 1e-5, "narrow forward");
        free(out), free(outr);
        free(dinp), free(dinpr), free(dw), free(dwr), free(dw2);
    }
    free(inp), free(w), free(dout);
}

/* ---- tuning: the settings and the copies of the hot kernels ------------------------ */

/* Field by field: padding bytes of a struct copy are unspecified. */
static int same_tuning(const gnnkd_tuning *a, const gnnkd_tuning *b) {
    return a->par_min == b->par_min && a->par_min_stream == b->par_min_stream &&
           a->blas_par_min == b->blas_par_min && a->narrow_min_in == b->narrow_min_in &&
           a->loss_par_min == b->loss_par_min && a->drop_floats == b->drop_floats &&
           a->prefetch_bytes == b->prefetch_bytes && a->prefetch_ahead == b->prefetch_ahead &&
           a->isa == b->isa;
}

Test(tuning, defaults_are_the_documented_ones) {
    gnnkd_tuning t, now;
    gnnkd_tuning_default(&t);
    cr_assert_eq(t.par_min, 32768);
    cr_assert_eq(t.par_min_stream, 1 << 20);
    cr_assert_eq(t.blas_par_min, 1 << 22);
    cr_assert_eq(t.narrow_min_in, 64);
    cr_assert_eq(t.loss_par_min, 65536);
    cr_assert_eq(t.drop_floats, 1 << 22);
    cr_assert_eq(t.prefetch_bytes, 32LL << 20);
    cr_assert_eq(t.prefetch_ahead, 16);
    cr_assert_str_eq(gnnkd_isa_name(GNNKD_ISA_X86_64_V4), "x86-64-v4");
    cr_assert_str_eq(gnnkd_isa_name(GNNKD_ISA_X86_64_V3), "x86-64-v3");
    cr_assert_str_eq(gnnkd_isa_name(GNNKD_ISA_BASELINE), "baseline");
    cr_assert_null(gnnkd_isa_name(3));
    cr_assert_null(gnnkd_isa_name(-1));
    gnnkd_tuning_get(&now); // ctest sets only GNNKD_ISA
    now.isa = t.isa;
    cr_assert(same_tuning(&now, &t));
}

Test(tuning, set_rejects_absurd_values_and_changes_nothing) {
    gnnkd_tuning before, t;
    gnnkd_tuning_get(&before);
    char msg[GNNKD_MSG_LEN];
    struct {
        size_t off;
        int64_t v;
        const char *name;
    } bad[] = {
        {offsetof(gnnkd_tuning, par_min), -1, "par_min -1"},
        {offsetof(gnnkd_tuning, par_min_stream), -5, "par_min_stream -5"},
        {offsetof(gnnkd_tuning, blas_par_min), INT64_MIN, "blas_par_min"},
        {offsetof(gnnkd_tuning, drop_floats), 0, "drop_floats 0"},
        {offsetof(gnnkd_tuning, prefetch_ahead), 5000, "prefetch_ahead 5000"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        t = before;
        t.par_min = 1; // a valid change that must not land either
        *(int64_t *)((char *)&t + bad[k].off) = bad[k].v;
        cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_EINVAL, "%s accepted", bad[k].name);
        cr_assert(strstr(msg, bad[k].name), "message '%s' names %s", msg, bad[k].name);
        gnnkd_tuning now;
        gnnkd_tuning_get(&now);
        cr_assert(same_tuning(&now, &before), "a refused setting changed things");
    }
    t = before;
    t.isa = (gnnkd_isa)7;
    cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "isa 7 is not a gnnkd_isa"), "%s", msg);
    cr_assert_eq(gnnkd_tuning_set(NULL, msg), GNNKD_EINVAL);
    t = before;
    t.par_min = 0; // 0 and the largest thresholds are fine: always and never a team
    t.par_min_stream = INT64_MAX;
    cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
    cr_assert_str_eq(msg, "");
    gnnkd_tuning now;
    gnnkd_tuning_get(&now);
    cr_assert(same_tuning(&now, &t));
}

/* Every copy this CPU runs can be chosen, and then is the one called; the
 * next one up, if any, is refused with the reason. */
Test(tuning, each_copy_can_be_forced) {
    gnnkd_tuning best, t;
    gnnkd_tuning_default(&best);
    gnnkd_tuning_get(&t);
    char msg[GNNKD_MSG_LEN];
    gnnkd_csr a;
    random_csr(&a, 50, 40, 0.3, 5);
    float *x = test_random_array(40 * 256, 6, 1.0f), *y = test_random_array(50 * 256, 7, 1.0f), *yr = test_random_array(50 * 256, 8, 1.0f);
    gkd_spmm_ref(yr, &a, a.val, x, 256);
    for (int isa = 0; isa <= (int)best.isa; isa++) {
        t.isa = (gnnkd_isa)isa;
        cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s: %s", gnnkd_isa_name(isa), msg);
        cr_assert_eq(gkd_active->level, isa);
        gkd_spmm(y, &a, a.val, x, 256, NULL);
        test_assert_close(y, yr, 50 * 256, 1e-5, gnnkd_isa_name(isa));
    }
    if (best.isa < GNNKD_ISA_X86_64_V4) {
        t.isa = (gnnkd_isa)(best.isa + 1);
        cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_EINVAL);
        cr_assert(strstr(msg, gnnkd_isa_name(t.isa)) &&
                      (strstr(msg, "this CPU lacks it") || strstr(msg, "this build has no such copy")),
                  "%s", msg);
    }
    free(x), free(y), free(yr);
    gnnkd_csr_clear(&a);
}

/* A threshold set at run time decides: the narrow backward on 2 threads
 * sums dw in another order than on 1, unless par_min keeps it on one. */
Test(tuning, a_threshold_set_at_run_time_takes_effect) {
    int32_t n = 3001, i = 67, o = 3;
    float *inp = test_random_array((int64_t)n * i, 11, 1.0f), *w = test_random_array((int64_t)i * o, 12, 1.0f);
    float *dout = test_random_array((int64_t)n * o, 13, 1.0f);
    float *dw[3];
    gnnkd_tuning t;
    gnnkd_tuning_get(&t);
    char msg[GNNKD_MSG_LEN];
    for (int run = 0; run < 3; run++) { // 1 thread; 2; 2 with a huge par_min
        gnnkd_set_threads(run == 0 ? 1 : 2);
        t.par_min = run == 2 ? INT64_MAX : 32768;
        cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
        dw[run] = calloc((size_t)i * o, sizeof(float));
        gkd_matmul_backward(NULL, dw[run], dout, inp, w, n, i, o, NULL);
    }
    gnnkd_set_threads(0);
    cr_assert(memcmp(dw[0], dw[1], sizeof(float) * (size_t)i * o) != 0, "2 threads summed as 1");
    cr_assert(memcmp(dw[0], dw[2], sizeof(float) * (size_t)i * o) == 0,
              "par_min = INT64_MAX still ran a team");
    for (int run = 0; run < 3; run++) free(dw[run]);
    free(inp), free(w), free(dout);
}

/* The environment: a good value applies, a malformed or out-of-range one is
 * ignored with a message naming it. */
Test(tuning, environment_variables) {
    gnnkd_tuning t;
    gnnkd_tuning_default(&t);
    char msg[GNNKD_MSG_LEN] = "";
    setenv("GNNKD_PAR_MIN", "1000", 1);
    setenv("GNNKD_DROP_FLOATS", " 4096 ", 1);
    setenv("GNNKD_ISA", "baseline", 1);
    cr_assert_eq(gkd_tuning_env(&t, msg), 0, "%s", msg);
    cr_assert_eq(t.par_min, 1000);
    cr_assert_eq(t.drop_floats, 4096);
    cr_assert_eq(t.isa, GNNKD_ISA_BASELINE);
    setenv("GNNKD_PAR_MIN", "12x", 1);
    setenv("GNNKD_DROP_FLOATS", "0", 1);
    setenv("GNNKD_PREFETCH_AHEAD", "99999", 1);
    setenv("GNNKD_ISA", "avx9000", 1);
    cr_assert_eq(gkd_tuning_env(&t, msg), 4);
    cr_assert_str_eq(msg, "gnnkd: ignoring GNNKD_ISA=avx9000: not x86-64-v4, x86-64-v3 or baseline");
    cr_assert_eq(t.par_min, 1000, "unchanged");
    cr_assert_eq(t.drop_floats, 4096, "unchanged");
    cr_assert_eq(t.prefetch_ahead, 16, "unchanged");
    unsetenv("GNNKD_ISA");
    unsetenv("GNNKD_DROP_FLOATS");
    unsetenv("GNNKD_PREFETCH_AHEAD");
    cr_assert_eq(gkd_tuning_env(&t, msg), 1);
    cr_assert_str_eq(msg, "gnnkd: ignoring GNNKD_PAR_MIN=12x: not an integer >= 0");
}
