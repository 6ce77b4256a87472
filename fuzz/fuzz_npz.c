/* fuzz_npz — gnn-benchmark .npz files (gnnkd_dataset_load_npz): the input is
 * the zip itself, read through libzip; the dictionary names the members and
 * the .npy header words, so mutations reach the member checks. */
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = gkd_fuzz_write("input.npz", data, size);
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    int rc = gnnkd_dataset_load_npz(&d, &counts, path, msg);
    gkd_fuzz_check_dataset(rc, &d, msg);
    return 0;
}
