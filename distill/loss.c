/* loss.c — the training objectives over logits (n, C): hard-label
 * cross-entropy, Hinton's temperature-softened KD term, the logit-matching
 * compression term and CPF's Euclidean term. Each returns its value over a
 * row list (a mean but for CPF's) and, if asked, accumulates weight *
 * gradient into dlogits. */
#include "distill/loss.h"
#include "gnn/gnn.h"

#include <math.h>

/* Below gkd_tuning.loss_par_min logits a loop stays on one thread: waking a
 * team costs more than a few thousand exps (the training rows of a citation
 * graph). */

/* log(sum(exp(z / T))) of one row, computed stably. */
static double logsumexp(const float *z, int32_t C, float T) {
    float mx = z[0];
    for (int32_t j = 1; j < C; j++) mx = z[j] > mx ? z[j] : mx;
    double s = 0.0;
    for (int32_t j = 0; j < C; j++) s += exp((double)(z[j] - mx) / T);
    return (double)mx / T + log(s);
}

void gnnkd_softmax(float *p, const float *z, int64_t n, int32_t C, float T) {
#pragma omp parallel for schedule(static) if (n * C > gkd_tuning.loss_par_min)
    for (int64_t i = 0; i < n; i++) {
        double lse = logsumexp(z + i * C, C, T);
        for (int32_t j = 0; j < C; j++) p[i * C + j] = (float)exp((double)z[i * C + j] / T - lse);
    }
}

double gnnkd_loss_ce(float *dlogits, const float *logits, const int32_t *label,
                     const int32_t *idx, int64_t nidx, int32_t C, float weight) {
    return gkd_loss_ce_of(dlogits, logits, label, idx, nidx, nidx, C, weight);
}

double gkd_loss_ce_of(float *dlogits, const float *logits, const int32_t *label,
                      const int32_t *idx, int64_t nidx, int64_t denom, int32_t C, float weight) {
    if (nidx == 0) return 0.0;
    double total = 0.0;
    const double g = (double)weight / (double)denom;
#pragma omp parallel for schedule(static) reduction(+ : total) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const float *z = logits + (int64_t)idx[k] * C;
        double lse = logsumexp(z, C, 1.0f);
        total += lse - z[label[idx[k]]];
        if (dlogits) {
            float *dz = dlogits + (int64_t)idx[k] * C;
            for (int32_t j = 0; j < C; j++) {
                double p = exp(z[j] - lse) - (j == label[idx[k]]);
                dz[j] += (float)(g * p);
            }
        }
    }
    return total / (double)denom;
}

double gnnkd_loss_kd(float *dlogits, double *kl, const float *logits, const float *q,
                     const int32_t *idx, int64_t nidx, int32_t C, float T, float weight) {
    return gkd_loss_kd_of(dlogits, kl, logits, q, idx, nidx, nidx, C, T, weight);
}

double gkd_loss_kd_of(float *dlogits, double *kl, const float *logits, const float *q,
                      const int32_t *idx, int64_t nidx, int64_t denom, int32_t C, float T,
                      float weight) {
    if (kl) *kl = 0.0;
    if (nidx == 0) return 0.0;
    double ce = 0.0, ent = 0.0;
    /* d(T^2 CE)/ds = T (p - q) */
    const double g = (double)weight * T / (double)denom;
#pragma omp parallel for schedule(static) reduction(+ : ce, ent) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const float *s = logits + (int64_t)idx[k] * C;
        const float *qi = q + (int64_t)idx[k] * C;
        double lse = logsumexp(s, C, T);
        for (int32_t j = 0; j < C; j++) {
            ce += qi[j] * (lse - (double)s[j] / T);
            if (qi[j] > 0.0f) ent -= qi[j] * log((double)qi[j]);
        }
        if (dlogits) {
            float *ds = dlogits + (int64_t)idx[k] * C;
            for (int32_t j = 0; j < C; j++) ds[j] += (float)(g * (exp((double)s[j] / T - lse) - qi[j]));
        }
    }
    const double T2 = (double)T * T;
    if (kl) *kl = T2 * (ce - ent) / (double)denom;
    return T2 * ce / (double)denom;
}

double gnnkd_loss_compress(float *dlogits, const float *logits, const float *t,
                           const int32_t *idx, int64_t nidx, int32_t C, float weight) {
    return gkd_loss_compress_of(dlogits, logits, t, idx, nidx, nidx, C, weight);
}

double gkd_loss_compress_of(float *dlogits, const float *logits, const float *t,
                            const int32_t *idx, int64_t nidx, int64_t denom, int32_t C,
                            float weight) {
    if (nidx == 0) return 0.0;
    double total = 0.0;
    const double g = (double)weight / ((double)C * (double)denom);
#pragma omp parallel for schedule(static) reduction(+ : total) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const int64_t off = (int64_t)idx[k] * C;
        for (int32_t j = 0; j < C; j++) {
            double e = (double)logits[off + j] - t[off + j];
            total += e * e / 2.0;
            if (dlogits) dlogits[off + j] += (float)(g * e);
        }
    }
    return total / ((double)C * (double)denom);
}

double gnnkd_loss_euclid(float *dlogits, const float *logits, const float *q,
                         const int32_t *idx, int64_t nidx, int32_t C, float T, float weight) {
    double sum = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : sum) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const float *s = logits + (int64_t)idx[k] * C, *qi = q + (int64_t)idx[k] * C;
        double lse = logsumexp(s, C, T);
        for (int32_t j = 0; j < C; j++) {
            double e = exp((double)s[j] / T - lse) - qi[j];
            sum += e * e;
        }
    }
    const double loss = sqrt(sum);
    if (dlogits == NULL || loss == 0.0) return loss;
    const double g = (double)weight / ((double)T * loss);
    // d loss / d p = (p - q) / loss; through the softmax: p (g - <p, g>) / T
#pragma omp parallel for schedule(static) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const float *s = logits + (int64_t)idx[k] * C, *qi = q + (int64_t)idx[k] * C;
        float *ds = dlogits + (int64_t)idx[k] * C;
        double lse = logsumexp(s, C, T), pg = 0.0;
        for (int32_t j = 0; j < C; j++) {
            double p = exp((double)s[j] / T - lse);
            pg += p * (p - qi[j]);
        }
        for (int32_t j = 0; j < C; j++) {
            double p = exp((double)s[j] / T - lse);
            ds[j] += (float)(g * p * (p - qi[j] - pg));
        }
    }
    return loss;
}

double gnnkd_accuracy(const float *logits, const int32_t *label, const int32_t *idx,
                      int64_t nidx, int32_t C) {
    if (nidx == 0) return NAN;
    int64_t right = 0;
#pragma omp parallel for schedule(static) reduction(+ : right) if (nidx * C > gkd_tuning.loss_par_min)
    for (int64_t k = 0; k < nidx; k++) {
        const float *z = logits + (int64_t)idx[k] * C;
        int32_t best = 0;
        for (int32_t j = 1; j < C; j++)
            if (z[j] > z[best]) best = j;
        right += best == label[idx[k]];
    }
    return (double)right / (double)nidx;
}
