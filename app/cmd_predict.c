/* cmd_predict.c — `gnnkd predict`: a saved model's classes and class
 * probabilities for new nodes given by their raw feature rows (and, for a
 * graph model, their edges to a dataset's nodes), through the library's
 * node-level inference. */
#include "cli.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

static void predict_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd predict --load MODEL --features FILE.mtx|.npy [--out FILE.csv|.npy]\n"
            "                     [--dataset D --edges FILE]\n\n"
            "Predicts the class of new nodes from their RAW feature rows (the columns of the\n"
            "training data); the model file says how its training features were normalised,\n"
            "and the same is done to these rows. One output row a node, in the order of\n"
            "the feature rows: node (the row, from 0), class, then the probability of each\n"
            "class. An MLP needs nothing else; a graph model (gcn) also needs the dataset\n"
            "it knows and the new nodes' edges to it; a student with position features\n"
            "(distill --position, --recipe nosmog) the new nodes' edges to the nodes it\n"
            "knows (the model file holds their position rows; a new node gets the mean of\n"
            "its known neighbours' rows, the known nodes' mean without one).\n\n"
            "  --load PATH             the model file (gnnkd train/distill --save)\n"
            "  --features FILE         the new nodes' raw features: .mtx or .npy, one row a node\n"
            "  --out FILE              .csv (header node,class,p0,p1,...) or .npy (float32,\n"
            "                          rows x (2 + classes), the same columns); default: CSV\n"
            "                          on stdout\n"
            "  --dataset NAME|DIR      graph models: the known nodes (see gnnkd train --help)\n"
            "  --data-dir DIR          where NAME is looked up (overrides $GNNKD_DATA)\n"
            "  --edges FILE            graph models and position students: lines 'NEW KNOWN',\n"
            "                          NEW a row of --features, KNOWN a node of --dataset (of\n"
            "                          the distilled dataset, in its numbering); '#' comments\n"
            "  --threads N             threads (0: all cores)\n\n"
            "Example: gnnkd predict --load student.model --features new.mtx --out new.csv\n");
}

/* Writes rows (node, class, probabilities) as CSV to f. */
static void put_csv(FILE *f, const float *prob, int32_t k, int32_t C) {
    fputs("node,class", f);
    for (int32_t c = 0; c < C; c++) fprintf(f, ",p%d", c);
    fputc('\n', f);
    for (int32_t i = 0; i < k; i++) {
        const float *p = prob + (int64_t)i * C;
        int32_t best = 0;
        for (int32_t c = 1; c < C; c++)
            if (p[c] > p[best]) best = c;
        fprintf(f, "%d,%d", i, best);
        for (int32_t c = 0; c < C; c++) fprintf(f, ",%.6g", (double)p[c]);
        fputc('\n', f);
    }
}

static int write_output(const char *out, const float *prob, int32_t k, int32_t C, char *msg) {
    float *table = NULL;
#define UTIL_FREE_ALL free(table)
    if (out && strlen(out) > 4 && !strcmp(out + strlen(out) - 4, ".npy")) {
        UTIL_ALLOC(table, (int64_t)k * (C + 2));
        for (int32_t i = 0; i < k; i++) {
            float *row = table + (int64_t)i * (C + 2);
            const float *p = prob + (int64_t)i * C;
            int32_t best = 0;
            for (int32_t c = 1; c < C; c++)
                if (p[c] > p[best]) best = c;
            row[0] = (float)i, row[1] = (float)best;
            memcpy(row + 2, p, sizeof *p * (size_t)C);
        }
        UTIL_TRY(gnnkd_npy_write(out, table, k, C + 2, msg));
    } else if (out) {
        char state[GNNKD_OUTPUT_STATE_LEN];
        FILE *f;
        UTIL_TRY(gnnkd_output_open(&f, state, out, msg));
        put_csv(f, prob, k, C);
        UTIL_TRY(gnnkd_output_close(f, state, out, 1, msg));
    } else {
        put_csv(stdout, prob, k, C);
        UTIL_CHECK(fflush(stdout) == 0 && !ferror(stdout), GNNKD_EIO, "stdout: write failed");
    }
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

typedef struct {
    const char *load, *features, *out, *edges;
    cli_data data;
} predict_opts;

/* The new nodes' logits (k, C) into prob, then their probabilities. */
static int predict(const predict_opts *o, int32_t *nnew, int32_t *nclass, float **prob, char *msg) {
    gnnkd_model *m = NULL;
    gnnkd_dataset *add = NULL, *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_infer *w = NULL;
    int32_t *u = NULL, *v = NULL, *nodes = NULL;
    float *logits = NULL;
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_model_free(&m);                                                             \
        gnnkd_dataset_free(&add);                                                         \
        gnnkd_dataset_free(&d);                                                           \
        gnnkd_graph_free(&g);                                                             \
        gnnkd_infer_free(&w);                                                             \
        free(u), free(v), free(nodes), free(logits);                                      \
    } while (0)
    UTIL_TRY(gnnkd_model_load(&m, o->load, msg));
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    int32_t pn = 0, pdim = 0;
    const int position = gnnkd_model_position(m, &pn, &pdim) != NULL;
    const int32_t F = s->dims[0] - pdim, C = s->dims[s->nlayers];
    const int graph_model = s->kind != GNNKD_MODEL_MLP;
    UTIL_CHECK(graph_model || !position || (o->data.dataset == NULL && o->edges != NULL),
               GNNKD_EINVAL, "%s is an MLP with position features: it needs the new nodes' edges "
               "to the %d nodes it knows (--edges FILE), not --dataset", o->load, pn);
    UTIL_CHECK(graph_model || position || (o->data.dataset == NULL && o->edges == NULL),
               GNNKD_EINVAL,
               "%s is an MLP: it predicts from the feature rows alone (drop --dataset and --edges)",
               o->load);
    UTIL_CHECK(!graph_model || !position, GNNKD_EINVAL, "%s: a %s model with position features: "
               "only MLP students are served with them", o->load, gnnkd_model_kind_name(s->kind));
    UTIL_CHECK(!graph_model || (o->data.dataset != NULL && o->edges != NULL), GNNKD_EINVAL,
               "%s is a graph model: it needs the dataset it knows (--dataset) and the new "
               "nodes' edges to it (--edges FILE)", o->load);
    UTIL_TRY(gnnkd_features_read(&add, o->features, F, msg));
    UTIL_TRY(cli_features_for_model(add, m, o->load, o->features, msg));
    const int32_t k = add->n;
    UTIL_ALLOC(nodes, k);
    UTIL_ALLOC(logits, (int64_t)k * C);
    UTIL_TRY(gnnkd_infer_new(&w, msg));
    if (graph_model) {
        cli_data data = o->data;
        UTIL_TRY(cli_data_for_model(&data, m, o->load, msg));
        UTIL_TRY(cli_open_dataset(&d, &data, msg));
        UTIL_TRY(cli_features_for_model(d, m, o->load, d->name, msg));
        UTIL_CHECK(d->nfeat == F && d->nclass == C, GNNKD_EINVAL,
                   "%s: the model maps %d features to %d classes; dataset %s has %d and %d",
                   o->load, F, C, d->name, d->nfeat, d->nclass);
        int64_t ne = 0;
        UTIL_TRY(gnnkd_edges_read(&u, &v, &ne, o->edges, k, d->n, msg));
        const int32_t n = d->n;
        UTIL_TRY(gnnkd_dataset_append(d, add, u, v, ne, msg));
        UTIL_TRY(gnnkd_graph_new(&g, &d->adj, msg));
        for (int32_t i = 0; i < k; i++) nodes[i] = n + i;
        UTIL_TRY(gnnkd_model_forward_nodes(logits, NULL, w, m, d, g, nodes, k, msg));
    } else {
        if (position) { // the features, then each node's known neighbours' mean row
            gnnkd_dataset *both = NULL;
            float *prow = NULL;
            int64_t ne = 0;
            UTIL_TRY(gnnkd_edges_read(&u, &v, &ne, o->edges, k, pn, msg));
            UTIL_ALLOC(prow, (int64_t)k * pdim);
            int rc = gnnkd_model_position_rows(prow, m, k, u, v, ne, msg);
            if (rc == GNNKD_OK) rc = gnnkd_dataset_append_columns(&both, add, prow, pdim, msg);
            free(prow);
            UTIL_TRY(rc);
            gnnkd_dataset_free(&add);
            add = both;
        }
        add->nclass = C;
        for (int32_t i = 0; i < k; i++) nodes[i] = i;
        UTIL_TRY(gnnkd_model_forward_nodes(logits, NULL, w, m, add, NULL, nodes, k, msg));
    }
    gnnkd_softmax(logits, logits, k, C, 1.0f);
    *prob = logits;
    logits = NULL;
    *nnew = k;
    *nclass = C;
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

int cmd_predict(int argc, char **argv) {
    static const struct option opts[] = {
        {"load", required_argument, 0, 'l'},
        {"features", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},
        {"dataset", required_argument, 0, 'd'},
        {"data-dir", required_argument, 0, 'D'},
        {"edges", required_argument, 0, 'e'},
        {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    predict_opts o;
    memset(&o, 0, sizeof o);
    long threads = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': o.load = optarg; break;
        case 'f': o.features = optarg; break;
        case 'o': o.out = optarg; break;
        case 'd': o.data.dataset = optarg; break;
        case 'D': o.data.data_dir = optarg; break;
        case 'e': o.edges = optarg; break;
        case 't':
            if (!cli_int("predict", "threads", optarg, 0, 4096, &threads)) return 2;
            break;
        case 'h': predict_help(stdout); return 0;
        default: predict_help(stderr); return 2;
        }
    }
    if (o.load == NULL || o.features == NULL || optind < argc) {
        fprintf(stderr, "gnnkd predict: %s (see --help)\n",
                optind < argc ? "unexpected argument" : "--load MODEL and --features FILE are required");
        return 2;
    }
    gnnkd_set_threads((int)threads);
    char msg[GNNKD_MSG_LEN] = "";
    float *prob = NULL;
    int32_t k = 0, C = 0;
    int rc = predict(&o, &k, &C, &prob, msg);
    if (rc == GNNKD_OK) rc = write_output(o.out, prob, k, C, msg);
    free(prob);
    return rc == GNNKD_OK ? 0 : cli_fail("predict", rc, msg);
}
