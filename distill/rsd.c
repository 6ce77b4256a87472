/* rsd.c — NOSMOG's representation similarity distillation: on each batch
 * of nodes, the squared difference between the teacher's and the student's
 * similarity matrices of a hidden layer (cosine, or NOSMOG's code's dot
 * products after a trained projector of the student's rows), and its
 * gradient w.r.t. the student's rows. The similarity matrices are b x b,
 * so the two widths need not agree; their products go through BLAS. */
#include "distill/rsd.h"
#include "gnn/gnn.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void gkd_rsd_free(gkd_rsd **r) {
    if (r == NULL || *r == NULL) return;
    gkd_rsd *q = *r;
    float *bufs[] = {q->t,  q->zb, q->us,   q->norm, q->st, q->ss, q->du, q->ut,
                     q->w,  q->dw, q->m,    q->v,    q->a};
    for (size_t k = 0; k < sizeof bufs / sizeof *bufs; k++) free(bufs[k]);
    free(q->perm);
    GKD_FREE(*r);
}

/* dst (rows, d) = src's rows scaled to unit length (zero rows stay zero);
 * len (rows), if not NULL, their lengths. */
static void unit_rows(float *dst, float *len, const float *src, int64_t rows, int32_t d) {
#pragma omp parallel for schedule(static) if (rows * d > gkd_tuning.par_min)
    for (int64_t i = 0; i < rows; i++) {
        const float *s = src + i * d;
        float *o = dst + i * d;
        double sq = 0.0;
        for (int32_t c = 0; c < d; c++) sq += (double)s[c] * s[c];
        const float l = (float)sqrt(sq), inv = l > 0.0f ? 1.0f / l : 0.0f;
        for (int32_t c = 0; c < d; c++) o[c] = s[c] * inv;
        if (len) len[i] = l;
    }
}

static int rsd_new(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                   int32_t ds, int32_t batch, int cosine, char *msg) {
#define GKD_FREE_ALL gkd_rsd_free(&out)
    gkd_rsd *out = NULL;
    *r = NULL;
    GKD_CHECK(n >= 1 && dt >= 1 && ds >= 1 && batch >= 1 && members >= 1, GNNKD_EINVAL,
              "RSD: %d nodes, teacher width %d, student width %d, batch %d, %d members: each "
              "must be at least 1", n, dt, ds, batch, members);
    GKD_ALLOC(out, 1);
    out->n = n, out->dt = dt, out->ds = ds, out->batch = batch, out->members = members;
    out->cosine = cosine;
    const int64_t b = n < batch ? n : batch;
    GKD_ALLOC(out->t, (int64_t)members * n * dt);
    GKD_ALLOC(out->perm, n);
    GKD_ALLOC(out->zb, b * ds);
    GKD_ALLOC(out->us, b * ds);
    GKD_ALLOC(out->norm, b);
    GKD_ALLOC(out->st, b * b);
    GKD_ALLOC(out->ss, b * b);
    GKD_ALLOC(out->du, b * ds);
    GKD_ALLOC(out->ut, b * dt);
    for (int j = 0; j < members; j++) {
        float *t = out->t + (int64_t)j * n * dt;
        if (cosine) unit_rows(t, NULL, hidden[j], n, dt);
        else memcpy(t, hidden[j], (size_t)n * dt * sizeof *t);
    }
    for (int32_t i = 0; i < n; i++) out->perm[i] = i;
    *r = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

int gkd_rsd_new(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                int32_t ds, int32_t batch, char *msg) {
    return rsd_new(r, hidden, members, n, dt, ds, batch, 1, msg);
}

int gkd_rsd_new_dot(gkd_rsd **r, const float *const *hidden, int members, int32_t n, int32_t dt,
                    int32_t ds, int32_t batch, char *msg) {
    return rsd_new(r, hidden, members, n, dt, ds, batch, 0, msg);
}

int gkd_rsd_set_projector(gkd_rsd *r, uint64_t seed, float lr, char *msg) {
    float *w = NULL, *dw = NULL, *m = NULL, *v = NULL, *a = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(w);                                                                          \
        free(dw);                                                                         \
        free(m);                                                                          \
        free(v);                                                                          \
        free(a);                                                                          \
    } while (0)
    const int32_t ds = r->ds;
    const int64_t np = (int64_t)ds * ds + ds, b = gkd_rsd_rows(r);
    GKD_ALLOC(w, np);
    GKD_ALLOC(dw, np);
    GKD_ALLOC(m, np);
    GKD_ALLOC(v, np);
    GKD_ALLOC(a, b * ds);
    const uint64_t key = gkd_key(seed, 0x50524f4au /* "PROJ" */, 0);
    const float bound = 1.0f / sqrtf((float)ds);
    for (int64_t e = 0; e < np; e++) w[e] = (2.0f * gkd_uniform(key, (uint64_t)e) - 1.0f) * bound;
    free(r->w), free(r->dw), free(r->m), free(r->v), free(r->a);
    r->w = w, r->bias = w + (int64_t)ds * ds, r->dw = dw, r->db = dw + (int64_t)ds * ds;
    r->m = m, r->v = v, r->a = a, r->lr = lr, r->step = 0;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gkd_rsd_shuffle(gkd_rsd *r, uint64_t seed, int epoch) {
    const uint64_t key = gkd_key(seed, 0x525344u /* "RSD" */, (uint64_t)epoch);
    for (int32_t i = 0; i < r->n; i++) r->perm[i] = i;
    for (int32_t i = r->n - 1; i > 0; i--) { // Fisher-Yates
        int32_t j = (int32_t)(gkd_uniform(key, (uint64_t)i) * (float)(i + 1));
        if (j > i) j = i;
        int32_t v = r->perm[i];
        r->perm[i] = r->perm[j];
        r->perm[j] = v;
    }
}

/* st (b, b) = the members' mean of U_t U_t^T over the batch's rows idx. */
static void teacher_sim(gkd_rsd *r, const int32_t *idx, int32_t b) {
    const int32_t dt = r->dt;
    for (int j = 0; j < r->members; j++) {
        const float *t = r->t + (int64_t)j * r->n * dt;
        for (int32_t k = 0; k < b; k++)
            memcpy(r->ut + (int64_t)k * dt, t + (int64_t)idx[k] * dt, (size_t)dt * sizeof(float));
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, b, dt, 1.0f / (float)r->members,
                    r->ut, dt, r->ut, dt, j == 0 ? 0.0f : 1.0f, r->st, b);
    }
}

/* The projector's Adam step on its gradients dw, db (PyTorch's Adam, no
 * decay), which it then clears. */
static void projector_step(gkd_rsd *r) {
    const int64_t np = (int64_t)r->ds * r->ds + r->ds;
    const float b1 = 0.9f, b2 = 0.999f, eps = 1e-8f;
    r->step++;
    const float c1 = 1.0f - powf(b1, (float)r->step), c2 = 1.0f - powf(b2, (float)r->step);
    for (int64_t e = 0; e < np; e++) {
        const float g = r->dw[e];
        r->m[e] = b1 * r->m[e] + (1.0f - b1) * g;
        r->v[e] = b2 * r->v[e] + (1.0f - b2) * g * g;
        r->w[e] -= r->lr * (r->m[e] / c1) / (sqrtf(r->v[e] / c2) + eps);
        r->dw[e] = 0.0f;
    }
}

double gkd_rsd_loss_part(float *dz, gkd_rsd *r, const float *z, float weight, int32_t q0,
                         int32_t q1) {
    const int32_t nb = q1 - q0, b = gkd_rsd_rows(r), ds = r->ds;
    const int64_t bb = (int64_t)b * b;
    double total = 0.0;
    if (nb <= 0) return 0.0;
    if (dz && r->w) memset(r->dw, 0, ((size_t)ds * ds + ds) * sizeof *r->dw);
    for (int32_t q = q0; q < q1; q++) {
        const int32_t *idx = r->perm + (int64_t)q * b;
        for (int32_t k = 0; k < b; k++)
            memcpy(r->zb + (int64_t)k * ds, z + (int64_t)idx[k] * ds, (size_t)ds * sizeof(float));
        // p (b, ds): the projector's relu(zb W^T + bias), or zb
        float *p = r->zb;
        if (r->w) {
            for (int32_t k = 0; k < b; k++) memcpy(r->a + (int64_t)k * ds, r->bias, (size_t)ds * sizeof(float));
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, ds, ds, 1.0f, r->zb, ds, r->w,
                        ds, 1.0f, r->a, ds);
            for (int64_t e = 0; e < (int64_t)b * ds; e++) r->du[e] = r->a[e] > 0.0f ? r->a[e] : 0.0f;
            p = r->du;
        }
        if (r->cosine) unit_rows(r->us, r->norm, p, b, ds);
        else memcpy(r->us, p, (size_t)b * ds * sizeof(float));
        teacher_sim(r, idx, b);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, b, b, ds, 1.0f, r->us, ds, r->us, ds,
                    0.0f, r->ss, b);
        // ss = dL/dS_s = 2 (S_s - S_t) / b^2, scaled by weight / nb
        const float g = 2.0f * weight / ((float)bb * (float)nb);
        double sum = 0.0;
#pragma omp parallel for reduction(+ : sum) schedule(static) if (bb > gkd_tuning.par_min)
        for (int64_t e = 0; e < bb; e++) {
            const float diff = r->ss[e] - r->st[e];
            sum += (double)diff * diff;
            r->ss[e] = g * diff;
        }
        total += sum / (double)bb;
        if (dz == NULL) continue;
        // dU = (G + G^T) U_s = 2 G U_s (G symmetric)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, ds, b, 2.0f, r->ss, b, r->us, ds,
                    0.0f, r->du, ds);
        // through u = p / |p|: dp = (du - u (u . du)) / |p|
        if (r->cosine) {
#pragma omp parallel for schedule(static) if ((int64_t)b * ds > gkd_tuning.par_min)
            for (int32_t k = 0; k < b; k++) {
                float *du = r->du + (int64_t)k * ds;
                if (r->norm[k] <= 0.0f) {
                    memset(du, 0, (size_t)ds * sizeof *du);
                    continue;
                }
                const float *u = r->us + (int64_t)k * ds;
                float dot = 0.0f, inv = 1.0f / r->norm[k];
                for (int32_t c = 0; c < ds; c++) dot += u[c] * du[c];
                for (int32_t c = 0; c < ds; c++) du[c] = (du[c] - u[c] * dot) * inv;
            }
        }
        const float *dp = r->du;
        if (r->w) { // da = dp where a > 0; dW += da^T zb, db += colsum da, dzb = da W
            for (int64_t e = 0; e < (int64_t)b * ds; e++) r->a[e] = r->a[e] > 0.0f ? r->du[e] : 0.0f;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, ds, ds, b, 1.0f, r->a, ds, r->zb,
                        ds, 1.0f, r->dw, ds);
            for (int32_t k = 0; k < b; k++)
                for (int32_t c = 0; c < ds; c++) r->db[c] += r->a[(int64_t)k * ds + c];
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, b, ds, ds, 1.0f, r->a, ds, r->w,
                        ds, 0.0f, r->du, ds);
        }
        // batches are disjoint rows
        for (int32_t k = 0; k < b; k++) {
            float *o = dz + (int64_t)idx[k] * ds;
            for (int32_t c = 0; c < ds; c++) o[c] += dp[(int64_t)k * ds + c];
        }
    }
    if (dz && r->w) projector_step(r);
    return total / nb;
}

double gkd_rsd_loss_ref(float *dz, double *dw, double *db, const gkd_rsd *r, const float *z,
                        float weight) {
    const int32_t nb = gkd_rsd_batches(r), b = gkd_rsd_rows(r), ds = r->ds, dt = r->dt;
    double *us = calloc((size_t)b * ds, sizeof *us), *len = calloc((size_t)b, sizeof *len);
    double *st = calloc((size_t)b * b, sizeof *st), *du = calloc((size_t)b * ds, sizeof *du);
    double *a = calloc((size_t)b * ds, sizeof *a);
    double total = NAN;
    if (us == NULL || len == NULL || st == NULL || du == NULL || a == NULL) goto done;
    total = 0.0;
    for (int32_t q = 0; q < nb; q++) {
        const int32_t *idx = r->perm + (int64_t)q * b;
        for (int32_t k = 0; k < b; k++) {
            const float *h = z + (int64_t)idx[k] * ds;
            for (int32_t o = 0; o < ds; o++) { // a = the projector's pre-activation, or h
                double s = r->w ? r->bias[o] : h[o];
                for (int32_t c = 0; r->w && c < ds; c++) s += (double)r->w[(int64_t)o * ds + c] * h[c];
                a[k * ds + o] = s;
            }
            double sq = 0.0;
            for (int32_t c = 0; c < ds; c++) {
                const double pc = r->w && a[k * ds + c] < 0.0 ? 0.0 : a[k * ds + c];
                us[k * ds + c] = pc;
                sq += pc * pc;
            }
            len[k] = sqrt(sq);
            for (int32_t c = 0; r->cosine && c < ds; c++)
                us[k * ds + c] = len[k] > 0.0 ? us[k * ds + c] / len[k] : 0.0;
        }
        for (int32_t i = 0; i < b; i++)
            for (int32_t j = 0; j < b; j++) {
                double s = 0.0;
                for (int m = 0; m < r->members; m++) {
                    const float *t = r->t + (int64_t)m * r->n * dt;
                    for (int32_t c = 0; c < dt; c++)
                        s += (double)t[(int64_t)idx[i] * dt + c] * t[(int64_t)idx[j] * dt + c];
                }
                st[(int64_t)i * b + j] = s / r->members;
            }
        memset(du, 0, (size_t)b * ds * sizeof *du);
        double sum = 0.0;
        for (int32_t i = 0; i < b; i++)
            for (int32_t j = 0; j < b; j++) {
                double s = 0.0;
                for (int32_t c = 0; c < ds; c++) s += us[i * ds + c] * us[j * ds + c];
                const double diff = s - st[(int64_t)i * b + j];
                sum += diff * diff;
                // d diff^2 / d u_i = 2 diff u_j, and the same for u_j
                const double g = 2.0 * diff * weight / ((double)b * b * nb);
                for (int32_t c = 0; c < ds; c++) {
                    du[i * ds + c] += g * us[j * ds + c];
                    du[j * ds + c] += g * us[i * ds + c];
                }
            }
        total += sum / ((double)b * b);
        for (int32_t k = 0; k < b; k++) {
            double *d = du + k * ds;
            if (r->cosine) { // through u = p / |p|
                double dot = 0.0;
                for (int32_t c = 0; c < ds; c++) dot += us[k * ds + c] * d[c];
                for (int32_t c = 0; c < ds; c++)
                    d[c] = len[k] > 0.0 ? (d[c] - us[k * ds + c] * dot) / len[k] : 0.0;
            }
            const float *h = z + (int64_t)idx[k] * ds;
            for (int32_t c = 0; dz && c < ds; c++) {
                double g = d[c];
                if (r->w) { // through the projector: sum_o [a_o > 0] d_o W_oc
                    g = 0.0;
                    for (int32_t o = 0; o < ds; o++)
                        if (a[k * ds + o] > 0.0) g += d[o] * r->w[(int64_t)o * ds + c];
                }
                dz[(int64_t)idx[k] * ds + c] += (float)g;
            }
            for (int32_t o = 0; r->w && o < ds; o++) {
                if (a[k * ds + o] <= 0.0) continue;
                if (db) db[o] += d[o];
                for (int32_t c = 0; dw && c < ds; c++) dw[(int64_t)o * ds + c] += d[o] * h[c];
            }
        }
    }
    total /= nb;
done:
    free(us);
    free(len);
    free(st);
    free(du);
    free(a);
    return total;
}
