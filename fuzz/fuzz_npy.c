/* fuzz_npy — .npy files (loaders/npy.c): features, labels, teacher logits. */
#include "fuzz.h"

static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const char *path = gkd_fuzz_write("input.npy", data, size);
    char msg[GNNKD_MSG_LEN];
    float *a = NULL;
    int64_t rows = -1, cols = -1;
    int rc = gnnkd_npy_read(&a, &rows, &cols, path, msg);
    gkd_fuzz_check_status(rc, msg);
    if (rc == GNNKD_OK) {
        if (rows < 0 || cols < 0 || (rows * cols > 0 && a == NULL)) abort();
        /* every value must have come from the file: touch them all */
        for (int64_t i = 0; i < rows * cols; i++) sink = a[i];
    }
    free(a);
    return 0;
}
