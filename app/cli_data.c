/* cli_data.c — the dataset options shared by every subcommand. */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *CLI_DATA_HELP =
    "Dataset:\n"
    "  --dataset NAME|PATH|synthetic[:K=V,...]  NAME is read from $GNNKD_DATA/NAME,\n"
    "                          a PATH (with a '/') directly: a gnnkd folder, an OGB\n"
    "                          folder (raw/edge.csv.gz, split/NAME/) or a .npz file\n"
    "                          (default: synthetic = synthetic:preset=cora; keys: preset=\n"
    "                          cora|scale, nodes, classes, degree, homophily, features,\n"
    "                          snr, seed, train-per-class, val, test)\n"
    "  --data-dir DIR          where NAME is looked up (overrides $GNNKD_DATA)\n"
    "  --graph FILE            a graph file instead of --dataset, read with igraph\n"
    "  --format F              its format: edgelist, ncol, lgl, pajek, graphml, gml, dimacs\n"
    "                          (default: from the extension: .txt .edges .el .ncol .lgl\n"
    "                          .net .paj .graphml .gml .dimacs .max)\n"
    "  --features FILE         node features for --graph: .mtx or .npy, one row per node\n"
    "                          (default: one-hot node ids, or one-hot log-degree buckets\n"
    "                          above " GNNKD_STR(GNNKD_ONE_HOT_MAX_NODES) " nodes)\n"
    "  --labels FILE           node labels for --graph: .npy or text, one class (or -1)\n"
    "                          per line; rows follow the file's node ids (see gnnkd.h)\n"
    "  --lcc                   keep only the largest connected component\n"
    "  --split S               planetoid (the dataset's own split, the default),\n"
    "                          random:T:V:E (T per class, V val, E test) or\n"
    "                          per-class:T:V (T and V per class, the rest test);\n"
    "                          drawn after --lcc\n"
    "  --split-seed N          seed of --split (0)\n"
    "  --setting S             transductive (the default: training sees every node and\n"
    "                          edge) or inductive[:F]: a fraction F (0.2) of the test\n"
    "                          nodes, drawn with --split-seed, is held out with its\n"
    "                          edges; reports tran, ind and prod (see gnnkd.h)\n"
    "  --protocol glnn         GLNN/CPF: --lcc, per-class:20:30 and inductive:0.2 (or\n"
    "                          the --setting given), the split and held-out nodes of\n"
    "                          run k drawn with seed split-seed + k\n"
    "  --raw-features          do not row-normalise the features (features with\n"
    "                          negative values never are)\n";

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
    case 1009: {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(arg, &end, 10);
        /* A bad value is reported here and left unclaimed, so that the
         * caller stops with its usage message and exit code 2. */
        if (errno || end == arg || *end != '\0' || arg[0] == '-') {
            fprintf(stderr, "gnnkd: --split-seed takes a whole number >= 0, got '%s'\n", arg);
            return 0;
        }
        o->split_seed = v;
        return 1;
    }
    case 1010: {
        char msg[GNNKD_MSG_LEN];
        if (gnnkd_setting_parse(&o->setting_kind, &o->setting_fraction, arg, msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd: --setting: %s\n", msg);
            return 0;
        }
        o->setting = arg;
        return 1;
    }
    case 1011:
        if (strcmp(arg, "glnn") != 0) {
            fprintf(stderr, "gnnkd: --protocol '%s': expected glnn\n", arg);
            return 0;
        }
        o->glnn = 1;
        return 1;
    default: return 0;
    }
}

int cli_setting_for_run(gnnkd_setting **s, gnnkd_dataset *d, const cli_data *o, int k, char *msg) {
    if (o->glnn && o->setting) { // the protocol's split per run, the setting given
        gnnkd_setting_free(s);
        uint64_t seed = o->split_seed + (uint64_t)k;
        int rc = gnnkd_dataset_split_per_class(d, GNNKD_GLNN_TRAIN_PER_CLASS,
                                               GNNKD_GLNN_VAL_PER_CLASS, seed, msg);
        if (rc != GNNKD_OK) return rc;
        return gnnkd_setting_new(s, d, o->setting_kind, o->setting_fraction, seed, msg);
    }
    if (o->glnn) {
        gnnkd_setting_free(s);
        return gnnkd_setting_glnn(s, d, o->split_seed + (uint64_t)k, msg);
    }
    if (*s != NULL) return GNNKD_OK;
    return gnnkd_setting_new(s, d, o->setting ? o->setting_kind : GNNKD_SETTING_TRANSDUCTIVE,
                             o->setting_fraction, o->split_seed, msg);
}

void cli_setting_text(char *buf, size_t len, const cli_data *o) {
    if (o->glnn && o->setting && o->setting_kind == GNNKD_SETTING_TRANSDUCTIVE)
        snprintf(buf, len, "glnn (transductive)");
    else if (o->glnn && o->setting) snprintf(buf, len, "glnn (inductive:%g)", o->setting_fraction);
    else if (o->glnn) snprintf(buf, len, "glnn (inductive:%g)", GNNKD_INDUCTIVE_FRACTION);
    else if (o->setting && o->setting_kind == GNNKD_SETTING_INDUCTIVE)
        snprintf(buf, len, "inductive:%g", o->setting_fraction);
    else snprintf(buf, len, "transductive");
}

/* Tells the user what reading a graph file (or a .npz file) changed. */
static void report_edges(const char *file, const gnnkd_graph_counts *c) {
    if (c->directed)
        fprintf(stderr, "gnnkd: %s: directed graph made undirected (%lld reciprocal arc pairs merged)\n",
                file, (long long)c->reciprocal);
    if (c->self_loops || c->duplicates)
        fprintf(stderr, "gnnkd: %s: dropped %lld self loops and %lld duplicate edges\n", file,
                (long long)c->self_loops, (long long)c->duplicates);
}

static void report_graph(const cli_data *o, const gnnkd_dataset *d, const gnnkd_graph_counts *c) {
    report_edges(o->graph, c);
    if (o->features == NULL)
        fprintf(stderr, "gnnkd: %s: no --features: using %s (%d features)\n", o->graph,
                d->n <= GNNKD_ONE_HOT_MAX_NODES ? "one-hot node ids" : "one-hot log-degree buckets", d->nfeat);
}

int cli_open_dataset(gnnkd_dataset **d, const cli_data *o, char *msg) {
    int rc;
    *d = NULL;
    if (o->glnn && o->split) {
        snprintf(msg, GNNKD_MSG_LEN, "--protocol glnn sets the split: drop --split");
        return GNNKD_EINVAL;
    }
    if (o->graph) {
        if (o->dataset) {
            snprintf(msg, GNNKD_MSG_LEN, "--dataset and --graph name two datasets: give one");
            return GNNKD_EINVAL;
        }
        gnnkd_graph_counts counts;
        rc = gnnkd_dataset_load_graph(d, &counts, o->graph, o->format, o->features, o->labels, msg);
        if (rc == GNNKD_OK) report_graph(o, *d, &counts);
    } else {
        if (o->format || o->features || o->labels) {
            snprintf(msg, GNNKD_MSG_LEN, "--%s goes with --graph FILE",
                     o->format ? "format" : o->features ? "features" : "labels");
            return GNNKD_EINVAL;
        }
        const char *spec = o->dataset ? o->dataset : "synthetic";
        size_t len = strlen(spec);
        /* A .npz path is read here to report what it dropped; a NAME.npz
         * goes through gnnkd_dataset_open, which looks it up. */
        if (strchr(spec, '/') != NULL && len > 4 && strcmp(spec + len - 4, ".npz") == 0) {
            gnnkd_graph_counts counts;
            rc = gnnkd_dataset_load_npz(d, &counts, spec, msg);
            if (rc == GNNKD_OK) report_edges(spec, &counts);
        } else {
            rc = gnnkd_dataset_open(d, spec, o->data_dir, msg);
        }
    }
    if (rc == GNNKD_OK && (o->lcc || o->glnn)) rc = gnnkd_dataset_lcc(*d, msg);
    if (rc == GNNKD_OK && o->split) rc = gnnkd_dataset_split(*d, o->split, o->split_seed, msg);
    if (rc == GNNKD_OK && !o->raw_features) rc = gnnkd_dataset_normalize_features(*d, msg);
    if (rc != GNNKD_OK) {
        gnnkd_dataset_free(d);
        if (o->graph) return cli_oom_context(rc, msg, "--graph %s", o->graph);
        return cli_oom_context(rc, msg, "--dataset %s", o->dataset ? o->dataset : "synthetic");
    }
    return GNNKD_OK;
}

int cli_data_for_model(cli_data *data, const gnnkd_model *m, const char *load, char *msg) {
    const gnnkd_feature_norm norm = gnnkd_model_get_feature_norm(m);
    if (data->raw_features && norm != GNNKD_FEATURES_RAW) {
        snprintf(msg, GNNKD_MSG_LEN,
                 "--raw-features contradicts %s, which was trained on %s features and is "
                 "given them that way (drop --raw-features)", load, gnnkd_feature_norm_name(norm));
        return GNNKD_EINVAL;
    }
    data->raw_features = norm == GNNKD_FEATURES_RAW;
    return GNNKD_OK;
}

int cli_features_for_model(gnnkd_dataset *d, const gnnkd_model *m, const char *load,
                           const char *what, char *msg) {
    const gnnkd_feature_norm norm = gnnkd_model_get_feature_norm(m);
    if (norm == d->feature_norm) return GNNKD_OK;
    if (norm == GNNKD_FEATURES_ROW_SUM) {
        int rc = gnnkd_dataset_normalize_features(d, msg);
        if (rc != GNNKD_OK) return rc;
        if (d->feature_norm == norm || d->n == 0) return GNNKD_OK;
        snprintf(msg, GNNKD_MSG_LEN, "%s: negative feature values, but %s was trained on "
                 "row-normalised (non-negative) features", what, load);
        return GNNKD_EDATA;
    }
    snprintf(msg, GNNKD_MSG_LEN, "%s: the features are %s, but %s was trained on %s ones", what,
             gnnkd_feature_norm_name(d->feature_norm), load, gnnkd_feature_norm_name(norm));
    return GNNKD_EINVAL;
}

int cli_position_for_model(gnnkd_dataset **out, const gnnkd_dataset *d, const gnnkd_model *m,
                           const char *load, const char *what, char *msg) {
    int32_t n = 0, dim = 0;
    const float *rows = gnnkd_model_position(m, &n, &dim);
    *out = NULL;
    if (rows == NULL) return GNNKD_OK;
    if (n != d->n) {
        snprintf(msg, GNNKD_MSG_LEN, "%s: position rows of %d nodes, but %s has %d (the student "
                 "reads the rows of the dataset it was distilled on)", load, n, what, d->n);
        return GNNKD_EINVAL;
    }
    return gnnkd_dataset_append_columns(out, d, rows, dim, msg);
}

int cli_require_test_set(const gnnkd_dataset *d, char *msg) {
    if (d->nclass == 0) {
        snprintf(msg, GNNKD_MSG_LEN, "dataset %s has no labels: give --labels FILE with --graph "
                 "(one class, or -1, per node)", d->name);
        return GNNKD_EINVAL;
    }
    if (d->nsplit[GNNKD_TEST] > 0) return GNNKD_OK;
    snprintf(msg, GNNKD_MSG_LEN,
             "dataset %s: the test set is empty, so there is no test accuracy to report: "
             "give test nodes with --split (random:T:V:E or per-class:T:V)", d->name);
    return GNNKD_EINVAL;
}

int cli_oom_context(int status, char *msg, const char *fmt, ...) {
    if (status != GNNKD_ENOMEM) return status;
    char what[256], was[GNNKD_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    snprintf(was, sizeof was, "%s", msg[0] ? msg : "out of memory");
    snprintf(msg, GNNKD_MSG_LEN, "%.200s: %.300s", what, was);
    return status;
}
