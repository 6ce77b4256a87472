/* fuzz_model — model files (gnnkd_model_load). The harness writes the right
 * CRC-32 into the last four bytes, so that the fuzzer reaches the shape and
 * parameter checks instead of stopping at the checksum. */
#include "fuzz.h"

#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    uint8_t *buf = malloc(size + 1);
    if (buf == NULL) abort();
    memcpy(buf, data, size);
    if (size >= 4) {
        uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)(size - 4));
        for (int b = 0; b < 4; b++) buf[size - 4 + b] = (uint8_t)(crc >> (8 * b));
    }
    const char *path = gkd_fuzz_write("input.gnnkd", buf, size);
    free(buf);
    char msg[GNNKD_MSG_LEN];
    gnnkd_model *m = NULL;
    int rc = gnnkd_model_load(&m, path, msg);
    gkd_fuzz_check_status(rc, msg);
    if (rc == GNNKD_OK) {
        if (m == NULL || gnnkd_model_num_params(m) <= 0) abort();
        char text[128];
        gnnkd_model_spec_format(text, sizeof text, gnnkd_model_get_spec(m));
    }
    gnnkd_model_free(&m);
    return 0;
}
