/* test_exact.c — the exact gradient sums of reproducible training: the same
 * bits whatever the order of the rows, the grouping into parts (as MPI ranks
 * split them) and the thread count; within a float rounding of a long double
 * sum; saturation; the hot loop of each copy of the kernels against its
 * reference; and whole training runs that do not depend on the
 * thread count, close to the float path. */
#include <criterion/criterion.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/kernels.h"
#include "tests/common.h"
#include "tests/forced_isa.h"

enum { N = 257, I = 37, O = 21 };

/* x (N, I) with about 70% zeros, g (N, O) spread over twelve decades. */
static void fixtures(float **x, float **g) {
    *x = test_random_array((int64_t)N * I, 11, 1.0f);
    *g = test_random_array((int64_t)N * O, 12, 1.0f);
    for (int64_t e = 0; e < (int64_t)N * I; e++)
        if (gkd_uniform(13, (uint64_t)e) < 0.7) (*x)[e] = 0.0f;
    for (int64_t e = 0; e < (int64_t)N * O; e++)
        (*g)[e] *= powf(10.0f, (float)(e % 12) - 9.0f);
}

/* The CSR of the nonzeros of the dense (n, m) x. */
static void csr_of(gnnkd_csr *a, const float *x, int32_t n, int32_t m) {
    a->nrows = n, a->ncols = m;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * m, sizeof *a->colidx);
    a->val = calloc((size_t)n * m, sizeof *a->val);
    for (int32_t r = 0; r < n; r++) {
        a->rowptr[r + 1] = a->rowptr[r];
        for (int32_t c = 0; c < m; c++)
            if (x[(int64_t)r * m + c] != 0.0f) {
                a->colidx[a->rowptr[r + 1]] = c;
                a->val[a->rowptr[r + 1]++] = x[(int64_t)r * m + c];
            }
    }
}

Test(exact, xtg_same_bits_for_any_row_order_grouping_threads_and_sparsity) {
    float *x = NULL, *g = NULL;
    fixtures(&x, &g);
    gkd_exact *whole = calloc(I * O, sizeof *whole), *parts = calloc(I * O, sizeof *parts),
              *sparse = calloc(I * O, sizeof *sparse);
    double *part = calloc(2 * (size_t)gkd_exact_part_len(I, O), sizeof *part);
    gkd_exact_xtg(whole, part, 1, NULL, NULL, x, g, N, I, O);
    // three parts in reverse order, the rows of each reversed, 2 threads
    float *xr = malloc(sizeof *xr * N * I), *gr = malloc(sizeof *gr * N * O);
    const int32_t cut[4] = {0, 100, 101, N};
    omp_set_num_threads(2);
    for (int k = 2; k >= 0; k--) {
        int32_t rows = cut[k + 1] - cut[k];
        for (int32_t r = 0; r < rows; r++) {
            memcpy(xr + (int64_t)r * I, x + (int64_t)(cut[k + 1] - 1 - r) * I, sizeof *x * I);
            memcpy(gr + (int64_t)r * O, g + (int64_t)(cut[k + 1] - 1 - r) * O, sizeof *g * O);
        }
        gkd_exact_xtg(parts, part, 2, NULL, NULL, xr, gr, rows, I, O);
    }
    omp_set_num_threads(1);
    gnnkd_csr xs;
    csr_of(&xs, x, N, I);
    gkd_exact_xtg(sparse, part, 1, &xs, xs.val, NULL, g, N, I, O);
    cr_assert(memcmp(whole, parts, sizeof *whole * I * O) == 0,
              "reordered and regrouped rows changed the sum");
    cr_assert(memcmp(whole, sparse, sizeof *whole * I * O) == 0, "sparse and dense X differ");
    // against a long double sum: within a float rounding plus N quanta
    float *out = malloc(sizeof *out * I * O);
    gkd_exact_round(out, whole, I * O);
    for (int32_t k = 0; k < I; k++)
        for (int32_t c = 0; c < O; c++) {
            long double ref = 0.0L;
            for (int32_t r = 0; r < N; r++)
                ref += (long double)x[(int64_t)r * I + k] * g[(int64_t)r * O + c];
            double err = fabs((double)(out[k * O + c] - ref));
            cr_assert(err <= fabs((double)ref) * 0x1p-23 + N * 0x1p-58, "(%d, %d): %g against %Lg",
                      k, c, out[k * O + c], ref);
        }
    for (int64_t e = 0; e < I * O; e++) cr_assert(whole[e] == 0, "round leaves the sums zero");
    gnnkd_csr_clear(&xs);
    free(x), free(g), free(xr), free(gr), free(out), free(whole), free(parts), free(sparse), free(part);
}

Test(exact, colsum_exact_and_saturating) {
    // column 0: 1e30 saturates (2^62 units of A: 2^44); column 1: NaN counts 0;
    // column 2: 1e-30 is below the quantum, 2^-57 is one
    const float g[9] = {1e30f, NAN, 1e-30f, 0.25f, -0.5f, 0x1p-57f, 1.0f, 3.0f, -2.0f};
    gkd_exact acc[3] = {0, 0, 0};
    double part[6] = {0};
    gkd_exact_colsum(acc, part, g, 3, 3);
    cr_assert(acc[2] == -((gkd_exact)2 << 57) + 1, "the quantum");
    float out[3];
    gkd_exact_round(out, acc, 3);
    cr_assert_eq(out[0], 0x1p44f, "%.9g", out[0]);
    cr_assert_eq(out[1], 0.0f, "%.9g", out[1]);
    cr_assert_eq(out[2], -2.0f, "%.9g", out[2]);
    cr_assert(acc[0] == 0 && acc[1] == 0 && acc[2] == 0, "round leaves the sums zero");
}

Test(exact, rows_kernel_matches_its_reference) {
    float *x = NULL, *g = NULL;
    fixtures(&x, &g);
    gnnkd_csr xs;
    csr_of(&xs, x, N, I);
    const int64_t len = gkd_exact_part_len(I, O);
    double *a = calloc((size_t)len, sizeof *a), *b = calloc((size_t)len, sizeof *b),
           *c = calloc((size_t)len, sizeof *c), *d = calloc((size_t)len, sizeof *d);
    gkd_exact_rows(a, NULL, NULL, x, g, 3, N - 5, I, O);
    gkd_exact_rows_ref(b, NULL, NULL, x, g, 3, N - 5, I, O);
    gkd_exact_rows(c, &xs, xs.val, NULL, g, 3, N - 5, I, O);
    gkd_exact_rows_ref(d, &xs, xs.val, NULL, g, 3, N - 5, I, O);
    cr_assert(memcmp(a, b, sizeof *a * (size_t)len) == 0, "dense rows differ from the reference");
    cr_assert(memcmp(c, b, sizeof *a * (size_t)len) == 0, "sparse rows differ from the reference");
    cr_assert(memcmp(d, b, sizeof *a * (size_t)len) == 0, "the sparse reference differs");
    gnnkd_csr_clear(&xs);
    free(x), free(g), free(a), free(b), free(c), free(d);
}

/* Trains seed 3's model kind (dropout 0.5) on a synthetic graph with threads
 * threads into logits; reproducible as given. */
static void train(float *logits, int threads, int reproducible, const char *kind) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=400,classes=3,degree=5,features=40,"
                                             "train-per-class=10,val=60,test=120,seed=2", msg),
                 GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_spec_parse(&s, kind, msg), GNNKD_OK, "%s", msg);
    s.dropout = 0.5f;
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 20;
    o.weight_decay = 0.0f; // Adam then amplifies any difference in small gradients
    o.reproducible = reproducible;
    o.seed = 3;
    gnnkd_set_threads(threads);
    gnnkd_train_result r;
    cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_evaluate(m, &r, logits, d, g, msg), GNNKD_OK, "%s", msg);
    gnnkd_set_threads(1);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(exact, reproducible_training_has_the_same_bits_on_1_and_2_threads) {
    // every loop parallel from the first element: 2 threads split every sum
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_tuning t0, t;
    gnnkd_tuning_get(&t0);
    t = t0;
    t.par_min = t.par_min_stream = t.blas_par_min = t.loss_par_min = 0;
    cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
    const char *kinds[2] = {"gcn:64", "mlp:64"}; // logits layers of the narrow kernel
    for (int k = 0; k < 2; k++) {
        float a[400 * 3], b[400 * 3], f1[400 * 3], f2[400 * 3];
        train(a, 1, 1, kinds[k]);
        train(b, 2, 1, kinds[k]);
        cr_assert(memcmp(a, b, sizeof a) == 0, "%s: 1 and 2 threads differ", kinds[k]);
        train(f1, 1, 0, kinds[k]); // the float sums: the same model, to rounding
        train(f2, 2, 0, kinds[k]);
        test_assert_close(f1, a, 400 * 3, 1e-3, kinds[k]);
        // the float sums do split by thread (else the check above proves nothing)
        cr_assert(memcmp(f1, f2, sizeof f1) != 0, "%s: float sums on 1 and 2 threads agree",
                  kinds[k]);
    }
    cr_assert_eq(gnnkd_tuning_set(&t0, msg), GNNKD_OK, "%s", msg);
}

Test(exact, other_kinds_are_refused) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model *m = NULL;
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:2x4", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gkd_model_set_exact(m, 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "gat models are not supported"), "%s", msg);
    gnnkd_model_free(&m);
}
