/* fuzz_ogb — OGB node-property folders (gnnkd_dataset_load_ogb): byte 0 is
 * a flag byte, the rest holds the CSV text of the files below in that
 * order, separated by lines "=====". Each part is gzip-compressed here, so
 * the fuzzer mutates the text; bit k of the flag byte writes part k as it is
 * instead (plain text, which zlib reads transparently, or a corrupt gzip
 * stream when it starts with the gzip magic), and bit 7 cuts the end off
 * every compressed part (a truncated stream). Files past the last part are
 * absent; without any split part there is no split/ folder. */
#include "fuzz.h"

#include <sys/stat.h>
#include <zlib.h>

static const char *const FILES[] = {
    "raw/edge.csv.gz",     "raw/node-feat.csv.gz", "raw/node-label.csv.gz",
    "split/x/train.csv.gz", "split/x/valid.csv.gz", "split/x/test.csv.gz",
    "raw/num-node-list.csv.gz"};
enum { NFILES = sizeof FILES / sizeof FILES[0], NFIRST_SPLIT = 3 };

static char path_buf[512];
static const char *in_folder(const char *rel) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", gkd_fuzz_folder(), rel);
    return path_buf;
}

/* part as a gzip member; cut drops the last 8 bytes (the trailer) and a
 * few more of a long stream */
static void write_gzip(const char *rel, const uint8_t *part, size_t len, int cut) {
    uLong cap = compressBound((uLong)len) + 32;
    uint8_t *buf = malloc(cap);
    if (buf == NULL) abort();
    z_stream z;
    memset(&z, 0, sizeof z);
    /* windowBits 15 + 16: a gzip header and trailer */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        abort();
    z.next_in = (Bytef *)part;
    z.avail_in = (uInt)len;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    if (deflate(&z, Z_FINISH) != Z_STREAM_END) abort();
    size_t out = z.total_out;
    deflateEnd(&z);
    if (cut) out = out > 8 + len / 4 ? out - 8 - len / 4 : out / 2;
    gkd_fuzz_write(rel, buf, out);
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    int flags = data[0];
    const uint8_t *start[NFILES];
    size_t len[NFILES];
    int k = gkd_fuzz_parts(start, len, NFILES, data + 1, size - 1);
    /* the folder of the previous input goes: absent files stay absent */
    for (int i = 0; i < NFILES; i++) unlink(in_folder(FILES[i]));
    rmdir(in_folder("split/x"));
    rmdir(in_folder("split"));
    mkdir(in_folder("raw"), 0700);
    if (k > NFIRST_SPLIT) {
        mkdir(in_folder("split"), 0700);
        mkdir(in_folder("split/x"), 0700);
    }
    for (int i = 0; i < k; i++) {
        if (flags & (1 << i))
            gkd_fuzz_write(FILES[i], start[i], len[i]);
        else
            write_gzip(FILES[i], start[i], len[i], flags & 0x80);
    }
    char msg[GNNKD_MSG_LEN];
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    int rc = gnnkd_dataset_load_ogb(&d, &counts, gkd_fuzz_folder(), NULL, msg);
    gkd_fuzz_check_dataset(rc, &d, msg);
    return 0;
}
