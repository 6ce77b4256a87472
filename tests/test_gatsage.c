/* test_gatsage.c — GAT and GraphSAGE: the edge-softmax, attention SpMM and
 * mean-aggregator kernels against their _ref twins (random graphs with
 * empty rows, one head, averaged and concatenated heads, attention
 * dropout), and whole models against central finite differences (isolated
 * nodes, dense and sparse inputs, dropout masks held fixed by the key), the
 * spec texts, and model files of the new kinds. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/kernels.h"
#include "tests/common.h"
#include "tests/forced_isa.h"

/* A model holding a's structure with self loops (sl, rev). */
static gnnkd_model *structure_of(const gnnkd_csr *a) {
    gnnkd_model_spec s;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:2x2", NULL), GNNKD_OK);
    s.dims[0] = 3, s.dims[2] = 2;
    gnnkd_model *m = NULL;
    cr_assert_eq(gkd_model_alloc(&m, &s, NULL), GNNKD_OK);
    cr_assert_eq(gkd_gat_structure(m, a, NULL), GNNKD_OK);
    return m;
}

Test(gatsage, self_loops_and_reverse_edges) {
    gnnkd_csr a;
    test_random_adj(&a, 30, 0.2, 7);
    gnnkd_model *m = structure_of(&a);
    cr_assert_eq(gnnkd_csr_nnz(&m->sl), gnnkd_csr_nnz(&a) + 30);
    for (int32_t i = 0; i < 30; i++) {
        int self = 0;
        for (int64_t k = m->sl.rowptr[i]; k < m->sl.rowptr[i + 1]; k++) {
            int32_t j = m->sl.colidx[k];
            self += j == i;
            if (k > m->sl.rowptr[i]) cr_assert_lt(m->sl.colidx[k - 1], j, "row %d ascends", i);
            int64_t r = m->rev[k];
            cr_assert(r >= m->sl.rowptr[j] && r < m->sl.rowptr[j + 1] && m->sl.colidx[r] == i,
                      "rev of (%d, %d)", i, j);
        }
        cr_assert_eq(self, 1, "row %d has one self loop", i);
        if (i % 4 == 1) cr_assert_eq(m->sl.rowptr[i + 1] - m->sl.rowptr[i], 1);
    }
    gnnkd_model_free(&m);
    gnnkd_csr_clear(&a);
}

static const int32_t GAT_SHAPES[][3] = { // n, heads, f
    {1, 1, 1}, {13, 1, 7}, {37, 8, 8}, {50, 3, 5}, {120, 8, 1}, {30, 2, 16}, {64, 4, 33}};
#define NGAT (int)(sizeof GAT_SHAPES / sizeof GAT_SHAPES[0])

/* Every GAT kernel on each shape, on 1 and 2 threads, with and without
 * attention dropout, against the reference. The graph has empty rows (no
 * self loops here: the kernels must not need them). */
Test(gatsage, gat_kernels_match_reference) {
    for (int t = 0; t < NGAT; t++)
        for (int drop = 0; drop < 2; drop++)
            for (int threads = 1; threads <= 2; threads++) {
                gnnkd_set_threads(threads);
                int32_t n = GAT_SHAPES[t][0], H = GAT_SHAPES[t][1], F = GAT_SHAPES[t][2];
                int64_t lin = (int64_t)H * F;
                gnnkd_csr a;
                test_random_adj(&a, n, 0.3, 100 + (uint64_t)t);
                int64_t nnz = gnnkd_csr_nnz(&a);
                int64_t *perm = malloc(sizeof *perm * (size_t)(nnz + 1));
                for (int64_t k = 0; k < nnz; k++) perm[k] = nnz - 1 - k;
                float p = drop ? 0.5f : 0.0f;
                uint64_t key = 99 + (uint64_t)t;
                float *sd = test_random_array((int64_t)n * H, 1, 2.0f), *ss = test_random_array((int64_t)n * H, 2, 2.0f);
                float *x = test_random_array((int64_t)n * lin, 3, 1.0f), *dy = test_random_array((int64_t)n * lin, 4, 1.0f);
                size_t eh = (size_t)(nnz * H + 1);
                float *al = malloc(eh * 4), *ad = malloc(eh * 4), *alr = malloc(eh * 4), *adr = malloc(eh * 4);
                gkd_gat_softmax(al, ad, &a, sd, ss, H, p, key);
                gkd_gat_softmax_ref(alr, adr, &a, sd, ss, H, p, key);
                test_assert_close(al, alr, nnz * H, 1e-5, "softmax alpha");
                test_assert_close(ad, adr, nnz * H, 1e-5, "softmax dropped alpha");
                for (int32_t i = 0; i < n; i++) // each non-empty row sums to 1 per head
                    for (int32_t h = 0; h < H && a.rowptr[i + 1] > a.rowptr[i]; h++) {
                        double sum = 0.0;
                        for (int64_t k = a.rowptr[i]; k < a.rowptr[i + 1]; k++) sum += al[k * H + h];
                        cr_assert(fabs(sum - 1.0) < 1e-5, "row %d head %d sums to %g", i, h, sum);
                    }
                float *y = malloc(sizeof *y * (size_t)(n * lin + 1)), *yr = malloc(sizeof *yr * (size_t)(n * lin + 1));
                for (int mean = 0; mean < 2; mean++) {
                    float sc = mean ? 1.0f / (float)H : 1.0f;
                    gkd_gat_spmm(y, &a, ad, NULL, x, H, F, lin, F, sc, mean);
                    gkd_gat_spmm_ref(yr, &a, ad, NULL, x, H, F, lin, F, sc, mean);
                    test_assert_close(y, yr, (int64_t)n * (mean ? F : lin), 1e-5, "gat spmm");
                    // the backward form: alpha through perm, dy broadcast over heads
                    gkd_gat_spmm(y, &a, ad, perm, dy, H, F, mean ? F : lin, mean ? 0 : F, sc, 0);
                    gkd_gat_spmm_ref(yr, &a, ad, perm, dy, H, F, mean ? F : lin, mean ? 0 : F, sc, 0);
                    test_assert_close(y, yr, (int64_t)n * lin, 1e-5, "gat spmm through perm");
                    float *de = malloc(eh * 4), *der = malloc(eh * 4);
                    float *ds = malloc(sizeof(float) * (size_t)n * H), *dsr = malloc(sizeof(float) * (size_t)n * H);
                    gkd_gat_softmax_backward(de, ds, &a, al, x, dy, mean ? F : lin, mean ? 0 : F, sc, sd, ss, H, F, p, key);
                    gkd_gat_softmax_backward_ref(der, dsr, &a, al, x, dy, mean ? F : lin, mean ? 0 : F, sc, sd, ss, H, F, p, key);
                    test_assert_close(de, der, nnz * H, 1e-4, "softmax backward de");
                    test_assert_close(ds, dsr, (int64_t)n * H, 1e-4, "softmax backward dsdst");
                    free(de), free(der), free(ds), free(dsr);
                }
                free(y), free(yr), free(al), free(ad), free(alr), free(adr);
                free(sd), free(ss), free(x), free(dy), free(perm);
                gnnkd_csr_clear(&a);
            }
    gnnkd_set_threads(0);
}

Test(gatsage, sage_kernels_match_reference) {
    const int32_t shapes[][2] = {{1, 1}, {13, 7}, {37, 16}, {120, 64}, {50, 3}};
    for (int t = 0; t < 5; t++)
        for (int threads = 1; threads <= 2; threads++) {
            gnnkd_set_threads(threads);
            int32_t n = shapes[t][0], o = shapes[t][1];
            gnnkd_csr a;
            test_random_adj(&a, n, 0.3, 200 + (uint64_t)t);
            float *inv = malloc(sizeof *inv * (size_t)n);
            for (int32_t i = 0; i < n; i++) {
                int64_t deg = a.rowptr[i + 1] - a.rowptr[i];
                inv[i] = deg ? 1.0f / (float)deg : 0.0f;
            }
            float *tt = test_random_array(2 * (int64_t)n * o, 5, 1.0f), *dz = test_random_array((int64_t)n * o, 6, 1.0f);
            float *y = malloc(sizeof(float) * (size_t)n * o), *yr = malloc(sizeof(float) * (size_t)n * o);
            float *g = malloc(sizeof(float) * 2 * (size_t)n * o), *gr = malloc(sizeof(float) * 2 * (size_t)n * o);
            gkd_sage_aggregate(y, &a, inv, tt, o, NULL);
            gkd_sage_aggregate_ref(yr, &a, inv, tt, o);
            test_assert_close(y, yr, (int64_t)n * o, 1e-5, "sage aggregate");
            for (int32_t i = 1; i < n; i += 4) // isolated: the root term alone
                for (int32_t c = 0; c < o; c++) cr_assert_eq(y[(int64_t)i * o + c], tt[(int64_t)i * 2 * o + c]);
            gkd_sage_scatter(g, &a, inv, dz, o);
            gkd_sage_scatter_ref(gr, &a, inv, dz, o);
            test_assert_close(g, gr, 2 * (int64_t)n * o, 1e-5, "sage scatter");
            free(inv), free(tt), free(dz), free(y), free(yr), free(g), free(gr);
            gnnkd_csr_clear(&a);
        }
    gnnkd_set_threads(0);
}

/* ---- whole models against finite differences ------------------------------- */

typedef struct {
    gnnkd_model *m;
    gnnkd_dataset *d;
    float *target;
    int training;
} fd_case;

static double fd_loss(fd_case *c, float *dlogits) {
    const float *z = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_forward(c->m, &z, c->d, NULL, c->training, 5, 3, msg), GNNKD_OK, "%s", msg);
    return test_half_squared_error(z, c->target, (int64_t)c->d->n * c->d->nclass, dlogits);
}

/* Every parameter's gradient from the backward pass against central
 * differences of 0.5 |logits - target|^2 (training: the same dropout
 * masks each time, drawn from the same seed and step). */
static void check_model(const char *spec_text, int sparse, int training, float attn) {
    const int32_t n = 14, f = 5, c = 3;
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_spec_parse(&s, spec_text, msg), GNNKD_OK, "%s", msg);
    s.dropout = training ? 0.3f : 0.0f;
    if (s.kind == GNNKD_MODEL_GAT) s.attn_dropout = attn;
    fd_case fc = {NULL, test_small_dataset(n, f, c, sparse), test_random_array((int64_t)n * c, 15, 1.0f), training};
    cr_assert_eq(gnnkd_model_new(&fc.m, &s, f, c, 17, msg), GNNKD_OK, "%s", msg);
    float *params = gkd_model_params(fc.m), *grads = gkd_model_grads(fc.m);
    int64_t np = gnnkd_model_num_params(fc.m);
    for (int64_t e = 0; e < np; e++) params[e] += 0.1f * (2.0f * gkd_uniform(18, (uint64_t)e) - 1.0f); // nonzero biases
    float *dl = malloc(sizeof *dl * (size_t)n * c);
    gkd_model_zero_grad(fc.m);
    fd_loss(&fc, dl);
    cr_assert_eq(gnnkd_model_backward(fc.m, dl, fc.d, NULL, msg), GNNKD_OK, "%s", msg);
    float *g = malloc(sizeof *g * (size_t)np);
    memcpy(g, grads, sizeof *g * (size_t)np);
    // small: LeakyReLU and ReLU have kinks, and a difference across one is wrong
    const float eps = 3e-4f;
    int64_t nonzero = 0;
    for (int64_t e = 0; e < np; e++) {
        float keep = params[e];
        params[e] = keep + eps;
        double up = fd_loss(&fc, NULL);
        params[e] = keep - eps;
        double down = fd_loss(&fc, NULL);
        params[e] = keep;
        double fd = (up - down) / (2.0 * (double)eps);
        double tol = 1e-2 * fmax(fabs(fd), fabs((double)g[e])) + 3e-3;
        cr_assert(fabs(fd - g[e]) <= tol, "%s param %lld of %lld: backward %g, finite differences %g",
                  spec_text, (long long)e, (long long)np, g[e], fd);
        nonzero += fabs(g[e]) > 1e-6;
    }
    cr_assert_gt(nonzero, np / 2, "%s: most gradients are not zero (%lld of %lld)", spec_text,
                 (long long)nonzero, (long long)np);
    free(g), free(dl), free(fc.target);
    gnnkd_model_free(&fc.m);
    gnnkd_dataset_free(&fc.d);
}

Test(gatsage, gat_one_head_backward) { check_model("gat:1x4", 0, 0, 0.0f); }
Test(gatsage, gat_heads_backward) { check_model("gat:3x2", 0, 0, 0.0f); }
Test(gatsage, gat_mean_output_heads_backward) { check_model("gat:2x3/3", 1, 0, 0.0f); }
Test(gatsage, gat_three_layers_sparse_backward) { check_model("gat:2x3,2x2/2", 1, 0, 0.0f); }
Test(gatsage, gat_dropouts_backward) { check_model("gat:2x3/2", 0, 1, 0.4f); }
Test(gatsage, gat_dropouts_sparse_backward) { check_model("gat:2x3,2x2", 1, 1, 0.4f); }
Test(gatsage, gat_dropouts_deep_dense_backward) { check_model("gat:2x3,2x2", 0, 1, 0.4f); }
Test(gatsage, gat_dropouts_sparse2_backward) { check_model("gat:2x3/2", 1, 1, 0.4f); }
Test(gatsage, gat_attn_sparse_backward) { check_model("gat:2x3,2x2", 1, 0, 0.4f); }
Test(gatsage, sage_backward) { check_model("sage:6", 0, 0, 0.0f); }
Test(gatsage, sage_deep_sparse_backward) { check_model("sage:6,4", 1, 0, 0.0f); }
Test(gatsage, sage_dropout_backward) { check_model("sage:6,4", 0, 1, 0.0f); }

/* ---- specs and files --------------------------------------------------------- */

Test(gatsage, spec_texts) {
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN], text[64];
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:8x8", msg), GNNKD_OK, "%s", msg);
    cr_assert(s.kind == GNNKD_MODEL_GAT && s.nlayers == 2 && s.dims[1] == 64 && s.heads[0] == 8 &&
              s.heads[1] == 1 && s.dropout == 0.6f && s.attn_dropout == 0.6f);
    gnnkd_model_spec_format(text, sizeof text, &s);
    cr_assert_str_eq(text, "gat:8x8");
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:4x16,2x8/8", msg), GNNKD_OK, "%s", msg);
    cr_assert(s.nlayers == 3 && s.dims[1] == 64 && s.dims[2] == 16 && s.heads[2] == 8);
    gnnkd_model_spec_format(text, sizeof text, &s);
    cr_assert_str_eq(text, "gat:4x16,2x8/8");
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat", msg), GNNKD_OK);
    gnnkd_model_spec_format(text, sizeof text, &s);
    cr_assert_str_eq(text, "gat:8x8");
    cr_assert_eq(gnnkd_model_spec_parse(&s, "sage", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_SAGE && s.dims[1] == 64 && s.dropout == 0.5f);
    gnnkd_model_spec_format(text, sizeof text, &s);
    cr_assert_str_eq(text, "sage:64");
    const char *bad[] = {"gat:8", "gat:8x", "gat:0x8", "gat:8x8/", "gat:8x8/0", "gat:8x8/2x",
                         "sage:8x8", "sage:", "gat:8x8,", "gats:8x8"};
    for (int k = 0; k < 10; k++) {
        cr_assert_eq(gnnkd_model_spec_parse(&s, bad[k], msg), GNNKD_EINVAL, "%s parsed", bad[k]);
        cr_assert(strstr(msg, bad[k]) != NULL, "'%s' is named in: %s", bad[k], msg);
    }
}

Test(gatsage, recipe_per_kind) {
    gnnkd_model_spec s;
    gnnkd_train_options o;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:8x8", NULL), GNNKD_OK);
    gnnkd_train_options_for_model(&o, &s, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    cr_assert(o.lr == 0.005f && o.weight_decay == 5e-4f && o.decay_all_layers == 1 && o.epochs == 1000);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gat:8x8/8", NULL), GNNKD_OK);
    gnnkd_train_options_for_model(&o, &s, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    cr_assert(o.lr == 0.01f && o.weight_decay == 1e-3f && o.decay_all_layers == 1);
    gnnkd_train_options_for_model(&o, &s, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert(o.weight_decay == 0.0f);
    gnnkd_train_options base;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "sage:64", NULL), GNNKD_OK);
    gnnkd_train_options_for_model(&o, &s, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    gnnkd_train_options_for(&base, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    cr_assert(o.lr == base.lr && o.weight_decay == base.weight_decay && o.epochs == base.epochs);
}

/* A saved GAT and SAGE model read back gives the same logits; node-level
 * inference refuses them by name. */
Test(gatsage, files_and_inference) {
    const char *specs[] = {"gat:2x3/2", "sage:6,4"};
    for (int k = 0; k < 2; k++) {
        char msg[GNNKD_MSG_LEN], path[] = "/tmp/gnnkd_gatsage_XXXXXX";
        int fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        close(fd);
        gnnkd_dataset *d = test_small_dataset(14, 5, 3, 1);
        gnnkd_model_spec s;
        cr_assert_eq(gnnkd_model_spec_parse(&s, specs[k], msg), GNNKD_OK);
        gnnkd_model *m = NULL, *r = NULL;
        cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 1, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(gnnkd_model_load(&r, path, msg), GNNKD_OK, "%s", msg);
        const gnnkd_model_spec *rs = gnnkd_model_get_spec(r);
        cr_assert(rs->kind == s.kind && rs->heads[0] == s.heads[0] && rs->heads[1] == s.heads[1] &&
                  rs->attn_dropout == s.attn_dropout && rs->dims[1] == s.dims[1]);
        const float *a = NULL, *b = NULL;
        cr_assert_eq(gnnkd_model_forward(m, &a, d, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(gnnkd_model_forward(r, &b, d, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(memcmp(a, b, sizeof *a * 14 * 3), 0, "%s: the same logits", specs[k]);
        gnnkd_infer *w = NULL;
        float out[3];
        int32_t node = 0;
        cr_assert_eq(gnnkd_infer_new(&w, msg), GNNKD_OK);
        cr_assert_eq(gnnkd_model_forward_nodes(out, NULL, w, m, d, NULL, &node, 1, msg), GNNKD_EINVAL);
        cr_assert(strstr(msg, k == 0 ? "gat" : "sage") != NULL, "%s", msg);
        gnnkd_infer_free(&w);
        gnnkd_model_free(&m);
        gnnkd_model_free(&r);
        gnnkd_dataset_free(&d);
        unlink(path);
    }
}

Test(gatsage, exp_neg_within_a_few_ulp) {
    for (int e = 0; e <= 200000; e++) {
        float x = -90.0f * (float)e / 200000.0f;
        double want = exp(x < -87.0f ? -87.0 : (double)x), got = gkd_exp_neg(x);
        cr_assert(fabs(got - want) <= 4e-7 * want, "exp(%g) = %g, got %g", x, want, got);
    }
    cr_assert_eq(gkd_exp_neg(0.0f), 1.0f);
}

/* The fused ELU + dropout kernels against their element-by-element
 * references: the same mask (the same zeros) and the same values, across a
 * block edge and for p = 0. */
Test(gatsage, elu_dropout_matches_reference) {
    const int64_t len = 3 * 4096 + 77;
    float *z = malloc(sizeof *z * len), *h = malloc(sizeof *h * len), *hr = malloc(sizeof *hr * len);
    float *d = malloc(sizeof *d * len), *dr = malloc(sizeof *dr * len);
    cr_assert(z && h && hr && d && dr);
    for (int64_t e = 0; e < len; e++) z[e] = 6.0f * gkd_uniform(7, (uint64_t)e) - 4.0f;
    const float ps[2] = {0.0f, 0.6f};
    for (int t = 0; t < 2; t++) {
        const float p = ps[t];
        gkd_elu_dropout_forward(h, z, len, p, 42);
        gkd_elu_dropout_forward_ref(hr, z, len, p, 42);
        int64_t zeros = 0;
        for (int64_t e = 0; e < len; e++) {
            cr_assert((h[e] == 0.0f) == (hr[e] == 0.0f), "p %g: mask differs at %lld", p, (long long)e);
            cr_assert(fabsf(h[e] - hr[e]) <= 1e-6f * (1.0f + fabsf(hr[e])), "p %g, e %lld: %g vs %g",
                      p, (long long)e, h[e], hr[e]);
            zeros += hr[e] == 0.0f;
        }
        if (p > 0.0f) cr_assert(zeros > 0.5 * len && zeros < 0.7 * len, "%lld dropped", (long long)zeros);
        for (int64_t e = 0; e < len; e++) d[e] = dr[e] = gkd_uniform(9, (uint64_t)e) - 0.5f;
        gkd_elu_dropout_backward(d, hr, z, len, p, 42);
        gkd_elu_dropout_backward_ref(dr, hr, z, len, p, 42);
        for (int64_t e = 0; e < len; e++)
            cr_assert(fabsf(d[e] - dr[e]) <= 1e-6f * (1.0f + fabsf(dr[e])), "backward p %g, e %lld", p,
                      (long long)e);
    }
    free(z), free(h), free(hr), free(d), free(dr);
}
