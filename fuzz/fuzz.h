/* fuzz.h — what every libFuzzer harness shares: the input written to a file
 * in a private temporary folder, for the readers that take a path. */
#ifndef GKD_FUZZ_H
#define GKD_FUZZ_H

#include "gnnkd.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The folder, made once per process and removed at exit with what is in it. */
static char gkd_fuzz_dir[256];

static inline void gkd_fuzz_cleanup(void) {
    char cmd[300];
    if (gkd_fuzz_dir[0] == '\0') return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", gkd_fuzz_dir);
    if (system(cmd) != 0) fprintf(stderr, "fuzz: could not remove %s\n", gkd_fuzz_dir);
}

static inline const char *gkd_fuzz_folder(void) {
    if (gkd_fuzz_dir[0] == '\0') {
        const char *tmp = getenv("TMPDIR");
        snprintf(gkd_fuzz_dir, sizeof gkd_fuzz_dir, "%s/gnnkd-fuzz-XXXXXX",
                 tmp && *tmp ? tmp : "/tmp");
        if (mkdtemp(gkd_fuzz_dir) == NULL) {
            perror("fuzz: mkdtemp");
            abort();
        }
        atexit(gkd_fuzz_cleanup);
    }
    return gkd_fuzz_dir;
}

/* Writes data to NAME in the folder; the path stays valid for 3 more calls. */
static inline const char *gkd_fuzz_write(const char *name, const void *data, size_t size) {
    static char path[4][320];
    static int next = 0;
    char *p = path[next++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", gkd_fuzz_folder(), name);
    FILE *f = fopen(p, "wb");
    if (f == NULL || (size > 0 && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(p);
        abort();
    }
    return p;
}

/* A NUL-terminated copy of data (free with free()). */
static inline char *gkd_fuzz_string(const uint8_t *data, size_t size) {
    char *s = malloc(size + 1);
    if (s == NULL) abort();
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

/* The library must fill msg on failure and never return garbage statuses.
 * GNNKD_FUZZ_VERBOSE=1 prints each outcome (to see what a file does). */
static inline void gkd_fuzz_check_status(int rc, const char *msg) {
    if (getenv("GNNKD_FUZZ_VERBOSE"))
        fprintf(stderr, "fuzz: %s%s%s\n", gnnkd_status_name(rc), rc ? ": " : "", rc ? msg : "");
    if (rc < GNNKD_OK || rc > GNNKD_EINTERNAL) {
        fprintf(stderr, "fuzz: status %d out of range\n", rc);
        abort();
    }
    if (rc != GNNKD_OK && msg[0] == '\0') {
        fprintf(stderr, "fuzz: status %s without a message\n", gnnkd_status_name(rc));
        abort();
    }
}

/* The outcome of a dataset reader: a failure leaves d NULL; a dataset read
 * without error has agreeing shapes, labels and split ids in range (touched,
 * so the sanitizers see them) and survives feature normalisation. Frees d. */
static inline void gkd_fuzz_check_dataset(int rc, gnnkd_dataset **dp, char *msg) {
    gnnkd_dataset *d = *dp;
    gkd_fuzz_check_status(rc, msg);
    if (rc != GNNKD_OK) {
        if (d != NULL) abort();
        return;
    }
    if (d == NULL || d->n < 0 || d->adj.nrows != d->n) abort();
    if (d->x.rowptr ? d->x.nrows != d->n : d->xdense == NULL && (int64_t)d->n * d->nfeat > 0)
        abort();
    for (int32_t i = 0; i < d->n; i++)
        if (d->label[i] < -1 || d->label[i] >= d->nclass) abort();
    for (int s = 0; s < 3; s++)
        for (int32_t i = 0; i < d->nsplit[s]; i++)
            if (d->split[s][i] < 0 || d->split[s][i] >= d->n) abort();
    gkd_fuzz_check_status(gnnkd_dataset_normalize_features(d, msg), msg);
    gnnkd_dataset_free(dp);
}

/* Splits data at the lines "=====" (the separator SEP): part k is
 * [start[k], start[k] + len[k]), each keeping its last newline. Returns the
 * number of parts found (at most max; the last one takes the rest). */
#define GKD_FUZZ_SEP "\n=====\n"
static inline int gkd_fuzz_parts(const uint8_t *start[], size_t len[], int max, const uint8_t *data,
                          size_t size) {
    const size_t seplen = sizeof GKD_FUZZ_SEP - 1;
    int k = 0;
    while (k < max - 1) {
        start[k] = data;
        if (size >= seplen - 1 && memcmp(data, &GKD_FUZZ_SEP[1], seplen - 1) == 0) {
            len[k++] = 0; /* an empty part: the separator starts the rest */
            size -= seplen - 1;
            data += seplen - 1;
            continue;
        }
        const uint8_t *sep = memmem(data, size, GKD_FUZZ_SEP, seplen);
        if (sep == NULL) break;
        len[k++] = (size_t)(sep - data) + 1;
        size -= (size_t)(sep - data) + seplen;
        data = sep + seplen;
    }
    start[k] = data;
    len[k++] = size;
    return k;
}

#endif /* GKD_FUZZ_H */
