/* test_nosmog.c — NOSMOG's student inputs: DeepWalk (determinism at one
 * thread, what it learns, its options), position features of a setting
 * (observed graph only, held-out rows from their neighbours), appended
 * columns, and the input gradient behind the adversarial augmentation
 * against finite differences. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/internal.h"

/* Two cliques of k nodes (0..k-1 and k..2k-1) joined by the edge (k-1, k). */
static void two_cliques(gnnkd_csr *a, int32_t k) {
    int32_t n = 2 * k;
    a->nrows = a->ncols = n;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * k + 2, sizeof *a->colidx);
    a->val = NULL;
    for (int32_t i = 0; i < n; i++) {
        int64_t q = a->rowptr[i];
        int32_t base = i < k ? 0 : k;
        if (i == k) a->colidx[q++] = k - 1;
        for (int32_t j = base; j < base + k; j++)
            if (j != i) a->colidx[q++] = j;
        if (i == k - 1) a->colidx[q++] = k;
        a->rowptr[i + 1] = q;
    }
}

static double cosine(const float *x, const float *y, int32_t d) {
    double xy = 0, xx = 0, yy = 0;
    for (int32_t c = 0; c < d; c++) xy += x[c] * y[c], xx += x[c] * x[c], yy += y[c] * y[c];
    return xy / sqrt(xx * yy);
}

Test(deepwalk, deterministic_at_one_thread) {
    gnnkd_csr a;
    two_cliques(&a, 12);
    gnnkd_deepwalk_options o;
    gnnkd_deepwalk_options_default(&o);
    o.dim = 16;
    o.seed = 7;
    float *e1 = NULL, *e2 = NULL, *e3 = NULL;
    int before = omp_get_max_threads();
    omp_set_num_threads(1);
    cr_assert_eq(gnnkd_deepwalk(&e1, &a, &o, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_deepwalk(&e2, &a, &o, NULL), GNNKD_OK);
    o.seed = 8;
    cr_assert_eq(gnnkd_deepwalk(&e3, &a, &o, NULL), GNNKD_OK);
    omp_set_num_threads(before);
    const size_t bytes = (size_t)a.nrows * 16 * sizeof(float);
    cr_assert(memcmp(e1, e2, bytes) == 0, "two runs with one seed differ");
    cr_assert(memcmp(e1, e3, bytes) != 0, "another seed gives the same embedding");
    for (int64_t e = 0; e < (int64_t)a.nrows * 16; e++) cr_assert(isfinite(e1[e]));
    free(e1), free(e2), free(e3);
    gnnkd_csr_clear(&a);
}

Test(deepwalk, separates_two_cliques) {
    gnnkd_csr a;
    const int32_t k = 15, n = 2 * k, dim = 16;
    two_cliques(&a, k);
    gnnkd_deepwalk_options o;
    gnnkd_deepwalk_options_default(&o);
    o.dim = dim;
    o.walks = 10;
    o.length = 20;
    o.epochs = 5;
    o.seed = 1;
    float *e = NULL;
    omp_set_num_threads(1); // Hogwild on more threads is not deterministic: one fixed result
    cr_assert_eq(gnnkd_deepwalk(&e, &a, &o, NULL), GNNKD_OK);
    double within = 0, across = 0;
    int64_t nw = 0, na = 0;
    for (int32_t i = 0; i < n; i++)
        for (int32_t j = i + 1; j < n; j++) {
            double c = cosine(e + (int64_t)i * dim, e + (int64_t)j * dim, dim);
            if ((i < k) == (j < k)) within += c, nw++;
            else across += c, na++;
        }
    within /= (double)nw, across /= (double)na;
    cr_assert(within > across + 0.3, "mean cosine within %.3f, across %.3f", within, across);
    free(e);
    gnnkd_csr_clear(&a);
}

Test(deepwalk, options_parse_and_errors) {
    gnnkd_deepwalk_options o;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "deepwalk:32,walks=3,length=20,window=4,epochs=2,"
                                                  "negatives=7,lr=0.05,seed=9", msg), GNNKD_OK, "%s", msg);
    cr_assert(o.dim == 32 && o.walks == 3 && o.length == 20 && o.window == 4 && o.epochs == 2 &&
              o.negatives == 7 && fabsf(o.lr - 0.05f) < 1e-7f && o.seed == 9);
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "deepwalk:8", msg), GNNKD_OK);
    cr_assert(o.dim == 8 && o.walks == 5 && o.length == 50 && o.window == 5 && o.epochs == 1);
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "deepwalk:0", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "deepwalk:0") && strstr(msg, "dimension"), "%s", msg);
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "deepwalk:8,colour=3", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "unknown key 'colour'"), "%s", msg);
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "deepwalk:8,walks=0", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "bad value of walks"), "%s", msg);
    cr_assert_eq(gnnkd_deepwalk_options_parse(&o, "node2vec:8", msg), GNNKD_EINVAL);
    cr_assert(o.dim == 8, "a failed parse changed the options");
}

/* An inductive setting of a small synthetic graph: the observed rows are
 * DeepWalk's on the observed graph, a held-out row the mean of its
 * observed neighbours' rows. */
Test(position, observed_graph_only) {
    gnnkd_dataset *d = NULL;
    gnnkd_setting *s = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,degree=4,features=16,train-per-class=5", msg),
                 GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, 0.3, 5, msg), GNNKD_OK, "%s", msg);
    gnnkd_deepwalk_options o;
    gnnkd_deepwalk_options_default(&o);
    o.dim = 8;
    o.walks = 2;
    o.length = 10;
    omp_set_num_threads(1);
    float *pos = NULL, *obs = NULL, *std = NULL;
    int32_t k = 0;
    cr_assert_eq(gnnkd_position_features(&pos, &k, s, &o, NULL, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(k, 8);
    const gnnkd_dataset *od = gnnkd_setting_observed(s);
    cr_assert_eq(gnnkd_deepwalk(&obs, &od->adj, &o, msg), GNNKD_OK, "%s", msg);
    int32_t nobs = 0, nheld = 0;
    const int32_t *ids = gnnkd_setting_observed_ids(s, &nobs);
    const int32_t *held = gnnkd_setting_held_out(s, &nheld);
    cr_assert(nheld > 0 && nobs + nheld == d->n);
    for (int32_t r = 0; r < nobs; r++)
        cr_assert(memcmp(pos + (int64_t)ids[r] * k, obs + (int64_t)r * k, (size_t)k * sizeof *pos) == 0,
                  "observed node %d: not its DeepWalk row on the observed graph", ids[r]);
    uint8_t *is_held = calloc((size_t)d->n, 1);
    for (int32_t h = 0; h < nheld; h++) is_held[held[h]] = 1;
    int with_neighbours = 0;
    double obs_mean[8] = {0}; // a held-out node without observed neighbours gets it
    for (int32_t r = 0; r < nobs; r++)
        for (int32_t c = 0; c < k; c++) obs_mean[c] += pos[(int64_t)ids[r] * k + c] / nobs;
    for (int32_t h = 0; h < nheld; h++) {
        const int32_t i = held[h];
        double mean[8] = {0};
        int cnt = 0;
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++) {
            int32_t j = d->adj.colidx[p];
            if (is_held[j]) continue;
            cnt++;
            for (int32_t c = 0; c < k; c++) mean[c] += pos[(int64_t)j * k + c];
        }
        with_neighbours += cnt > 0;
        for (int32_t c = 0; c < k; c++)
            cr_assert_float_eq(pos[(int64_t)i * k + c], cnt ? mean[c] / cnt : obs_mean[c], 1e-5,
                               "held-out node %d, column %d", i, c);
    }
    cr_assert(with_neighbours > 0 && with_neighbours < nheld, "%d of %d held-out nodes have "
              "observed neighbours", with_neighbours, nheld);
    // standardised: zero mean and unit deviation over the observed rows
    cr_assert_eq(gnnkd_position_features(&std, &k, s, &o, NULL, 1, msg), GNNKD_OK, "%s", msg);
    for (int32_t c = 0; c < k; c++) {
        double m = 0, v = 0;
        for (int32_t r = 0; r < nobs; r++) m += std[(int64_t)ids[r] * k + c];
        m /= nobs;
        for (int32_t r = 0; r < nobs; r++) {
            double x = std[(int64_t)ids[r] * k + c] - m;
            v += x * x;
        }
        cr_assert(fabs(m) < 1e-4 && fabs(v / nobs - 1.0) < 1e-3, "column %d: mean %g var %g", c, m,
                  v / nobs);
    }
    free(is_held), free(pos), free(obs), free(std);
    gnnkd_setting_free(&s);
    gnnkd_dataset_free(&d);
}

Test(position, append_columns_sparse_and_dense) {
    gnnkd_dataset *d = NULL, *a = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=50,features=8,classes=2,train-per-class=5", msg),
                 GNNKD_OK, "%s", msg);
    float cols[50 * 3];
    for (int e = 0; e < 150; e++) cols[e] = (float)e;
    cr_assert_eq(gnnkd_dataset_append_columns(&a, d, cols, 3, msg), GNNKD_OK, "%s", msg);
    cr_assert(a->nfeat == 11 && a->xdense && a->x.rowptr == NULL);
    cr_assert(a->xdense[11 * 7 + 2] == d->xdense[8 * 7 + 2] && a->xdense[11 * 7 + 9] == 22.0f);
    // the sparse form: row i's own entries, then its three columns
    gnnkd_dataset *sp = NULL, *b = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&sp, "synthetic:nodes=50,features=8,classes=2,train-per-class=5", msg), GNNKD_OK);
    free(sp->xdense);
    sp->xdense = NULL;
    sp->x.nrows = 50, sp->x.ncols = 8;
    sp->x.rowptr = calloc(51, sizeof *sp->x.rowptr);
    sp->x.colidx = calloc(50, sizeof *sp->x.colidx);
    for (int i = 0; i < 50; i++) sp->x.colidx[i] = i % 8, sp->x.rowptr[i + 1] = i + 1; // pattern
    cr_assert_eq(gnnkd_dataset_append_columns(&b, sp, cols, 3, msg), GNNKD_OK, "%s", msg);
    cr_assert(b->nfeat == 11 && b->x.ncols == 11 && gnnkd_csr_nnz(&b->x) == 200);
    cr_assert(b->x.rowptr[5] == 20 && b->x.colidx[20] == 5 && b->x.val[20] == 1.0f);
    cr_assert(b->x.colidx[21] == 8 && b->x.val[21] == 15.0f && b->x.val[23] == 17.0f);
    cr_assert_eq(gnnkd_dataset_append_columns(&b, sp, cols, 0, msg), GNNKD_EINVAL);
    gnnkd_dataset_free(&b), gnnkd_dataset_free(&sp), gnnkd_dataset_free(&a), gnnkd_dataset_free(&d);
}

/* <r, logits(X)> for a fixed r: its input gradient is what
 * gnnkd_model_input_grad returns for dlogits = r. */
static double probe(gnnkd_model *m, const float *r, const gnnkd_dataset *d, const gnnkd_graph *g) {
    const float *z = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, NULL), GNNKD_OK);
    double s = 0;
    for (int64_t e = 0; e < (int64_t)d->n * d->nclass; e++) s += (double)r[e] * z[e];
    return s;
}

static void input_grad_fd(const char *spec_text) {
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    gnnkd_model_spec spec;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=40,features=12,classes=3,degree=4,train-per-class=4",
                                         msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_spec_parse(&spec, spec_text, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &spec, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
    const int64_t nz = (int64_t)d->n * d->nclass, nx = (int64_t)d->n * d->nfeat;
    float *r = malloc(sizeof *r * (size_t)nz), *dx = malloc(sizeof *dx * (size_t)nx);
    for (int64_t e = 0; e < nz; e++) r[e] = 2.0f * gkd_uniform(11, (uint64_t)e) - 1.0f;
    const float *z = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_model_input_grad(m, dx, r, d, g, msg), GNNKD_OK, "%s", msg);
    const float h = 1e-2f;
    int checked = 0;
    for (int64_t e = 3; e < nx; e += 37) {
        float keep = d->xdense[e];
        d->xdense[e] = keep + h;
        double up = probe(m, r, d, g);
        d->xdense[e] = keep - h;
        double down = probe(m, r, d, g);
        d->xdense[e] = keep;
        double fd = (up - down) / (2.0 * h);
        cr_assert(fabs(fd - dx[e]) <= 2e-3 + 2e-2 * fabs(fd), "%s: x[%lld]: analytic %g, FD %g",
                  spec_text, (long long)e, (double)dx[e], fd);
        checked++;
    }
    cr_assert(checked > 10);
    // with dropout in the last forward pass there is no single input gradient
    cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 1, 0, 1, NULL), GNNKD_OK);
    if (spec.dropout > 0.0f) {
        cr_assert_eq(gnnkd_model_input_grad(m, dx, r, d, g, msg), GNNKD_EINVAL);
        cr_assert(strstr(msg, "without dropout"), "%s", msg);
    }
    free(r), free(dx);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(input_grad, mlp_against_finite_differences) { input_grad_fd("mlp:16"); }
Test(input_grad, gcn_against_finite_differences) { input_grad_fd("gcn:16"); }
Test(input_grad, sage_against_finite_differences) { input_grad_fd("sage:8"); }

/* A position student keeps every node's row: saved and loaded bit for bit,
 * a held-out node's row recomputed from its edges to the observed nodes
 * (gnnkd_model_position_rows) is the one it was scored with, and the rows
 * of new nodes are their known neighbours' means, by hand. */
Test(position, student_ships_with_its_rows) {
    gnnkd_dataset *d = NULL, *pd = NULL;
    gnnkd_setting *s = NULL;
    gnnkd_model *m = NULL, *back = NULL;
    char msg[GNNKD_MSG_LEN] = "", dir[] = "/tmp/gnnkd_test_pos_XXXXXX", path[96];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/student.model", dir);
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,degree=4,features=16,train-per-class=5", msg),
                 GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, 0.3, 5, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(gnnkd_model_spec_parse(&o.teacher, "gcn:8", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_spec_parse(&o.student, "mlp:8", msg), GNNKD_OK);
    o.teacher_train.epochs = o.student_train.epochs = 20;
    gnnkd_deepwalk_options_default(&o.position);
    o.position.dim = 4, o.position.walks = 2, o.position.length = 10;
    omp_set_num_threads(1);
    gnnkd_distill_setting_result r;
    cr_assert_eq(gnnkd_distill_in(&r, &m, &o, 1, s, msg), GNNKD_OK, "%s", msg);
    int32_t n = 0, k = 0;
    const float *block = gnnkd_model_position(m, &n, &k);
    cr_assert(block != NULL && n == d->n && k == 4 && gnnkd_model_get_spec(m)->dims[0] == 20,
              "%d x %d rows, %d inputs", n, k, gnnkd_model_get_spec(m)->dims[0]);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_load(&back, path, msg), GNNKD_OK, "%s", msg);
    int32_t n2 = 0, k2 = 0;
    const float *rows = gnnkd_model_position(back, &n2, &k2);
    cr_assert(n2 == n && k2 == k && memcmp(rows, block, sizeof *rows * (size_t)(n * k)) == 0,
              "the loaded rows differ");

    // the held-out nodes' rows, from their edges to observed nodes alone
    int32_t nheld = 0;
    const int32_t *held = gnnkd_setting_held_out(s, &nheld);
    uint8_t *is_held = calloc((size_t)d->n, 1);
    for (int32_t h = 0; h < nheld; h++) is_held[held[h]] = 1;
    int32_t *u = calloc((size_t)d->adj.rowptr[d->n] + 1, sizeof *u);
    int32_t *v = calloc((size_t)d->adj.rowptr[d->n] + 1, sizeof *v);
    float *got = calloc((size_t)nheld * k, sizeof *got), *all = malloc(sizeof *all * (size_t)(n * k));
    int64_t ne = 0;
    for (int32_t h = 0; h < nheld; h++)
        for (int64_t p = d->adj.rowptr[held[h]]; p < d->adj.rowptr[held[h] + 1]; p++)
            if (!is_held[d->adj.colidx[p]]) u[ne] = h, v[ne++] = d->adj.colidx[p];
    cr_assert(ne > 0);
    cr_assert_eq(gnnkd_model_position_rows(got, back, nheld, u, v, ne, msg), GNNKD_OK, "%s", msg);
    memcpy(all, rows, sizeof *all * (size_t)(n * k));
    for (int32_t h = 0; h < nheld; h++)
        for (int32_t c = 0; c < k; c++) {
            cr_assert_float_eq(got[(int64_t)h * k + c], rows[(int64_t)held[h] * k + c], 1e-5,
                               "held-out node %d, column %d", held[h], c);
            all[(int64_t)held[h] * k + c] = got[(int64_t)h * k + c];
        }
    // and the loaded student, given those rows, scores the setting's ind
    const float *logits = NULL;
    cr_assert_eq(gnnkd_dataset_append_columns(&pd, d, all, k, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_forward(back, &logits, pd, NULL, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_float_eq(gnnkd_accuracy(logits, d->label, held, nheld, d->nclass), r.student.ind, 1e-9);

    // new nodes by hand: node 0 has known neighbours 2 and 5, node 1 has 2, node 2 none
    const int32_t hu[] = {0, 1, 0}, hv[] = {2, 2, 5};
    float three[12];
    cr_assert_eq(gnnkd_model_position_rows(three, back, 3, hu, hv, 3, msg), GNNKD_OK, "%s", msg);
    for (int32_t c = 0; c < k; c++) {
        cr_assert_float_eq(three[c], 0.5f * (rows[2 * k + c] + rows[5 * k + c]), 1e-6);
        cr_assert_eq(three[k + c], rows[2 * k + c]);
        cr_assert_eq(three[2 * k + c], 0.0f);
    }
    const int32_t bad[] = {n};
    msg[0] = '\0';
    cr_assert_eq(gnnkd_model_position_rows(three, back, 3, hu, bad, 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "known node 0..299") != NULL, "%s", msg);
    // bad blocks: as many columns as inputs, a NaN; NULL removes the rows
    msg[0] = '\0';
    cr_assert_eq(gnnkd_model_set_position(back, rows, n, 20, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "1..19 columns") != NULL, "%s", msg);
    all[7] = NAN;
    msg[0] = '\0';
    cr_assert_eq(gnnkd_model_set_position(back, all, n, k, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "row 1, column 3 is not finite") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_model_set_position(back, NULL, 0, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_null(gnnkd_model_position(back, &n2, &k2));
    cr_assert(n2 == 0 && k2 == 0);
    // a version-4 file cut short is refused, naming its size
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, len - 8), 0);
    gnnkd_model_free(&back);
    msg[0] = '\0';
    cr_assert_eq(gnnkd_model_load(&back, path, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "truncated or trailing data") != NULL, "%s", msg);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
    free(is_held), free(u), free(v), free(got), free(all);
    gnnkd_model_free(&m);
    gnnkd_dataset_free(&pd);
    gnnkd_setting_free(&s);
    gnnkd_dataset_free(&d);
}
