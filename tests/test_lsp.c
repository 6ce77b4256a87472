/* test_lsp.c — LSP's local-structure loss (distill/lsp.c): its value
 * against closed forms on a small graph (each kernel, both directions,
 * self loops), its gradient against finite differences and the fast passes
 * against the serial reference in each copy of the hot kernels (random
 * graphs with isolated nodes, one and two threads), a model's hidden-layer tap (gnn/model.c) with the loss
 * through whole GCN, MLP, SAGE and GAT models against finite differences
 * of their parameters, and the options of the recipe. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "distill/lsp.h"
#include "gnn/gnn.h"
#include "tests/common.h"
#include "tests/forced_isa.h"

static gkd_lsp *new_lsp_hops(const gnnkd_csr *a, gnnkd_lsp_kernel k, float tau, float sigma,
                             int self, int reverse, int hops) {
    gkd_lsp_form form = {k, tau, sigma, self, reverse, hops};
    gkd_lsp *l = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gkd_lsp_new(&l, a, &form, msg), GNNKD_OK, "%s", msg);
    return l;
}

static gkd_lsp *new_lsp(const gnnkd_csr *a, gnnkd_lsp_kernel k, float tau, float sigma, int self,
                        int reverse) {
    return new_lsp_hops(a, k, tau, sigma, self, reverse, 1);
}

/* The teacher's side: the LS of random embeddings (width D). */
static void random_target(gkd_lsp *l, int32_t D, uint64_t seed) {
    float *zt = test_random_array((int64_t)l->n * D, seed, 1.0f);
    float *q = malloc(sizeof *q * (size_t)(gnnkd_csr_nnz(&l->s) + 1));
    gkd_lsp_distribution(q, l, zt, D);
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gkd_lsp_set_target(l, q, msg), GNNKD_OK, "%s", msg);
    for (int32_t i = 0; i < l->n; i++) // the transposes against a search of row j for i
        for (int64_t k = l->s.rowptr[i]; k < l->s.rowptr[i + 1]; k++) {
            const int32_t j = l->s.colidx[k];
            int64_t c = l->s.rowptr[j];
            while (c < l->s.rowptr[j + 1] && l->s.colidx[c] != i) c++;
            cr_assert_lt(c, l->s.rowptr[j + 1], "edge (%d, %d) has no reverse", i, j);
            cr_assert(l->tqt[k] == l->tq[c], "edge (%d, %d)", i, j);
            const float want = l->form.reverse ? q[k] : logf(q[k]);
            cr_assert_float_eq(l->tq[k], want, 1e-6f * fabsf(want) + 1e-30f, "edge (%d, %d)", i, j);
        }
    free(q);
    free(zt);
}

/* ---- the value by hand ---------------------------------------------------------- */

/* Path 0 - 1 - 2 and an isolated node 3; z0 = (0, 0), z1 = (1, 0), z2 = (2, 1).
 * Without self loops only row 1 has a choice: p = (p10, p12) = softmax(k10,
 * k12) against the teacher's (0.25, 0.75); rows 0 and 2 have p = q = 1. */
static const int64_t PATH_ROWPTR[] = {0, 1, 3, 4, 4};
static const int32_t PATH_COLIDX[] = {1, 0, 2, 1};
static const float PATH_Z[] = {0, 0, 1, 0, 2, 1, 5, 5};

static double kl2(double p0, double q0, int reverse) {
    double p1 = 1.0 - p0, q1 = 1.0 - q0;
    return reverse ? q0 * log(q0 / p0) + q1 * log(q1 / p1) : p0 * log(p0 / q0) + p1 * log(p1 / q1);
}

Test(lsp, loss_by_hand_without_self_loops) {
    gnnkd_csr a = {4, 4, (int64_t *)PATH_ROWPTR, (int32_t *)PATH_COLIDX, NULL};
    // k10 and k12 of each kernel, written out: rbf -|d|^2/2 (sigma 1), linear z.z,
    // poly (z.z + 1)^2, l1 exp(-|d|_1) (sigma 1)
    const double k10[] = {-0.5, 0.0, 1.0, exp(-1.0)}, k12[] = {-1.0, 2.0, 9.0, exp(-2.0)};
    for (int k = 0; k < 4; k++)
        for (int reverse = 0; reverse < 2; reverse++)
            for (int t = 0; t < 2; t++) {
                const float tau = t ? 0.5f : 1.0f;
                gkd_lsp *l = new_lsp(&a, (gnnkd_lsp_kernel)k, tau, 1.0f, 0, reverse);
                cr_assert_eq(gnnkd_csr_nnz(&l->s), 4);
                const float q[] = {1.0f, 0.25f, 0.75f, 1.0f}; // rows 0 and 2: one neighbour
                char msg[GNNKD_MSG_LEN] = "";
                cr_assert_eq(gkd_lsp_set_target(l, q, msg), GNNKD_OK, "%s", msg);
                double p10 = 1.0 / (1.0 + exp((k12[k] - k10[k]) / tau));
                double want = kl2(p10, 0.25, reverse) / 4.0; // mean over 4 nodes
                double got = gkd_lsp_loss(NULL, l, PATH_Z, 2, 1.0f);
                cr_assert(fabs(got - want) < 1e-6 * (1.0 + want), "%s reverse %d tau %g: loss %.9g, by hand %.9g",
                          gnnkd_lsp_kernel_name((gnnkd_lsp_kernel)k), reverse, tau, got, want);
                cr_assert(fabs(gkd_lsp_loss_ref(NULL, l, PATH_Z, 2, 1.0f) - want) < 1e-6 * (1.0 + want));
                gkd_lsp_free(&l);
            }
}

Test(lsp, distribution_by_hand_with_self_loops) {
    gnnkd_csr a = {4, 4, (int64_t *)PATH_ROWPTR, (int32_t *)PATH_COLIDX, NULL};
    gkd_lsp *l = new_lsp(&a, GNNKD_LSP_RBF, 1.0f, 2.0f, 1, 0);
    // rows {0, 1}, {0, 1, 2}, {1, 2}, {3}: i among its own neighbours, in order
    const int64_t rowptr[] = {0, 2, 5, 7, 8};
    const int32_t colidx[] = {0, 1, 0, 1, 2, 1, 2, 3};
    for (int i = 0; i <= 4; i++) cr_assert_eq(l->s.rowptr[i], rowptr[i]);
    for (int k = 0; k < 8; k++) cr_assert_eq(l->s.colidx[k], colidx[k]);
    // the target's transpose: edge k = (i, j) holds q at (j, i), reverses 0 2 1 3 5 4 6 7
    const float q[] = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f, 0.7f, 0.8f};
    const float qt[] = {0.1f, 0.3f, 0.2f, 0.4f, 0.6f, 0.5f, 0.7f, 0.8f};
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gkd_lsp_set_target(l, q, msg), GNNKD_OK, "%s", msg);
    for (int k = 0; k < 8; k++)
        cr_assert(fabsf(l->tqt[k] - logf(qt[k])) < 1e-6f, "edge %d: log qt %g, want %g", k,
                  l->tqt[k], logf(qt[k])); // KL(p || q) keeps log q
    float ls[8];
    gkd_lsp_distribution(ls, l, PATH_Z, 2);
    // row 1 with sigma 2: k11 = 0, k10 = -1/8, k12 = -2/8
    double e0 = exp(-0.125), e2 = exp(-0.25), sum = 1.0 + e0 + e2;
    cr_assert(fabs(ls[2] - e0 / sum) < 1e-6 && fabs(ls[3] - 1.0 / sum) < 1e-6 &&
                  fabs(ls[4] - e2 / sum) < 1e-6,
              "row 1: %g %g %g", ls[2], ls[3], ls[4]);
    cr_assert_float_eq(ls[7], 1.0f, 1e-7, "the isolated node's self loop: %g", ls[7]);
    gkd_lsp_free(&l);
}

Test(lsp, rejects_a_bad_form_and_an_asymmetric_graph) {
    gnnkd_csr a = {4, 4, (int64_t *)PATH_ROWPTR, (int32_t *)PATH_COLIDX, NULL};
    char msg[GNNKD_MSG_LEN] = "";
    gkd_lsp *l = NULL;
    gkd_lsp_form bad = {GNNKD_LSP_RBF, 0.0f, 1.0f, 0, 0, 1};
    cr_assert_eq(gkd_lsp_new(&l, &a, &bad, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "tau") != NULL, "%s", msg);
    bad.tau = 1.0f, bad.sigma = -1.0f;
    msg[0] = '\0';
    cr_assert_eq(gkd_lsp_new(&l, &a, &bad, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "sigma") != NULL, "%s", msg);
    const int64_t rowptr[] = {0, 1, 1, 1, 1};
    gnnkd_csr one_way = {4, 4, (int64_t *)rowptr, (int32_t *)PATH_COLIDX, NULL};
    bad.sigma = 1.0f;
    msg[0] = '\0';
    cr_assert_eq(gkd_lsp_new(&l, &one_way, &bad, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "not symmetric") != NULL, "%s", msg);
    bad.hops = 0;
    msg[0] = '\0';
    cr_assert_eq(gkd_lsp_new(&l, &a, &bad, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "hops") != NULL, "%s", msg);
    bad.hops = GNNKD_LSP_MAX_HOPS + 1;
    cr_assert_eq(gkd_lsp_new(&l, &a, &bad, msg), GNNKD_EINVAL);
    cr_assert_null(l);
}

/* ---- neighbourhoods of several hops ---------------------------------------------- */

/* Row i of the nodes within hops edges of i (not i), by breadth-first
 * search: the oracle of gkd_graph_hops. Returns the row's length. */
static int32_t bfs_row(int32_t *row, const gnnkd_csr *a, int32_t i, int hops) {
    const int32_t n = a->nrows;
    int32_t *dist = malloc(sizeof *dist * (size_t)n), *queue = malloc(sizeof *queue * (size_t)n);
    for (int32_t v = 0; v < n; v++) dist[v] = -1;
    int32_t head = 0, tail = 0, len = 0;
    dist[i] = 0, queue[tail++] = i;
    while (head < tail) {
        int32_t u = queue[head++];
        if (dist[u] == hops) continue;
        for (int64_t k = a->rowptr[u]; k < a->rowptr[u + 1]; k++)
            if (dist[a->colidx[k]] < 0) dist[a->colidx[k]] = dist[u] + 1, queue[tail++] = a->colidx[k];
    }
    for (int32_t v = 0; v < n; v++)
        if (v != i && dist[v] > 0) row[len++] = v;
    free(dist), free(queue);
    return len;
}

Test(lsp, hops_pattern_matches_breadth_first_search) {
    const int32_t n = 70;
    gnnkd_csr a;
    test_random_adj(&a, n, 0.04, 41); // isolated nodes (every i % 4 == 1) and small components
    int32_t *row = malloc(sizeof *row * (size_t)n);
    char msg[GNNKD_MSG_LEN] = "";
    int64_t last = 0;
    for (int hops = 1; hops <= 6; hops++) {
        gnnkd_csr h;
        cr_assert_eq(gkd_graph_hops(&h, &a, hops, GKD_LSP_MAX_PAIRS, msg), GNNKD_OK, "%s", msg);
        cr_assert(h.nrows == n && h.ncols == n && h.val == NULL);
        for (int32_t i = 0; i < n; i++) {
            int32_t len = bfs_row(row, &a, i, hops);
            cr_assert_eq(h.rowptr[i + 1] - h.rowptr[i], len, "hops %d row %d: %lld entries, BFS %d",
                         hops, i, (long long)(h.rowptr[i + 1] - h.rowptr[i]), len);
            for (int32_t t = 0; t < len; t++)
                cr_assert_eq(h.colidx[h.rowptr[i] + t], row[t], "hops %d row %d entry %d", hops, i, t);
        }
        cr_assert_geq(gnnkd_csr_nnz(&h), last, "a wider radius never loses a pair");
        if (hops == 2) cr_assert_gt(gnnkd_csr_nnz(&h), gnnkd_csr_nnz(&a), "two hops reach further");
        last = gnnkd_csr_nnz(&h);
        gnnkd_csr_clear(&h);
    }
    // the limit is on the pairs a product holds (with the diagonal), not on its work:
    // three hops pass at exactly their count and are refused, naming the hops, one below
    gnnkd_csr h, h2;
    cr_assert_eq(gkd_graph_hops(&h2, &a, 2, GKD_LSP_MAX_PAIRS, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gkd_graph_hops(&h, &a, 3, GKD_LSP_MAX_PAIRS, msg), GNNKD_OK, "%s", msg);
    int64_t held = gnnkd_csr_nnz(&h) + n, work = 0; // (A + I)^3 holds every diagonal entry
#define DEG_B(k) (a.rowptr[(k) + 1] - a.rowptr[k] + 1)
    for (int32_t i = 0; i < n; i++) { // (A + I)^2 (A + I): over row i of (A + I)^2, i and h2's row
        work += DEG_B(i);
        for (int64_t e = h2.rowptr[i]; e < h2.rowptr[i + 1]; e++) work += DEG_B(h2.colidx[e]);
    }
    cr_assert_lt(held, work, "the test needs a product whose work passes its pairs");
    gnnkd_csr_clear(&h);
    cr_assert_eq(gkd_graph_hops(&h, &a, 3, held, msg), GNNKD_OK, "%s", msg);
    gnnkd_csr_clear(&h);
    msg[0] = '\0';
    cr_assert_eq(gkd_graph_hops(&h, &a, 3, held - 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "3 hops") != NULL, "%s", msg);
    cr_assert_null(h.rowptr);
    // a bound past 3 times the limit refuses before the product is formed: two hops, whose
    // work is sum_k deg_B(k)^2 (below n^2 here), against a limit a third of it
    int64_t work2 = 0;
    for (int32_t k = 0; k < n; k++) work2 += DEG_B(k) * DEG_B(k);
#undef DEG_B
    cr_assert_lt(work2, (int64_t)n * n);
    msg[0] = '\0';
    cr_assert_eq(gkd_graph_hops(&h, &a, 2, work2 / 3 - 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "could hold") != NULL && strstr(msg, "2 hops") != NULL, "%s", msg);
    msg[0] = '\0'; // just within: formed, then refused by its count
    cr_assert_eq(gkd_graph_hops(&h, &a, 2, work2 / 3 + 1, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "neighbourhoods hold") != NULL, "%s", msg);
    gnnkd_csr_clear(&h2);
    free(row);
    gnnkd_csr_clear(&a);
}

/* Path 0 - 1 - 2 and isolated 3 within two hops, no self loops: rows {1, 2},
 * {0, 2}, {0, 1} and {}; rbf, sigma 1, tau 1: k01 = -1/2, k02 = -5/2, k12 =
 * -1, so p01 = 1 / (1 + e^-2), p10 = 1 / (1 + e^-1/2), p20 = 1 / (1 + e^3/2)
 * against the teacher's 1/4 on each row's first neighbour. */
Test(lsp, loss_by_hand_over_two_hops) {
    gnnkd_csr a = {4, 4, (int64_t *)PATH_ROWPTR, (int32_t *)PATH_COLIDX, NULL};
    gkd_lsp *l = new_lsp_hops(&a, GNNKD_LSP_RBF, 1.0f, 1.0f, 0, 0, 2);
    const int64_t rowptr[] = {0, 2, 4, 6, 6};
    const int32_t colidx[] = {1, 2, 0, 2, 0, 1};
    for (int i = 0; i <= 4; i++) cr_assert_eq(l->s.rowptr[i], rowptr[i]);
    for (int k = 0; k < 6; k++) cr_assert_eq(l->s.colidx[k], colidx[k]);
    const float q[] = {0.25f, 0.75f, 0.25f, 0.75f, 0.25f, 0.75f};
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gkd_lsp_set_target(l, q, msg), GNNKD_OK, "%s", msg);
    double want = (kl2(1.0 / (1.0 + exp(-2.0)), 0.25, 0) + kl2(1.0 / (1.0 + exp(-0.5)), 0.25, 0) +
                   kl2(1.0 / (1.0 + exp(1.5)), 0.25, 0)) / 4.0;
    double got = gkd_lsp_loss(NULL, l, PATH_Z, 2, 1.0f);
    cr_assert(fabs(got - want) < 1e-6 * (1.0 + want), "loss %.9g, by hand %.9g", got, want);
    gkd_lsp_free(&l);
}

/* ---- the gradient and the fast passes ------------------------------------------- */

/* dz of gkd_lsp_loss against central differences of the reference's loss,
 * every element of z. */
static void check_gradient(gnnkd_lsp_kernel k, int self, int reverse, int hops) {
    const int32_t n = 13, D = 3;
    gnnkd_csr a;
    test_random_adj(&a, n, hops > 1 ? 0.15 : 0.4, 21);
    // sigma keeps each kernel's values of order one on embeddings in [-1, 1]
    gkd_lsp *l = new_lsp_hops(&a, k, 0.7f, k == GNNKD_LSP_L1 ? 2.0f : 0.8f, self, reverse, hops);
    random_target(l, 4, 22); // another width than the student's
    float *z = test_random_array((int64_t)n * D, 23, 1.0f);
    float *dz = malloc(sizeof *dz * (size_t)n * D);
    const float w = 1.7f;
    double loss = gkd_lsp_loss(dz, l, z, D, w);
    cr_assert(loss > 0.0, "%s: a random student's divergence is positive (%g)",
              gnnkd_lsp_kernel_name(k), loss);
    const float eps = 1e-3f;
    int nonzero = 0;
    for (int64_t e = 0; e < (int64_t)n * D; e++) {
        float keep = z[e];
        z[e] = keep + eps;
        double up = gkd_lsp_loss_ref(NULL, l, z, D, w);
        z[e] = keep - eps;
        double down = gkd_lsp_loss_ref(NULL, l, z, D, w);
        z[e] = keep;
        double fd = w * (up - down) / (double)((keep + eps) - (keep - eps));
        cr_assert(fabs(fd - dz[e]) <= 2e-3 * fmax(fabs(fd), fabs((double)dz[e])) + 2e-5,
                  "%s self %d reverse %d hops %d: dz[%lld] = %g, finite differences %g",
                  gnnkd_lsp_kernel_name(k), self, reverse, hops, (long long)e, dz[e], fd);
        nonzero += fabs(dz[e]) > 1e-6;
        if (e / D % 4 == 1) // isolated nodes get nothing
            cr_assert(dz[e] == 0.0f, "isolated node %lld: %g", (long long)(e / D), dz[e]);
    }
    cr_assert_gt(nonzero, n * D / 2, "%s: most gradients are not zero", gnnkd_lsp_kernel_name(k));
    free(z), free(dz);
    gkd_lsp_free(&l);
    gnnkd_csr_clear(&a);
}

Test(lsp, rbf_gradient) {
    for (int self = 0; self < 2; self++)
        for (int rev = 0; rev < 2; rev++)
            for (int hops = 1; hops <= 2; hops++) check_gradient(GNNKD_LSP_RBF, self, rev, hops);
}
Test(lsp, linear_gradient) {
    for (int self = 0; self < 2; self++)
        for (int rev = 0; rev < 2; rev++)
            for (int hops = 1; hops <= 2; hops++) check_gradient(GNNKD_LSP_LINEAR, self, rev, hops);
}
Test(lsp, poly_gradient) {
    for (int self = 0; self < 2; self++)
        for (int rev = 0; rev < 2; rev++)
            for (int hops = 1; hops <= 2; hops++) check_gradient(GNNKD_LSP_POLY, self, rev, hops);
}
Test(lsp, l1_gradient) {
    for (int self = 0; self < 2; self++)
        for (int rev = 0; rev < 2; rev++)
            for (int hops = 1; hops <= 2; hops++) check_gradient(GNNKD_LSP_L1, self, rev, hops);
}

/* The fast passes against the reference on larger random graphs, over the
 * parallel threshold, with one and two threads: the same bits each time.
 * Widths: 8 (the passes' copy with D fixed), 13 (a block and a tail), 16. */
static void check_fast_matches_reference(int32_t D) {
    const int32_t n = 400;
    gnnkd_csr a;
    test_random_adj(&a, n, 0.05, 31);
    float *z = test_random_array((int64_t)n * D, 32, 0.5f);
    float *dz = malloc(sizeof *dz * (size_t)n * D), *dz2 = malloc(sizeof *dz2 * (size_t)n * D);
    float *ref = malloc(sizeof *ref * (size_t)n * D);
    for (int k = 0; k < 4; k++)
        for (int v = 0; v < 4; v++) {
            gkd_lsp *l = new_lsp(&a, (gnnkd_lsp_kernel)k, 1.0f + 0.5f * v, k == GNNKD_LSP_L1 ? 3.0f : 2.0f,
                                 v & 1, v >> 1);
            cr_assert_gt(gnnkd_csr_nnz(&l->s) * D, gkd_tuning.par_min, "the parallel passes run");
            random_target(l, 8, 33 + (uint64_t)v);
            gnnkd_set_threads(1);
            double one = gkd_lsp_loss(dz, l, z, D, 2.0f);
            gnnkd_set_threads(2);
            double two = gkd_lsp_loss(dz2, l, z, D, 2.0f);
            gnnkd_set_threads(0);
            cr_assert(one == two && !memcmp(dz, dz2, sizeof *dz * (size_t)n * D),
                      "%s D %d: the same bits on one and two threads", gnnkd_lsp_kernel_name((gnnkd_lsp_kernel)k), D);
            double want = gkd_lsp_loss_ref(ref, l, z, D, 2.0f);
            cr_assert(fabs(one - want) <= 1e-5 * (1.0 + want), "%s v %d D %d: loss %.9g, reference %.9g",
                      gnnkd_lsp_kernel_name((gnnkd_lsp_kernel)k), v, D, one, want);
            double scale = 0.0;
            for (int64_t e = 0; e < (int64_t)n * D; e++) scale = fmax(scale, fabs((double)ref[e]));
            cr_assert_gt(scale, 0.0);
            for (int64_t e = 0; e < (int64_t)n * D; e++)
                cr_assert(fabs((double)dz[e] - ref[e]) <= 1e-4 * scale, "%s v %d: dz[%lld] %g, reference %g",
                          gnnkd_lsp_kernel_name((gnnkd_lsp_kernel)k), v, (long long)e, dz[e], ref[e]);
            gkd_lsp_free(&l);
        }
    free(z), free(dz), free(dz2), free(ref);
    gnnkd_csr_clear(&a);
}

Test(lsp, fast_matches_reference_on_random_graphs) {
    check_fast_matches_reference(8);
    check_fast_matches_reference(13);
    check_fast_matches_reference(16);
}

typedef struct {
    gnnkd_model *m;
    gnnkd_dataset *d;
    gnnkd_graph *g;
    gkd_lsp *l;
    float *target, *dtap;
    int training;
} fd_case;

/* 0.5 |logits - target|^2 + 2 LSP(tap); dlogits and c->dtap its gradients. */
static double fd_loss(fd_case *c, float *dlogits) {
    const float *z = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_forward(c->m, &z, c->d, c->g, c->training, 5, 3, msg), GNNKD_OK, "%s", msg);
    double s = test_half_squared_error(z, c->target, (int64_t)c->d->n * c->d->nclass, dlogits);
    const float *tap = gkd_model_tap(c->m);
    cr_assert_not_null(tap);
    int32_t D = gkd_model_tap_width(c->m);
    if (dlogits) return s + 2.0 * gkd_lsp_loss(c->dtap, c->l, tap, D, 2.0f);
    return s + 2.0 * gkd_lsp_loss_ref(NULL, c->l, tap, D, 2.0f);
}

/* Every parameter's gradient from gkd_model_backward_tap against central
 * differences (training: the same dropout masks each time; preact: the
 * tap before the activation). */
static void check_model(const char *spec_text, int layer, int training, int preact) {
    const int32_t n = 14, f = 5, c = 3;
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_model_spec_parse(&s, spec_text, msg), GNNKD_OK, "%s", msg);
    s.dropout = training ? 0.3f : 0.0f;
    if (s.kind == GNNKD_MODEL_GAT) s.attn_dropout = 0.0f;
    fd_case fc = {NULL, test_small_dataset(n, f, c, 0), NULL, NULL, test_random_array((int64_t)n * c, 15, 1.0f), NULL,
                  training};
    cr_assert_eq(gnnkd_graph_new(&fc.g, &fc.d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&fc.m, &s, f, c, 17, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gkd_model_set_tap(fc.m, layer, preact, msg), GNNKD_OK, "%s", msg);
    const int32_t D = gkd_model_tap_width(fc.m);
    cr_assert_eq(D, gnnkd_model_get_spec(fc.m)->dims[layer]);
    fc.l = new_lsp(&fc.d->adj, GNNKD_LSP_RBF, 1.0f, 1.0f, 0, 0);
    random_target(fc.l, 4, 19);
    fc.dtap = malloc(sizeof *fc.dtap * (size_t)n * D);
    float *params = gkd_model_params(fc.m), *grads = gkd_model_grads(fc.m);
    int64_t np = gnnkd_model_num_params(fc.m);
    for (int64_t e = 0; e < np; e++) params[e] += 0.1f * (2.0f * gkd_uniform(18, (uint64_t)e) - 1.0f);
    float *dl = malloc(sizeof *dl * (size_t)n * c);
    gkd_model_zero_grad(fc.m);
    fd_loss(&fc, dl);
    cr_assert_eq(gkd_model_backward_tap(fc.m, dl, fc.dtap, fc.d, fc.g, msg), GNNKD_OK, "%s", msg);
    float *g = malloc(sizeof *g * (size_t)np);
    memcpy(g, grads, sizeof *g * (size_t)np);
    // the LSP term's own share: the gradient without it differs
    gkd_model_zero_grad(fc.m);
    fd_loss(&fc, dl);
    cr_assert_eq(gnnkd_model_backward(fc.m, dl, fc.d, fc.g, msg), GNNKD_OK, "%s", msg);
    double differ = 0.0;
    for (int64_t e = 0; e < np; e++) differ = fmax(differ, fabs((double)grads[e] - g[e]));
    cr_assert_gt(differ, 1e-3, "%s: the LSP term changes the gradient", spec_text);
    // a difference across a ReLU kink is wrong: a mismatch is tried again
    // with smaller steps, which cross fewer kinks
    int64_t nonzero = 0;
    for (int64_t e = 0; e < np; e++) {
        const float keep = params[e];
        double fd = 0.0, tol = 0.0;
        for (float eps = 3e-4f; eps > 2e-5f; eps /= 3.0f) {
            params[e] = keep + eps;
            double up = fd_loss(&fc, NULL);
            params[e] = keep - eps;
            double down = fd_loss(&fc, NULL);
            params[e] = keep;
            fd = (up - down) / (2.0 * (double)eps);
            tol = 1e-2 * fmax(fabs(fd), fabs((double)g[e])) + 3e-3;
            if (fabs(fd - g[e]) <= tol) break;
        }
        cr_assert(fabs(fd - g[e]) <= tol, "%s layer %d param %lld of %lld: backward %g, finite differences %g",
                  spec_text, layer, (long long)e, (long long)np, g[e], fd);
        nonzero += fabs(g[e]) > 1e-6;
    }
    cr_assert_gt(nonzero, np / 2, "%s: most gradients are not zero", spec_text);
    free(g), free(dl), free(fc.target), free(fc.dtap);
    gkd_lsp_free(&fc.l);
    gnnkd_model_free(&fc.m);
    gnnkd_graph_free(&fc.g);
    gnnkd_dataset_free(&fc.d);
}

Test(lsp, gcn_backward) { check_model("gcn:6", 1, 0, 0); }
Test(lsp, gcn_dropout_backward) { check_model("gcn:6", 1, 1, 0); }
Test(lsp, gcn_middle_layer_dropout_backward) { check_model("gcn:6,4", 1, 1, 0); }
Test(lsp, gcn_last_layer_dropout_backward) { check_model("gcn:6,4", 2, 1, 0); }
Test(lsp, mlp_backward) { check_model("mlp:6", 1, 0, 0); }
Test(lsp, mlp_dropout_backward) { check_model("mlp:6,5", 2, 1, 0); }
Test(lsp, sage_dropout_backward) { check_model("sage:6", 1, 1, 0); }
Test(lsp, gat_backward) { check_model("gat:2x3", 1, 0, 0); }
Test(lsp, gat_dropout_backward) { check_model("gat:2x3", 1, 1, 0); }
Test(lsp, gcn_preact_dropout_backward) { check_model("gcn:6,4", 2, 1, 1); }
Test(lsp, mlp_preact_backward) { check_model("mlp:6", 1, 0, 1); }
Test(lsp, mlp_preact_dropout_backward) { check_model("mlp:6,5", 1, 1, 1); }
Test(lsp, gat_preact_dropout_backward) { check_model("gat:2x3", 1, 1, 1); }

/* The tap leaves the forward pass as it was: the same logits with and
 * without it, dropout included; the tapped activation is the layer's
 * output before dropout. */
Test(lsp, tap_keeps_the_forward_pass) {
    const char *specs[] = {"gcn:6", "mlp:6,5", "gat:2x3", "sage:6"};
    char msg[GNNKD_MSG_LEN];
    for (int k = 0; k < 4; k++) {
        gnnkd_dataset *d = test_small_dataset(14, 5, 3, 0);
        gnnkd_graph *g = NULL;
        cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
        gnnkd_model_spec s;
        cr_assert_eq(gnnkd_model_spec_parse(&s, specs[k], msg), GNNKD_OK);
        s.dropout = 0.4f;
        gnnkd_model *m = NULL;
        cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 3, msg), GNNKD_OK);
        const float *z = NULL;
        float plain[42], eval[14 * 6];
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 1, 9, 2, msg), GNNKD_OK, "%s", msg);
        memcpy(plain, z, sizeof plain);
        int layer = gnnkd_model_get_spec(m)->nlayers - 1;
        int32_t D = gnnkd_model_get_spec(m)->dims[layer];
        cr_assert_eq(gkd_model_set_tap(m, layer, 0, msg), GNNKD_OK);
        cr_assert_null(gkd_model_tap(m), "no tap before a forward pass");
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 1, 9, 2, msg), GNNKD_OK, "%s", msg);
        for (int e = 0; e < 42; e++)
            cr_assert(fabsf(z[e] - plain[e]) <= 1e-6f * (1.0f + fabsf(plain[e])), "%s logit %d: %g vs %g",
                      specs[k], e, z[e], plain[e]);
        // without dropout the kept layer is the evaluation pass's; with it, the
        // kept layer is not dropped: zero where the activation is, not more often
        const float *tap = gkd_model_tap(m);
        int zeros_train = 0, zeros_eval = 0;
        for (int64_t e = 0; e < 14 * D; e++) zeros_train += tap[e] == 0.0f;
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
        memcpy(eval, gkd_model_tap(m), sizeof *eval * (size_t)(14 * D));
        for (int64_t e = 0; e < 14 * D; e++) zeros_eval += eval[e] == 0.0f;
        if (s.kind == GNNKD_MODEL_MLP) // no graph, dropout only on the input: the same zeros
            cr_assert_leq(zeros_train, 14 * D / 2 + 8, "%s: %d zeros of %d", specs[k], zeros_train, 14 * D);
        cr_assert_leq(zeros_eval, 14 * D * 3 / 4, "%s", specs[k]);
        char buf[8];
        cr_assert_eq(gkd_model_set_tap(m, layer + 1, 0, buf), GNNKD_EINVAL);
        gnnkd_model_free(&m);
        gnnkd_graph_free(&g);
        gnnkd_dataset_free(&d);
    }
}

/* ---- the recipe's names and options --------------------------------------------- */

/* The pre-activation tap is the layer before its ReLU: the ReLU of it is
 * the plain tap, and it has negative entries the plain one lacks. */
Test(lsp, preact_tap_is_before_the_relu) {
    const char *specs[] = {"mlp:6", "gcn:6,4"};
    char msg[GNNKD_MSG_LEN];
    for (int k = 0; k < 2; k++) {
        gnnkd_dataset *d = test_small_dataset(14, 5, 3, 0);
        gnnkd_graph *g = NULL;
        cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
        gnnkd_model_spec s;
        cr_assert_eq(gnnkd_model_spec_parse(&s, specs[k], msg), GNNKD_OK);
        gnnkd_model *m = NULL;
        cr_assert_eq(gnnkd_model_new(&m, &s, 5, 3, 3, msg), GNNKD_OK);
        const int layer = gnnkd_model_get_spec(m)->nlayers - 1;
        const int32_t D = gnnkd_model_get_spec(m)->dims[layer];
        const float *z = NULL;
        float post[14 * 6], logits[14 * 3];
        cr_assert_eq(gkd_model_set_tap(m, layer, 0, msg), GNNKD_OK);
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
        memcpy(post, gkd_model_tap(m), sizeof *post * (size_t)(14 * D));
        memcpy(logits, z, sizeof logits);
        cr_assert_eq(gkd_model_set_tap(m, layer, 1, msg), GNNKD_OK);
        cr_assert_null(gkd_model_tap(m), "a new form: no tap before a forward pass");
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
        const float *pre = gkd_model_tap(m);
        int negative = 0;
        for (int64_t e = 0; e < 14 * D; e++) {
            cr_assert_float_eq(fmaxf(pre[e], 0.0f), post[e], 1e-6f, "%s %lld", specs[k], (long long)e);
            negative += pre[e] < 0.0f;
        }
        cr_assert_gt(negative, 0, "%s", specs[k]);
        for (int e = 0; e < 14 * 3; e++) cr_assert_float_eq(z[e], logits[e], 1e-6f, "%s", specs[k]);
        gnnkd_model_free(&m);
        gnnkd_graph_free(&g);
        gnnkd_dataset_free(&d);
    }
}

Test(lsp, names_and_defaults) {
    char msg[GNNKD_MSG_LEN];
    gnnkd_method m = GNNKD_METHOD_SCRATCH;
    cr_assert_eq(gnnkd_method_parse(&m, "kd+lsp", msg), GNNKD_OK);
    cr_assert_eq(m, GNNKD_METHOD_KD_LSP);
    cr_assert_str_eq(gnnkd_method_name(GNNKD_METHOD_LSP), "lsp");
    gnnkd_lsp_kernel k = GNNKD_LSP_RBF;
    for (int v = 0; v < 4; v++) {
        cr_assert_eq(gnnkd_lsp_kernel_parse(&k, gnnkd_lsp_kernel_name((gnnkd_lsp_kernel)v), msg), GNNKD_OK);
        cr_assert_eq((int)k, v);
    }
    cr_assert_eq(gnnkd_lsp_kernel_parse(&k, "gauss", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "LSP kernel 'gauss'") && strstr(msg, "rbf, linear, poly or l1"), "%s", msg);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_LSP, GNNKD_SELECT_VAL_ACC);
    cr_assert_float_eq(o.lsp_weight, 1.0f, 0.0f);
    cr_assert_float_eq(o.lsp_tau, 1.0f, 0.0f);
    cr_assert_eq(o.lsp_kernel, GNNKD_LSP_RBF);
    cr_assert_float_eq(o.student_train.weight_decay, 5e-4f, 0.0f, "lsp decays as from scratch");
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD_LSP, GNNKD_SELECT_VAL_ACC);
    cr_assert_float_eq(o.student_train.weight_decay, 0.0f, 0.0f, "kd+lsp as kd");
    cr_assert_float_eq(gnnkd_lsp_default_sigma(GNNKD_LSP_L1), 100.0f, 0.0f);
    cr_assert_float_eq(gkd_lsp_form_of(&o).sigma, 1.0f, 0.0f);
    o.lsp_kernel = GNNKD_LSP_L1;
    cr_assert_float_eq(gkd_lsp_form_of(&o).sigma, 100.0f, 0.0f);
}
