/* npy.c — NumPy .npy files: float32 matrices out, float32/float64 vectors
 * and matrices in (format versions 1.0, 2.0, 3.0; little-endian, C order). */
#include "loaders/mtx.h"
#include "loaders/npy.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static const char NPY_MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

static int host_is_little_endian(void) {
    const uint16_t one = 1;
    return *(const uint8_t *)&one == 1;
}

static void swap_bytes(void *p, size_t width) {
    uint8_t *b = p;
    for (size_t k = 0; k < width / 2; k++) {
        uint8_t c = b[k];
        b[k] = b[width - 1 - k];
        b[width - 1 - k] = c;
    }
}

gnnkd_status gnnkd_npy_write(const char *path, const float *a, int64_t rows, int64_t cols, char *msg) {
    GKD_CLEAR_MSG;
    if (rows < 0 || cols < 0 || (rows > 0 && cols > 0 && a == NULL)) {
        gkd_msg(msg, "%s: expected a (rows, cols) array, found shape (%lld, %lld)", path,
               (long long)rows, (long long)cols);
        return GNNKD_EINVAL;
    }
    /* Version 1.0: magic, 2 version bytes, a little-endian uint16 header
     * length, then the header, padded with spaces and ended by '\n' so that
     * the data starts at a multiple of 64 bytes, as numpy writes it. */
    char header[256];
    int len = snprintf(header, sizeof header,
                       "{'descr': '<f4', 'fortran_order': False, 'shape': (%lld, %lld), }",
                       (long long)rows, (long long)cols);
    int total = 10 + len + 1;
    int padded = (total + 63) / 64 * 64;
    memset(header + len, ' ', (size_t)(padded - total));
    header[padded - 10 - 1] = '\n';
    uint16_t hlen = (uint16_t)(padded - 10);
    uint8_t pre[10];
    memcpy(pre, NPY_MAGIC, 6);
    pre[6] = 1;
    pre[7] = 0;
    pre[8] = (uint8_t)(hlen & 0xff);
    pre[9] = (uint8_t)(hlen >> 8);

    char tmp[4096];
    FILE *f = gkd_open_tmp(path, tmp, sizeof tmp, msg);
    if (f == NULL) return GNNKD_EIO;
    int ok = fwrite(pre, 1, 10, f) == 10 && fwrite(header, 1, hlen, f) == hlen;
    int64_t count = rows * cols;
    if (host_is_little_endian()) {
        ok = ok && (count == 0 || fwrite(a, sizeof *a, (size_t)count, f) == (size_t)count);
    } else {
        for (int64_t k = 0; k < count && ok; k++) {
            float v = a[k];
            swap_bytes(&v, sizeof v);
            ok = fwrite(&v, sizeof v, 1, f) == 1;
        }
    }
    if (!ok) {
        gkd_msg(msg, "%s: write failed: %s", path, strerror(errno));
        gkd_commit_file(f, tmp, path, 0, NULL); /* removes the temporary file */
        return GNNKD_EIO;
    }
    return gkd_commit_file(f, tmp, path, 1, msg);
}

/* ---- reading the header: a Python dict literal ------------------------------ */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_space(cursor *c) {
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n')) c->p++;
}

static int eat(cursor *c, char ch) {
    skip_space(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string (' or ") into buf. */
static int read_str(cursor *c, char *buf, size_t len) {
    skip_space(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"')) return 0;
    char q = *c->p++;
    size_t n = 0;
    while (c->p < c->end && *c->p != q) {
        if (n + 1 >= len) return 0;
        buf[n++] = *c->p++;
    }
    if (c->p >= c->end) return 0;
    c->p++;
    buf[n] = '\0';
    return 1;
}

static int read_word(cursor *c, const char *w) {
    skip_space(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    c->p += n;
    return 1;
}

/* A non-negative integer (numpy may write it with an 'L' suffix in old files). */
static int read_dim(cursor *c, int64_t *v) {
    skip_space(c);
    if (c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
    int64_t x = 0;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        if (x > (INT64_MAX - 9) / 10) return 0;
        x = 10 * x + (*c->p++ - '0');
    }
    if (c->p < c->end && *c->p == 'L') c->p++;
    *v = x;
    return 1;
}

/* The shape tuple: "()", "(3,)", "(3, 4)" (a trailing comma allowed). */
static int read_shape(cursor *c, int64_t *dims, int *ndim) {
    if (!eat(c, '(')) return 0;
    *ndim = 0;
    while (!eat(c, ')')) {
        if (*ndim == 8 || !read_dim(c, &dims[*ndim])) return 0;
        (*ndim)++;
        if (!eat(c, ',')) return eat(c, ')');
    }
    return 1;
}

/* Parses the header dict; bad is set to what was wrong. */
static int parse_header(cursor *c, char *descr, size_t dlen, int *fortran, int64_t *dims,
                        int *ndim, const char **bad) {
    int have = 0; /* bits: 1 descr, 2 fortran_order, 4 shape */
    *bad = "a dict {'descr': ..., 'fortran_order': ..., 'shape': ...}";
    if (!eat(c, '{')) return 0;
    while (!eat(c, '}')) {
        char key[32];
        if (!read_str(c, key, sizeof key) || !eat(c, ':')) return 0;
        if (strcmp(key, "descr") == 0) {
            if (!read_str(c, descr, dlen)) return 0;
            have |= 1;
        } else if (strcmp(key, "fortran_order") == 0) {
            if (read_word(c, "True"))
                *fortran = 1;
            else if (read_word(c, "False"))
                *fortran = 0;
            else
                return 0;
            have |= 2;
        } else if (strcmp(key, "shape") == 0) {
            *bad = "a shape tuple of non-negative integers";
            if (!read_shape(c, dims, ndim)) return 0;
            *bad = "a dict {'descr': ..., 'fortran_order': ..., 'shape': ...}";
            have |= 4;
        } else {
            return 0;
        }
        if (!eat(c, ',')) {
            if (!eat(c, '}')) return 0;
            break;
        }
    }
    *bad = "the keys 'descr', 'fortran_order' and 'shape'";
    return have == 7;
}

gnnkd_status gnnkd_npy_read(float **a, int64_t *rows, int64_t *cols, const char *path, char *msg) {
    GKD_CLEAR_MSG;
    FILE *f = NULL;
    char *header = NULL;
    void *raw = NULL;
    float *out = NULL;
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (f) fclose(f);                                                                 \
        free(header);                                                                     \
        free(raw);                                                                        \
        free(out);                                                                        \
    } while (0)
    *a = NULL;
    *rows = *cols = 0;
    f = fopen(path, "rb");
    GKD_CHECK(f != NULL, GNNKD_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    GKD_CHECK(fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode), GNNKD_EIO,
             "%s: not a regular file", path);
    int64_t size = (int64_t)st.st_size;

    uint8_t pre[12];
    GKD_CHECK(size >= 10 && fread(pre, 1, 10, f) == 10 && memcmp(pre, NPY_MAGIC, 6) == 0,
             GNNKD_EDATA, "%s: expected a .npy file (magic \\x93NUMPY), found other bytes", path);
    int major = pre[6];
    int64_t hlen, start;
    if (major == 1) {
        hlen = pre[8] | (int64_t)pre[9] << 8;
        start = 10;
    } else if (major == 2 || major == 3) {
        GKD_CHECK(fread(pre + 10, 1, 2, f) == 2, GNNKD_EDATA,
                 "%s: expected a .npy header length, found the end of the file", path);
        hlen = pre[8] | (int64_t)pre[9] << 8 | (int64_t)pre[10] << 16 | (int64_t)pre[11] << 24;
        start = 12;
    } else {
        GKD_FAIL(GNNKD_EDATA, "%s: expected .npy format version 1, 2 or 3, found %d.%d", path,
                major, pre[7]);
    }
    GKD_CHECK(hlen <= size - start, GNNKD_EDATA,
             "%s: expected a header of %lld bytes, found a file of %lld bytes", path,
             (long long)hlen, (long long)size);
    GKD_ALLOC(header, hlen + 1);
    GKD_CHECK(fread(header, 1, (size_t)hlen, f) == (size_t)hlen, GNNKD_EIO,
             "%s: read failed in the header", path);

    char descr[32] = "";
    int fortran = 0, ndim = 0;
    int64_t dims[8];
    const char *bad;
    cursor c = {header, header + hlen};
    GKD_CHECK(parse_header(&c, descr, sizeof descr, &fortran, dims, &ndim, &bad), GNNKD_EDATA,
             "%s: expected in the header %s, found \"%.*s\"", path, bad,
             (int)(hlen < 200 ? hlen : 200), header);
    int width = strcmp(descr, "<f4") == 0 ? 4 : strcmp(descr, "<f8") == 0 ? 8 : 0;
    GKD_CHECK(width != 0, GNNKD_EDATA, "%s: expected dtype '<f4' or '<f8', found '%s'", path,
             descr);
    GKD_CHECK(!fortran, GNNKD_EDATA, "%s: expected C order, found fortran_order True", path);
    GKD_CHECK(ndim == 1 || ndim == 2, GNNKD_EDATA, "%s: expected a 1-D or 2-D array, found %d-D",
             path, ndim);
    int64_t r = dims[0], cc = ndim == 2 ? dims[1] : 1;
    /* The declared size is checked against the file before any allocation. */
    int64_t data = size - start - hlen;
    GKD_CHECK(cc == 0 || r <= data / width / cc, GNNKD_EDATA,
             "%s: expected %lld x %lld values of %d bytes, found only %lld bytes of data", path,
             (long long)r, (long long)cc, width, (long long)data);
    int64_t count = r * cc;
    GKD_CHECK(count * width == data, GNNKD_EDATA,
             "%s: expected %lld bytes of data for shape (%lld, %lld), found %lld", path,
             (long long)(count * width), (long long)r, (long long)cc, (long long)data);

    GKD_ALLOC(out, count);
    if (width == 4) {
        GKD_CHECK(fread(out, 4, (size_t)count, f) == (size_t)count, GNNKD_EIO,
                 "%s: read failed in the data", path);
        if (!host_is_little_endian())
            for (int64_t k = 0; k < count; k++) swap_bytes(&out[k], 4);
    } else {
        double *dbl;
        GKD_ALLOC(dbl, count);
        raw = dbl;
        GKD_CHECK(fread(dbl, 8, (size_t)count, f) == (size_t)count, GNNKD_EIO,
                 "%s: read failed in the data", path);
        for (int64_t k = 0; k < count; k++) {
            if (!host_is_little_endian()) swap_bytes(&dbl[k], 8);
            out[k] = (float)dbl[k];
        }
        GKD_FREE(raw);
    }
    fclose(f);
    free(header);
    *a = out;
    *rows = r;
    *cols = cc;
    return GNNKD_OK;
}

int gkd_npy_parse_header(const char *text, size_t len, char *descr, size_t dlen, int *fortran,
                         int64_t dims[8], int *ndim, const char **bad) {
    cursor c = {text, text + len};
    *fortran = 0;
    *ndim = 0;
    return parse_header(&c, descr, dlen, fortran, dims, ndim, bad);
}
