/* fuzz_npz — gnn-benchmark .npz files (gnnkd_dataset_load_npz): the input is
 * the zip itself, read through libzip; the dictionary names the members and
 * the .npy header words, so mutations reach the member checks. */
#include "fuzz.h"

/* What a dataset read without error must hold: the shapes agree, labels
 * and split ids are in range (touched, so the sanitizers see them). */
static void check_dataset(const gnnkd_dataset *d) {
    if (d == NULL || d->n < 0 || d->adj.nrows != d->n) abort();
    if (d->x.rowptr ? d->x.nrows != d->n : d->xdense == NULL && (int64_t)d->n * d->nfeat > 0)
        abort();
    for (int32_t i = 0; i < d->n; i++)
        if (d->label[i] < -1 || d->label[i] >= d->nclass) abort();
    for (int s = 0; s < 3; s++)
        for (int32_t i = 0; i < d->nsplit[s]; i++)
            if (d->split[s][i] < 0 || d->split[s][i] >= d->n) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = gkd_fuzz_write("input.npz", data, size);
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    int rc = gnnkd_dataset_load_npz(&d, &counts, path, msg);
    gkd_fuzz_check_status(rc, msg);
    if (rc == GNNKD_OK) {
        check_dataset(d);
        rc = gnnkd_dataset_normalize_features(d, msg);
        gkd_fuzz_check_status(rc, msg);
    } else if (d != NULL) {
        abort();
    }
    gnnkd_dataset_free(&d);
    return 0;
}
