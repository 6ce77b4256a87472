/* main.c — the gnnkd program: dispatches to a subcommand. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Idle OpenMP threads sleep instead of spinning (OMP_WAIT_POLICY=passive)
 * unless the user chose a policy: on a busy machine spinning threads took
 * the cores from the working ones (2 threads ran 30x slower than 1). libgomp
 * reads the variable once, when it loads, so the program sets it and starts
 * itself again; if that fails it runs on with the default policy. */
static void passive_wait(char **argv) {
    if (getenv("OMP_WAIT_POLICY") != NULL || getenv("GOMP_SPINCOUNT") != NULL) return;
    if (setenv("OMP_WAIT_POLICY", "passive", 1) != 0) return;
    execv("/proc/self/exe", argv);
}

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} COMMANDS[] = {
    {"train", cmd_train, "train a GCN, MLP, GAT or SAGE model on a dataset"},
    {"eval", cmd_eval, "evaluate a saved model"},
    {"distill", cmd_distill, "distil a teacher into a student (KD, compression, scratch)"},
    {"info", cmd_info, "describe a dataset: size, degrees, components, clustering, homophily"},
    {"predict", cmd_predict, "predict the classes of new nodes from their raw features"},
    {"export", cmd_export, "write an MLP student as standalone C99 (float or int8)"},
    {"partition", cmd_partition, "cut a dataset into parts for distributed training (METIS)"},
    {"convert", cmd_convert, "write any dataset (graph file, synthetic) as a gnnkd folder"},
    {"bench", cmd_bench, "benchmark distillation vs compression: CSV, summary, plots"},
    {"bench-speed", cmd_bench_speed, "time training epochs, kernels and inference against rooflines"},
};

static void usage(FILE *f) {
    fprintf(f, "gnnkd %s — knowledge distillation for graph neural networks\n\n"
               "usage: gnnkd COMMAND [options]   (gnnkd COMMAND --help for each)\n\n",
            gnnkd_version());
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-12s %s\n", COMMANDS[i].name, COMMANDS[i].what);
}

int main(int argc, char **argv) {
    passive_wait(argv);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("gnnkd %s\n", gnnkd_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "gnnkd: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
