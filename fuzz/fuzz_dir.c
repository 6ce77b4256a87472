/* fuzz_dir — dataset folders (gnnkd_dataset_load_dir): the input holds the
 * seven files in the order below, separated by lines "=====" (missing parts
 * are empty files). Covers the cross-file checks: labels against nodes,
 * split ids against labels, classes against labels. */
#include "fuzz.h"

static const char *const FILES[] = {"adjacency.mtx", "features.mtx", "labels.txt", "train.txt",
                                    "val.txt",       "test.txt",     "classes.txt"};
enum { NFILES = sizeof FILES / sizeof FILES[0] };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *start[NFILES];
    size_t len[NFILES];
    int k = gkd_fuzz_parts(start, len, NFILES, data, size);
    for (int i = 0; i < NFILES; i++)
        gkd_fuzz_write(FILES[i], i < k ? start[i] : (const uint8_t *)"", i < k ? len[i] : 0);
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_dir(&d, gkd_fuzz_folder(), msg);
    gkd_fuzz_check_dataset(rc, &d, msg);
    return 0;
}
