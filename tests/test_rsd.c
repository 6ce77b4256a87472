/* test_rsd.c — NOSMOG's representation similarity distillation
 * (distill/rsd.c): the loss against a hand-computed value, the batches of
 * an epoch, the gradient against finite differences, the BLAS passes
 * against the serial reference (an ensemble, different widths, a zero
 * row), and the named recipes (distill/recipe.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "distill/rsd.h"
#include "tests/common.h"

static gkd_rsd *new_rsd(const float *const *t, int members, int32_t n, int32_t dt, int32_t ds,
                        int32_t batch) {
    gkd_rsd *r = NULL;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gkd_rsd_new(&r, t, members, n, dt, ds, batch, msg), GNNKD_OK, "%s", msg);
    return r;
}

/* Student rows (1, 0), (0, 2), (1, 1): unit rows e1, e2, (e1 + e2) / sqrt 2.
 * Teacher rows 1, 2, -1 (width 1): units 1, 1, -1. One batch of the three:
 * S_s - S_t = [[0, -1, 1 + a], [-1, 0, 1 + a], [1 + a, 1 + a, 0]], a = 1 / sqrt 2. */
/* w times the central difference of the reference loss at *p (an entry of
 * z or of the projector), step h; *p is restored. */
static double central_difference(float *p, float h, gkd_rsd *r, const float *z, float w) {
    const float keep = *p;
    *p = keep + h;
    const double up = gkd_rsd_loss_ref(NULL, NULL, NULL, r, z, w);
    *p = keep - h;
    const double down = gkd_rsd_loss_ref(NULL, NULL, NULL, r, z, w);
    *p = keep;
    return w * (up - down) / (2.0 * h);
}

Test(rsd, loss_by_hand) {
    static const float zs[] = {1, 0, 0, 2, 1, 1}, zt[] = {1, 2, -1};
    const float *t[] = {zt};
    gkd_rsd *r = new_rsd(t, 1, 3, 1, 2, 512);
    cr_assert_eq(gkd_rsd_batches(r), 1);
    cr_assert_eq(gkd_rsd_rows(r), 3);
    gkd_rsd_shuffle(r, 7, 1);
    const double a = 1.0 / sqrt(2.0), want = (2.0 + 4.0 * (1.0 + a) * (1.0 + a)) / 9.0;
    cr_assert_float_eq(gkd_rsd_loss(NULL, r, zs, 1.0f), want, 1e-6);
    cr_assert_float_eq(gkd_rsd_loss_ref(NULL, NULL, NULL, r, zs, 1.0f), want, 1e-12);
    // an ensemble's S_t is the members' mean: teacher rows -1, -2, 1 give the
    // same units negated, S_t unchanged; rows 1, 1, 1 give all ones
    static const float zt2[] = {3, 3, 3};
    const float *t2[] = {zt, zt2};
    gkd_rsd *r2 = new_rsd(t2, 2, 3, 1, 2, 3);
    gkd_rsd_shuffle(r2, 7, 1);
    // S_t = [[1, 1, 0], [1, 1, 0], [0, 0, 1]]: diff [[0, -1, a], [-1, 0, a], [a, a, 0]]
    cr_assert_float_eq(gkd_rsd_loss(NULL, r2, zs, 2.0f), (2.0 + 4.0 * a * a) / 9.0, 1e-6);
    gkd_rsd_free(&r);
    gkd_rsd_free(&r2);
    cr_assert_null(r);
}

/* n / batch batches of batch rows, the rest left out, as NOSMOG's code; one
 * batch of all the nodes when fewer than two fit. The permutation is one,
 * and the same for a (seed, epoch). */
Test(rsd, batches_and_shuffle) {
    float *zt = test_random_array(10 * 3, 1, 1.0f);
    const float *t[] = {zt};
    gkd_rsd *r = new_rsd(t, 1, 10, 3, 4, 3);
    cr_assert_eq(gkd_rsd_batches(r), 3);
    cr_assert_eq(gkd_rsd_rows(r), 3);
    gkd_rsd_shuffle(r, 5, 2);
    int32_t first[10], seen[10] = {0}, moved = 0;
    memcpy(first, r->perm, sizeof first);
    for (int i = 0; i < 10; i++) seen[r->perm[i]]++, moved += r->perm[i] != i;
    for (int i = 0; i < 10; i++) cr_assert_eq(seen[i], 1);
    cr_assert_gt(moved, 0);
    gkd_rsd_shuffle(r, 5, 3);
    cr_assert_neq(memcmp(first, r->perm, sizeof first), 0, "another epoch, another permutation");
    gkd_rsd_shuffle(r, 5, 2);
    cr_assert_eq(memcmp(first, r->perm, sizeof first), 0);
    gkd_rsd *one = new_rsd(t, 1, 10, 3, 4, 6);
    cr_assert_eq(gkd_rsd_batches(one), 1);
    cr_assert_eq(gkd_rsd_rows(one), 6);
    gkd_rsd *all = new_rsd(t, 1, 10, 3, 4, 64);
    cr_assert_eq(gkd_rsd_rows(all), 10);
    char msg[GNNKD_MSG_LEN] = "";
    gkd_rsd *bad = NULL;
    cr_assert_eq(gkd_rsd_new(&bad, t, 1, 10, 3, 4, 0, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "batch 0") != NULL, "%s", msg);
    cr_assert_null(bad);
    gkd_rsd_free(&r);
    gkd_rsd_free(&one);
    gkd_rsd_free(&all);
    free(zt);
}

/* A mini-batch step's share (gkd_rsd_loss_part): batches 0 and 1..2 of 3;
 * the loss is the mean of their batch losses (1/3 and 2/3 of the epoch's
 * weighted sum), the gradients add up to the epoch's at those weights, and
 * an empty range is 0 and changes nothing. */
Test(rsd, parts_make_the_epoch) {
    const int32_t n = 10, dt = 3, ds = 4;
    float *zt = test_random_array(n * dt, 1, 1.0f), *z = test_random_array(n * ds, 2, 1.0f);
    const float *t[] = {zt};
    gkd_rsd *r = new_rsd(t, 1, n, dt, ds, 3);
    gkd_rsd_shuffle(r, 5, 2);
    float dall[40] = {0}, d1[40] = {0}, d2[40] = {0}, d0[40] = {0};
    const double all = gkd_rsd_loss(dall, r, z, 0.5f);
    const double l1 = gkd_rsd_loss_part(d1, r, z, 0.5f, 0, 1), l2 = gkd_rsd_loss_part(d2, r, z, 0.5f, 1, 3);
    cr_assert_float_eq(all, l1 / 3.0 + 2.0 * l2 / 3.0, 1e-6, "epoch %g, parts %g and %g", all, l1, l2);
    for (int e = 0; e < n * ds; e++)
        cr_assert_float_eq(dall[e], d1[e] / 3.0f + 2.0f * d2[e] / 3.0f, 1e-6, "dz[%d]", e);
    cr_assert_eq(gkd_rsd_loss_part(d0, r, z, 0.5f, 2, 2), 0.0);
    for (int e = 0; e < n * ds; e++) cr_assert_eq(d0[e], 0.0f);
    gkd_rsd_free(&r);
    free(zt), free(z);
}

/* Two members of width 5, a student of width 7 with a zero row, 3 batches
 * of 13 (4 nodes left out): dz against central differences of the
 * reference, and the BLAS passes against the reference. */
Test(rsd, gradient_and_reference) {
    const int32_t n = 43, dt = 5, ds = 7, b = 13;
    const float w = 0.7f;
    float *t0 = test_random_array((int64_t)n * dt, 11, 1.0f), *t1 = test_random_array((int64_t)n * dt, 12, 1.0f);
    float *z = test_random_array((int64_t)n * ds, 13, 1.0f);
    memset(z + 4 * ds, 0, (size_t)ds * sizeof *z);
    const float *t[] = {t0, t1};
    gkd_rsd *r = new_rsd(t, 2, n, dt, ds, b);
    gkd_rsd_shuffle(r, 3, 9);
    float *dz = calloc((size_t)n * ds, sizeof *dz), *dref = calloc((size_t)n * ds, sizeof *dref);
    for (int64_t e = 0; e < (int64_t)n * ds; e++) dz[e] = dref[e] = 0.25f; // both accumulate
    const double fast = gkd_rsd_loss(dz, r, z, w), ref = gkd_rsd_loss_ref(dref, NULL, NULL, r, z, w);
    cr_assert_float_eq(fast, ref, 1e-5 * fabs(ref) + 1e-7);
    cr_assert_gt(ref, 1e-3);
    int left_out = 0;
    for (int64_t e = 0; e < (int64_t)n * ds; e++) {
        cr_assert_float_eq(dz[e], dref[e], 1e-5, "dz[%lld] %g, reference %g", (long long)e,
                           (double)dz[e], (double)dref[e]);
        left_out += dz[e] == 0.25f;
    }
    // the 4 nodes outside the batches and the zero row get nothing
    cr_assert_geq(left_out, 5 * ds);
    const float h = 1e-3f;
    for (int64_t e = 0; e < (int64_t)n * ds; e++) {
        if (e / ds == 4) continue; // the zero row: the cosine has no derivative there
        const double fd = central_difference(z + e, h, r, z, w);
        cr_assert_float_eq(dref[e] - 0.25f, fd, 2e-4 + 1e-3 * fabs(fd), "z[%lld]: %g, fd %g",
                           (long long)e, (double)(dref[e] - 0.25f), fd);
    }
    gkd_rsd_free(&r);
    free(t0);
    free(t1);
    free(z);
    free(dz);
    free(dref);
}

/* NOSMOG's form: dot products, and its projector relu(z W^T + b) of the
 * student's rows: dz, dW and db of the reference against central
 * differences, the BLAS passes against the reference, and the Adam step
 * that a call with a gradient ends with (one with none changes nothing). */
Test(rsd, projector_gradient_and_reference) {
    const int32_t n = 29, dt = 4, ds = 6, b = 9;
    const float w = 0.3f;
    char msg[GNNKD_MSG_LEN] = "";
    float *t0 = test_random_array((int64_t)n * dt, 21, 1.0f), *z = test_random_array((int64_t)n * ds, 22, 1.0f);
    const float *t[] = {t0};
    gkd_rsd *r = NULL, *c = NULL;
    cr_assert_eq(gkd_rsd_new_dot(&r, t, 1, n, dt, ds, b, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r->cosine, 0);
    cr_assert_eq(gkd_rsd_set_projector(r, 5, 0.01f, msg), GNNKD_OK, "%s", msg);
    gkd_rsd_shuffle(r, 3, 4);
    const int64_t nw = (int64_t)ds * ds;
    double *dw = calloc((size_t)nw, sizeof *dw), *db = calloc((size_t)ds, sizeof *db);
    float *dz = calloc((size_t)n * ds, sizeof *dz), *dref = calloc((size_t)n * ds, sizeof *dref);
    const double ref = gkd_rsd_loss_ref(dref, dw, db, r, z, w);
    cr_assert_gt(ref, 1e-3);
    const float h = 1e-3f;
    for (int64_t e = 0; e < (int64_t)n * ds; e++) {
        const double fd = central_difference(z + e, h, r, z, w);
        cr_assert_float_eq(dref[e], fd, 2e-4 + 1e-3 * fabs(fd), "z[%lld]: %g, fd %g", (long long)e,
                           (double)dref[e], fd);
    }
    const float hp = 1e-4f;
    for (int64_t e = 0; e < nw + ds; e++) { // w's entries, then bias's
        float *p = e < nw ? r->w + e : r->bias + (e - nw);
        const double fd = central_difference(p, hp, r, z, w), an = e < nw ? dw[e] : db[e - nw];
        cr_assert_float_eq(an, fd, 2e-4 + 1e-3 * fabs(fd), "projector %lld: %g, fd %g",
                           (long long)e, an, fd);
    }
    // the BLAS passes: the same loss and gradients, then one Adam step of
    // lr against the sign of each gradient (Adam's first step)
    float *w0 = malloc((size_t)(nw + ds) * sizeof *w0);
    memcpy(w0, r->w, (size_t)(nw + ds) * sizeof *w0);
    // (each call once: the assertion macros may evaluate their arguments twice)
    const double plain = gkd_rsd_loss(NULL, r, z, w);
    cr_assert_float_eq(plain, ref, 1e-5 * ref);
    cr_assert_eq(memcmp(w0, r->w, (size_t)(nw + ds) * sizeof *w0), 0, "no gradient, no step");
    const double fast = gkd_rsd_loss(dz, r, z, w);
    cr_assert_float_eq(fast, ref, 1e-5 * ref);
    for (int64_t e = 0; e < (int64_t)n * ds; e++)
        cr_assert_float_eq(dz[e], dref[e], 1e-5 + 1e-4 * fabs(dref[e]), "dz[%lld] %g, reference %g",
                           (long long)e, (double)dz[e], (double)dref[e]);
    cr_assert_eq(r->step, 1);
    int moved = 0;
    for (int64_t e = 0; e < nw + ds; e++) {
        const double g = e < nw ? dw[e] : db[e - nw];
        if (fabs(g) < 1e-6) continue;
        cr_assert_float_eq(r->w[e], w0[e] - (g > 0 ? 0.01f : -0.01f), 1e-5, "projector %lld",
                           (long long)e);
        moved++;
    }
    cr_assert_gt(moved, nw / 2);
    // cosine with a projector: the BLAS passes against the reference
    cr_assert_eq(gkd_rsd_new(&c, t, 1, n, dt, ds, b, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gkd_rsd_set_projector(c, 6, 0.01f, msg), GNNKD_OK, "%s", msg);
    gkd_rsd_shuffle(c, 3, 5);
    memset(dz, 0, (size_t)n * ds * sizeof *dz);
    memset(dref, 0, (size_t)n * ds * sizeof *dref);
    const double cref = gkd_rsd_loss_ref(dref, NULL, NULL, c, z, w);
    const double cfast = gkd_rsd_loss(dz, c, z, w);
    cr_assert_float_eq(cfast, cref, 1e-5 * cref + 1e-7);
    for (int64_t e = 0; e < (int64_t)n * ds; e++)
        cr_assert_float_eq(dz[e], dref[e], 1e-5 + 1e-4 * fabs(dref[e]), "cosine dz[%lld]", (long long)e);
    gkd_rsd_free(&r);
    gkd_rsd_free(&c);
    free(t0), free(z), free(dw), free(db), free(dz), free(dref), free(w0);
}

Test(rsd, recipes) {
    gnnkd_distill_options o;
    char msg[GNNKD_MSG_LEN];
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(o.rsd_weight, 0.0f);
    cr_assert_eq(o.rsd_batch, 512);
    cr_assert_eq(o.position.dim, 0);
    cr_assert_str_eq(gnnkd_recipe_name(0), "nosmog");
    cr_assert_null(gnnkd_recipe_name(-1));
    cr_assert_eq(gnnkd_recipe_apply(&o, "nosmog", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(o.method, GNNKD_METHOD_KD);
    cr_assert_eq(o.temperature, 1.0f);
    cr_assert_eq(o.standardise, 1);
    cr_assert_eq(o.position.dim, 64);
    cr_assert_gt(o.rsd_weight, 0.0f);
    cr_assert_eq(o.student_train.epochs, 500);
    cr_assert_eq(o.student_train.patience, 500, "watched to the end");
    cr_assert_eq(o.generations, 2);
    cr_assert_eq(gnnkd_recipe_apply(&o, "glnn", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "recipe 'glnn'") != NULL && strstr(msg, "nosmog") != NULL, "%s", msg);
}
