/* test_model.c — model specifications, initialisation, whole-model gradients
 * against finite differences, determinism, Adam, and model files. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnn/kernels.h"
#include "tests/forced_isa.h"

/* ---- helpers -------------------------------------------------------------------- */

/* A random dataset of n nodes: symmetric graph (node 0 isolated), f features
 * (sparse with values, about 40% full, or dense), C classes. */
static gnnkd_dataset *make_data(int32_t n, int32_t f, int32_t C, int sparse, uint64_t seed) {
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_new(&d, NULL), GNNKD_OK);
    snprintf(d->name, sizeof d->name, "random%d", n);
    d->n = n;
    d->nfeat = f;
    d->nclass = C;
    gnnkd_csr *a = &d->adj;
    a->nrows = a->ncols = n;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * n + 1, sizeof *a->colidx);
    for (int32_t r = 0; r < n; r++) {
        a->rowptr[r + 1] = a->rowptr[r];
        for (int32_t j = 1; j < n; j++) {
            int32_t lo = r < j ? r : j, hi = r < j ? j : r;
            if (r > 0 && r != j && gkd_uniform(seed, (uint64_t)lo * n + hi) < 0.25)
                a->colidx[a->rowptr[r + 1]++] = j;
        }
    }
    if (sparse) {
        gnnkd_csr *x = &d->x;
        x->nrows = n;
        x->ncols = f;
        x->rowptr = calloc((size_t)n + 1, sizeof *x->rowptr);
        x->colidx = calloc((size_t)n * f + 1, sizeof *x->colidx);
        x->val = calloc((size_t)n * f + 1, sizeof *x->val);
        for (int32_t r = 0; r < n; r++) {
            x->rowptr[r + 1] = x->rowptr[r];
            for (int32_t j = 0; j < f; j++)
                if (gkd_uniform(seed + 1, (uint64_t)r * f + j) < 0.4) {
                    x->val[x->rowptr[r + 1]] = gkd_uniform(seed + 2, (uint64_t)r * f + j) + 0.1f;
                    x->colidx[x->rowptr[r + 1]++] = j;
                }
        }
    } else {
        d->xdense = malloc(sizeof *d->xdense * (size_t)n * f);
        for (int64_t e = 0; e < (int64_t)n * f; e++) d->xdense[e] = 2.0f * gkd_uniform(seed + 3, (uint64_t)e) - 1.0f;
    }
    d->label = malloc(sizeof *d->label * (size_t)n);
    for (int32_t r = 0; r < n; r++) d->label[r] = (int32_t)(gkd_mix64(seed + (uint64_t)r) % (uint64_t)C);
    return d;
}

static gnnkd_model *make_model(const char *text, int32_t nin, int32_t nout, float dropout, uint64_t seed) {
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_spec_parse(&s, text, msg), GNNKD_OK, "%s", msg);
    s.dropout = dropout;
    cr_assert_eq(gnnkd_model_new(&m, &s, nin, nout, seed, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* Mean softmax cross-entropy over all rows, in double; dlogits if not NULL. */
static double ce(float *dlogits, const float *logits, const int32_t *label, int32_t n, int32_t C) {
    double total = 0.0;
    for (int32_t r = 0; r < n; r++) {
        const float *z = logits + (int64_t)r * C;
        double mx = z[0], s = 0.0;
        for (int32_t c = 1; c < C; c++) mx = fmax(mx, z[c]);
        for (int32_t c = 0; c < C; c++) s += exp(z[c] - mx);
        total += log(s) + mx - z[label[r]];
        if (dlogits)
            for (int32_t c = 0; c < C; c++)
                dlogits[(int64_t)r * C + c] = (float)((exp(z[c] - mx) / s - (c == label[r])) / n);
    }
    return total / n;
}

static double model_loss(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g, int training) {
    const float *logits = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_forward(m, &logits, d, g, training, 5, 3, msg), GNNKD_OK, "%s", msg);
    return ce(NULL, logits, d->label, d->n, d->nclass);
}

/* ---- specifications --------------------------------------------------------------- */

Test(model, spec_parse) {
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN], buf[64];
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:16", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_GCN && s.nlayers == 2 && s.dims[1] == 16);
    cr_assert_float_eq(s.dropout, 0.5f, 0.0);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:64,64", msg), GNNKD_OK);
    cr_assert(s.nlayers == 3 && s.dims[1] == 64 && s.dims[2] == 64);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "mlp:256,256", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_MLP && s.nlayers == 3 && s.dims[1] == 256);
    gnnkd_model_spec_format(buf, sizeof buf, &s);
    cr_assert_str_eq(buf, "mlp:256,256");
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_GCN && s.nlayers == 2 && s.dims[1] == 16);
    cr_assert_eq(gnnkd_model_spec_parse(&s, "mlp", msg), GNNKD_OK);
    cr_assert(s.kind == GNNKD_MODEL_MLP && s.nlayers == 2 && s.dims[1] == 64);
    gnnkd_model_spec_format(buf, sizeof buf, &s);
    cr_assert_str_eq(buf, "mlp:64");
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:1,2,3,4,5,6,7", msg), GNNKD_OK);
    cr_assert_eq(s.nlayers, 8);

    const char *junk[] = {"", "gcn:", "gcn:0", "gcn:16,", "gcn:16,,16", "gcnx", "rnn:16", "gcn:-4",
                          "gcn:16x", " gcn:16", "gcn:1,2,3,4,5,6,7,8", "gcn:99999999999", "GCN:16"};
    for (size_t k = 0; k < sizeof junk / sizeof *junk; k++) {
        msg[0] = '\0';
        cr_assert_eq(gnnkd_model_spec_parse(&s, junk[k], msg), GNNKD_EINVAL, "'%s' accepted", junk[k]);
        cr_assert(strlen(msg) > 0, "no message for '%s'", junk[k]);
    }
}

Test(model, new_shapes_and_glorot_init) {
    gnnkd_model *m = make_model("gcn:16", 30, 4, 0.5f, 1);
    cr_assert_eq(gnnkd_model_num_params(m), 30 * 16 + 16 + 16 * 4 + 4);
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    cr_assert(s->dims[0] == 30 && s->dims[1] == 16 && s->dims[2] == 4);
    const float *p = gkd_model_params(m);
    float r0 = sqrtf(6.0f / 46.0f), r1 = sqrtf(6.0f / 20.0f);
    double mean = 0;
    for (int e = 0; e < 30 * 16; e++) {
        cr_assert(fabsf(p[e]) <= r0);
        mean += p[e];
    }
    cr_assert(fabs(mean / (30 * 16)) < 0.1 * r0, "weights are not centred");
    for (int e = 0; e < 16; e++) cr_assert_eq(p[30 * 16 + e], 0.0f, "bias not zero");
    for (int e = 0; e < 64; e++) cr_assert(fabsf(p[30 * 16 + 16 + e]) <= r1);
    gnnkd_model *same = make_model("gcn:16", 30, 4, 0.5f, 1), *other = make_model("gcn:16", 30, 4, 0.5f, 2);
    cr_assert(memcmp(p, gkd_model_params(same), sizeof(float) * (size_t)gnnkd_model_num_params(m)) == 0);
    cr_assert(memcmp(p, gkd_model_params(other), sizeof(float) * (size_t)gnnkd_model_num_params(m)) != 0);
    gnnkd_model_free(&m);
    gnnkd_model_free(&same);
    gnnkd_model_free(&other);
    cr_assert_null(m);
}

Test(model, new_rejects_bad_shapes) {
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    char msg[GNNKD_MSG_LEN];
    gnnkd_model_spec_parse(&s, "gcn:16", NULL);
    s.dims[0] = 10;
    cr_assert_eq(gnnkd_model_new(&m, &s, 11, 3, 0, msg), GNNKD_EINVAL);
    cr_assert_null(m);
    s.dims[0] = 0;
    s.dropout = 1.0f;
    cr_assert_eq(gnnkd_model_new(&m, &s, 11, 3, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "dropout") != NULL, "%s", msg);
    s.dropout = 0.5f;
    cr_assert_eq(gnnkd_model_new(&m, &s, 0, 3, 0, msg), GNNKD_EINVAL);
    s.nlayers = 1;
    cr_assert_eq(gnnkd_model_new(&m, &s, 11, 3, 0, msg), GNNKD_EINVAL);
}

/* ---- gradients of whole models --------------------------------------------------- */

/* Every parameter's gradient against central differences of the mean
 * cross-entropy, with dropout on (a fixed key, so a fixed mask). Entries
 * whose differences at eps and eps/4 disagree straddle a ReLU kink and are
 * skipped; there must be few. */
static void check_model_gradient(const char *text, int sparse, int training) {
    int32_t n = 12, f = 7, C = 3;
    gnnkd_dataset *d = make_data(n, f, C, sparse, 77);
    gnnkd_graph *g = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m = make_model(text, f, C, 0.3f, 8);
    float *p = gkd_model_params(m), *grad = gkd_model_grads(m);
    int64_t np = gnnkd_model_num_params(m);
    // give the biases values so that no ReLU input sits exactly on 0
    for (int64_t e = 0; e < np; e++)
        if (p[e] == 0.0f) p[e] = 0.1f * (2.0f * gkd_uniform(99, (uint64_t)e) - 1.0f);

    const float *logits = NULL;
    float *dlogits = malloc(sizeof(float) * (size_t)n * C);
    cr_assert_eq(gnnkd_model_forward(m, &logits, d, g, training, 5, 3, msg), GNNKD_OK, "%s", msg);
    ce(dlogits, logits, d->label, n, C);
    gkd_model_zero_grad(m);
    cr_assert_eq(gnnkd_model_backward(m, dlogits, d, g, msg), GNNKD_OK, "%s", msg);

    int skipped = 0;
    for (int64_t e = 0; e < np; e++) {
        double fd[2];
        const float eps[2] = {1e-3f, 2.5e-4f};
        float keep = p[e];
        for (int k = 0; k < 2; k++) {
            p[e] = keep + eps[k];
            double up = model_loss(m, d, g, training);
            p[e] = keep - eps[k];
            double down = model_loss(m, d, g, training);
            p[e] = keep;
            fd[k] = (up - down) / (2.0 * (double)eps[k]);
        }
        double scale = fmax(fabs(fd[0]), fabs((double)grad[e]));
        if (fabs(fd[0] - fd[1]) > 1e-2 * scale + 1e-3) {
            skipped++;
            continue;
        }
        cr_assert(fabs(fd[0] - grad[e]) <= 1e-2 * scale + 1e-3,
                  "%s (%s, %s): parameter %lld: backward %g, finite differences %g", text,
                  sparse ? "sparse" : "dense", training ? "dropout" : "eval", (long long)e, grad[e], fd[0]);
    }
    cr_assert(skipped <= np / 10, "%d of %lld entries near a kink", skipped, (long long)np);
    free(dlogits);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(model, gradient_gcn_2_layers_sparse) { check_model_gradient("gcn:5", 1, 1); }
Test(model, gradient_gcn_3_layers_dense) { check_model_gradient("gcn:5,4", 0, 1); }
Test(model, gradient_gcn_3_layers_sparse_eval) { check_model_gradient("gcn:6,5", 1, 0); }
Test(model, gradient_mlp_2_layers_dense) { check_model_gradient("mlp:5", 0, 1); }
Test(model, gradient_mlp_3_layers_sparse) { check_model_gradient("mlp:6,4", 1, 1); }

/* ---- determinism and the workspace -------------------------------------------------- */

static float *logits_copy(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g, int training,
                          uint64_t step) {
    const float *logits = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_forward(m, &logits, d, g, training, 11, step, msg), GNNKD_OK, "%s", msg);
    size_t bytes = sizeof(float) * (size_t)d->n * (size_t)d->nclass;
    float *copy = malloc(bytes);
    memcpy(copy, logits, bytes);
    return copy;
}

Test(model, same_key_same_bits) {
    gnnkd_dataset *d = make_data(300, 40, 5, 1, 3);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_model *m = make_model("gcn:32,16", 40, 5, 0.5f, 4);
    size_t bytes = sizeof(float) * 300 * 5;
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        float *a = logits_copy(m, d, g, 1, 7), *b = logits_copy(m, d, g, 1, 7);
        float *c = logits_copy(m, d, g, 1, 8);
        float *e1 = logits_copy(m, d, g, 0, 7), *e2 = logits_copy(m, d, g, 0, 8);
        cr_assert(memcmp(a, b, bytes) == 0, "same key, different logits on %d threads", threads);
        cr_assert(memcmp(a, c, bytes) != 0, "a new step did not change the dropout mask");
        cr_assert(memcmp(e1, e2, bytes) == 0, "evaluation depends on the step");
        free(a), free(b), free(c), free(e1), free(e2);
    }
    // 1 and 2 threads differ at most by summation order
    gnnkd_set_threads(1);
    float *one = logits_copy(m, d, g, 1, 7);
    gnnkd_set_threads(2);
    float *two = logits_copy(m, d, g, 1, 7);
    for (int e = 0; e < 300 * 5; e++) cr_assert_float_eq(one[e], two[e], 1e-4 * (1 + fabsf(one[e])));
    free(one), free(two);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(model, workspace_follows_the_dataset) {
    gnnkd_dataset *small = make_data(10, 6, 3, 0, 1), *big = make_data(25, 6, 3, 1, 2);
    gnnkd_graph *gs = NULL, *gb = NULL;
    cr_assert_eq(gnnkd_graph_new(&gs, &small->adj, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_graph_new(&gb, &big->adj, NULL), GNNKD_OK);
    gnnkd_model *m = make_model("gcn:8", 6, 3, 0.5f, 1);
    char msg[GNNKD_MSG_LEN];
    float dl[75] = {0};
    cr_assert_eq(gnnkd_model_backward(m, dl, small, gs, msg), GNNKD_EINVAL, "backward before forward");
    float *a = logits_copy(m, small, gs, 0, 0);
    const float *ws = m->ws; // a second forward over the same nodes allocates nothing
    free(logits_copy(m, small, gs, 1, 1));
    cr_assert_eq(m->ws, ws);
    float *b = logits_copy(m, big, gb, 1, 0);
    float *c = logits_copy(m, small, gs, 0, 0);
    cr_assert(memcmp(a, c, sizeof(float) * 30) == 0);
    cr_assert_eq(gnnkd_model_backward(m, dl, big, gb, msg), GNNKD_EINVAL, "backward of another dataset");
    cr_assert_eq(gnnkd_model_backward(m, dl, small, gs, msg), GNNKD_OK, "%s", msg);
    // a GCN needs the graph of the same nodes; features must match
    const float *logits;
    cr_assert_eq(gnnkd_model_forward(m, &logits, small, NULL, 0, 0, 0, msg), GNNKD_EINVAL);
    cr_assert_eq(gnnkd_model_forward(m, &logits, small, gb, 0, 0, 0, msg), GNNKD_EINVAL);
    small->nfeat = 5;
    cr_assert_eq(gnnkd_model_forward(m, &logits, small, gs, 0, 0, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "features") != NULL, "%s", msg);
    small->nfeat = 6;
    free(a), free(b), free(c);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&gs);
    gnnkd_graph_free(&gb);
    gnnkd_dataset_free(&small);
    gnnkd_dataset_free(&big);
}

/* Dense features dropped in blocks of drop_floats: a new block size remakes
 * the workspace at the next forward, and the backward pass goes on with the
 * blocks its forward used; the same training gradients either way. */
Test(model, dense_dropout_blocks_follow_the_tuning) {
    gnnkd_dataset *d = make_data(200, 10, 3, 0, 4);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_model *m = make_model("gcn:8", 10, 3, 0.5f, 2);
    char msg[GNNKD_MSG_LEN];
    gnnkd_tuning t;
    gnnkd_tuning_get(&t);
    float *grads[2], *logits[2], dl[600];
    for (int run = 0; run < 2; run++) {
        t.drop_floats = run ? 130 : 1 << 22; // 13 rows a block: 16 blocks
        cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
        logits[run] = logits_copy(m, d, g, 1, 3);
        cr_assert_eq(m->xin_rows, run ? 13 : 200);
        if (run) { // bigger blocks after the forward: the backward keeps its buffer's
            t.drop_floats = 1 << 22;
            cr_assert_eq(gnnkd_tuning_set(&t, msg), GNNKD_OK, "%s", msg);
        }
        ce(dl, logits[run], d->label, 200, 3);
        gkd_model_zero_grad(m);
        cr_assert_eq(gnnkd_model_backward(m, dl, d, g, msg), GNNKD_OK, "%s", msg);
        int64_t np = gnnkd_model_num_params(m);
        grads[run] = malloc(sizeof(float) * (size_t)np);
        memcpy(grads[run], gkd_model_grads(m), sizeof(float) * (size_t)np);
    }
    for (int e = 0; e < 600; e++)
        cr_assert_float_eq(logits[0][e], logits[1][e], 1e-5 * (1 + fabsf(logits[0][e])), "logit %d", e);
    for (int64_t e = 0; e < gnnkd_model_num_params(m); e++)
        cr_assert_float_eq(grads[0][e], grads[1][e], 1e-5 * (1 + fabsf(grads[0][e])), "grad %lld", (long long)e);
    free(grads[0]), free(grads[1]), free(logits[0]), free(logits[1]);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* ---- Adam and weight decay ------------------------------------------------------------ */

Test(model, adam_step_and_decay) {
    gnnkd_model *m = make_model("mlp:3", 4, 2, 0.0f, 5);
    int64_t np = gnnkd_model_num_params(m); // W0 12, b0 3, W1 6, b1 2
    cr_assert_eq(np, 23);
    float *p = gkd_model_params(m), *g = gkd_model_grads(m);
    float *p0 = malloc(sizeof(float) * np);
    for (int64_t e = 0; e < np; e++) g[e] = 0.1f * (float)(e % 7) - 0.3f;
    for (int64_t e = 12; e < 15; e++) p[e] = 0.5f; // non-zero biases: must not decay
    memcpy(p0, p, sizeof(float) * np);
    gnnkd_train_options o = {.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 0.1f};
    double l2 = 0;
    for (int e = 0; e < 12; e++) l2 += 0.5 * (double)0.1f * p[e] * p[e];
    cr_assert_float_eq(gkd_model_l2(m, &o), l2, 1e-9, "%.12g vs %.12g", gkd_model_l2(m, &o), l2);
    float *g0 = malloc(sizeof(float) * np);
    memcpy(g0, g, sizeof(float) * np);
    // two steps with the same raw gradient; check the second against the formula
    gkd_model_adam_step(m, &o, 1);
    float *p1 = malloc(sizeof(float) * np);
    memcpy(p1, p, sizeof(float) * np);
    memcpy(g, g0, sizeof(float) * np);
    double l2_after = gkd_model_adam_step(m, &o, 2); // the decay term of the new weights
    cr_assert_float_eq(l2_after, gkd_model_l2(m, &o), 1e-6 * gkd_model_l2(m, &o), "%.9g vs %.9g",
                       l2_after, gkd_model_l2(m, &o));
    for (int64_t e = 0; e < np; e++) {
        double w0 = p0[e], w1 = p1[e], raw = g0[e];
        int decayed = e < 12;
        double ga = raw + (decayed ? 0.1 * w0 : 0), gb = raw + (decayed ? 0.1 * w1 : 0);
        double m1 = 0.1 * ga, v1 = 0.001 * ga * ga;
        double want1 = w0 - 0.01 * (m1 / 0.1) / (sqrt(v1 / 0.001) + 1e-8);
        double m2 = 0.9 * m1 + 0.1 * gb, v2 = 0.999 * v1 + 0.001 * gb * gb;
        double want2 = w1 - 0.01 * (m2 / (1 - 0.81)) / (sqrt(v2 / (1 - 0.999 * 0.999)) + 1e-8);
        cr_assert_float_eq(p1[e], want1, 1e-6, "step 1, parameter %lld", (long long)e);
        cr_assert_float_eq(p[e], want2, 1e-6, "step 2, parameter %lld", (long long)e);
    }
    // decay of all layers changes the second layer's step
    gkd_model_reset_adam(m);
    o.decay_all_layers = 1;
    cr_assert(gkd_model_l2(m, &o) > gkd_model_l2(m, &(gnnkd_train_options){.weight_decay = 0.1f}));
    free(p0), free(p1), free(g0);
    gnnkd_model_free(&m);
}

/* ---- model files -------------------------------------------------------------------------- */

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/gnnkd_test_model_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

static uint8_t *read_all(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    uint8_t *b = malloc((size_t)*len);
    cr_assert_eq(fread(b, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
    return b;
}

static void write_all(const char *path, const uint8_t *b, long len) {
    FILE *f = fopen(path, "wb");
    cr_assert_eq(fwrite(b, 1, (size_t)len, f), (size_t)len);
    fclose(f);
}

Test(model, file_round_trip, .init = make_dir, .fini = remove_dir) {
    gnnkd_dataset *d = make_data(20, 9, 4, 1, 6);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, NULL), GNNKD_OK);
    gnnkd_model *m = make_model("gcn:7,5", 9, 4, 0.25f, 3), *back = NULL;
    char path[128], msg[GNNKD_MSG_LEN];
    snprintf(path, sizeof path, "%s/m.gnnkd", dir);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_load(&back, path, msg), GNNKD_OK, "%s", msg);
    cr_assert(memcmp(gnnkd_model_get_spec(m), gnnkd_model_get_spec(back), sizeof(gnnkd_model_spec)) == 0);
    float *a = logits_copy(m, d, g, 0, 0), *b = logits_copy(back, d, g, 0, 0);
    cr_assert(memcmp(a, b, sizeof(float) * 20 * 4) == 0, "a loaded model gives other logits");
    long len;
    uint8_t *bytes = read_all(path, &len);
    cr_assert_eq(len, 8 + 12 + 4 * 4 + 4 + 8 + 4 * gnnkd_model_num_params(m) + 4);
    cr_assert(memcmp(bytes, "GNNKDMDL", 8) == 0);
    free(bytes), free(a), free(b);
    gnnkd_model_free(&m);
    gnnkd_model_free(&back);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* Writes a damaged copy of a good file and expects GNNKD_EDATA naming why. */
static void expect_rejected(const uint8_t *good, long len, long at, int delta, long newlen, const char *why) {
    char path[128], msg[GNNKD_MSG_LEN] = "";
    snprintf(path, sizeof path, "%s/bad.gnnkd", dir);
    uint8_t *b = calloc((size_t)newlen + 1, 1);
    memcpy(b, good, (size_t)(newlen < len ? newlen : len));
    if (at >= 0) b[at] = (uint8_t)(b[at] + delta);
    write_all(path, b, newlen);
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_load(&m, path, msg), GNNKD_EDATA, "%s: accepted", why);
    cr_assert_null(m);
    cr_assert(strstr(msg, path) != NULL && strstr(msg, why) != NULL, "expected '%s' in '%s'", why, msg);
    free(b);
}

Test(model, file_damage_rejected, .init = make_dir, .fini = remove_dir) {
    gnnkd_model *m = make_model("mlp:6", 5, 3, 0.5f, 1);
    char path[128], msg[GNNKD_MSG_LEN];
    snprintf(path, sizeof path, "%s/m.gnnkd", dir);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    long len;
    uint8_t *good = read_all(path, &len);
    expect_rejected(good, len, len - 20, 1, len, "checksum");   // a parameter byte
    expect_rejected(good, len, len - 1, 1, len, "checksum");    // the checksum itself
    expect_rejected(good, len, -1, 0, len - 3, "bytes");        // truncated
    expect_rejected(good, len, -1, 0, len + 1, "bytes");        // trailing byte
    expect_rejected(good, len, 0, 1, len, "magic");
    expect_rejected(good, len, 8, 1, len, "version");
    expect_rejected(good, len, 12, 5, len, "kind");
    expect_rejected(good, len, 16, 100, len, "layers");
    expect_rejected(good, len, 20, 1, len, "parameters");       // dims[0] 5 -> 6
    expect_rejected(good, len, -1, 0, 10, "magic");             // too short for a header
    gnnkd_model *none = NULL;
    snprintf(path, sizeof path, "%s/missing.gnnkd", dir);
    cr_assert_eq(gnnkd_model_load(&none, path, msg), GNNKD_EIO);
    free(good);
    gnnkd_model_free(&m);
}

/* ---- Cora, when the datasets are at hand ------------------------------------------------ */

Test(model, cora_forward_backward) {
    const char *root = getenv("GNNKD_DATA");
    if (root == NULL || *root == '\0') cr_skip_test("GNNKD_DATA is not set");
    char path[4096], msg[GNNKD_MSG_LEN];
    snprintf(path, sizeof path, "%s/cora", root);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, path, msg), GNNKD_OK, "%s", msg);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m = make_model("gcn:16", d->nfeat, d->nclass, 0.5f, 0);
    const float *logits = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &logits, d, g, 1, 0, 1, msg), GNNKD_OK, "%s", msg);
    float *dl = calloc((size_t)d->n * d->nclass, sizeof(float));
    for (int32_t r = 0; r < d->nsplit[GNNKD_TRAIN]; r++) {
        int32_t v = d->split[GNNKD_TRAIN][r];
        dl[(int64_t)v * d->nclass + d->label[v]] = -1.0f;
    }
    gkd_model_zero_grad(m);
    cr_assert_eq(gnnkd_model_backward(m, dl, d, g, msg), GNNKD_OK, "%s", msg);
    double norm = 0;
    for (int64_t e = 0; e < gnnkd_model_num_params(m); e++) {
        cr_assert(isfinite(gkd_model_grads(m)[e]));
        norm += fabs(gkd_model_grads(m)[e]);
    }
    cr_assert_gt(norm, 0.0);
    free(dl);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* On a layer big enough for a team, the L2 term Adam sums on its way equals
 * gkd_model_l2 of the new weights, on 1 and 2 threads. */
Test(model, adam_l2_on_a_team) {
    gnnkd_model *m = make_model("mlp:64", 1000, 3, 0.0f, 6); // 64000 decayed weights
    float *g = gkd_model_grads(m);
    gnnkd_train_options o = {.lr = 0.01f, .beta1 = 0.9f, .beta2 = 0.999f, .eps = 1e-8f, .weight_decay = 5e-4f};
    for (int threads = 1; threads <= 2; threads++) {
        gnnkd_set_threads(threads);
        for (int64_t e = 0; e < gnnkd_model_num_params(m); e++) g[e] = 0.01f * (float)(e % 13) - 0.06f;
        double l2 = gkd_model_adam_step(m, &o, threads);
        cr_assert_float_eq(l2, gkd_model_l2(m, &o), 1e-6 * l2, "%d threads: %.9g vs %.9g", threads, l2,
                           gkd_model_l2(m, &o));
    }
    gnnkd_set_threads(0);
    gnnkd_model_free(&m);
}
