/* main.c — the gnnkd program: dispatches to a subcommand. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *what;
} COMMANDS[] = {
    {"train", cmd_train, "train a GCN, MLP, GAT or SAGE model on a dataset"},
    {"eval", cmd_eval, "evaluate a saved model"},
    {"distill", cmd_distill, "distil a teacher into a student (KD, compression, scratch)"},
    {"info", cmd_info, "describe a dataset: size, degrees, components, clustering, homophily"},
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
