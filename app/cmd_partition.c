/* cmd_partition.c — `gnnkd partition`: cuts a dataset into parts for
 * distributed training and writes one folder per part (or, with
 * --stats-only, only says what the cut would cost in communication). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void partition_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd partition --parts P --out DIR [options]\n\n"
            "Cuts a dataset into P parts (METIS, or contiguous blocks of node ids) and\n"
            "writes DIR/partition.txt and DIR/part-K/ for K = 0..P-1: each part's nodes,\n"
            "its rows of the normalised adjacency (global degrees) with the halo it\n"
            "reads from other parts, its features, labels and split, and a manifest with\n"
            "each file's size and CRC-32. Prints the edge cut, the halo rows of each\n"
            "part and the bytes a GCN epoch exchanges.\n\n"
            "  --parts P               the number of parts (ranks); with --stats-only a\n"
            "                          list, 2,4,8: one partition each, one load\n"
            "  --method M              metis (default) or contiguous\n"
            "  --out DIR               the partition folder (created)\n"
            "  --stats-only            compute the partition and its statistics, write nothing\n"
            "  --hidden H              the GCN hidden width of the bytes per epoch (64)\n"
            "  --seed N                METIS's seed (1)\n"
            "  --json                  one JSON object on stdout instead of a table\n"
            "  -h, --help              this help\n\n"
            "%s\n"
            "Examples: gnnkd partition --dataset cora --parts 4 --out cora-4\n"
            "          gnnkd partition --dataset pubmed --parts 8 --method contiguous --stats-only\n",
            CLI_DATA_HELP);
}

static int print_json(const gnnkd_dataset *d, const gnnkd_partition_stats *s, int32_t hidden,
                      int64_t bytes, double seconds) {
    cJSON *o = cJSON_CreateObject(), *a, *b;
    if (o == NULL) return GNNKD_ENOMEM;
    char id[20];
    snprintf(id, sizeof id, "%016llx", (unsigned long long)s->id);
    cJSON_AddStringToObject(o, "dataset", d->name);
    cJSON_AddStringToObject(o, "partitioning", id);
    cJSON_AddStringToObject(o, "method", gnnkd_partition_method_name(s->method));
    cJSON_AddNumberToObject(o, "parts", s->parts);
    cJSON_AddNumberToObject(o, "nodes", s->nodes);
    cJSON_AddNumberToObject(o, "edges", (double)s->edges);
    cJSON_AddNumberToObject(o, "edge_cut", (double)s->edge_cut);
    cJSON_AddNumberToObject(o, "halo_total", (double)s->halo_total);
    cJSON_AddNumberToObject(o, "hidden", hidden);
    cJSON_AddNumberToObject(o, "bytes_per_epoch", (double)bytes);
    if ((a = cJSON_AddArrayToObject(o, "owned")) != NULL &&
        (b = cJSON_AddArrayToObject(o, "halo")) != NULL)
        for (int32_t k = 0; k < s->parts; k++) {
            cJSON_AddItemToArray(a, cJSON_CreateNumber(s->owned[k]));
            cJSON_AddItemToArray(b, cJSON_CreateNumber(s->halo[k]));
        }
    cJSON_AddNumberToObject(o, "seconds", seconds);
    int ok = cli_json_puts(o);
    cJSON_Delete(o);
    return ok ? GNNKD_OK : GNNKD_ENOMEM;
}

static void print_table(const gnnkd_dataset *d, const gnnkd_partition_stats *s, int32_t hidden,
                        int64_t bytes, double seconds, const char *out) {
    int32_t hmax = 0, omin = INT32_MAX, omax = 0;
    for (int32_t k = 0; k < s->parts; k++) {
        hmax = s->halo[k] > hmax ? s->halo[k] : hmax;
        omin = s->owned[k] < omin ? s->owned[k] : omin;
        omax = s->owned[k] > omax ? s->owned[k] : omax;
    }
    printf("dataset          %s (%d nodes, %lld edges)\n", d->name, s->nodes, (long long)s->edges);
    printf("partitioning     %016llx: %s, %d parts%s%s\n", (unsigned long long)s->id,
           gnnkd_partition_method_name(s->method), s->parts, out ? ", written to " : "",
           out ? out : "");
    printf("edge cut         %lld (%.2f%% of the edges)\n", (long long)s->edge_cut,
           s->edges ? 100.0 * (double)s->edge_cut / (double)s->edges : 0.0);
    printf("owned            %d..%d nodes a part\n", omin, omax);
    printf("halo             %lld rows in all, at most %d a part (%.1f%% of its owned)\n",
           (long long)s->halo_total, hmax, 100.0 * hmax / (omin > 0 ? omin : 1));
    printf("bytes per epoch  %.3f MB (GCN %d-%d-%d, float rows, forward and backward)\n",
           (double)bytes / 1e6, d->nfeat, hidden, d->nclass);
    if (s->parts <= 16)
        for (int32_t k = 0; k < s->parts; k++)
            printf("  part %-10d owned %d, halo %d\n", k, s->owned[k], s->halo[k]);
    printf("time             %.2f s\n", seconds);
}

int cmd_partition(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"parts", required_argument, 0, 'p'},
        {"method", required_argument, 0, 'm'},
        {"out", required_argument, 0, 'o'},
        {"stats-only", no_argument, 0, 's'},
        {"hidden", required_argument, 0, 'H'},
        {"seed", required_argument, 0, 'S'},
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_data data = {0};
    int json = 0, stats_only = 0, c;
    long hidden = 64, seed = 1, plist[32];
    int nparts = 0;
    const char *out = NULL, *method_name = "metis";
    char msg[GNNKD_MSG_LEN] = "";
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        switch (c) {
        case 'p': { // P or P1,P2,...
            char buf[256], *save = NULL;
            snprintf(buf, sizeof buf, "%s", optarg);
            nparts = 0;
            for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
                if (nparts == 32) {
                    fprintf(stderr, "gnnkd partition: --parts takes at most 32 counts\n");
                    return 2;
                }
                if (!cli_int("partition", "parts", tok, 1, INT32_MAX, &plist[nparts++])) return 2;
            }
            break;
        }
        case 'm': method_name = optarg; break;
        case 'o': out = optarg; break;
        case 's': stats_only = 1; break;
        case 'H':
            if (!cli_int("partition", "hidden", optarg, 1, 1 << 20, &hidden)) return 2;
            break;
        case 'S':
            if (!cli_int("partition", "seed", optarg, 0, INT32_MAX, &seed)) return 2;
            break;
        case 'j': json = 1; break;
        case 'h': partition_help(stdout); return 0;
        default: partition_help(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd partition: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    gnnkd_partition_method method;
    if (gnnkd_partition_method_parse(&method, method_name, msg) != GNNKD_OK)
        return cli_fail("partition", GNNKD_EINVAL, msg);
    if (nparts < 1) return cli_fail("partition", GNNKD_EINVAL, "--parts P is required");
    if (nparts > 1 && !stats_only)
        return cli_fail("partition", GNNKD_EINVAL, "a list of --parts needs --stats-only");
    if (!stats_only && out == NULL)
        return cli_fail("partition", GNNKD_EINVAL, "--out DIR is required (or --stats-only)");

    gnnkd_dataset *d = NULL;
    int32_t *part = NULL;
    gnnkd_partition_stats s = {0};
    double t0 = util_now();
    int rc = cli_open_dataset(&d, &data, msg);
    for (int k = 0; rc == GNNKD_OK && k < nparts; k++) {
        int32_t parts = (int32_t)plist[k];
        double t1 = util_now();
        free(part);
        part = NULL;
        gnnkd_partition_stats_clear(&s);
        rc = gnnkd_partition_compute(&part, d, parts, method, (uint64_t)seed, msg);
        if (rc == GNNKD_OK)
            rc = stats_only ? gnnkd_partition_stats_of(&s, d, part, parts, method, msg)
                            : gnnkd_partition_write(&s, out, d, part, parts, method, msg);
        if (rc != GNNKD_OK) break;
        gnnkd_model_spec spec = {.kind = GNNKD_MODEL_GCN, .nlayers = 2,
                                 .dims = {d->nfeat, (int32_t)hidden, d->nclass}};
        int64_t bytes = gnnkd_partition_epoch_bytes(&s, &spec);
        double secs = util_now() - (k == 0 ? t0 : t1); // the first includes the load
        if (json) {
            rc = print_json(d, &s, (int32_t)hidden, bytes, secs);
            if (rc != GNNKD_OK) snprintf(msg, sizeof msg, "out of memory for the JSON output");
        } else {
            print_table(d, &s, (int32_t)hidden, bytes, secs, stats_only ? NULL : out);
        }
    }
    gnnkd_partition_stats_clear(&s);
    free(part);
    gnnkd_dataset_free(&d);
    return rc == GNNKD_OK ? 0 : cli_fail("partition", rc, msg);
}
