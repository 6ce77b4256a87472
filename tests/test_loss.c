/* test_loss.c — the training objectives against hand-computed values, their
 * gradients against central finite differences, the high-temperature limit
 * of KD, and teacher ensembles. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "gnnkd.h"

/* Hand-computed with Python's math module (see the values' derivation in the
 * loss definitions of gnnkd.h). */
Test(loss, cross_entropy_hand_value) {
    const float z[3] = {1, 2, 3};
    const int32_t label[1] = {2}, idx[1] = {0};
    float dz[3] = {0};
    double l = gnnkd_loss_ce(dz, z, label, idx, 1, 3, 1.0f);
    cr_assert_float_eq(l, 0.40760596444438013, 1e-6);
    /* gradient: softmax - onehot */
    double s = exp(1) + exp(2) + exp(3);
    cr_assert_float_eq(dz[0], exp(1) / s, 1e-6);
    cr_assert_float_eq(dz[2], exp(3) / s - 1.0, 1e-6);
}

Test(loss, kd_hand_value) {
    const float s[3] = {1, 2, 3}, q[3] = {0.2f, 0.3f, 0.5f};
    const int32_t idx[1] = {0};
    float ds[3] = {0};
    double kl = 0;
    double l = gnnkd_loss_kd(ds, &kl, s, q, idx, 1, 3, 2.0f, 1.0f);
    cr_assert_float_eq(l, 4.121078682566939, 1e-5);
    cr_assert_float_eq(kl, 0.0024666263086441376, 1e-5);
    cr_assert_float_eq(ds[0], -0.027352553548304903, 1e-6);
    cr_assert_float_eq(ds[1], 0.01439177143699677, 1e-6);
    cr_assert_float_eq(ds[2], 0.012960782111308022, 1e-6);
}

Test(loss, compress_hand_value) {
    const float s[3] = {1, 2, 3}, t[3] = {0, 2, 5};
    const int32_t idx[1] = {0};
    float ds[3] = {0};
    double l = gnnkd_loss_compress(ds, s, t, idx, 1, 3, 0.5f);
    cr_assert_float_eq(l, (1.0 + 0.0 + 4.0) / 2.0 / 3.0, 1e-7);
    cr_assert_float_eq(ds[0], 0.5 * 1.0 / 3.0, 1e-7); /* weight * (s - t) / C */
    cr_assert_float_eq(ds[2], 0.5 * -2.0 / 3.0, 1e-7);
}

/* p = softmax(s / 2) = (0.1863, 0.3072, 0.5065), loss = |p - q|_2,
 * gradient weight * p (g - <p, g>) / T with g = (p - q) / loss. */
Test(loss, euclid_hand_value) {
    const float s[3] = {1, 2, 3}, q[3] = {0.2f, 0.3f, 0.5f};
    const int32_t idx[1] = {0};
    float ds[3] = {0};
    double l = gnnkd_loss_euclid(ds, s, q, idx, 1, 3, 2.0f, 0.5f);
    cr_assert_float_eq(l, 0.01675758890506362, 1e-6);
    cr_assert_float_eq(ds[0], 0.5 * -0.0924013965791726, 1e-5);
    cr_assert_float_eq(ds[1], 0.5 * 0.0389674565721838, 1e-5);
    cr_assert_float_eq(ds[2], 0.5 * 0.053433940006988805, 1e-5);
}

/* One square root over all rows, not a mean of the rows' distances. */
Test(loss, euclid_is_one_norm_over_rows) {
    const float s[6] = {1, 2, 3, 0, -1, 2}, q[6] = {0.2f, 0.3f, 0.5f, 0.6f, 0.1f, 0.3f};
    const int32_t both[2] = {0, 1};
    double a = gnnkd_loss_euclid(NULL, s, q, both, 1, 3, 1.0f, 1.0f);
    double b = gnnkd_loss_euclid(NULL, s, q, both + 1, 1, 3, 1.0f, 1.0f);
    double ab = gnnkd_loss_euclid(NULL, s, q, both, 2, 3, 1.0f, 1.0f);
    cr_assert_float_eq(ab, sqrt(a * a + b * b), 1e-7);
    /* an exact match (softmax(0, 0) = (1/2, 1/2)): loss 0 and no gradient,
     * not 0 / 0 */
    const float z0[2] = {0, 0}, half[2] = {0.5f, 0.5f};
    float d[2] = {0};
    cr_assert_eq(gnnkd_loss_euclid(d, z0, half, both, 1, 2, 1.0f, 1.0f), 0.0);
    cr_assert(d[0] == 0.0f && d[1] == 0.0f);
}

/* Random logits (n, C) in [-a, a] from a small LCG. */
static void fill(float *x, int n, float a, unsigned *state) {
    for (int i = 0; i < n; i++) {
        *state = *state * 1664525u + 1013904223u;
        x[i] = a * (2.0f * (float)(*state >> 8) / 16777216.0f - 1.0f);
    }
}

enum { N = 5, C = 4 };
typedef double (*loss_fn)(float *d, const float *z, const void *aux, const int32_t *idx, int n);

static double ce_fn(float *d, const float *z, const void *aux, const int32_t *idx, int n) {
    return gnnkd_loss_ce(d, z, aux, idx, n, C, 1.0f);
}
static double kd_fn(float *d, const float *z, const void *aux, const int32_t *idx, int n) {
    return gnnkd_loss_kd(d, NULL, z, aux, idx, n, C, 3.0f, 1.0f);
}
static double kl_fn(float *d, const float *z, const void *aux, const int32_t *idx, int n) {
    double kl;
    gnnkd_loss_kd(d, &kl, z, aux, idx, n, C, 3.0f, 1.0f);
    return kl;
}
static double euclid_fn(float *d, const float *z, const void *aux, const int32_t *idx, int n) {
    return gnnkd_loss_euclid(d, z, aux, idx, n, C, 3.0f, 1.0f);
}
static double mse_fn(float *d, const float *z, const void *aux, const int32_t *idx, int n) {
    return gnnkd_loss_compress(d, z, aux, idx, n, C, 1.0f);
}

/* Every analytic gradient against central differences; rows outside idx
 * must get no gradient. */
static void check_gradient(loss_fn f, const void *aux) {
    float z[N * C], d[N * C] = {0};
    unsigned st = 7;
    fill(z, N * C, 2.0f, &st);
    const int32_t idx[3] = {0, 2, 4};
    f(d, z, aux, idx, 3);
    for (int k = 0; k < N * C; k++) {
        const float h = 1e-2f, keep = z[k];
        z[k] = keep + h;
        double up = f(NULL, z, aux, idx, 3);
        z[k] = keep - h;
        double down = f(NULL, z, aux, idx, 3);
        z[k] = keep;
        double fd = (up - down) / (2.0 * h);
        cr_assert(fabs(fd - d[k]) < 1e-3 + 1e-2 * fabs(fd), "entry %d: analytic %g, numeric %g", k,
                  (double)d[k], fd);
        if (k / C == 1 || k / C == 3) cr_assert_eq(d[k], 0.0f);
    }
}

Test(loss, gradients_match_finite_differences) {
    int32_t label[N] = {0, 3, 1, 2, 3};
    float q[N * C];
    float t[N * C];
    unsigned st = 11;
    fill(t, N * C, 3.0f, &st);
    gnnkd_softmax(q, t, N, C, 3.0f);
    check_gradient(ce_fn, label);
    check_gradient(kd_fn, q);
    check_gradient(kl_fn, q); /* KL has the same gradient as the soft CE */
    check_gradient(mse_fn, t);
    check_gradient(euclid_fn, q);
}

/* d/ds_ij of CE(softmax(t/T), softmax(s/T)) is (1/T)(p_ij - q_ij): the KD loss
 * carries T^2, so its gradient is T(p - q). */
Test(loss, kd_gradient_is_p_minus_q_over_T) {
    float s[C] = {0.5f, -1.0f, 2.0f, 0.1f}, t[C] = {1.0f, 0.0f, -1.0f, 0.3f};
    float p[C], q[C], d[C] = {0};
    const int32_t idx[1] = {0};
    for (float T = 1.0f; T <= 8.0f; T *= 2.0f) {
        memset(d, 0, sizeof d);
        gnnkd_softmax(p, s, 1, C, T);
        gnnkd_softmax(q, t, 1, C, T);
        gnnkd_loss_kd(d, NULL, s, q, idx, 1, C, T, 1.0f);
        for (int j = 0; j < C; j++)
            cr_assert_float_eq(d[j] / (T * T), (p[j] - q[j]) / T, 1e-6, "T=%g j=%d", (double)T, j);
    }
}

/* Hinton et al.: for large T and zero-mean logits, T^2 times the KD gradient
 * (here T^2 * (1/T)(p - q) = T(p - q)) tends to the compression gradient
 * (s - t)/C, with an error that shrinks like 1/T. */
Test(loss, kd_tends_to_compression_as_T_grows) {
    float s[N * C], t[N * C], q[N * C], dkd[N * C], dmse[N * C];
    unsigned st = 3;
    fill(s, N * C, 3.0f, &st);
    fill(t, N * C, 3.0f, &st);
    for (int i = 0; i < N; i++) { /* zero-mean rows */
        float ms = 0, mt = 0;
        for (int j = 0; j < C; j++) ms += s[i * C + j] / C, mt += t[i * C + j] / C;
        for (int j = 0; j < C; j++) s[i * C + j] -= ms, t[i * C + j] -= mt;
    }
    const int32_t idx[N] = {0, 1, 2, 3, 4};
    memset(dmse, 0, sizeof dmse);
    gnnkd_loss_compress(dmse, s, t, idx, N, C, 1.0f);
    double err[3];
    const float Ts[3] = {10.0f, 100.0f, 1000.0f};
    for (int k = 0; k < 3; k++) {
        memset(dkd, 0, sizeof dkd);
        gnnkd_softmax(q, t, N, C, Ts[k]);
        gnnkd_loss_kd(dkd, NULL, s, q, idx, N, C, Ts[k], 1.0f);
        err[k] = 0;
        for (int j = 0; j < N * C; j++) err[k] = fmax(err[k], fabs(dkd[j] - dmse[j]));
    }
    cr_assert(err[0] < 0.05, "T=10: error %g", err[0]);
    cr_assert(err[1] < err[0] / 5 && err[2] < err[1] / 5, "errors %g %g %g do not shrink like 1/T",
              err[0], err[1], err[2]);
    /* T * error stays of the same order: the first-order term in 1/T */
    cr_assert(err[1] * 100 > 0.3 * err[0] * 10 && err[1] * 100 < 3 * err[0] * 10);
}

Test(loss, accuracy_counts_argmax) {
    const float z[6] = {0, 1, 2, 5, 4, 3};
    const int32_t label[2] = {2, 1}, idx[2] = {0, 1};
    cr_assert_float_eq(gnnkd_accuracy(z, label, idx, 2, 3), 0.5, 1e-12);
}

Test(teacher, ensemble_of_one_is_the_member) {
    enum { n = 4, c = 3 };
    float z[n * c], target[n * c], p[n * c];
    unsigned st = 5;
    fill(z, n * c, 2.0f, &st);
    gnnkd_teacher *t = NULL;
    char msg[GNNKD_MSG_LEN];
    cr_assert_eq(gnnkd_teacher_new(&t, n, c, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_logits(t, z, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_COMPRESS, 1.0f, 0, msg), GNNKD_OK);
    cr_assert_arr_eq(target, z, sizeof z);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 2.0f, 0, msg), GNNKD_OK);
    gnnkd_softmax(p, z, n, c, 2.0f);
    cr_assert_arr_eq(target, p, sizeof p);
    gnnkd_teacher_free(&t);
    cr_assert_null(t);
}

Test(teacher, ensemble_averages_probabilities_and_logits) {
    const float a[3] = {1, 2, 3}, b[3] = {3, 0, 0};
    float target[3], pa[3], pb[3];
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_teacher_new(&t, 1, 3, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_logits(t, a, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_logits(t, b, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_members(t), 2);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 4.0f, 0, NULL), GNNKD_OK);
    gnnkd_softmax(pa, a, 1, 3, 4.0f);
    gnnkd_softmax(pb, b, 1, 3, 4.0f);
    for (int j = 0; j < 3; j++) cr_assert_float_eq(target[j], 0.5f * (pa[j] + pb[j]), 1e-7);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_COMPRESS, 1.0f, 1, NULL), GNNKD_OK);
    /* mean logits (2, 1, 1.5), centred: (0.5, -0.5, 0) */
    cr_assert_float_eq(target[0], 0.5f, 1e-6);
    cr_assert_float_eq(target[1], -0.5f, 1e-6);
    cr_assert_float_eq(target[2], 0.0f, 1e-6);
    gnnkd_teacher_free(&t);
}

Test(teacher, standardised_targets_by_hand) {
    /* rows 0 and 1 rank the classes alike at scales 1 and 1e-3 (a teacher kept
     * at a flat early epoch); z-scored, both are (-sqrt(1.5), 0, sqrt(1.5)):
     * softmax at T 1 (0.062556, 0.212896, 0.724548), at T 2 (0.160049,
     * 0.295258, 0.544693). Row 2 is constant: the uniform target, no NaN. */
    const float z[9] = {1, 2, 3, 1e-3f, 2e-3f, 3e-3f, 4, 4, 4};
    const float t1[3] = {0.0625558f, 0.2128959f, 0.7245483f}, t2[3] = {0.1600486f, 0.2952582f, 0.5446932f};
    float target[9], plain[9];
    char msg[GNNKD_MSG_LEN];
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_teacher_new(&t, 3, 3, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_logits(t, z, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 1.0f, GNNKD_TARGET_STANDARDISE, msg),
                 GNNKD_OK, "%s", msg);
    for (int j = 0; j < 3; j++) {
        cr_assert_float_eq(target[j], t1[j], 2e-6);
        cr_assert_float_eq(target[3 + j], t1[j], 2e-6);
        cr_assert_float_eq(target[6 + j], 1.0f / 3.0f, 1e-7);
    }
    /* unstandardised, the flat row says almost nothing */
    cr_assert_eq(gnnkd_teacher_targets(plain, t, GNNKD_METHOD_KD, 1.0f, 0, msg), GNNKD_OK);
    cr_assert_lt(plain[5] - plain[3], 0.001f);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 2.0f, GNNKD_TARGET_STANDARDISE, msg),
                 GNNKD_OK);
    for (int j = 0; j < 3; j++) cr_assert_float_eq(target[3 + j], t2[j], 2e-6);
    /* compression's target is the z-scored logits themselves */
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_COMPRESS, 1.0f, GNNKD_TARGET_STANDARDISE, msg),
                 GNNKD_OK);
    cr_assert_float_eq(target[3], -1.2247449f, 1e-5);
    cr_assert_float_eq(target[4], 0.0f, 1e-5);
    cr_assert_float_eq(target[5], 1.2247449f, 1e-5);
    /* an ensemble averages its members' standardised targets */
    const float b[9] = {30, 0, 0, 0, 0, 30, 1, 1, 2};
    cr_assert_eq(gnnkd_teacher_add_logits(t, b, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 1.0f, GNNKD_TARGET_STANDARDISE, msg),
                 GNNKD_OK);
    /* b's row 0 z-scored: (sqrt(2), -sqrt(2)/2, -sqrt(2)/2); softmax (0.806617, 0.096692, 0.096692) */
    const float b0[3] = {0.8066165f, 0.0966917f, 0.0966917f};
    for (int j = 0; j < 3; j++) cr_assert_float_eq(target[j], 0.5f * (t1[j] + b0[j]), 2e-6);
    gnnkd_teacher_free(&t);
}

Test(teacher, accuracy_is_a_status_and_a_value) {
    /* mean softmax of (1, 2, 3) and (3, 0, 0) is about (0.50, 0.15, 0.36): class 0 */
    const float a[3] = {1, 2, 3}, b[3] = {3, 0, 0};
    const int32_t label0[1] = {0}, label2[1] = {2}, idx[1] = {0};
    char msg[GNNKD_MSG_LEN] = "stale";
    double acc = -7;
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_teacher_new(&t, 1, 3, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_accuracy(&acc, t, label0, idx, 1, msg), GNNKD_EINVAL);
    cr_expect(strstr(msg, "no members") != NULL, "%s", msg);
    cr_expect_eq(acc, -7, "acc is left alone on failure");
    cr_assert_eq(gnnkd_teacher_add_logits(t, a, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_add_logits(t, b, NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_teacher_accuracy(&acc, t, label0, idx, 1, msg), GNNKD_OK);
    cr_expect_eq(msg[0], '\0', "msg is cleared on success: %s", msg);
    cr_expect_eq(acc, 1.0);
    cr_assert_eq(gnnkd_teacher_accuracy(&acc, t, label2, idx, 1, msg), GNNKD_OK);
    cr_expect_eq(acc, 0.0);
    gnnkd_teacher_free(&t);
}
