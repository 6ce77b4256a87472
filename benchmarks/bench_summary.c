/* bench_summary.c — from the rows of results.csv to summary.json and
 * summary.md: mean ± std over seeds per configuration (and, inductive, of
 * tran / ind / prod), the gap to the teacher, the gain over scratch,
 * compression ratio and speed-up, and the configuration of each method
 * chosen by validation accuracy (never by test accuracy). */
#include "bench_summary.h"
#include "../app/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../app/util.h"

static const char *const SCORE_KEY[BENCH_NSCORES] = {"test_acc", "test_acc_tran", "test_acc_ind",
                                                     "test_acc_prod"};

int bench_chosen(const bench_summary *s, int d, int t, int st, int m) {
    return s->best[(((size_t)d * s->nt + t) * s->grid->nstudents + st) * s->grid->nmethods + m];
}

int bench_scratch(const bench_summary *s, int d, int t, int st) {
    const bench_grid *g = s->grid;
    for (int m = 0; m < g->nmethods; m++)
        if (BENCH_METHODS[g->method[m]].method == GNNKD_METHOD_SCRATCH) return bench_chosen(s, d, t, st, m);
    return -1;
}

void bench_summary_free(bench_summary *s) {
    free(s->pool);
    free(s->stat);
    free(s->teacher);
    free(s->best);
    memset(s, 0, sizeof *s);
}

/* The mean of the finite values of x (NaN if none). */
static double finite_mean(const double *x, int n) {
    double sum = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (isfinite(x[i])) sum += x[i], k++;
    return k ? sum / k : NAN;
}

/* Adds row r to b (as its n-th seed); extra: (5, seeds) scratch for the
 * validation accuracy, inference times, the teacher's score and the
 * cross-fitted validation accuracy. */
static void stat_add(bench_stat *b, const bench_row *r, double *extra, int seeds, int score) {
    const int n = b->n;
    b->score[BENCH_TEST][n] = r->test_acc;
    b->score[BENCH_TRAN][n] = r->tran;
    b->score[BENCH_IND][n] = r->ind;
    b->score[BENCH_PROD][n] = r->prod;
    extra[n] = r->val_acc;
    extra[seeds + n] = r->inference_ms;
    extra[2 * seeds + n] = r->teacher_inference_ms;
    extra[3 * seeds + n] = score == BENCH_PROD ? r->teacher_prod : r->teacher_test_acc;
    extra[4 * seeds + n] = r->val_acc_cross;
    b->epochs += r->epochs;
    b->train_seconds += r->train_seconds;
    b->student_params = r->student_params;
    b->teacher_params = r->teacher_params;
    b->n++;
}

static void stat_finish(bench_stat *b, const double *extra, int seeds) {
    const int n = b->n;
    if (n == 0) return;
    for (int sc = 0; sc < BENCH_NSCORES; sc++) cli_mean_std(b->score[sc], n, &b->mean[sc], &b->std[sc]);
    cli_mean_std(extra, n, &b->val_mean, &b->val_std);
    b->inference_ms = cli_median(extra + seeds, n);
    b->teacher_inference_ms = cli_median(extra + 2 * seeds, n);
    b->teacher_mean = finite_mean(extra + 3 * seeds, n);
    b->val_cross_mean = finite_mean(extra + 4 * seeds, n);
    b->epochs /= n;
    b->train_seconds /= n;
}

/* Points b's score arrays into the pool at slot. */
static void stat_carve(bench_stat *b, double *pool, size_t slot, int seeds) {
    for (int sc = 0; sc < BENCH_NSCORES; sc++) b->score[sc] = pool + (slot * BENCH_NSCORES + sc) * seeds;
}

int bench_summary_compute(bench_summary *s, const bench_grid *g, const bench_table *t, char *msg) {
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        free(extra);                                                                      \
        bench_summary_free(s);                                                            \
    } while (0)
    double *extra = NULL;
    memset(s, 0, sizeof *s);
    s->grid = g;
    s->nconf = bench_nconfigs(g);
    s->nt = g->nteachers > 0 ? g->nteachers : 1;
    s->score = g->inductive ? BENCH_PROD : BENCH_TEST;
    const int nd = g->ndatasets, nt = s->nt, ns = g->nstudents, S = g->seeds;
    const size_t ngroups = (size_t)nd * nt * ns * s->nconf, nteach = (size_t)nd * nt;
    UTIL_ALLOC(s->stat, ngroups);
    UTIL_ALLOC(s->teacher, nteach);
    UTIL_ALLOC(s->best, (size_t)nd * nt * ns * g->nmethods);
    UTIL_ALLOC(s->pool, (ngroups + nteach) * BENCH_NSCORES * S);
    UTIL_ALLOC(extra, 5 * (size_t)S);

    bench_row key;
    for (int d = 0; d < nd; d++)
        for (int ti = 0; ti < nt; ti++) {
            bench_stat *tb = bench_teacher_at(s, d, ti);
            stat_carve(tb, s->pool, ngroups + (size_t)d * nt + ti, S);
            for (int si = 0; g->nteachers > 0 && si < S; si++) {
                bench_teacher_key(&key, g, d, ti, si);
                const bench_row *r = bench_table_find(t, &key);
                if (r) stat_add(tb, r, extra, S, s->score);
            }
            stat_finish(tb, extra, S);
            for (int st = 0; st < ns; st++)
                for (int k = 0; k < s->nconf; k++) {
                    bench_stat *b = bench_stat_at(s, d, ti, st, k);
                    stat_carve(b, s->pool, (size_t)(b - s->stat), S);
                    for (int si = 0; si < S && bench_config_trains(g, st, k); si++) {
                        bench_row_key(&key, g, d, ti, st, k, si);
                        const bench_row *r = bench_table_find(t, &key);
                        if (r) stat_add(b, r, extra, S, s->score);
                    }
                    stat_finish(b, extra, S);
                }

            /* the choice by mean validation accuracy; ties keep the first in grid order */
            for (int st = 0; st < ns; st++)
                for (int m = 0; m < g->nmethods; m++) {
                    int best = -1;
                    for (int k = 0; k < s->nconf; k++) {
                        int km, idx[BENCH_NAXES];
                        bench_config(g, k, &km, idx);
                        const bench_stat *b = bench_stat_at(s, d, ti, st, k);
                        if (km != m || b->n == 0) continue;
                        if (best < 0 || b->val_mean > bench_stat_at(s, d, ti, st, best)->val_mean) best = k;
                    }
                    s->best[(((size_t)d * nt + ti) * ns + st) * g->nmethods + m] = best;
                }
        }
    free(extra);
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

/* How student st is trained when distilled (its kind's recipe, the grid's
 * options on top). */
static void student_text(char *buf, size_t len, const bench_grid *g, int st) {
    gnnkd_train_options o;
    bench_student_train(&o, g, NULL, &g->student_spec[st]);
    bench_training_text(buf, len, o.select, o.patience, o.epochs, o.weight_decay);
}

/* Whether method m of the grid trains student st (a method may be for one
 * kind of student only). */
static int method_trains(const bench_grid *g, int st, int m) {
    for (int k = 0; k < bench_nconfigs(g); k++) {
        int mk, idx[BENCH_NAXES];
        bench_config(g, k, &mk, idx);
        if (mk == m && bench_config_trains(g, st, k)) return 1;
    }
    return 0;
}

/* If method m of the grid has a recipe and a student to train: 1, and
 * buf what the recipe sets for the first such student; else 0. */
static int recipe_text(char *buf, size_t len, const bench_grid *g, int m) {
    const bench_method *bm = &BENCH_METHODS[g->method[m]];
    int st = 0;
    while (st < g->nstudents && !method_trains(g, st, m)) st++;
    if (bm->recipe == NULL || st == g->nstudents) return 0;
    gnnkd_distill_options o;
    char train[BENCH_TRAINING_LEN];
    bench_method_options(&o, g, bm, &g->student_spec[st]);
    bench_training_text(train, sizeof train, o.student_train.select, o.student_train.patience,
                        o.student_train.epochs, o.student_train.weight_decay);
    bench_recipe_text_append(train, sizeof train, &o, &g->student_spec[st]);
    snprintf(buf, len, "loss %s, T %g, alpha %g, transfer set %s, teacher logit rows %s; %s",
             gnnkd_method_name(o.method), (double)o.temperature, (double)o.alpha,
             gnnkd_transfer_name(o.transfer), o.standardise ? "standardised" : "as they are", train);
    return 1;
}

/* ---- summary.json -------------------------------------------------------------- */

static cJSON *mean_std(double mean, double std) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", mean);
    cJSON_AddNumberToObject(o, "std", std);
    return o;
}

static void add_number_or_null(cJSON *o, const char *key, double v) {
    if (isfinite(v)) cJSON_AddNumberToObject(o, key, v);
    else cJSON_AddNullToObject(o, key);
}

/* test_acc and, inductive, test_acc_tran / _ind / _prod. */
static void add_scores(cJSON *o, const bench_summary *s, const bench_stat *b) {
    for (int sc = 0; sc < BENCH_NSCORES; sc++)
        if (sc == BENCH_TEST || s->grid->inductive)
            cJSON_AddItemToObject(o, SCORE_KEY[sc], cli_json_stat(b->score[sc], b->n));
}

/* The key and the comparisons shared by every configuration entry. */
static void add_config(cJSON *o, const bench_summary *s, int d, int t, int st, int k) {
    const bench_grid *g = s->grid;
    const bench_stat *b = bench_stat_at(s, d, t, st, k);
    const int sk = bench_scratch(s, d, t, st);
    const bench_stat *scratch = sk >= 0 ? bench_stat_at(s, d, t, st, sk) : NULL;
    const bench_method *bm = bench_config_method(g, k);
    int m, idx[BENCH_NAXES];
    bench_config(g, k, &m, idx);
    cJSON_AddStringToObject(o, "dataset", g->dataset[d]);
    if (bm->needs_teacher) cJSON_AddStringToObject(o, "teacher", g->teacher[t]);
    else cJSON_AddNullToObject(o, "teacher");
    cJSON_AddStringToObject(o, "student", g->student[st]);
    cJSON_AddStringToObject(o, "method", bench_method_name(bm));
    for (int a = 0; a < BENCH_NAXES; a++)
        add_number_or_null(o, BENCH_AXES[a].column, idx[a] >= 0 ? g->value[a][idx[a]] : NAN);
    cJSON_AddNumberToObject(o, "seeds", b->n);
    add_scores(o, s, b);
    cJSON_AddItemToObject(o, "val_acc", mean_std(b->val_mean, b->val_std));
    add_number_or_null(o, "val_acc_cross", b->val_cross_mean);
    add_number_or_null(o, "teacher_score", b->teacher_mean);
    add_number_or_null(o, "gap_to_teacher", b->mean[s->score] - b->teacher_mean);
    add_number_or_null(o, "gain_over_scratch",
                       scratch && scratch->n > 0 ? b->mean[s->score] - scratch->mean[s->score] : NAN);
}

/* Whether (d, t, st, k) is shown: a configuration without a teacher only at t = 0. */
static int shown(const bench_summary *s, int t, int k) { return t == 0 || bench_config_method(s->grid, k)->needs_teacher; }

static cJSON *settings_json(const bench_summary *s) {
    const bench_grid *g = s->grid;
    cJSON *set = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(set, "datasets");
    for (int d = 0; d < g->ndatasets; d++) cJSON_AddItemToArray(arr, cJSON_CreateString(g->dataset[d]));
    arr = cJSON_AddArrayToObject(set, "teachers");
    cJSON *tt = cJSON_AddObjectToObject(set, "teacher_training");
    for (int t = 0; t < g->nteachers; t++) {
        cJSON_AddItemToArray(arr, cJSON_CreateString(g->teacher[t]));
        cJSON_AddStringToObject(tt, g->teacher[t], g->teacher_training[t]);
    }
    arr = cJSON_AddArrayToObject(set, "students");
    for (int st = 0; st < g->nstudents; st++) cJSON_AddItemToArray(arr, cJSON_CreateString(g->student[st]));
    arr = cJSON_AddArrayToObject(set, "methods");
    cJSON *wd = cJSON_AddObjectToObject(set, "weight_decay");
    for (int m = 0; m < g->nmethods; m++) {
        const bench_method *bm = &BENCH_METHODS[g->method[m]];
        cJSON_AddItemToArray(arr, cJSON_CreateString(bench_method_name(bm)));
        cJSON_AddNumberToObject(wd, bench_method_name(bm), bench_weight_decay(g, bm->method));
    }
    for (int a = 0; a < BENCH_NAXES; a++)
        cJSON_AddItemToObject(set, BENCH_AXES[a].option, cJSON_CreateDoubleArray(g->value[a], g->nvalues[a]));
    cJSON_AddNumberToObject(set, "seeds", g->seeds);
    cJSON_AddNumberToObject(set, "first_seed", (double)g->seed0);
    cJSON_AddStringToObject(set, "setting", g->setting[0] ? g->setting : "transductive");
    cJSON_AddNumberToObject(set, "split_seed", (double)g->split_seed);
    cJSON_AddBoolToObject(set, "split_per_seed", g->glnn);
    cJSON_AddStringToObject(set, "score", SCORE_KEY[s->score]);
    cJSON_AddStringToObject(set, "select", gnnkd_select_name(g->select));
    cJSON_AddNumberToObject(set, "patience", g->patience);
    cJSON_AddNumberToObject(set, "epochs", g->epochs);
    cJSON_AddStringToObject(set, "transfer", "all");
    cJSON *recipes = NULL;
    for (int m = 0; m < g->nmethods; m++) {
        char text[BENCH_TRAINING_LEN + 192];
        if (!recipe_text(text, sizeof text, g, m)) continue;
        if (recipes == NULL) recipes = cJSON_AddObjectToObject(set, "recipes");
        cJSON_AddStringToObject(recipes, bench_method_name(&BENCH_METHODS[g->method[m]]), text);
    }
    cJSON *training = cJSON_AddObjectToObject(set, "student_training");
    for (int st = 0; st < g->nstudents; st++) {
        char text[BENCH_TRAINING_LEN];
        student_text(text, sizeof text, g, st);
        cJSON_AddStringToObject(training, g->student[st], text);
    }
    if (bench_needs_position(g)) cJSON_AddStringToObject(set, "position", g->position_text);
    cJSON_AddStringToObject(set, "compress_target", "teacher logits, each row centred to zero mean");
    cJSON_AddStringToObject(set, "choice",
                            "each method's hyper-parameters per dataset, teacher and student by mean "
                            "validation accuracy over the seeds; ties keep the first in grid order");
    return set;
}

static cJSON *summary_json(const bench_summary *s) {
    const bench_grid *g = s->grid;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddItemToObject(root, "settings", settings_json(s));

    cJSON *arr = cJSON_AddArrayToObject(root, "teachers");
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < g->nteachers; t++) {
            const bench_stat *b = bench_teacher_at(s, d, t);
            if (b->n == 0) continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "dataset", g->dataset[d]);
            cJSON_AddStringToObject(o, "teacher", g->teacher[t]);
            cJSON_AddNumberToObject(o, "params", (double)b->student_params);
            cJSON_AddNumberToObject(o, "seeds", b->n);
            add_scores(o, s, b);
            cJSON_AddItemToObject(o, "val_acc", mean_std(b->val_mean, b->val_std));
            cJSON_AddNumberToObject(o, "inference_ms", b->inference_ms);
            cJSON_AddNumberToObject(o, "epochs", b->epochs);
            cJSON_AddNumberToObject(o, "train_seconds", b->train_seconds);
            cJSON_AddItemToArray(arr, o);
        }

    arr = cJSON_AddArrayToObject(root, "results");
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < s->nt; t++)
            for (int st = 0; st < g->nstudents; st++)
                for (int k = 0; k < s->nconf; k++) {
                    const bench_stat *b = bench_stat_at(s, d, t, st, k);
                    if (b->n == 0 || !shown(s, t, k)) continue;
                    const int teach = bench_config_method(g, k)->needs_teacher;
                    cJSON *o = cJSON_CreateObject();
                    add_config(o, s, d, t, st, k);
                    cJSON_AddNumberToObject(o, "student_params", (double)b->student_params);
                    cJSON_AddNumberToObject(o, "inference_ms", b->inference_ms);
                    if (teach) {
                        cJSON_AddNumberToObject(o, "teacher_params", (double)b->teacher_params);
                        cJSON_AddNumberToObject(o, "compression_ratio",
                                                (double)b->teacher_params / (double)b->student_params);
                        cJSON_AddNumberToObject(o, "teacher_inference_ms", b->teacher_inference_ms);
                        cJSON_AddNumberToObject(o, "speedup", b->teacher_inference_ms / b->inference_ms);
                    }
                    cJSON_AddNumberToObject(o, "epochs", b->epochs);
                    cJSON_AddNumberToObject(o, "train_seconds", b->train_seconds);
                    cJSON_AddItemToArray(arr, o);
                }

    /* the headline: each method at its chosen configuration, scratch once */
    arr = cJSON_AddArrayToObject(root, "selected");
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < s->nt; t++)
            for (int st = 0; st < g->nstudents; st++)
                for (int m = 0; m < g->nmethods; m++) {
                    int k = bench_chosen(s, d, t, st, m);
                    if (k < 0 || !shown(s, t, k)) continue;
                    cJSON *o = cJSON_CreateObject();
                    add_config(o, s, d, t, st, k);
                    cJSON_AddItemToArray(arr, o);
                }
    return root;
}

/* ---- summary.md ---------------------------------------------------------------- */

/* "81.5 ± 0.6" in percent, or "–" without seeds. */
static const char *pct(char *buf, size_t len, double mean, double std, int n) {
    if (n == 0 || !isfinite(mean)) snprintf(buf, len, "–");
    else snprintf(buf, len, "%.1f ± %.1f", 100 * mean, 100 * std);
    return buf;
}

/* A difference of accuracies in percentage points, "+1.2" (never "-0.0"). */
static const char *pp(char *buf, size_t len, double diff) {
    double x = 100 * diff;
    if (!isfinite(x)) snprintf(buf, len, "–");
    else snprintf(buf, len, "%+.1f", fabs(x) < 0.05 ? 0.0 : x);
    return buf;
}

/* The method of the grid's method m as a table heading. */
static const char *method_title(const bench_grid *g, int m) {
    return bench_method_name(&BENCH_METHODS[g->method[m]]);
}

/* The score columns: "test acc" or "tran | ind | prod" (header, rule or cells). */
static void score_header(FILE *f, const bench_summary *s) {
    fprintf(f, s->grid->inductive ? " tran | ind | prod |" : " test acc |");
}
static void score_rule(FILE *f, const bench_summary *s) { fprintf(f, s->grid->inductive ? "---:|---:|---:|" : "---:|"); }
static void score_cells(FILE *f, const bench_summary *s, const bench_stat *b) {
    char a[64];
    if (!s->grid->inductive) {
        fprintf(f, " %s |", pct(a, sizeof a, b->mean[BENCH_TEST], b->std[BENCH_TEST], b->n));
        return;
    }
    for (int sc = BENCH_TRAN; sc <= BENCH_PROD; sc++) fprintf(f, " %s |", pct(a, sizeof a, b->mean[sc], b->std[sc], b->n));
}

/* Transductive: a row per (dataset, teacher), a column per student and
 * method that trains it; scratch, which has no teacher, in the first row of
 * its dataset. */
static void headline_wide(FILE *f, const bench_summary *s) {
    const bench_grid *g = s->grid;
    char a[64], b[96];
    fprintf(f, "| dataset | teacher | teacher acc |");
    for (int st = 0; st < g->nstudents; st++)
        for (int m = 0; m < g->nmethods; m++)
            if (method_trains(g, st, m)) fprintf(f, " %s %s |", g->student[st], method_title(g, m));
    fprintf(f, "\n|---|---|---:|");
    for (int st = 0; st < g->nstudents; st++)
        for (int m = 0; m < g->nmethods; m++)
            if (method_trains(g, st, m)) fprintf(f, "---:|");
    fprintf(f, "\n");
    const int nrows = bench_needs_teacher(g) ? s->nt : 1;
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < nrows; t++) {
            const bench_stat *tb = bench_teacher_at(s, d, t);
            fprintf(f, "| %s | %s | %s |", g->dataset[d], g->nteachers && tb->n ? g->teacher[t] : "–",
                    pct(a, sizeof a, tb->mean[BENCH_TEST], tb->std[BENCH_TEST], tb->n));
            for (int st = 0; st < g->nstudents; st++)
                for (int m = 0; m < g->nmethods; m++) {
                    if (!method_trains(g, st, m)) continue;
                    int k = bench_chosen(s, d, t, st, m);
                    const bench_stat *x = k >= 0 ? bench_stat_at(s, d, t, st, k) : NULL;
                    if (x && !shown(s, t, k)) {
                        fprintf(f, " ↑ |");
                        continue;
                    }
                    if (x == NULL || x->n == 0) {
                        fprintf(f, " – |");
                        continue;
                    }
                    fprintf(f, " %s", pct(a, sizeof a, x->mean[BENCH_TEST], x->std[BENCH_TEST], x->n));
                    if (bench_config_text(b, sizeof b, g, k)[0]) fprintf(f, " (%s)", b);
                    fprintf(f, " |");
                }
            fprintf(f, "\n");
        }
}

/* Inductive: a row per model, with tran, ind and prod. */
static void headline_long(FILE *f, const bench_summary *s) {
    const bench_grid *g = s->grid;
    char b[96];
    fprintf(f, "| dataset | teacher | model | method | setting |");
    score_header(f, s);
    fprintf(f, "\n|---|---|---|---|---|");
    score_rule(f, s);
    fprintf(f, "\n");
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < s->nt; t++) {
            const bench_stat *tb = bench_teacher_at(s, d, t);
            if (g->nteachers && tb->n > 0) {
                fprintf(f, "| %s | %s | %s | teacher | |", g->dataset[d], g->teacher[t], g->teacher[t]);
                score_cells(f, s, tb);
                fprintf(f, "\n");
            }
            for (int st = 0; st < g->nstudents; st++)
                for (int m = 0; m < g->nmethods; m++) {
                    int k = bench_chosen(s, d, t, st, m);
                    if (k < 0 || !shown(s, t, k)) continue;
                    const bench_stat *x = bench_stat_at(s, d, t, st, k);
                    fprintf(f, "| %s | %s | %s | %s | %s |", g->dataset[d],
                            bench_config_method(g, k)->needs_teacher ? g->teacher[t] : "–", g->student[st],
                            method_title(g, m), bench_config_text(b, sizeof b, g, k));
                    score_cells(f, s, x);
                    fprintf(f, "\n");
                }
        }
}

static void headline(FILE *f, const bench_summary *s) {
    if (s->grid->inductive) headline_long(f, s);
    else headline_wide(f, s);
}

static void markdown(FILE *f, const bench_summary *s, int plots) {
    const bench_grid *g = s->grid;
    char a[64], b[96], gain[16], gap[16];
    const char *score = g->inductive ? "prod" : "test acc";
    fprintf(f, "# gnnkd bench: knowledge distillation vs model compression\n\n");
    fprintf(f, "## %s (%%), mean ± std over %d seed%s\n\n",
            g->inductive ? "Test accuracy in the inductive setting: tran / ind / prod" : "Test accuracy",
            g->seeds, g->seeds > 1 ? "s" : "");
    headline(f, s);
    fprintf(f, "\nEach method at the setting chosen by mean validation accuracy (shown in brackets), "
               "never by test accuracy.%s\n\n",
            g->inductive ? "" : " Scratch students learn from the labels alone: one value per dataset "
                                "and student (↑: as above).");
    if (g->inductive)
        fprintf(f, "Setting %s: tran = the observed test nodes (models on the observed graph), ind = "
                   "the held-out test nodes (a graph model on the full graph, an MLP on their own "
                   "features), prod = (1 − F)·tran + F·ind.%s\n\n",
                g->setting, g->glnn ? " GLNN protocol: largest connected component, 20 training and "
                                      "30 validation nodes per class, the rest test, inductive 0.2; "
                                      "seed k's split drawn with split seed --split-seed + k." : "");
    for (int t = 0; t < g->nteachers && bench_needs_teacher(g); t++)
        fprintf(f, "Teacher %s, trained per seed by its kind's recipe (%s).\n", g->teacher[t], g->teacher_training[t]);
    fprintf(f,
            "\nStudents: at most %d epochs, model selection %s (patience %d)%s; weight decay %g from "
            "scratch, %g when distilled. Seeds %ld to %ld. Transfer set: all nodes (a recipe's "
            "own below). Compression "
            "regresses the teacher's logits, each row centred to zero mean: the limit KD approaches "
            "as T grows.\n\n",
            g->epochs, gnnkd_select_name(g->select), g->patience,
            g->select == GNNKD_SELECT_VAL_ACC ? ", keeping the weights of the best validation accuracy"
                                              : ", keeping the last weights",
            (double)bench_weight_decay(g, GNNKD_METHOD_SCRATCH), (double)bench_weight_decay(g, GNNKD_METHOD_KD),
            g->seed0, g->seed0 + g->seeds - 1);
    for (int st = 0; st < g->nstudents; st++) {
        char text[BENCH_TRAINING_LEN], plain[BENCH_TRAINING_LEN];
        student_text(text, sizeof text, g, st);
        bench_training_text(plain, sizeof plain, g->select, g->patience, g->epochs,
                            bench_weight_decay(g, GNNKD_METHOD_KD));
        if (strcmp(text, plain))
            fprintf(f, "Student %s by its kind's recipe when distilled: %s.\n\n", g->student[st], text);
    }
    for (int m = 0; m < g->nmethods; m++) {
        const bench_method *bm = &BENCH_METHODS[g->method[m]];
        char text[BENCH_TRAINING_LEN + 192];
        if (recipe_text(text, sizeof text, g, m))
            fprintf(f, "Method %s: `gnnkd distill --recipe %s` (%s), the grid's axes on top.\n\n",
                    bench_method_name(bm), bm->recipe, text);
    }
    if (bench_needs_position(g))
        fprintf(f, "Position features (%s): %s, computed once per dataset and seed on the observed "
                   "graph (a held-out node gets its observed neighbours' mean, the observed "
                   "nodes' mean without one), standardised per column, appended to the "
                   "student's features.\n\n",
                "kd+position, nosmog, nosmog+adv", g->position_text);

    fprintf(f, "## Chosen settings\n\n"
               "| dataset | teacher | student | method | setting | val acc | %s | gain over scratch | gap to teacher |\n"
               "|---|---|---|---|---|---:|---:|---:|---:|\n", score);
    for (int d = 0; d < g->ndatasets; d++)
        for (int t = 0; t < s->nt; t++)
            for (int st = 0; st < g->nstudents; st++)
                for (int m = 0; m < g->nmethods; m++) {
                    int k = bench_chosen(s, d, t, st, m);
                    if (k < 0 || !bench_config_method(g, k)->needs_teacher) continue;
                    const int sk = bench_scratch(s, d, t, st);
                    const bench_stat *x = bench_stat_at(s, d, t, st, k);
                    const bench_stat *sc = sk >= 0 ? bench_stat_at(s, d, t, st, sk) : NULL;
                    fprintf(f, "| %s | %s | %s | %s | %s | %.1f | %s | %s | %s |\n", g->dataset[d], g->teacher[t],
                            g->student[st], method_title(g, m), bench_config_text(b, sizeof b, g, k),
                            100 * x->val_mean, pct(a, sizeof a, x->mean[s->score], x->std[s->score], x->n),
                            pp(gain, sizeof gain, sc && sc->n ? x->mean[s->score] - sc->mean[s->score] : NAN),
                            pp(gap, sizeof gap, x->mean[s->score] - x->teacher_mean));
                }

    fprintf(f, "\n## Every configuration\n\nGain and gap in percentage points (of %s); compression = "
               "teacher parameters / student parameters; speed-up = the teacher's median "
               "full-graph forward time / the student's (after warm-up). ✓ marks a chosen "
               "setting.\n", score);
    for (int d = 0; d < g->ndatasets; d++) {
        fprintf(f, "\n### %s\n\n", g->dataset[d]);
        for (int t = 0; t < g->nteachers; t++) {
            const bench_stat *tb = bench_teacher_at(s, d, t);
            if (tb->n == 0) continue;
            fprintf(f, "Teacher %s: %s %s, %lld parameters, %.3f ms.\n", g->teacher[t], score,
                    pct(a, sizeof a, tb->mean[s->score], tb->std[s->score], tb->n), tb->student_params,
                    tb->inference_ms);
        }
        fprintf(f, "\n| teacher | student | method |");
        for (int ax = 0; ax < BENCH_NAXES; ax++) fprintf(f, " %s |", BENCH_AXES[ax].label);
        score_header(f, s);
        fprintf(f, " val acc | gain over scratch | gap to teacher | params | compression | ms | speed-up "
                   "| epochs | train s | seeds |\n|---|---|---|");
        for (int ax = 0; ax < BENCH_NAXES; ax++) fprintf(f, "---:|");
        score_rule(f, s);
        fprintf(f, "---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int t = 0; t < s->nt; t++)
            for (int st = 0; st < g->nstudents; st++)
                for (int k = 0; k < s->nconf; k++) {
                    const bench_stat *x = bench_stat_at(s, d, t, st, k);
                    if (x->n == 0 || !shown(s, t, k)) continue;
                    int m, idx[BENCH_NAXES];
                    bench_config(g, k, &m, idx);
                    const int teach = BENCH_METHODS[g->method[m]].needs_teacher;
                    const int sk = bench_scratch(s, d, t, st);
                    const bench_stat *sc = sk >= 0 && sk != k ? bench_stat_at(s, d, t, st, sk) : NULL;
                    fprintf(f, "| %s | %s | %s%s |", teach ? g->teacher[t] : "–", g->student[st],
                            method_title(g, m), teach && bench_chosen(s, d, t, st, m) == k ? " ✓" : "");
                    for (int ax = 0; ax < BENCH_NAXES; ax++) {
                        if (idx[ax] >= 0) fprintf(f, " %g |", g->value[ax][idx[ax]]);
                        else fprintf(f, " |");
                    }
                    score_cells(f, s, x);
                    fprintf(f, " %.1f | %s | %s | %lld |", 100 * x->val_mean,
                            pp(gain, sizeof gain, sc && sc->n ? x->mean[s->score] - sc->mean[s->score] : NAN),
                            pp(gap, sizeof gap, x->mean[s->score] - x->teacher_mean), x->student_params);
                    if (teach)
                        fprintf(f, " %.1f× | %.3f | %.1f× |", (double)x->teacher_params / (double)x->student_params,
                                x->inference_ms, x->teacher_inference_ms / x->inference_ms);
                    else
                        fprintf(f, " – | %.3f | – |", x->inference_ms);
                    fprintf(f, " %.0f | %.2f | %d |\n", x->epochs, x->train_seconds, x->n);
                }
    }

    fprintf(f, "\n## Plots\n\n");
    if (plots)
        fprintf(f, "![Test accuracy by student and method](plots/accuracy_by_method.svg)\n\n"
                   "![Test accuracy against temperature](plots/accuracy_vs_temperature.svg)\n\n"
                   "![Test accuracy against student size](plots/accuracy_vs_size.svg)\n\n"
                   "![Validation accuracy during training, seed %ld](plots/curves.svg)\n\n"
                   "PNG versions, the data and the gnuplot script are in plots/.\n",
                g->seed0);
    else
        fprintf(f, "Not drawn (gnuplot was missing, failed, or --no-plots); see env.json.\n");
    fprintf(f, "\nThe rows behind every number: results.csv; the machine and versions: env.json.\n");
}

/* Writes path through a temporary file, by text (JSON) or by markdown(). */
static int write_file(const char *path, const char *text, const bench_summary *s, int plots, char *msg) {
    char tmp[GNNKD_OUTPUT_STATE_LEN];
    FILE *f;
    int rc = gnnkd_output_open(&f, tmp, path, msg);
    if (rc != GNNKD_OK) return rc;
    if (text) fputs(text, f);
    else markdown(f, s, plots);
    return gnnkd_output_close(f, tmp, path, 1, msg);
}

int bench_summary_write(const bench_summary *s, const char *dir, int plots, FILE *echo, char *msg) {
    char path[4200];
    cJSON *root = summary_json(s);
    char *text = root ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    if (text == NULL) {
        util_msg(msg, "summary.json: out of memory");
        return GNNKD_ENOMEM;
    }
    snprintf(path, sizeof path, "%s/summary.json", dir);
    int rc = write_file(path, text, s, plots, msg);
    free(text);
    snprintf(path, sizeof path, "%s/summary.md", dir);
    if (rc == GNNKD_OK) rc = write_file(path, NULL, s, plots, msg);
    if (rc == GNNKD_OK && echo) {
        fprintf(echo, "%s (%%), mean ± std over %d seed%s; each method chosen by validation accuracy:\n\n",
                s->grid->inductive ? "Test accuracy, tran / ind / prod" : "Test accuracy", s->grid->seeds,
                s->grid->seeds > 1 ? "s" : "");
        headline(echo, s);
    }
    return rc;
}
