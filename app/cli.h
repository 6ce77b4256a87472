/* cli.h — what the subcommands of the gnnkd program share: the command
 * table, dataset options, messages and JSON output. */
#ifndef GNNKD_CLI_H
#define GNNKD_CLI_H

#include "gnnkd.h"

#include <getopt.h>
#include <stdio.h>

/* Every subcommand: parses its own options, returns the process exit code. */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_distill(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_partition(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_bench_speed(int argc, char **argv);

/* Prints "gnnkd CMD: message" to stderr and returns gnnkd_exit_code(status). */
int cli_fail(const char *cmd, int status, const char *msg);

/* Where a dataset comes from: the options every subcommand that loads one takes. */
typedef struct {
    const char *dataset;   /* --dataset: NAME, a folder path, or synthetic[:K=V,...] */
    const char *data_dir;  /* --data-dir: overrides $GNNKD_DATA */
    int raw_features;      /* --raw-features: skip row normalisation */
    const char *graph;     /* --graph FILE: a graph in a format igraph reads */
    const char *format;    /* --format F: edgelist, ncol, lgl, pajek, graphml, gml, dimacs */
    const char *features;  /* --features FILE (.mtx or .npy) */
    const char *labels;    /* --labels FILE (.txt or .npy) */
    const char *split;     /* --split planetoid | random:T:V:E | per-class:T:V */
    int lcc;               /* --lcc: keep the largest connected component */
    unsigned long long split_seed;
    const char *setting;   /* --setting transductive | inductive[:F] (as given) */
    gnnkd_setting_kind setting_kind;
    double setting_fraction;
    int glnn;              /* --protocol glnn */
} cli_data;

/* getopt_long entries for the dataset options; codes are CLI_DATA_FIRST.. */
enum { CLI_DATA_FIRST = 1000 };
#define CLI_DATA_OPTIONS                                           \
    {"dataset", required_argument, 0, 1000},                       \
    {"data-dir", required_argument, 0, 1001},                      \
    {"raw-features", no_argument, 0, 1002},                        \
    {"graph", required_argument, 0, 1003},                         \
    {"format", required_argument, 0, 1004},                        \
    {"features", required_argument, 0, 1005},                      \
    {"labels", required_argument, 0, 1006},                        \
    {"split", required_argument, 0, 1007},                         \
    {"lcc", no_argument, 0, 1008},                                 \
    {"split-seed", required_argument, 0, 1009},                    \
    {"setting", required_argument, 0, 1010},                       \
    {"protocol", required_argument, 0, 1011}

/* Help text for those options. */
extern const char *CLI_DATA_HELP;

/* Takes a dataset option; returns 1 if code was one. */
int cli_data_option(cli_data *o, int code, const char *arg);

/* Loads the dataset the options name (default: "synthetic"), applies split,
 * LCC and normalisation. */
int cli_open_dataset(gnnkd_dataset **d, const cli_data *o, char *msg);

/* The one place the program decides a saved model's input normalisation:
 * data->raw_features is set from m's record (gnnkd_model_get_feature_norm),
 * so that cli_open_dataset treats the features as m's training did. An
 * explicit --raw-features on a model trained on row-normalised features
 * contradicts the record: GNNKD_EINVAL naming the option and load. */
int cli_data_for_model(cli_data *data, const gnnkd_model *m, const char *load, char *msg);

/* Brings feature rows read as they are (d: new nodes, or a dataset opened
 * after cli_data_for_model) to m's recorded normalisation, or says why they
 * cannot be: GNNKD_EDATA naming what (a file or dataset) if they hold
 * negative values but m was trained on row-normalised features. */
int cli_features_for_model(gnnkd_dataset *d, const gnnkd_model *m, const char *load,
                           const char *what, char *msg);

/* A student with position rows (gnnkd_model_position) reads them after the
 * features of the dataset it was distilled on: *out is d with them
 * appended (gnnkd_dataset_free), or NULL when m has none (use d). A
 * dataset of another node count is GNNKD_EINVAL naming load and what. */
int cli_position_for_model(gnnkd_dataset **out, const gnnkd_dataset *d, const gnnkd_model *m,
                           const char *load, const char *what, char *msg);

/* After GNNKD_ENOMEM, puts "what: " (printf-style) before msg: the user
 * learns which option or file asked for the memory. Returns status. */
int cli_oom_context(int status, char *msg, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* GNNKD_EINVAL unless d has labels and test nodes: the commands that report
 * a test accuracy refuse to print one over nothing. */
int cli_require_test_set(const gnnkd_dataset *d, char *msg);

/* The setting of run k (0-based) into *s: with --protocol glnn a new split
 * and setting per run (gnnkd_setting_glnn, seed split_seed + k, *s freed
 * first); otherwise the --setting over d's split, made once (k == 0 or *s
 * NULL) with split_seed and kept for later runs. */
int cli_setting_for_run(gnnkd_setting **s, gnnkd_dataset *d, const cli_data *o, int k, char *msg);

/* "transductive", "inductive:0.2", "glnn (inductive:0.2)": for reports. */
void cli_setting_text(char *buf, size_t len, const cli_data *o);

/* Mean and sample standard deviation of x[0..n). */
void cli_mean_std(const double *x, int n, double *mean, double *std);
double cli_median(const double *x, int n);

/* Parses a whole number / float option value or fails with a usage message. */
int cli_int(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out);
int cli_float(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *out);

/* ---- training options shared by train and distill ------------------------ */

typedef struct {
    gnnkd_train_options train;
    int select_set, patience_set, weight_decay_set, lr_set, epochs_set, decay_all_set;
    int batch_set, hidden_dropout_set;
    int runs;                 /* --runs: seeds seed, seed+1, ... */
    int threads;              /* --threads (0: all cores) */
    int json;                 /* --json */
    int quiet;                /* --quiet: no progress even on a terminal */
    const char *save;         /* --save PATH */
    const char *save_logits;  /* --save-logits PATH.npy */
} cli_run;

#define CLI_RUN_OPTIONS                                                \
    {"lr", required_argument, 0, 1100},                                \
    {"weight-decay", required_argument, 0, 1101},                      \
    {"decay-all", no_argument, 0, 1102},                               \
    {"epochs", required_argument, 0, 1103},                            \
    {"patience", required_argument, 0, 1104},                          \
    {"select", required_argument, 0, 1105},                            \
    {"seed", required_argument, 0, 1106},                              \
    {"runs", required_argument, 0, 1107},                              \
    {"threads", required_argument, 0, 1108},                           \
    {"save", required_argument, 0, 1109},                              \
    {"save-logits", required_argument, 0, 1110},                       \
    {"json", no_argument, 0, 1111},                                    \
    {"quiet", no_argument, 0, 1112},                                   \
    {"reproducible", no_argument, 0, 1113},                            \
    {"batch", required_argument, 0, 1114},                             \
    {"hidden-dropout-only", no_argument, 0, 1115}

extern const char *CLI_RUN_HELP;

void cli_run_defaults(cli_run *o);
/* 1: taken; 0: not a run option; -1: a bad value (already reported). */
int cli_run_option(const char *cmd, cli_run *o, int code, const char *arg);
/* After parsing: the patience and weight decay left unset, as the library
 * decides them for method and the selection rule (gnnkd_train_options_for);
 * the thread count; checks that --save and --save-logits can be written
 * (before hours of training). 0, or 2 after a message naming the option. */
int cli_run_finish(cli_run *o, gnnkd_method method, const char *cmd);

/* 0 if path can be written as an output (gnnkd_output_check), else 2 after
 * "gnnkd CMD: --OPT: why" on stderr. NULL is fine. */
int cli_check_output(const char *cmd, const char *opt, const char *path);

/* --threads N (N > 0; a note on stderr if the address-space limit allows
 * fewer), or, with N = 0 and a dataset, the library's default for d and s. */
void cli_set_threads(int threads, const gnnkd_dataset *d, const gnnkd_model_spec *s);
/* The options of o left unset (learning rate, epochs, weight decay and on
 * which layers) become the recipe's for a model of spec trained by method
 * (gnnkd_train_options_for_model). */
void cli_run_for_model(cli_run *o, const gnnkd_model_spec *spec, gnnkd_method method);

/* The path for run r's output: path itself for one run, else
 * "<stem>-seed<seed><ext>". */
void cli_run_path(char *buf, size_t len, const char *path, int runs, unsigned long long seed);

/* A progress line on stderr if it is a terminal (ctx: a cli_progress). */
typedef struct {
    const char *label;
    int epochs;
    int enabled;
} cli_progress;
int cli_progress_cb(void *ctx, const gnnkd_epoch_info *e);
void cli_progress_done(const cli_progress *p);

/* Run k of a command: a new model of shape spec, seeded run->train.seed + k,
 * trained on s's observed dataset (with obj, if not NULL) behind a progress line labelled
 * "<what> k+1/runs", then saved (--save) and its logits written
 * (--save-logits) if asked. *m receives the trained model. */
int cli_train_run(gnnkd_model **m, gnnkd_train_result *res, const cli_run *run, int k,
                  const char *what, const gnnkd_model_spec *spec, const gnnkd_setting *s,
                  const gnnkd_objective *obj, char *msg);

/* Saves m (--save) and writes its logits (--save-logits) if asked, under
 * the path of the run seeded seed. Logits are m run over d (pass the full
 * dataset and graph: files use the dataset's own numbering). */
int cli_save_run(gnnkd_model *m, const cli_run *run, uint64_t seed, const gnnkd_dataset *d,
                 const gnnkd_graph *g, char *msg);

/* Results of several runs (seeds). */
typedef struct {
    int n;
    double *test_acc, *val_acc, *epochs, *train_seconds, *epoch_seconds;
    int inductive;               /* report tran / ind / prod */
    double *tran, *ind, *prod;   /* the setting's scores */
    double *val_cross;           /* gnnkd_train_result.val_acc_cross (NaN: none) */
} cli_runs;
int cli_runs_new(cli_runs *r, int n);
void cli_runs_free(cli_runs *r);
void cli_runs_add(cli_runs *r, const gnnkd_train_result *res);
/* The setting's scores of the run last added. */
void cli_runs_add_acc(cli_runs *r, const gnnkd_setting_acc *acc);

/* JSON: {"mean":m,"std":s,"values":[...]} ; the runs' standard keys. */
struct cJSON;
struct cJSON *cli_json_stat(const double *x, int n);
void cli_json_add_runs(struct cJSON *root, const cli_runs *r);
struct cJSON *cli_json_model(const gnnkd_model_spec *s, int64_t params);
/* Prints root to stdout as one line and flushes; 0 if out of memory. */
int cli_json_puts(const struct cJSON *root);
/* cli_json_puts, then frees root. */
void cli_json_print(struct cJSON *root);

/* "  test  0.8150 ± 0.0050" style summary lines. */
void cli_runs_print(FILE *f, const char *title, const cli_runs *r);

#endif
