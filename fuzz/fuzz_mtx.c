/* fuzz_mtx — MatrixMarket files read as a graph and as a matrix
 * (loaders/mtx.c), the readers behind adjacency.mtx and features.mtx.
 * The reader trusts its callers with the row count (a graph may have many
 * isolated nodes): the dataset folder checks it against labels.txt, graph
 * files against their node count, and fuzz_dir and fuzz_graph fuzz those
 * checks. Here, as there, a file declaring more rows than a caller could
 * accept from a 4 KB input is set aside after its header is read. */
#include "fuzz.h"

#include "loaders/mtx.h"

/* rows a 4 KB labels.txt (a line per node) could describe */
#define ROWS_MAX 4096

static void read_as(int graph, const char *path) {
    char msg[GNNKD_MSG_LEN];
    gkd_text t = {0};
    gkd_mtx_header h;
    gnnkd_csr a = {0};
    int64_t nself = 0;
    int rc = gkd_text_open(&t, path, msg);
    if (rc == GNNKD_OK) rc = gkd_mtx_read_header(&h, &t, msg);
    if (rc == GNNKD_OK && h.nrows > ROWS_MAX) {
        gkd_text_close(&t);
        return;
    }
    if (rc == GNNKD_OK) {
        rc = graph ? gkd_mtx_read_graph(&a, &nself, &t, &h, msg) : gkd_mtx_read_matrix(&a, &t, &h, msg);
        if (rc == GNNKD_OK && (a.nrows != h.nrows || a.ncols != h.ncols)) abort();
        if (rc == GNNKD_OK && graph && (a.nrows != a.ncols || a.val != NULL || nself < 0)) abort();
    }
    gkd_fuzz_check_status(rc, msg);
    gkd_text_close(&t);
    gnnkd_csr_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = gkd_fuzz_write("input.mtx", data, size);
    read_as(1, path);
    read_as(0, path);
    return 0;
}
