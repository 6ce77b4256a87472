/* bench_grid.c — the benchmark's grid: the methods it covers and the axes each is
 * tuned on (one table entry a method), its configurations in report order,
 * and how each student is trained (the library's recipe, with the grid's
 * settings on top). */
#include "bench_grid.h"

#include <stdio.h>
#include <string.h>

static void set_temperature(gnnkd_distill_options *o, double v) { o->temperature = (float)v; }
static void set_alpha(gnnkd_distill_options *o, double v) { o->alpha = (float)v; }
static void set_beta(gnnkd_distill_options *o, double v) { o->lsp_weight = (float)v; }
static void set_tau(gnnkd_distill_options *o, double v) { o->lsp_tau = (float)v; }
static void set_rsd(gnnkd_distill_options *o, double v) { o->rsd_weight = (float)v; }
static void set_adv(gnnkd_distill_options *o, double v) { o->adv_eps = (float)v; }

const bench_axis BENCH_AXES[BENCH_NAXES] = {
    [BENCH_AXIS_T] = {"T", "temperatures", "T", "1,2,4,8", 1e-3, 1e6, set_temperature},
    [BENCH_AXIS_ALPHA] = {"alpha", "alphas", "α", "0.5,0.9", 0.0, 1.0, set_alpha},
    [BENCH_AXIS_BETA] = {"beta", "lsp-weights", "β", "1", 1e-6, 1e6, set_beta},
    [BENCH_AXIS_TAU] = {"tau", "lsp-taus", "τ", "1,0.1,0.03", 1e-4, 1e4, set_tau},
    [BENCH_AXIS_RSD] = {"rsd_weight", "rsd-weights", "rsd", "1,3", 1e-6, 1e6, set_rsd},
    [BENCH_AXIS_ADV] = {"adv_eps", "adv-eps", "ε", "0.002,0.01", 1e-6, 10.0, set_adv},
};

#define AXIS(a) (1u << (a))
#define KD_AXES (AXIS(BENCH_AXIS_T) | AXIS(BENCH_AXIS_ALPHA))
#define LSP_AXES (AXIS(BENCH_AXIS_BETA) | AXIS(BENCH_AXIS_TAU))
const bench_method BENCH_METHODS[] = {
    /* name, method, recipe, position, axes, needs_teacher, by_default, kind */
    {NULL, GNNKD_METHOD_SCRATCH, NULL, 0, 0, 0, 1, -1},
    {NULL, GNNKD_METHOD_KD, NULL, 0, KD_AXES, 1, 1, -1},
    {NULL, GNNKD_METHOD_COMPRESS, NULL, 0, AXIS(BENCH_AXIS_ALPHA), 1, 1, -1},
    {NULL, GNNKD_METHOD_LSP, NULL, 0, LSP_AXES, 1, 0, -1},
    {NULL, GNNKD_METHOD_KD_LSP, NULL, 0, KD_AXES | LSP_AXES, 1, 0, -1},
    {"kd+position", GNNKD_METHOD_KD, NULL, 1, KD_AXES, 1, 0, GNNKD_MODEL_MLP},
    {"kd+rsd", GNNKD_METHOD_KD, NULL, 0, KD_AXES | AXIS(BENCH_AXIS_RSD), 1, 0, GNNKD_MODEL_MLP},
    {"kd+adv", GNNKD_METHOD_KD, NULL, 0, KD_AXES | AXIS(BENCH_AXIS_ADV), 1, 0, GNNKD_MODEL_MLP},
    /* the recipe (position features and similarity distillation), then all
     * three; the axes on top of the recipe's values */
    {"nosmog", GNNKD_METHOD_KD, "nosmog", 1, KD_AXES | AXIS(BENCH_AXIS_RSD), 1, 0, GNNKD_MODEL_MLP},
    {"nosmog+adv", GNNKD_METHOD_KD, "nosmog", 1, KD_AXES | AXIS(BENCH_AXIS_RSD) | AXIS(BENCH_AXIS_ADV), 1, 0, GNNKD_MODEL_MLP},
    /* the CPF student by its recipe (CPF's loss on the unlabelled nodes) */
    {"cpf", GNNKD_METHOD_EUCLID, "cpf", 0, 0, 1, 0, GNNKD_MODEL_CPF},
};
const int BENCH_NMETHODS = (int)(sizeof BENCH_METHODS / sizeof BENCH_METHODS[0]);

const char *bench_method_name(const bench_method *m) {
    return m->name ? m->name : gnnkd_method_name(m->method);
}

int bench_method_find(const char *text, char *msg) {
    char list[256] = "";
    for (int k = 0; k < BENCH_NMETHODS; k++) {
        if (!strcmp(bench_method_name(&BENCH_METHODS[k]), text)) return k;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "",
                 bench_method_name(&BENCH_METHODS[k]));
    }
    snprintf(msg, GNNKD_MSG_LEN, "method '%s' is not in the benchmark's grid (%s)", text, list);
    return -1;
}

int bench_config_trains(const bench_grid *g, int st, int k) {
    const bench_method *bm = bench_config_method(g, k);
    const gnnkd_model_kind kind = g->student_spec[st].kind;
    // a CPF student clamps its training nodes to their labels: without the
    // teacher's soft labels nothing trains it
    if (kind == GNNKD_MODEL_CPF && (bm->method == GNNKD_METHOD_SCRATCH || bm->method == GNNKD_METHOD_LSP))
        return 0;
    return bm->kind < 0 || kind == (gnnkd_model_kind)bm->kind;
}

int bench_needs_hidden(const bench_grid *g) {
    for (int m = 0; m < g->nmethods; m++) {
        const bench_method *bm = &BENCH_METHODS[g->method[m]];
        if (bm->method == GNNKD_METHOD_LSP || bm->method == GNNKD_METHOD_KD_LSP ||
            (bm->axes & AXIS(BENCH_AXIS_RSD)))
            return 1;
        // a recipe's assistant learns from the teacher: the structure its own recipe reads
        gnnkd_distill_options o, a;
        gnnkd_distill_options_default(&o, bm->method, g->select);
        if (!bm->recipe || gnnkd_recipe_apply(&o, bm->recipe, NULL) != GNNKD_OK || !o.assistant)
            continue;
        gnnkd_distill_options_default(&a, GNNKD_METHOD_KD, g->select);
        if (gnnkd_recipe_apply(&a, o.assistant, NULL) == GNNKD_OK &&
            (a.rsd_weight > 0.0f || a.method == GNNKD_METHOD_LSP || a.method == GNNKD_METHOD_KD_LSP))
            return 1;
    }
    return 0;
}

int bench_needs_position(const bench_grid *g) {
    for (int m = 0; m < g->nmethods; m++)
        if (BENCH_METHODS[g->method[m]].position) return 1;
    return 0;
}

int bench_needs_teacher(const bench_grid *g) {
    for (int m = 0; m < g->nmethods; m++)
        if (BENCH_METHODS[g->method[m]].needs_teacher) return 1;
    return 0;
}

/* The configurations of method m of the grid: the product of its axes. */
static int method_configs(const bench_grid *g, int m) {
    int n = 1;
    for (int a = 0; a < BENCH_NAXES; a++)
        if (BENCH_METHODS[g->method[m]].axes & AXIS(a)) n *= g->nvalues[a];
    return n;
}

int bench_nconfigs(const bench_grid *g) {
    int n = 0;
    for (int m = 0; m < g->nmethods; m++) n += method_configs(g, m);
    return n;
}

void bench_config(const bench_grid *g, int k, int *m, int idx[BENCH_NAXES]) {
    int mi = 0;
    while (mi < g->nmethods - 1 && k >= method_configs(g, mi)) k -= method_configs(g, mi++);
    *m = mi;
    /* the last axis varies fastest */
    for (int a = BENCH_NAXES - 1; a >= 0; a--) {
        if (!(BENCH_METHODS[g->method[mi]].axes & AXIS(a))) {
            idx[a] = -1;
            continue;
        }
        idx[a] = k % g->nvalues[a];
        k /= g->nvalues[a];
    }
}

const bench_method *bench_config_method(const bench_grid *g, int k) {
    int m, idx[BENCH_NAXES];
    bench_config(g, k, &m, idx);
    return &BENCH_METHODS[g->method[m]];
}

void bench_training_text(char *buf, size_t len, gnnkd_select select, int patience, int epochs,
                         double weight_decay) {
    snprintf(buf, len, "select=%s patience=%d epochs=%d weight_decay=%g", gnnkd_select_name(select),
             patience, epochs, weight_decay);
}

void bench_recipe_text_append(char *buf, size_t len, const gnnkd_distill_options *o,
                              const gnnkd_model_spec *spec) {
    size_t used = strlen(buf);
    if (o->generations != 1 && used < len)
        used += (size_t)snprintf(buf + used, len - used, " generations=%d", o->generations);
    if (o->student.dropout != spec->dropout && used < len)
        used += (size_t)snprintf(buf + used, len - used, " dropout=%g", (double)o->student.dropout);
    if (o->assistant && used < len)
        snprintf(buf + used, len - used, " assistant=%s", o->assistant);
}

float bench_weight_decay(const bench_grid *g, gnnkd_method method) {
    if (g->weight_decay >= 0) return (float)g->weight_decay;
    gnnkd_train_options o;
    gnnkd_train_options_for(&o, method, g->select);
    return o.weight_decay;
}

void bench_method_options(gnnkd_distill_options *o, const bench_grid *g, const bench_method *bm,
                          const gnnkd_model_spec *spec) {
    const gnnkd_method method = bm ? bm->method : GNNKD_METHOD_KD;
    gnnkd_distill_options_default(o, method, g->select);
    gnnkd_train_options_for_model(&o->student_train, spec, method, g->select);
    // the table's recipe names are the library's
    if (bm && bm->recipe) (void)!gnnkd_recipe_apply(o, bm->recipe, NULL);
    o->method = method;
    const float dropout = o->student.dropout; // a recipe's, for a student of its kind
    const int same_kind = bm && bm->recipe && o->student.kind == spec->kind;
    o->student = *spec; // the grid's student, whatever the recipe's
    if (same_kind) o->student.dropout = dropout;
    if (g->epochs_set) o->student_train.epochs = g->epochs;
    if (g->patience_set) o->student_train.patience = g->patience;
    if (g->weight_decay >= 0) o->student_train.weight_decay = (float)g->weight_decay;
}

void bench_student_train(gnnkd_train_options *o, const bench_grid *g, const bench_method *bm,
                         const gnnkd_model_spec *spec) {
    gnnkd_distill_options d;
    bench_method_options(&d, g, bm, spec);
    *o = d.student_train;
}

void bench_student_options(gnnkd_distill_options *o, const bench_grid *g, int config,
                           const gnnkd_model_spec *student) {
    int m, idx[BENCH_NAXES];
    bench_config(g, config, &m, idx);
    bench_method_options(o, g, &BENCH_METHODS[g->method[m]], student);
    for (int a = 0; a < BENCH_NAXES; a++)
        if (idx[a] >= 0) BENCH_AXES[a].apply(o, g->value[a][idx[a]]);
    o->center = 1; /* centred logits: the limit of KD as T grows, where the two methods meet */
}

const char *bench_config_text(char *buf, size_t len, const bench_grid *g, int k) {
    int m, idx[BENCH_NAXES];
    size_t used = 0;
    bench_config(g, k, &m, idx);
    buf[0] = '\0';
    for (int a = 0; a < BENCH_NAXES; a++)
        if (idx[a] >= 0 && used < len)
            used += (size_t)snprintf(buf + used, len - used, "%s%s=%g", used ? ", " : "",
                                     BENCH_AXES[a].label, g->value[a][idx[a]]);
    return buf;
}
