/* cli_data.c — the dataset options shared by every subcommand. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

const char *CLI_DATA_HELP =
    "Dataset:\n"
    "  --dataset NAME|DIR|synthetic[:K=V,...]  NAME is read from $GNNKD_DATA/NAME\n"
    "                          (default: synthetic)\n"
    "  --data-dir DIR          where NAME is looked up (overrides $GNNKD_DATA)\n"
    "  --raw-features          do not row-normalise the features\n";

int cli_data_option(cli_data *o, int code, const char *arg) {
    switch (code) {
    case 1000: o->dataset = arg; return 1;
    case 1001: o->data_dir = arg; return 1;
    case 1002: o->raw_features = 1; return 1;
    case 1003: o->graph = arg; return 1;
    case 1004: o->format = arg; return 1;
    case 1005: o->features = arg; return 1;
    case 1006: o->labels = arg; return 1;
    case 1007: o->split = arg; return 1;
    case 1008: o->lcc = 1; return 1;
    default: return 0;
    }
}

int cli_open_dataset(gnnkd_dataset **d, const cli_data *o, char *msg) {
    const char *spec = o->dataset ? o->dataset : "synthetic";
    int rc = gnnkd_dataset_open(d, spec, o->data_dir, msg);
    if (rc != GNNKD_OK) return rc;
    if (!o->raw_features) gnnkd_dataset_normalize_features(*d);
    return GNNKD_OK;
}
