/* bench_grid.c — the benchmark's grid: its configurations, in report order,
 * and how each student is trained (the library's recipe, with the grid's
 * settings on top). */
#include "bench_grid.h"

#include <stdio.h>

int bench_nconfigs(const bench_grid *g) { return 1 + g->ntemps * g->nalphas + g->nalphas; }

void bench_config(const bench_grid *g, int k, gnnkd_method *method, int *t, int *a) {
    const int nkd = g->ntemps * g->nalphas;
    if (k == 0) {
        *method = GNNKD_METHOD_SCRATCH;
        *t = *a = -1;
    } else if (k <= nkd) {
        *method = GNNKD_METHOD_KD;
        *t = (k - 1) / g->nalphas;
        *a = (k - 1) % g->nalphas;
    } else {
        *method = GNNKD_METHOD_COMPRESS;
        *t = -1;
        *a = k - 1 - nkd;
    }
}

void bench_training_text(char *buf, size_t len, gnnkd_select select, int patience, int epochs,
                         double weight_decay) {
    snprintf(buf, len, "select=%s patience=%d epochs=%d weight_decay=%g", gnnkd_select_name(select),
             patience, epochs, weight_decay);
}

float bench_weight_decay(const bench_grid *g, gnnkd_method method) {
    if (g->weight_decay >= 0) return (float)g->weight_decay;
    gnnkd_train_options o;
    gnnkd_train_options_for(&o, method, g->select);
    return o.weight_decay;
}

void bench_student_options(gnnkd_distill_options *o, const bench_grid *g, int config,
                           const gnnkd_model_spec *student) {
    gnnkd_method method;
    int t, a;
    bench_config(g, config, &method, &t, &a);
    gnnkd_distill_options_default(o, method, g->select);
    o->student = *student;
    o->student_train.epochs = g->epochs;
    o->student_train.patience = g->patience;
    o->student_train.weight_decay = bench_weight_decay(g, method);
    if (t >= 0) o->temperature = (float)g->temp[t];
    if (a >= 0) o->alpha = (float)g->alpha[a];
    o->center = 1; /* centred logits: the limit of KD as T grows, where the two methods meet */
}

