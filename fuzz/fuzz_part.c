/* fuzz_part — one part of a partition folder (gnnkd_part_load): the input
 * holds partition.txt, part-0/manifest.txt, nodes.bin, adjacency.bin,
 * features.bin and labels.bin, separated by lines "=====". In the manifest,
 * "@bytesK" and "@crcK" stand for the true size and CRC-32 of binary file K
 * (0..3 in that order), so the fuzzer reaches the contents' checks past the
 * checksums. A binary part is followed by a newline before its separator
 * (as seeds.py writes it), which is not part of the file. */
#include "fuzz.h"

#include <sys/stat.h>
#include <zlib.h>

static const char *const FILES[] = {"partition.txt", "part-0/manifest.txt", "part-0/nodes.bin",
                                    "part-0/adjacency.bin", "part-0/features.bin",
                                    "part-0/labels.bin"};
enum { NFILES = sizeof FILES / sizeof FILES[0] };

/* s with each "@bytesK" / "@crcK" replaced (a new string). */
static char *fill(const char *s, const size_t len[4], const uint32_t crc[4]) {
    size_t n = strlen(s);
    char *out = malloc(n * 3 + 1), *o = out;
    if (out == NULL) abort();
    while (*s) {
        int k;
        if (!strncmp(s, "@bytes", 6) && (k = s[6] - '0') >= 0 && k < 4) {
            o += sprintf(o, "%zu", len[k]);
            s += 7;
        } else if (!strncmp(s, "@crc", 4) && (k = s[4] - '0') >= 0 && k < 4) {
            o += sprintf(o, "%08x", (unsigned)crc[k]);
            s += 5;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *start[NFILES];
    size_t len[NFILES];
    int k = gkd_fuzz_parts(start, len, NFILES, data, size);
    for (int i = k; i < NFILES; i++) start[i] = (const uint8_t *)"", len[i] = 0;
    // a binary part before a separator: the newline ending its line is the separator's
    for (int i = 2; i + 1 < k; i++)
        if (len[i] > 0) len[i]--;
    char sub[300];
    snprintf(sub, sizeof sub, "%s/part-0", gkd_fuzz_folder());
    mkdir(sub, 0777);
    uint32_t crc[4];
    for (int i = 0; i < 4; i++) {
        crc[i] = (uint32_t)crc32(0L, start[2 + i], (uInt)len[2 + i]);
        gkd_fuzz_write(FILES[2 + i], start[2 + i], len[2 + i]);
    }
    char *top = gkd_fuzz_string(start[0], len[0]), *man = gkd_fuzz_string(start[1], len[1]);
    char *filled = fill(man, len + 2, crc);
    gkd_fuzz_write(FILES[0], top, strlen(top));
    gkd_fuzz_write(FILES[1], filled, strlen(filled));
    free(top);
    free(man);
    free(filled);
    char msg[GNNKD_MSG_LEN];
    gnnkd_part *p = NULL;
    int rc = gnnkd_part_load(&p, gkd_fuzz_folder(), 0, msg);
    gkd_fuzz_check_status(rc, msg);
    if (rc == GNNKD_OK) {
        // what a rank then reads: every column and row it was promised
        if (p == NULL || p->ahat.nrows != p->owned || p->ahat.ncols != p->owned + p->halo) abort();
        for (int64_t e = 0; e < gnnkd_csr_nnz(&p->ahat); e++)
            if (p->global[p->ahat.colidx[e]] < 0 || p->global[p->ahat.colidx[e]] >= p->nodes) abort();
        for (int t = 0; t < 3; t++)
            for (int32_t q = 0; q < p->nsplit[t]; q++)
                if (p->label[p->split[t][q]] < 0) abort();
    } else if (p != NULL) {
        abort();
    }
    gnnkd_part_free(&p);
    return 0;
}
