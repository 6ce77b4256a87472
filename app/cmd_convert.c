/* cmd_convert.c — `gnnkd convert`: writes any dataset gnnkd can load (a
 * folder, a graph file, a synthetic graph) as a gnnkd dataset folder, so it
 * can be frozen and shared. */
#include "cli.h"

#include <string.h>

static void convert_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd convert [options] --out DIR\n\n"
            "Writes a dataset as a folder readable by --dataset DIR: adjacency.mtx,\n"
            "features.mtx, labels.txt, train.txt, val.txt, test.txt, classes.txt.\n"
            "Features are written as loaded (never row-normalised); --lcc and --split\n"
            "apply before writing.\n\n"
            "  --out DIR               the folder to write (created if missing)\n"
            "  -h, --help              this help\n\n"
            "%s\n"
            "Examples: gnnkd convert --dataset synthetic:seed=3 --out syn3\n"
            "          gnnkd convert --graph g.graphml --labels y.txt --split per-class:20:30 --out g\n",
            CLI_DATA_HELP);
}

int cmd_convert(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"out", required_argument, 0, 'o'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_data data = {0};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': convert_help(stdout); return 0;
        default: convert_help(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd convert: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (out == NULL) return cli_fail("convert", GNNKD_EINVAL, "--out DIR is required");
    data.raw_features = 1;

    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    int rc = cli_open_dataset(&d, &data, msg);
    /* The folder format needs at least one class: refuse rather than write
     * a folder that --dataset cannot read back. */
    if (rc == GNNKD_OK && d->nclass < 1) {
        snprintf(msg, sizeof msg, "%s has no labels: give --labels FILE to convert it", d->name);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK) rc = gnnkd_dataset_save_dir(d, out, msg);
    if (rc == GNNKD_OK)
        printf("wrote %s: %d nodes, %lld edges, %d features, %d classes, split %d/%d/%d\n", out,
               d->n, (long long)(gnnkd_csr_nnz(&d->adj) / 2), d->nfeat, d->nclass,
               d->nsplit[0], d->nsplit[1], d->nsplit[2]);
    gnnkd_dataset_free(&d);
    return rc == GNNKD_OK ? 0 : cli_fail("convert", rc, msg);
}
