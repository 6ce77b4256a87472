/* test_layers.c — every layer's backward pass against central finite
 * differences of the loss 0.5 * sum((out - target)^2), computed in double
 * from the float forward pass. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/kernels.h"
#include "tests/common.h"
#include "tests/forced_isa.h"

enum { DENSE, GCN, RELU, DROPOUT };

/* One layer and its inputs; the input is sparse (xs, xval) or dense inp. */
typedef struct {
    int kind;
    int32_t n, i, o;
    const gnnkd_csr *ahat, *xs;
    float *xval, *inp, *w, *b;
    float *out, *t, *target; /* (n, o), (n, o), (n, o) */
    float p;
    uint64_t key;
} layer;

static void forward(layer *c) {
    int64_t len = (int64_t)c->n * c->o;
    switch (c->kind) {
    case DENSE: gkd_dense_forward(c->out, c->xs, c->xval, c->inp, c->w, &(gkd_epilogue){c->b}, c->n, c->i, c->o, NULL); break;
    case GCN: gkd_gcn_forward(c->out, c->t, c->ahat, c->xs, c->xval, c->inp, c->w, &(gkd_epilogue){c->b}, c->n, c->i, c->o, NULL); break;
    case RELU: gkd_relu_forward(c->out, c->inp, len); break;
    case DROPOUT: gkd_dropout_forward(c->out, c->inp, len, c->p, c->key); break;
    }
}

static double loss(layer *c) {
    forward(c);
    return test_half_squared_error(c->out, c->target, (int64_t)c->n * c->o, NULL);
}

/* The analytic gradients: dout = out - target, then the layer's backward. */
static void backward(layer *c, float *dinp, float *dw, float *db) {
    int64_t len = (int64_t)c->n * c->o;
    forward(c);
    float *dout = malloc(sizeof *dout * (size_t)len), *gt = calloc((size_t)len, sizeof *gt);
    test_half_squared_error(c->out, c->target, len, dout);
    switch (c->kind) {
    case DENSE: gkd_dense_backward(dinp, dw, db, NULL, 0, dout, c->xs, c->xval, c->inp, c->w, c->n, c->i, c->o, NULL, NULL); break;
    case GCN: gkd_gcn_backward(dinp, dw, db, gt, NULL, 0, dout, c->ahat, c->xs, c->xval, c->inp, c->w, c->n, c->i, c->o, NULL, NULL); break;
    case RELU: gkd_relu_backward(dinp, dout, c->inp, len); break;
    case DROPOUT: gkd_dropout_backward(dinp, dout, len, c->p, c->key); break;
    }
    free(dout);
    free(gt);
}

/* Compares grad with central differences of the loss in every entry of x. */
static void check(layer *c, float *x, const float *grad, int64_t len, const char *what) {
    const float eps = 1e-3f;
    for (int64_t e = 0; e < len; e++) {
        float keep = x[e];
        x[e] = keep + eps;
        double up = loss(c);
        x[e] = keep - eps;
        double down = loss(c);
        x[e] = keep;
        double fd = (up - down) / (2.0 * (double)eps);
        double tol = 1e-2 * fmax(fabs(fd), fabs((double)grad[e])) + 2e-3;
        cr_assert(fabs(fd - grad[e]) <= tol, "%s[%lld]: backward %g, finite differences %g", what,
                  (long long)e, grad[e], fd);
    }
}

/* A random symmetric pattern with an isolated node 0, normalised. */
static gnnkd_graph *random_graph(int32_t n, uint64_t seed) {
    gnnkd_csr a = {n, n, calloc((size_t)n + 1, sizeof(int64_t)), calloc((size_t)n * n + 1, sizeof(int32_t)), NULL};
    for (int32_t r = 0; r < n; r++) {
        a.rowptr[r + 1] = a.rowptr[r];
        for (int32_t j = 1; j < n; j++) {
            int32_t lo = r < j ? r : j, hi = r < j ? j : r;
            if (r != j && r > 0 && gkd_uniform(seed, (uint64_t)lo * n + hi) < 0.3) a.colidx[a.rowptr[r + 1]++] = j;
        }
    }
    gnnkd_graph *g = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_graph_new(&g, &a, msg), GNNKD_OK, "%s", msg);
    gnnkd_csr_clear(&a);
    return g;
}

/* A random sparse (n, f) feature pattern, about 40% full, row 2 empty. */
static void random_features(gnnkd_csr *x, int32_t n, int32_t f, uint64_t seed) {
    x->nrows = n;
    x->ncols = f;
    x->rowptr = calloc((size_t)n + 1, sizeof *x->rowptr);
    x->colidx = calloc((size_t)n * f + 1, sizeof *x->colidx);
    x->val = NULL;
    for (int32_t r = 0; r < n; r++) {
        x->rowptr[r + 1] = x->rowptr[r];
        for (int32_t j = 0; j < f; j++)
            if (r != 2 && gkd_uniform(seed, (uint64_t)r * f + j) < 0.4) x->colidx[x->rowptr[r + 1]++] = j;
    }
}

/* Checks dw, db and (for a dense input) dinp of a DENSE or GCN layer. */
static void check_weight_layer(int kind, int sparse) {
    int32_t n = 9, i = 6, o = 4;
    gnnkd_graph *g = kind == GCN ? random_graph(n, 42) : NULL;
    gnnkd_csr xs = {0};
    layer c = {.kind = kind, .n = n, .i = i, .o = o, .ahat = gnnkd_graph_csr(g)};
    if (sparse) {
        random_features(&xs, n, i, 43);
        c.xs = &xs;
        c.xval = test_random_array(gnnkd_csr_nnz(&xs), 44, 1.0f);
    } else {
        c.inp = test_random_array((int64_t)n * i, 45, 1.0f);
    }
    c.w = test_random_array((int64_t)i * o, 46, 0.7f);
    c.b = test_random_array(o, 47, 0.3f);
    c.out = calloc((size_t)n * o, sizeof(float));
    c.t = calloc((size_t)n * o, sizeof(float));
    c.target = test_random_array((int64_t)n * o, 48, 1.0f);
    float *dinp = sparse ? NULL : calloc((size_t)n * i, sizeof(float));
    float *dw = calloc((size_t)i * o, sizeof(float)), *db = calloc((size_t)o, sizeof(float));
    backward(&c, dinp, dw, db);
    check(&c, c.w, dw, (int64_t)i * o, "dw");
    check(&c, c.b, db, o, "db");
    if (!sparse) check(&c, c.inp, dinp, (int64_t)n * i, "dinp");
    // backward accumulates: a second pass doubles the gradients
    float *dw2 = malloc(sizeof(float) * (size_t)i * o);
    memcpy(dw2, dw, sizeof(float) * (size_t)i * o);
    backward(&c, dinp, dw, db);
    for (int64_t e = 0; e < (int64_t)i * o; e++) cr_assert_float_eq(dw[e], 2.0f * dw2[e], 1e-5);
    free(dw2), free(dinp), free(dw), free(db), free(c.xval), free(c.inp), free(c.w), free(c.b);
    free(c.out), free(c.t), free(c.target);
    gnnkd_csr_clear(&xs);
    gnnkd_graph_free(&g);
}

Test(layers, dense_backward) { check_weight_layer(DENSE, 0); }
Test(layers, gcn_backward) { check_weight_layer(GCN, 0); }
Test(layers, dense_sparse_input_backward) { check_weight_layer(DENSE, 1); }
Test(layers, gcn_sparse_input_backward) { check_weight_layer(GCN, 1); }

Test(layers, gcn_forward_is_ahat_x_w_plus_b) {
    int32_t n = 7, i = 5, o = 3;
    gnnkd_graph *g = random_graph(n, 3);
    float *x = test_random_array((int64_t)n * i, 4, 1.0f), *w = test_random_array((int64_t)i * o, 5, 1.0f);
    float *b = test_random_array(o, 6, 1.0f), *xw = malloc(sizeof(float) * n * o), *ref = malloc(sizeof(float) * n * o);
    float *out = malloc(sizeof(float) * n * o), *t = malloc(sizeof(float) * n * o);
    gkd_matmul_forward_ref(xw, x, w, n, i, o);
    gkd_spmm_ref(ref, gnnkd_graph_csr(g), gnnkd_graph_csr(g)->val, xw, o);
    gkd_gcn_forward(out, t, gnnkd_graph_csr(g), NULL, NULL, x, w, &(gkd_epilogue){b}, n, i, o, NULL);
    for (int e = 0; e < n * o; e++) cr_assert_float_eq(out[e], ref[e] + b[e % o], 1e-5);
    free(x), free(w), free(b), free(xw), free(ref), free(out), free(t);
    gnnkd_graph_free(&g);
}

Test(layers, relu_backward) {
    int32_t n = 5, o = 7;
    layer c = {.kind = RELU, .n = n, .i = o, .o = o};
    c.inp = test_random_array((int64_t)n * o, 50, 1.0f);
    for (int e = 0; e < n * o; e++) c.inp[e] += c.inp[e] < 0 ? -0.05f : 0.05f; // away from the kink
    c.out = calloc((size_t)n * o, sizeof(float));
    c.target = test_random_array((int64_t)n * o, 51, 1.0f);
    float *dinp = calloc((size_t)n * o, sizeof(float));
    backward(&c, dinp, NULL, NULL);
    check(&c, c.inp, dinp, (int64_t)n * o, "relu dinp");
    forward(&c);
    for (int e = 0; e < n * o; e++) cr_assert_eq(c.out[e], c.inp[e] > 0 ? c.inp[e] : 0.0f);
    free(c.inp), free(c.out), free(c.target), free(dinp);
}

Test(layers, dropout_backward_with_fixed_mask) {
    int32_t n = 6, o = 8;
    layer c = {.kind = DROPOUT, .n = n, .i = o, .o = o, .p = 0.4f, .key = gkd_key(1, 2, 3)};
    c.inp = test_random_array((int64_t)n * o, 60, 1.0f);
    c.out = calloc((size_t)n * o, sizeof(float));
    c.target = test_random_array((int64_t)n * o, 61, 1.0f);
    float *dinp = calloc((size_t)n * o, sizeof(float));
    backward(&c, dinp, NULL, NULL);
    check(&c, c.inp, dinp, (int64_t)n * o, "dropout dinp");
    free(c.inp), free(c.out), free(c.target), free(dinp);
}

Test(layers, dropout_mask_rate_scale_and_threads) {
    int64_t len = 200000;
    float p = 0.3f;
    float *x = malloc(sizeof(float) * len), *y1 = malloc(sizeof(float) * len), *y2 = malloc(sizeof(float) * len);
    for (int64_t e = 0; e < len; e++) x[e] = 1.0f + (float)(e % 5);
    gnnkd_set_threads(1);
    gkd_dropout_forward(y1, x, len, p, gkd_key(9, 1, 0));
    gnnkd_set_threads(2);
    gkd_dropout_forward(y2, x, len, p, gkd_key(9, 1, 0));
    cr_assert(memcmp(y1, y2, sizeof(float) * len) == 0, "the mask depends on the thread count");
    int64_t kept = 0;
    for (int64_t e = 0; e < len; e++) {
        if (y1[e] != 0.0f) {
            kept++;
            cr_assert_float_eq(y1[e], x[e] / (1.0f - p), 1e-6);
        }
    }
    cr_assert(fabs((double)kept / len - (1.0 - p)) < 0.01, "kept %lld of %lld", (long long)kept, (long long)len);
    gkd_dropout_forward(y2, x, len, p, gkd_key(9, 2, 0)); // another step, another mask
    cr_assert(memcmp(y1, y2, sizeof(float) * len) != 0);
    // in place gives the same as out of place
    memcpy(y2, x, sizeof(float) * len);
    gkd_dropout_forward(y2, y2, len, p, gkd_key(9, 1, 0));
    cr_assert(memcmp(y1, y2, sizeof(float) * len) == 0);
    free(x), free(y1), free(y2);
}

Test(layers, bias_backward_sums_columns) {
    float dout[6] = {1, 2, 3, 4, 5, 6}, db[3] = {1, 1, 1};
    gkd_bias_backward(db, dout, 2, 3);
    cr_assert_eq(db[0], 6.0f);
    cr_assert_eq(db[1], 8.0f);
    cr_assert_eq(db[2], 10.0f);
}

/* The fused backward of dropout(relu(x)) equals the two backward passes. */
Test(layers, relu_dropout_backward_matches_composition) {
    int64_t len = 5000;
    float p = 0.5f;
    uint64_t key = gkd_key(4, 5, 1);
    float *x = test_random_array(len, 70, 1.0f), *dout = test_random_array(len, 71, 1.0f);
    float *h = malloc(sizeof(float) * len), *tmp = calloc(len, sizeof(float));
    float *ref = calloc(len, sizeof(float)), *fused = calloc(len, sizeof(float));
    gkd_relu_forward(h, x, len);
    gkd_dropout_forward(h, h, len, p, key);
    gkd_dropout_backward(tmp, dout, len, p, key);
    gkd_relu_backward(ref, tmp, x, len);
    gkd_relu_dropout_backward(fused, dout, h, len, 1.0f / (1.0f - p));
    cr_assert(memcmp(ref, fused, sizeof(float) * len) == 0);
    int64_t nonzero = 0;
    for (int64_t e = 0; e < len; e++) nonzero += fused[e] != 0.0f;
    cr_assert(nonzero > len / 8 && nonzero < len / 2, "%lld of %lld pass", (long long)nonzero, (long long)len);
    free(x), free(dout), free(h), free(tmp), free(ref), free(fused);
}

/* The epilogue (bias, then ReLU, then dropout) equals its three steps done
 * one by one, bit for bit: on its own, and at the end of A x for a narrow
 * (register) and a wide row, on 1 and 2 threads. */
static void epilogue_reference(float *y, const float *b, int64_t n, int32_t h, int relu, float p,
                               uint64_t key) {
    for (int64_t r = 0; r < n; r++)
        for (int32_t c = 0; c < h; c++) y[r * h + c] += b[c];
    if (relu) gkd_relu_forward(y, y, n * h);
    if (p > 0.0f) gkd_dropout_forward(y, y, n * h, p, key);
}

Test(layers, epilogue_matches_composition) {
    uint64_t key = gkd_key(4, 5, 1);
    const int32_t widths[] = {6, 16, 40};
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        for (int wi = 0; wi < 3; wi++)
            for (int kind = 0; kind < 3; kind++) { // bias; + relu; + relu, dropout
                int32_t h = widths[wi], n = 5001, f = 30;
                int64_t len = (int64_t)n * h;
                gkd_epilogue ep = {NULL, kind >= 1, kind == 2 ? 0.5f : 0.0f, key};
                float *b = test_random_array(h, 73, 1.0f), *x = test_random_array(len, 72, 1.0f);
                float *ref = malloc(sizeof(float) * len), *fused = malloc(sizeof(float) * len);
                ep.bias = b;
                memcpy(ref, x, sizeof(float) * len);
                epilogue_reference(ref, b, n, h, ep.relu, ep.p, key);
                memcpy(fused, x, sizeof(float) * len);
                gkd_epilogue_forward(fused, n, h, &ep);
                cr_assert(memcmp(ref, fused, sizeof(float) * len) == 0, "alone: h %d kind %d", h, kind);
                // at the end of A w (a sparse (n, f) times w (f, h))
                gnnkd_csr a;
                random_features(&a, n, f, 74);
                float *w = test_random_array((int64_t)f * h, 75, 1.0f);
                gkd_spmm(ref, &a, NULL, w, h, NULL);
                epilogue_reference(ref, b, n, h, ep.relu, ep.p, key);
                gkd_spmm(fused, &a, NULL, w, h, &ep);
                cr_assert(memcmp(ref, fused, sizeof(float) * len) == 0, "spmm: h %d kind %d", h, kind);
                int64_t zeros = 0;
                for (int64_t e = 0; e < len; e++) zeros += fused[e] == 0.0f;
                cr_assert(kind == 0 ? zeros < len / 100 : zeros > len / 4, "%lld zeros", (long long)zeros);
                gnnkd_csr_clear(&a);
                free(w), free(b), free(x), free(ref), free(fused);
            }
    }
    gnnkd_set_threads(0);
}

/* Dropping a sparse X's entries keeps exactly those gkd_dropout_forward keeps,
 * in order, scaled; rows may end up empty, and the first and last rows are
 * empty to start with (the thread blocks' edges). Y = dropout(X) w matches
 * the reference product on the kept entries, and every thread count gives
 * the same bits. */
static void check_dropout_spmm(int with_values) {
    int32_t n = 400, f = 30, h = 16;
    float p = 0.5f;
    uint64_t key = gkd_key(8, 3, 0);
    gnnkd_csr x;
    random_features(&x, n, f, 90);
    for (int32_t r = 0; r < n; r++) // rows 0, n-2, n-1 empty too
        if (r == 0 || r >= n - 2) {
            int64_t len = x.rowptr[r + 1] - x.rowptr[r];
            memmove(x.colidx + x.rowptr[r], x.colidx + x.rowptr[r + 1],
                    sizeof(int32_t) * (size_t)(x.rowptr[n] - x.rowptr[r + 1]));
            for (int32_t q = r + 1; q <= n; q++) x.rowptr[q] -= len;
        }
    int64_t nnz = gnnkd_csr_nnz(&x);
    cr_assert_gt((nnz + n) * h, gkd_tuning.par_min, "big enough for a team");
    if (with_values) x.val = test_random_array(nnz, 91, 1.0f);
    float *vals = malloc(sizeof(float) * (size_t)nnz), *dropped = malloc(sizeof(float) * (size_t)nnz);
    for (int64_t k = 0; k < nnz; k++) vals[k] = x.val ? x.val[k] : 1.0f;
    gkd_dropout_forward(dropped, vals, nnz, p, key);
    float *w = test_random_array((int64_t)f * h, 92, 1.0f), *yref = malloc(sizeof(float) * (size_t)n * h);
    float *y1 = NULL;
    gnnkd_csr x1 = {0};
    for (int threads = 1; threads <= 3; threads++) {
        gnnkd_set_threads(threads);
        gnnkd_csr xd = {0, 0, calloc((size_t)n + 1, sizeof(int64_t)), calloc((size_t)nnz, sizeof(int32_t)),
                        calloc((size_t)nnz, sizeof(float))};
        float *y = test_random_array((int64_t)n * h, 93, 1.0f); // overwritten
        uint8_t *keep = malloc((size_t)nnz);
        gkd_dropout_spmm(y, &xd, keep, &x, w, h, p, key, NULL);
        free(keep);
        cr_assert_eq(xd.nrows, n);
        cr_assert_eq(xd.ncols, f);
        int empty = 0;
        for (int32_t r = 0; r < n; r++) {
            int64_t j = xd.rowptr[r];
            for (int64_t k = x.rowptr[r]; k < x.rowptr[r + 1]; k++) {
                if (dropped[k] == 0.0f) continue;
                cr_assert_lt(j, xd.rowptr[r + 1], "row %d keeps too few", r);
                cr_assert_eq(xd.colidx[j], x.colidx[k], "threads %d row %d k %lld j %lld dropped %g val %g", threads, r, (long long)k, (long long)j, dropped[k], xd.val[j]);
                cr_assert_eq(xd.val[j], dropped[k]);
                j++;
            }
            cr_assert_eq(j, xd.rowptr[r + 1], "row %d keeps too many", r);
            empty += xd.rowptr[r] == xd.rowptr[r + 1];
        }
        cr_assert_gt(empty, 3);
        gkd_spmm_ref(yref, &xd, xd.val, w, h);
        for (int64_t e = 0; e < (int64_t)n * h; e++)
            cr_assert_float_eq(y[e], yref[e], 1e-5f * (1.0f + fabsf(yref[e])), "y element %lld", (long long)e);
        if (threads == 1) {
            x1 = xd, y1 = y;
            continue;
        }
        int64_t kept = xd.rowptr[n];
        cr_assert(memcmp(xd.rowptr, x1.rowptr, sizeof(int64_t) * ((size_t)n + 1)) == 0);
        cr_assert(memcmp(xd.colidx, x1.colidx, sizeof(int32_t) * (size_t)kept) == 0);
        cr_assert(memcmp(xd.val, x1.val, sizeof(float) * (size_t)kept) == 0);
        cr_assert(memcmp(y, y1, sizeof(float) * (size_t)n * h) == 0, "y differs on %d threads", threads);
        gnnkd_csr_clear(&xd);
        free(y);
    }
    gnnkd_set_threads(0);
    gnnkd_csr_clear(&x1);
    free(y1), free(w), free(yref);
    free(vals), free(dropped), free(x.val);
    x.val = NULL;
    gnnkd_csr_clear(&x);
}

Test(layers, dropout_spmm_keeps_the_mask) { check_dropout_spmm(0); }
Test(layers, dropout_spmm_keeps_the_mask_with_values) { check_dropout_spmm(1); }

/* X w and X^T g for X = dropout(inp) by blocks equal the same products on
 * the whole dropped matrix: several blocks, an odd width (blocks start
 * mid-pair only if the code is wrong), a short last block; in blocks of
 * drop_floats / 3 rows (0: the setting in force). */
static void check_dropout_matmul(int64_t drop_floats) {
    gnnkd_tuning t;
    gnnkd_tuning_get(&t); // the GNNKD_ISA copy stays
    if (drop_floats) t.drop_floats = drop_floats;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
    int32_t i = 3, o = 5;
    int64_t B = gkd_drop_rows(i);
    cr_assert_eq(B, t.drop_floats / 3);
    int32_t n = (int32_t)(2 * B + 3);
    float p = 0.5f;
    uint64_t key = gkd_key(6, 7, 0);
    float *x = test_random_array((int64_t)n * i, 80, 1.0f), *w = test_random_array((int64_t)i * o, 81, 1.0f);
    float *g = test_random_array((int64_t)n * o, 82, 1.0f), *xd = malloc(sizeof(float) * n * i);
    float *buf = malloc(sizeof(float) * (size_t)B * i);
    float *out = malloc(sizeof(float) * n * o), *ref = malloc(sizeof(float) * n * o);
    float *dw = calloc((size_t)i * o, sizeof(float)), *dwr = calloc((size_t)i * o, sizeof(float));
    gkd_dropout_forward(xd, x, (int64_t)n * i, p, key);
    gkd_matmul_forward_ref(ref, xd, w, n, i, o);
    gkd_dropout_matmul_forward(out, buf, B, x, w, n, i, o, p, key);
    for (int64_t e = 0; e < (int64_t)n * o; e++) cr_assert_float_eq(out[e], ref[e], 1e-5, "out[%lld]", (long long)e);
    gkd_matmul_backward_ref(NULL, dwr, g, xd, w, n, i, o);
    gkd_dropout_matmul_backward(dw, buf, B, g, x, w, n, i, o, p, key);
    for (int e = 0; e < i * o; e++) cr_assert_float_eq(dw[e], dwr[e], 1e-3 * (1.0 + fabsf(dwr[e])), "dw[%d]", e);
    free(x), free(w), free(g), free(xd), free(buf), free(out), free(ref), free(dw), free(dwr);
}

Test(layers, dropout_matmul_matches_whole_dropout) { check_dropout_matmul(0); }
Test(layers, dropout_matmul_in_many_blocks) { check_dropout_matmul(200); }