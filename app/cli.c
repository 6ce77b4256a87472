/* cli.c — what the train and distill subcommands share: option parsing,
 * progress, run statistics and the JSON schema of a set of runs. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

int cli_fail(const char *cmd, int status, const char *msg) {
    fprintf(stderr, "gnnkd %s: %s\n", cmd, msg && msg[0] ? msg : gnnkd_status_name(status));
    return gnnkd_exit_code(status);
}

void cli_mean_std(const double *x, int n, double *mean, double *std) {
    double m = 0.0, v = 0.0;
    for (int i = 0; i < n; i++) m += x[i];
    m = n ? m / n : 0.0;
    for (int i = 0; i < n; i++) v += (x[i] - m) * (x[i] - m);
    *mean = m;
    *std = n > 1 ? sqrt(v / (n - 1)) : 0.0;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cli_median(const double *x, int n) {
    if (n == 0) return 0.0;
    double *s = malloc((size_t)n * sizeof *s);
    if (s == NULL) return NAN;
    memcpy(s, x, (size_t)n * sizeof *s);
    qsort(s, (size_t)n, sizeof *s, cmp_double);
    double med = n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
    free(s);
    return med;
}

int cli_int(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out) {
    char *end = NULL;
    errno = 0;
    long v = strtol(arg, &end, 10);
    if (errno || end == arg || *end != '\0' || v < lo || v > hi) {
        fprintf(stderr, "gnnkd %s: --%s takes a whole number from %ld to %ld, got '%s'\n", cmd, opt,
                lo, hi, arg);
        return 0;
    }
    *out = v;
    return 1;
}

int cli_float(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *out) {
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    if (errno || end == arg || *end != '\0' || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "gnnkd %s: --%s takes a number from %g to %g, got '%s'\n", cmd, opt, lo,
                hi, arg);
        return 0;
    }
    *out = v;
    return 1;
}

const char *CLI_RUN_HELP =
    "Training:\n"
    "  --lr X                  Adam learning rate (0.01)\n"
    "  --weight-decay X        L2 weight decay (5e-4), first layer only unless --decay-all\n"
    "  --decay-all             apply weight decay to every layer's weights\n"
    "  --epochs N              at most N epochs (200)\n"
    "  --select val-acc|val-loss|last  model selection: the weights of the best\n"
    "                          validation accuracy (default), Kipf's early stopping on\n"
    "                          the validation loss keeping the last weights, or every\n"
    "                          epoch and the last weights (needs no validation set)\n"
    "  --patience N            early-stopping window (100 for val-acc, 10 for val-loss;\n"
    "                          0 = never stop early)\n"
    "  --batch B               mini-batches: max(1, m / B) Adam steps an epoch over\n"
    "                          slices of the shuffled transfer (or training) nodes\n"
    "                          (0: one full-batch step, the default)\n"
    "  --hidden-dropout-only   dropout after the hidden layers, not on the input\n"
    "                          features (GLNN's and NOSMOG's MLP)\n"
    "  --seed N                seed of weights and dropout (0)\n"
    "  --reproducible          exact (fixed-point) weight-gradient sums: the same bits\n"
    "                          on any thread count and any number of MPI ranks (GCN,\n"
    "                          MLP; a slower backward pass)\n"
    "  --runs N                N runs with seeds seed, seed+1, ... (1)\n"
    "  --threads N             OpenMP threads (default: 1 for small graphs and\n"
    "                          models; for large, the cores no other process keeps\n"
    "                          busy: gnnkd_threads_default)\n"
    "  --save PATH             save the trained model (with several runs: PATH-seedS)\n"
    "  --save-logits PATH.npy  save the logits of all nodes as float32 .npy\n"
    "  --json                  print one JSON object on stdout\n"
    "  --quiet                 no progress line\n";

void cli_run_defaults(cli_run *o) {
    memset(o, 0, sizeof *o);
    gnnkd_train_options_default(&o->train);
    o->runs = 1;
}

int cli_run_option(const char *cmd, cli_run *o, int code, const char *arg) {
    double x;
    long v;
    switch (code) {
    case 1100:
        if (!cli_float(cmd, "lr", arg, 1e-12, 100.0, &x)) return -1;
        o->train.lr = (float)x;
        o->lr_set = 1;
        return 1;
    case 1101:
        if (!cli_float(cmd, "weight-decay", arg, 0.0, 100.0, &x)) return -1;
        o->train.weight_decay = (float)x;
        o->weight_decay_set = 1;
        return 1;
    case 1102: o->train.decay_all_layers = o->decay_all_set = 1; return 1;
    case 1103:
        if (!cli_int(cmd, "epochs", arg, 1, 1000000, &v)) return -1;
        o->train.epochs = (int)v;
        o->epochs_set = 1;
        return 1;
    case 1104:
        if (!cli_int(cmd, "patience", arg, 0, 1000000, &v)) return -1;
        o->train.patience = (int)v;
        o->patience_set = 1;
        return 1;
    case 1105: {
        char msg[GNNKD_MSG_LEN];
        if (gnnkd_select_parse(&o->train.select, arg, msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd %s: --select: %s\n", cmd, msg);
            return -1;
        }
        o->select_set = 1;
        return 1;
    }
    case 1106:
        if (!cli_int(cmd, "seed", arg, 0, 2147483647L, &v)) return -1;
        o->train.seed = (uint64_t)v;
        return 1;
    case 1107:
        if (!cli_int(cmd, "runs", arg, 1, 10000, &v)) return -1;
        o->runs = (int)v;
        return 1;
    case 1108:
        if (!cli_int(cmd, "threads", arg, 0, 4096, &v)) return -1;
        o->threads = (int)v;
        return 1;
    case 1109: o->save = arg; return 1;
    case 1110: o->save_logits = arg; return 1;
    case 1111: o->json = 1; return 1;
    case 1112: o->quiet = 1; return 1;
    case 1113: o->train.reproducible = 1; return 1;
    case 1114:
        if (!cli_int(cmd, "batch", arg, 0, 2147483647L, &v)) return -1;
        o->train.batch = (int32_t)v;
        o->batch_set = 1;
        return 1;
    case 1115: o->train.hidden_dropout_only = o->hidden_dropout_set = 1; return 1;
    default: return 0;
    }
}

int cli_check_output(const char *cmd, const char *opt, const char *path) {
    char msg[GNNKD_MSG_LEN];
    if (path == NULL || gnnkd_output_check(path, msg) == GNNKD_OK) return 0;
    fprintf(stderr, "gnnkd %s: --%s: %s\n", cmd, opt, msg);
    return 2;
}

int cli_run_finish(cli_run *o, gnnkd_method method, const char *cmd) {
    gnnkd_train_options base; // the library decides what the options left unset are
    gnnkd_train_options_for(&base, method, o->train.select);
    if (!o->patience_set) o->train.patience = base.patience;
    if (!o->weight_decay_set) o->train.weight_decay = base.weight_decay;
    cli_set_threads(o->threads, NULL, NULL);
    if (cli_check_output(cmd, "save", o->save)) return 2;
    return cli_check_output(cmd, "save-logits", o->save_logits);
}

void cli_set_threads(int threads, const gnnkd_dataset *d, const gnnkd_model_spec *s) {
    if (threads > 0) {
        if (d != NULL) return; // set when the options were read
        gnnkd_set_threads(threads);
        if (gnnkd_get_threads() < threads)
            fprintf(stderr, "gnnkd: --threads %d: using %d, as many as fit the address-space "
                            "limit (ulimit -v)\n", threads, gnnkd_get_threads());
    } else if (d != NULL) {
        gnnkd_set_threads(gnnkd_threads_default(d, s));
    }
}

void cli_run_for_model(cli_run *o, const gnnkd_model_spec *spec, gnnkd_method method) {
    gnnkd_train_options base;
    gnnkd_train_options_for_model(&base, spec, method, o->train.select);
    if (!o->lr_set) o->train.lr = base.lr;
    if (!o->epochs_set) o->train.epochs = base.epochs;
    if (!o->weight_decay_set) o->train.weight_decay = base.weight_decay;
    if (!o->decay_all_set) o->train.decay_all_layers = base.decay_all_layers;
    if (!o->patience_set) o->train.patience = base.patience;
}

void cli_run_path(char *buf, size_t len, const char *path, int runs, unsigned long long seed) {
    if (runs <= 1) {
        snprintf(buf, len, "%s", path);
        return;
    }
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(path, '.');
    if (dot == NULL || (slash && dot < slash)) dot = path + strlen(path);
    snprintf(buf, len, "%.*s-seed%llu%s", (int)(dot - path), path, seed, dot);
}

int cli_progress_cb(void *ctx, const gnnkd_epoch_info *e) {
    const cli_progress *p = ctx;
    if (p->enabled)
        fprintf(stderr, "\r%s epoch %4d/%d  loss %.4f  val loss %.4f  val acc %.4f  %.1fs ", p->label,
                e->epoch, p->epochs, e->train_loss, e->val_loss, e->val_acc, e->seconds);
    return 0;
}

void cli_progress_done(const cli_progress *p) {
    if (p->enabled) fprintf(stderr, "\r\033[K");
}

int cli_train_run(gnnkd_model **m, gnnkd_train_result *res, const cli_run *run, int k,
                  const char *what, const gnnkd_model_spec *spec, const gnnkd_setting *s,
                  const gnnkd_objective *obj, char *msg) {
    const gnnkd_dataset *d = gnnkd_setting_observed(s);
    gnnkd_train_options o = run->train;
    o.seed = run->train.seed + (uint64_t)k;
    char label[64];
    snprintf(label, sizeof label, "%s %d/%d", what, k + 1, run->runs);
    cli_progress prog = {label, o.epochs, !run->quiet && isatty(2)};
    o.progress = cli_progress_cb;
    o.progress_ctx = &prog;
    char model[96];
    gnnkd_model_spec_format(model, sizeof model, spec);
    int rc = gnnkd_model_new(m, spec, d->nfeat, d->nclass, o.seed, msg);
    if (rc == GNNKD_OK) rc = gnnkd_train(*m, res, d, gnnkd_setting_observed_graph(s), &o, obj, msg);
    cli_progress_done(&prog);
    rc = cli_oom_context(rc, msg, "model %s on %s (%d nodes, %d features, %d classes)", model,
                         d->name, d->n, d->nfeat, d->nclass);
    if (rc == GNNKD_OK)
        rc = cli_save_run(*m, run, o.seed, gnnkd_setting_full(s), gnnkd_setting_full_graph(s), msg);
    return rc;
}

int cli_save_run(gnnkd_model *m, const cli_run *run, uint64_t seed, const gnnkd_dataset *d,
                 const gnnkd_graph *g, char *msg) {
    char path[4096];
    int rc = GNNKD_OK;
    if (run->save) {
        cli_run_path(path, sizeof path, run->save, run->runs, (unsigned long long)seed);
        rc = gnnkd_model_save(m, path, msg);
    }
    if (rc == GNNKD_OK && run->save_logits) {
        float *logits = malloc((size_t)d->n * (size_t)d->nclass * sizeof *logits);
        gnnkd_dataset *pd = NULL;
        gnnkd_train_result again;
        cli_run_path(path, sizeof path, run->save_logits, run->runs, (unsigned long long)seed);
        if (logits == NULL) snprintf(msg, GNNKD_MSG_LEN, "--save-logits %.300s: out of memory", path);
        rc = logits ? GNNKD_OK : GNNKD_ENOMEM;
        if (rc == GNNKD_OK) rc = cli_position_for_model(&pd, d, m, "the student", d->name, msg);
        if (rc == GNNKD_OK) rc = gnnkd_evaluate(m, &again, logits, pd ? pd : d, g, msg);
        if (rc == GNNKD_OK) rc = gnnkd_npy_write(path, logits, d->n, d->nclass, msg);
        gnnkd_dataset_free(&pd);
        free(logits);
    }
    return rc;
}

int cli_runs_new(cli_runs *r, int n) {
    memset(r, 0, sizeof *r);
    double *all = calloc((size_t)n * 9, sizeof(double));
    if (all == NULL) return GNNKD_ENOMEM;
    r->test_acc = all;
    r->val_acc = all + n;
    r->epochs = all + 2 * n;
    r->train_seconds = all + 3 * n;
    r->epoch_seconds = all + 4 * n;
    r->tran = all + 5 * n;
    r->ind = all + 6 * n;
    r->prod = all + 7 * n;
    r->val_cross = all + 8 * n;
    return GNNKD_OK;
}

void cli_runs_free(cli_runs *r) {
    free(r->test_acc);
    memset(r, 0, sizeof *r);
}

void cli_runs_add(cli_runs *r, const gnnkd_train_result *res) {
    r->test_acc[r->n] = res->acc[GNNKD_TEST];
    r->val_acc[r->n] = res->acc[GNNKD_VAL];
    r->val_cross[r->n] = res->val_acc_cross;
    r->epochs[r->n] = res->epochs;
    r->train_seconds[r->n] = res->train_seconds;
    r->epoch_seconds[r->n] = res->epoch_seconds_median;
    r->n++;
}

void cli_runs_add_acc(cli_runs *r, const gnnkd_setting_acc *acc) {
    r->tran[r->n - 1] = acc->tran;
    r->ind[r->n - 1] = acc->ind;
    r->prod[r->n - 1] = acc->prod;
}

cJSON *cli_json_stat(const double *x, int n) {
    double mean, std;
    cli_mean_std(x, n, &mean, &std);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "mean", mean);
    cJSON_AddNumberToObject(o, "std", std);
    cJSON_AddItemToObject(o, "values", cJSON_CreateDoubleArray(x, n));
    return o;
}

void cli_json_add_runs(cJSON *root, const cli_runs *r) {
    cJSON_AddNumberToObject(root, "runs", r->n);
    cJSON_AddItemToObject(root, "test_acc", cli_json_stat(r->test_acc, r->n));
    if (r->inductive) {
        cJSON_AddItemToObject(root, "test_acc_tran", cli_json_stat(r->tran, r->n));
        cJSON_AddItemToObject(root, "test_acc_ind", cli_json_stat(r->ind, r->n));
        cJSON_AddItemToObject(root, "test_acc_prod", cli_json_stat(r->prod, r->n));
    }
    cJSON_AddItemToObject(root, "val_acc", cli_json_stat(r->val_acc, r->n));
    if (r->n > 0 && !isnan(r->val_cross[0]))
        cJSON_AddItemToObject(root, "val_acc_cross", cli_json_stat(r->val_cross, r->n));
    cJSON_AddItemToObject(root, "epochs", cli_json_stat(r->epochs, r->n));
    cJSON_AddItemToObject(root, "train_seconds", cli_json_stat(r->train_seconds, r->n));
    cJSON *spe = cJSON_CreateObject();
    cJSON_AddNumberToObject(spe, "median", cli_median(r->epoch_seconds, r->n));
    cJSON_AddItemToObject(spe, "values", cJSON_CreateDoubleArray(r->epoch_seconds, r->n));
    cJSON_AddItemToObject(root, "seconds_per_epoch", spe);
    cJSON_AddNumberToObject(root, "peak_rss_mb", util_peak_rss_mb());
}

cJSON *cli_json_model(const gnnkd_model_spec *s, int64_t params) {
    char text[128];
    gnnkd_model_spec_format(text, sizeof text, s);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "spec", text);
    cJSON_AddStringToObject(o, "kind", gnnkd_model_kind_name(s->kind));
    cJSON_AddNumberToObject(o, "layers", s->nlayers);
    cJSON_AddItemToObject(o, "hidden", cJSON_CreateIntArray(s->dims + 1, s->nlayers - 1));
    cJSON_AddNumberToObject(o, "dropout", s->dropout);
    cJSON_AddNumberToObject(o, "params", (double)params);
    return o;
}

int cli_json_puts(const cJSON *root) {
    char *text = cJSON_PrintUnformatted(root);
    if (text == NULL) return 0;
    puts(text);
    free(text);
    fflush(stdout);
    return 1;
}

void cli_json_print(cJSON *root) {
    cli_json_puts(root);
    cJSON_Delete(root);
}

void cli_runs_print(FILE *f, const char *title, const cli_runs *r) {
    double m, s;
    fprintf(f, "%s (%d run%s)\n", title, r->n, r->n == 1 ? "" : "s");
    cli_mean_std(r->test_acc, r->n, &m, &s);
    fprintf(f, "  test accuracy   %.4f ± %.4f%s\n", m, s, r->inductive ? " (observed test nodes)" : "");
    if (r->inductive) {
        cli_mean_std(r->tran, r->n, &m, &s);
        fprintf(f, "  tran            %.4f ± %.4f\n", m, s);
        cli_mean_std(r->ind, r->n, &m, &s);
        fprintf(f, "  ind             %.4f ± %.4f\n", m, s);
        cli_mean_std(r->prod, r->n, &m, &s);
        fprintf(f, "  prod            %.4f ± %.4f\n", m, s);
    }
    cli_mean_std(r->val_acc, r->n, &m, &s);
    fprintf(f, "  val accuracy    %.4f ± %.4f\n", m, s);
    if (r->n > 0 && !isnan(r->val_cross[0])) {
        cli_mean_std(r->val_cross, r->n, &m, &s);
        fprintf(f, "  val, cross-fit  %.4f ± %.4f (each half's epoch, scored on the other)\n", m, s);
    }
    cli_mean_std(r->epochs, r->n, &m, &s);
    fprintf(f, "  epochs          %.1f ± %.1f\n", m, s);
    fprintf(f, "  s/epoch         %.5f (median)\n", cli_median(r->epoch_seconds, r->n));
}
