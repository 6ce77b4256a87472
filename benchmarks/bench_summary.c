/* bench_summary.c — from the rows of results.csv to summary.json and
 * summary.md: mean ± std over seeds per configuration, the gap to the
 * teacher, the gain over scratch, compression ratio and speed-up, and the
 * configuration of each method chosen by validation accuracy (never by test
 * accuracy). */
#include "bench_summary.h"
#include "../app/cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../app/util.h"

int bench_chosen(const bench_summary *s, int d, int st, gnnkd_method method) {
    if (method == GNNKD_METHOD_SCRATCH) return 0;
    return s->best[((size_t)d * s->grid->nstudents + st) * 2 + (method == GNNKD_METHOD_COMPRESS)];
}

void bench_summary_free(bench_summary *s) {
    if (s->stat) free(s->stat[0].test);
    free(s->stat);
    free(s->teacher);
    free(s->teacher_n);
    free(s->teacher_mean);
    free(s->teacher_std);
    free(s->teacher_ms);
    free(s->teacher_params);
    free(s->best);
    memset(s, 0, sizeof *s);
}

static double mean_of(const double *x, int n) {
    double m, sd;
    cli_mean_std(x, n, &m, &sd);
    return m;
}

int bench_summary_compute(bench_summary *s, const bench_grid *g, const bench_table *t, char *msg) {
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        free(val);                                                                        \
        bench_summary_free(s);                                                            \
    } while (0)
    double *val = NULL; /* (4, seeds) scratch space: val, inference, teacher inference, teacher acc */
    memset(s, 0, sizeof *s);
    s->grid = g;
    s->nconf = bench_nconfigs(g);
    const int nd = g->ndatasets, ns = g->nstudents, S = g->seeds;
    const size_t ngroups = (size_t)nd * ns * s->nconf;
    UTIL_ALLOC(s->stat, ngroups);
    UTIL_ALLOC(s->stat[0].test, ngroups * S);
    UTIL_ALLOC(s->teacher, (size_t)nd * S);
    UTIL_ALLOC(s->teacher_n, nd);
    UTIL_ALLOC(s->teacher_mean, nd);
    UTIL_ALLOC(s->teacher_std, nd);
    UTIL_ALLOC(s->teacher_ms, nd);
    UTIL_ALLOC(s->teacher_params, nd);
    UTIL_ALLOC(s->best, (size_t)nd * ns * 2);
    UTIL_ALLOC(val, 4 * (size_t)S);
    double *ims = val + S, *tms = val + 2 * S, *tacc = val + 3 * S;

    bench_row key;
    for (int d = 0; d < nd; d++) {
        for (int st = 0; st < ns; st++)
            for (int k = 0; k < s->nconf; k++) {
                bench_stat *b = bench_stat_at(s, d, st, k);
                b->test = s->stat[0].test + (size_t)(b - s->stat) * S;
                int n = 0;
                for (int si = 0; si < S; si++) {
                    bench_row_key(&key, g, d, st, k, si);
                    const bench_row *r = bench_table_find(t, &key);
                    if (r == NULL) continue;
                    b->test[n] = r->test_acc;
                    val[n] = r->val_acc;
                    ims[n] = r->inference_ms;
                    tms[n] = r->teacher_inference_ms;
                    tacc[n] = r->teacher_test_acc;
                    b->epochs += r->epochs;
                    b->train_seconds += r->train_seconds;
                    b->student_params = r->student_params;
                    b->teacher_params = r->teacher_params;
                    n++;
                }
                b->n = n;
                if (n == 0) continue;
                cli_mean_std(b->test, n, &b->test_mean, &b->test_std);
                cli_mean_std(val, n, &b->val_mean, &b->val_std);
                b->teacher_mean = mean_of(tacc, n);
                b->inference_ms = cli_median(ims, n);
                b->teacher_inference_ms = cli_median(tms, n);
                b->epochs /= n;
                b->train_seconds /= n;
            }

        /* the teacher of a seed is in every row of the seed: take the first */
        int n = 0;
        for (int si = 0; si < S; si++) {
            bench_row_key(&key, g, d, 0, 0, si);
            for (int i = 0; i < t->n; i++) {
                const bench_row *r = &t->row[i];
                if (r->seed == key.seed && !strcmp(r->dataset, key.dataset) &&
                    !strcmp(r->teacher, key.teacher) && !strcmp(r->transfer, key.transfer)) {
                    s->teacher[(size_t)d * S + n] = r->teacher_test_acc;
                    tms[n] = r->teacher_inference_ms;
                    s->teacher_params[d] = r->teacher_params;
                    n++;
                    break;
                }
            }
        }
        s->teacher_n[d] = n;
        cli_mean_std(s->teacher + (size_t)d * S, n, &s->teacher_mean[d], &s->teacher_std[d]);
        s->teacher_ms[d] = cli_median(tms, n);

        /* the choice by mean validation accuracy; ties keep the first in grid order */
        for (int st = 0; st < ns; st++)
            for (int m = 0; m < 2; m++) {
                gnnkd_method want = m ? GNNKD_METHOD_COMPRESS : GNNKD_METHOD_KD;
                int best = -1;
                for (int k = 0; k < s->nconf; k++) {
                    gnnkd_method method;
                    int ti, ai;
                    bench_config(g, k, &method, &ti, &ai);
                    const bench_stat *b = bench_stat_at(s, d, st, k);
                    if (method != want || b->n == 0) continue;
                    if (best < 0 || b->val_mean > bench_stat_at(s, d, st, best)->val_mean) best = k;
                }
                s->best[((size_t)d * ns + st) * 2 + m] = best;
            }
    }
    free(val);
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

/* ---- summary.json -------------------------------------------------------------- */

static cJSON *mean_std(double mean, double std) {
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", mean);
    cJSON_AddNumberToObject(o, "std", std);
    return o;
}

/* The key and the comparisons shared by every configuration entry. */
static void add_config(cJSON *o, const bench_summary *s, int d, int st, int k) {
    const bench_grid *g = s->grid;
    const bench_stat *b = bench_stat_at(s, d, st, k), *scratch = bench_stat_at(s, d, st, 0);
    gnnkd_method method;
    int ti, ai;
    bench_config(g, k, &method, &ti, &ai);
    cJSON_AddStringToObject(o, "dataset", g->dataset[d]);
    cJSON_AddStringToObject(o, "student", g->student[st]);
    cJSON_AddStringToObject(o, "method", gnnkd_method_name(method));
    if (ti >= 0) cJSON_AddNumberToObject(o, "T", g->temp[ti]);
    else cJSON_AddNullToObject(o, "T");
    if (ai >= 0) cJSON_AddNumberToObject(o, "alpha", g->alpha[ai]);
    else cJSON_AddNullToObject(o, "alpha");
    cJSON_AddNumberToObject(o, "seeds", b->n);
    cJSON_AddItemToObject(o, "test_acc", cli_json_stat(b->test, b->n));
    cJSON_AddItemToObject(o, "val_acc", mean_std(b->val_mean, b->val_std));
    cJSON_AddNumberToObject(o, "teacher_test_acc", b->teacher_mean);
    cJSON_AddNumberToObject(o, "gap_to_teacher", b->test_mean - b->teacher_mean);
    if (scratch->n > 0) cJSON_AddNumberToObject(o, "gain_over_scratch", b->test_mean - scratch->test_mean);
    else cJSON_AddNullToObject(o, "gain_over_scratch");
}

static cJSON *summary_json(const bench_summary *s) {
    const bench_grid *g = s->grid;
    cJSON *root = cJSON_CreateObject();
    cJSON *set = cJSON_AddObjectToObject(root, "settings");
    cJSON *arr = cJSON_AddArrayToObject(set, "datasets");
    for (int d = 0; d < g->ndatasets; d++) cJSON_AddItemToArray(arr, cJSON_CreateString(g->dataset[d]));
    cJSON_AddStringToObject(set, "teacher", g->teacher);
    cJSON_AddStringToObject(set, "teacher_training", g->teacher_training);
    arr = cJSON_AddArrayToObject(set, "students");
    for (int st = 0; st < g->nstudents; st++) cJSON_AddItemToArray(arr, cJSON_CreateString(g->student[st]));
    cJSON_AddItemToObject(set, "temperatures", cJSON_CreateDoubleArray(g->temp, g->ntemps));
    cJSON_AddItemToObject(set, "alphas", cJSON_CreateDoubleArray(g->alpha, g->nalphas));
    cJSON_AddNumberToObject(set, "seeds", g->seeds);
    cJSON_AddNumberToObject(set, "first_seed", (double)g->seed0);
    cJSON_AddStringToObject(set, "select", gnnkd_select_name(g->select));
    cJSON_AddNumberToObject(set, "patience", g->patience);
    cJSON_AddNumberToObject(set, "epochs", g->epochs);
    cJSON *wd = cJSON_AddObjectToObject(set, "weight_decay");
    for (int m = 0; m < 3; m++)
        cJSON_AddNumberToObject(wd, gnnkd_method_name((gnnkd_method)m), bench_weight_decay(g, (gnnkd_method)m));
    cJSON_AddStringToObject(set, "transfer", "all");
    cJSON_AddStringToObject(set, "compress_target", "teacher logits, each row centred to zero mean");
    cJSON_AddStringToObject(set, "choice",
                            "KD's (T, alpha) and compression's alpha by mean validation accuracy "
                            "over the seeds; ties keep the first in grid order");

    arr = cJSON_AddArrayToObject(root, "teachers");
    for (int d = 0; d < g->ndatasets; d++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "dataset", g->dataset[d]);
        cJSON_AddStringToObject(o, "teacher", g->teacher);
        cJSON_AddNumberToObject(o, "params", (double)s->teacher_params[d]);
        cJSON_AddNumberToObject(o, "seeds", s->teacher_n[d]);
        cJSON_AddItemToObject(o, "test_acc", cli_json_stat(s->teacher + (size_t)d * g->seeds, s->teacher_n[d]));
        cJSON_AddNumberToObject(o, "inference_ms", s->teacher_ms[d]);
        cJSON_AddItemToArray(arr, o);
    }

    arr = cJSON_AddArrayToObject(root, "results");
    for (int d = 0; d < g->ndatasets; d++)
        for (int st = 0; st < g->nstudents; st++)
            for (int k = 0; k < s->nconf; k++) {
                const bench_stat *b = bench_stat_at(s, d, st, k);
                if (b->n == 0) continue;
                cJSON *o = cJSON_CreateObject();
                add_config(o, s, d, st, k);
                cJSON_AddNumberToObject(o, "student_params", (double)b->student_params);
                cJSON_AddNumberToObject(o, "teacher_params", (double)b->teacher_params);
                cJSON_AddNumberToObject(o, "compression_ratio",
                                        (double)b->teacher_params / (double)b->student_params);
                cJSON_AddNumberToObject(o, "inference_ms", b->inference_ms);
                cJSON_AddNumberToObject(o, "teacher_inference_ms", b->teacher_inference_ms);
                cJSON_AddNumberToObject(o, "speedup", b->teacher_inference_ms / b->inference_ms);
                cJSON_AddNumberToObject(o, "epochs", b->epochs);
                cJSON_AddNumberToObject(o, "train_seconds", b->train_seconds);
                cJSON_AddItemToArray(arr, o);
            }

    /* the headline: scratch and each method at its chosen configuration */
    arr = cJSON_AddArrayToObject(root, "selected");
    for (int d = 0; d < g->ndatasets; d++)
        for (int st = 0; st < g->nstudents; st++)
            for (int m = 0; m < 3; m++) {
                int k = bench_chosen(s, d, st, (gnnkd_method)m);
                if (k < 0 || bench_stat_at(s, d, st, k)->n == 0) continue;
                cJSON *o = cJSON_CreateObject();
                add_config(o, s, d, st, k);
                cJSON_AddItemToArray(arr, o);
            }
    return root;
}

/* ---- summary.md ---------------------------------------------------------------- */

/* "81.5 ± 0.6" in percent, or "–" without seeds. */
static const char *pct(char *buf, size_t len, double mean, double std, int n) {
    if (n == 0) snprintf(buf, len, "–");
    else snprintf(buf, len, "%.1f ± %.1f", 100 * mean, 100 * std);
    return buf;
}

/* A difference of accuracies in percentage points, "+1.2" (never "-0.0"). */
static const char *pp(char *buf, size_t len, double diff) {
    double x = 100 * diff;
    snprintf(buf, len, "%+.1f", fabs(x) < 0.05 ? 0.0 : x);
    return buf;
}

/* The chosen setting of configuration k as text: "T=2, α=0.9". */
static const char *setting(char *buf, size_t len, const bench_grid *g, int k) {
    gnnkd_method method;
    int ti, ai;
    bench_config(g, k, &method, &ti, &ai);
    if (ti >= 0) snprintf(buf, len, "T=%g, α=%g", g->temp[ti], g->alpha[ai]);
    else if (ai >= 0) snprintf(buf, len, "α=%g", g->alpha[ai]);
    else buf[0] = '\0';
    return buf;
}

static void headline(FILE *f, const bench_summary *s) {
    const bench_grid *g = s->grid;
    char a[64], b[64];
    fprintf(f, "| dataset | teacher %s |", g->teacher);
    for (int st = 0; st < g->nstudents; st++)
        fprintf(f, " %s scratch | %s KD | %s compression |", g->student[st], g->student[st], g->student[st]);
    fprintf(f, "\n|---|---:|");
    for (int st = 0; st < g->nstudents; st++) fprintf(f, "---:|---:|---:|");
    fprintf(f, "\n");
    for (int d = 0; d < g->ndatasets; d++) {
        fprintf(f, "| %s | %s |", g->dataset[d],
                pct(a, sizeof a, s->teacher_mean[d], s->teacher_std[d], s->teacher_n[d]));
        for (int st = 0; st < g->nstudents; st++)
            for (int m = 0; m < 3; m++) {
                int k = bench_chosen(s, d, st, (gnnkd_method)m);
                const bench_stat *x = k >= 0 ? bench_stat_at(s, d, st, k) : NULL;
                if (x == NULL || x->n == 0) {
                    fprintf(f, " – |");
                    continue;
                }
                fprintf(f, " %s", pct(a, sizeof a, x->test_mean, x->test_std, x->n));
                if (m > 0) fprintf(f, " (%s)", setting(b, sizeof b, g, k));
                fprintf(f, " |");
            }
        fprintf(f, "\n");
    }
}

static void markdown(FILE *f, const bench_summary *s, int plots) {
    const bench_grid *g = s->grid;
    char a[64], b[64], gain[16], gap[16];
    fprintf(f, "# gnnkd bench: knowledge distillation vs model compression\n\n");
    fprintf(f, "## Test accuracy (%%), mean ± std over %d seed%s\n\n", g->seeds, g->seeds > 1 ? "s" : "");
    headline(f, s);
    fprintf(f,
            "\nKD and compression at the setting chosen by mean validation accuracy (shown in "
            "brackets), never by test accuracy.\n\n"
            "Teacher %s, trained per seed with gnnkd train's defaults (Kipf & Welling's recipe; "
            "%s). Students: at most %d epochs, model selection %s "
            "(patience %d)%s; weight decay %g from scratch, %g for KD and compression. Seeds %ld "
            "to %ld. Transfer set: all nodes. Compression regresses the teacher's logits, each "
            "row centred to zero mean: the limit KD approaches as T grows.\n\n",
            g->teacher, g->teacher_training, g->epochs, gnnkd_select_name(g->select), g->patience,
            g->select == GNNKD_SELECT_VAL_ACC ? ", keeping the weights of the best validation accuracy"
                                              : ", keeping the last weights",
            (double)bench_weight_decay(g, GNNKD_METHOD_SCRATCH), (double)bench_weight_decay(g, GNNKD_METHOD_KD),
            g->seed0, g->seed0 + g->seeds - 1);

    fprintf(f, "## Chosen settings\n\n"
               "| dataset | student | method | setting | val acc | test acc | gain over scratch | gap to teacher |\n"
               "|---|---|---|---|---:|---:|---:|---:|\n");
    for (int d = 0; d < g->ndatasets; d++)
        for (int st = 0; st < g->nstudents; st++)
            for (int m = 1; m < 3; m++) {
                int k = bench_chosen(s, d, st, (gnnkd_method)m);
                if (k < 0) continue;
                const bench_stat *x = bench_stat_at(s, d, st, k), *sc = bench_stat_at(s, d, st, 0);
                fprintf(f, "| %s | %s | %s | %s | %.1f | %s | %s | %s |\n", g->dataset[d],
                        g->student[st], m == 1 ? "KD" : "compression", setting(a, sizeof a, g, k),
                        100 * x->val_mean, pct(b, sizeof b, x->test_mean, x->test_std, x->n),
                        pp(gain, sizeof gain, x->test_mean - sc->test_mean),
                        pp(gap, sizeof gap, x->test_mean - x->teacher_mean));
            }

    fprintf(f, "\n## Every configuration\n\nGain and gap in percentage points; compression = "
               "teacher parameters / student parameters; speed-up = the teacher's median "
               "full-graph forward time / the student's (after warm-up). ✓ marks a chosen "
               "setting.\n");
    for (int d = 0; d < g->ndatasets; d++) {
        fprintf(f, "\n### %s (teacher %s: %s, %lld parameters, %.3f ms)\n\n", g->dataset[d],
                g->teacher, pct(a, sizeof a, s->teacher_mean[d], s->teacher_std[d], s->teacher_n[d]),
                s->teacher_params[d], s->teacher_ms[d]);
        fprintf(f, "| student | method | T | α | test acc | val acc | gain over scratch | gap to teacher "
                   "| params | compression | ms | speed-up | epochs | train s | seeds |\n"
                   "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (int st = 0; st < g->nstudents; st++)
            for (int k = 0; k < s->nconf; k++) {
                const bench_stat *x = bench_stat_at(s, d, st, k), *sc = bench_stat_at(s, d, st, 0);
                if (x->n == 0) continue;
                gnnkd_method method;
                int ti, ai;
                bench_config(g, k, &method, &ti, &ai);
                int chosen = method != GNNKD_METHOD_SCRATCH && bench_chosen(s, d, st, method) == k;
                fprintf(f, "| %s | %s%s | ", g->student[st], gnnkd_method_name(method), chosen ? " ✓" : "");
                if (ti >= 0) fprintf(f, "%g", g->temp[ti]);
                fprintf(f, " | ");
                if (ai >= 0) fprintf(f, "%g", g->alpha[ai]);
                fprintf(f, " | %s | %.1f | %s | %s | %lld | %.1f× | %.3f | %.1f× | %.0f | %.2f | %d |\n",
                        pct(a, sizeof a, x->test_mean, x->test_std, x->n), 100 * x->val_mean,
                        k == 0 ? "–" : pp(gain, sizeof gain, x->test_mean - sc->test_mean),
                        pp(gap, sizeof gap, x->test_mean - x->teacher_mean), x->student_params,
                        (double)x->teacher_params / (double)x->student_params, x->inference_ms, x->teacher_inference_ms / x->inference_ms, x->epochs,
                        x->train_seconds, x->n);
            }
    }

    fprintf(f, "\n## Plots\n\n");
    if (plots)
        fprintf(f, "![Test accuracy against temperature](plots/accuracy_vs_temperature.svg)\n\n"
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
        fprintf(echo, "Test accuracy (%%), mean ± std over %d seed%s; KD and compression chosen by "
                      "validation accuracy:\n\n", s->grid->seeds, s->grid->seeds > 1 ? "s" : "");
        headline(echo, s);
    }
    return rc;
}
