/* fuzz_graph — graph files read through igraph (gnnkd_dataset_load_graph),
 * with optional features (.mtx) and labels (text). The first byte picks the
 * format; the rest is the graph file, then the features and the labels,
 * separated by lines "=====" (an absent or empty part is not passed). */
#include "fuzz.h"

static const char *const FORMATS[] = {"edgelist", "ncol", "lgl", "pajek", "graphml", "gml", "dimacs"};
enum { NFORMATS = sizeof FORMATS / sizeof FORMATS[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    const char *format = FORMATS[data[0] % NFORMATS];
    const uint8_t *start[3];
    size_t len[3];
    int k = gkd_fuzz_parts(start, len, 3, data + 1, size - 1);
    const char *graph = gkd_fuzz_write("graph", start[0], len[0]);
    const char *features = k > 1 && len[1] > 0 ? gkd_fuzz_write("features.mtx", start[1], len[1]) : NULL;
    const char *labels = k > 2 && len[2] > 0 ? gkd_fuzz_write("labels.txt", start[2], len[2]) : NULL;
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    int rc = gnnkd_dataset_load_graph(&d, &counts, graph, format, features, labels, msg);
    gkd_fuzz_check_status(rc, msg);
    if (rc == GNNKD_OK && (d == NULL || d->adj.nrows != d->n || counts.edges < 0)) abort();
    gnnkd_dataset_free(&d);
    return 0;
}
