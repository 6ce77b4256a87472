/* cmd_info.c — `gnnkd info`: what a dataset looks like (size, degrees,
 * components, clustering, homophily, classes, features, split). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static void info_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd info [options]\n\n"
            "Describes a dataset: nodes, undirected edges, isolated nodes, degrees,\n"
            "connected components, mean local clustering (nodes of degree < 2 count as 0),\n"
            "edge homophily (the fraction of edges between two labelled nodes that join\n"
            "the same class), classes, features and split sizes.\n\n"
            "  --json                  one JSON object on stdout instead of a table\n"
            "  -h, --help              this help\n\n"
            "%s\n"
            "Examples: gnnkd info --dataset cora\n"
            "          gnnkd info --graph karate.gml --json\n",
            CLI_DATA_HELP);
}

static void print_table(const gnnkd_dataset *d, const gnnkd_stats *s, double t_load,
                        double t_stats) {
    printf("dataset          %s\n", d->name);
    printf("nodes            %d\n", s->nodes);
    printf("edges            %lld (undirected)\n", (long long)s->edges);
    printf("isolated nodes   %d\n", s->isolated);
    printf("degree           min %d, median %g, mean %.3f, max %d\n", s->degree_min,
           s->degree_median, s->degree_mean, s->degree_max);
    printf("components       %d, the largest with %d nodes (%.1f%%)\n", s->components,
           s->largest_component, s->nodes ? 100.0 * s->largest_component / s->nodes : 0.0);
    printf("clustering       %.4f (mean local coefficient, degree < 2 counted as 0)\n",
           s->clustering);
    if (isnan(s->edge_homophily))
        printf("edge homophily   - (no edge joins two labelled nodes)\n");
    else
        printf("edge homophily   %.4f (over %lld edges between labelled nodes)\n",
               s->edge_homophily, (long long)s->labelled_edges);
    printf("classes          %d, %d of %d nodes labelled\n", s->nclass, s->labelled, s->nodes);
    for (int32_t c = 0; c < s->nclass; c++)
        printf("  class %-8d %d (%.1f%%)\n", c, s->class_count[c],
               s->labelled ? 100.0 * s->class_count[c] / s->labelled : 0.0);
    printf("features         %d %s, %lld nonzeros, density %.4g\n", s->nfeat,
           s->dense_features ? "dense" : "sparse", (long long)s->feature_nnz, s->feature_density);
    printf("split            train %d, val %d, test %d\n", s->nsplit[0], s->nsplit[1],
           s->nsplit[2]);
    printf("time             load %.2f s, statistics %.2f s, peak RSS %.0f MiB\n", t_load,
           t_stats, util_peak_rss_mb());
}

static int print_json(const gnnkd_dataset *d, const gnnkd_stats *s, double t_load,
                      double t_stats) {
    cJSON *o = cJSON_CreateObject(), *a;
    if (o == NULL) return GNNKD_ENOMEM;
    cJSON_AddStringToObject(o, "dataset", d->name);
    cJSON_AddNumberToObject(o, "nodes", s->nodes);
    cJSON_AddNumberToObject(o, "edges", (double)s->edges);
    cJSON_AddNumberToObject(o, "isolated", s->isolated);
    cJSON_AddNumberToObject(o, "degree_min", s->degree_min);
    cJSON_AddNumberToObject(o, "degree_median", s->degree_median);
    cJSON_AddNumberToObject(o, "degree_mean", s->degree_mean);
    cJSON_AddNumberToObject(o, "degree_max", s->degree_max);
    cJSON_AddNumberToObject(o, "components", s->components);
    cJSON_AddNumberToObject(o, "largest_component", s->largest_component);
    cJSON_AddNumberToObject(o, "clustering", s->clustering);
    if (isnan(s->edge_homophily)) cJSON_AddNullToObject(o, "edge_homophily");
    else cJSON_AddNumberToObject(o, "edge_homophily", s->edge_homophily);
    cJSON_AddNumberToObject(o, "labelled_edges", (double)s->labelled_edges);
    cJSON_AddNumberToObject(o, "classes", s->nclass);
    cJSON_AddNumberToObject(o, "labelled", s->labelled);
    if ((a = cJSON_AddArrayToObject(o, "class_counts")) != NULL)
        for (int32_t c = 0; c < s->nclass; c++)
            cJSON_AddItemToArray(a, cJSON_CreateNumber(s->class_count[c]));
    cJSON_AddNumberToObject(o, "features", s->nfeat);
    cJSON_AddBoolToObject(o, "dense_features", s->dense_features);
    cJSON_AddNumberToObject(o, "feature_nnz", (double)s->feature_nnz);
    cJSON_AddNumberToObject(o, "feature_density", s->feature_density);
    cJSON_AddNumberToObject(o, "train", s->nsplit[0]);
    cJSON_AddNumberToObject(o, "val", s->nsplit[1]);
    cJSON_AddNumberToObject(o, "test", s->nsplit[2]);
    cJSON_AddNumberToObject(o, "load_seconds", t_load);
    cJSON_AddNumberToObject(o, "stats_seconds", t_stats);
    cJSON_AddNumberToObject(o, "peak_rss_mb", util_peak_rss_mb());
    int ok = cli_json_puts(o);
    cJSON_Delete(o);
    return ok ? GNNKD_OK : GNNKD_ENOMEM;
}

int cmd_info(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"json", no_argument, 0, 'j'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_data data = {0};
    int json = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        switch (c) {
        case 'j': json = 1; break;
        case 'h': info_help(stdout); return 0;
        default: info_help(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd info: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    data.raw_features = 1; /* scaling rows changes no statistic */

    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    gnnkd_stats s = {0};
    double t0 = util_now();
    int rc = cli_open_dataset(&d, &data, msg);
    double t1 = util_now();
    if (rc == GNNKD_OK) rc = gnnkd_dataset_stats(&s, d, msg);
    double t2 = util_now();
    if (rc == GNNKD_OK) {
        if (json) rc = print_json(d, &s, t1 - t0, t2 - t1);
        else print_table(d, &s, t1 - t0, t2 - t1);
        if (rc != GNNKD_OK) snprintf(msg, sizeof msg, "out of memory for the JSON output");
    }
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
    return rc == GNNKD_OK ? 0 : cli_fail("info", rc, msg);
}
