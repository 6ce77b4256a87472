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
    {"lcc", no_argument, 0, 1008}

/* Help text for those options. */
extern const char *CLI_DATA_HELP;

/* Takes a dataset option; returns 1 if code was one. */
int cli_data_option(cli_data *o, int code, const char *arg);

/* Loads the dataset the options name (default: "synthetic"), applies split,
 * LCC and normalisation. */
int cli_open_dataset(gnnkd_dataset **d, const cli_data *o, char *msg);

/* Mean and sample standard deviation of x[0..n). */
void cli_mean_std(const double *x, int n, double *mean, double *std);
double cli_median(const double *x, int n);

/* Parses a whole number / float option value or fails with a usage message. */
int cli_int(const char *cmd, const char *opt, const char *arg, long lo, long hi, long *out);
int cli_float(const char *cmd, const char *opt, const char *arg, double lo, double hi, double *out);

#endif
