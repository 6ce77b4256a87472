/* npz.c — the .npz files of Shchur et al.'s gnn-benchmark (NumPy zips of
 * SciPy CSR parts), opened with libzip; each member's .npy header is checked
 * against the member's length before anything is allocated. */
#include "loaders/npy.h"

#include <math.h>
#include <string.h>
#include <zip.h>

/* Deflate expands at most 1032:1: a member that declares more lies. */
#define DEFLATE_MAX_RATIO 1032
/* Classes beyond this are taken for a malformed file, not a dataset. */
#define MAX_CLASSES 1000000

static const char NPY_MAGIC[6] = {'\x93', 'N', 'U', 'M', 'P', 'Y'};

/* One member, read whole; values stay little-endian bytes until asked for. */
typedef struct {
    char member[96]; /* "adj_indptr.npy" */
    char descr[32];  /* "<i4" */
    char kind;       /* 'f' float, 'i' signed, 'u' unsigned, 'b' bool */
    int width;       /* bytes a value */
    int ndim;
    int64_t dims[8];
    int64_t count;   /* values: the product of dims */
    uint8_t *data;   /* count * width bytes */
} npz_array;

static void array_clear(npz_array *a) {
    free(a->data);
    memset(a, 0, sizeof *a);
}

static int read_exact(zip_file_t *zf, void *buf, int64_t len, int64_t *got) {
    int64_t n = 0;
    while (n < len) {
        zip_int64_t r = zip_fread(zf, (uint8_t *)buf + n, (zip_uint64_t)(len - n));
        if (r < 0) return -1;
        if (r == 0) break;
        n += r;
    }
    if (got) *got = n;
    return n == len;
}

/* Which dtypes a member may have: kinds among "fiub" and a name for messages. */
typedef struct {
    const char *kinds;
    const char *name;
} dtype_want;

static const dtype_want WANT_INT = {"iu", "an integer dtype (int8..int64, uint8..uint64)"};
static const dtype_want WANT_NUM = {"fiub", "a numeric dtype (float32/64, an integer or bool)"};

/* "<i4" into kind and width; 0 if the text is not a little-endian (or
 * byte-order-free) numeric dtype of a usual width. */
static int parse_descr(const char *s, char *kind, int *width) {
    if ((s[0] != '<' && s[0] != '|') || s[1] == '\0' || strchr("fiub", s[1]) == NULL) return 0;
    if (s[2] < '1' || s[2] > '8' || s[3] != '\0') return 0;
    *kind = s[1];
    *width = s[2] - '0';
    if (*kind == 'f') return *width == 4 || *width == 8;
    if (*kind == 'b') return *width == 1;
    return *width == 1 || *width == 2 || *width == 4 || *width == 8;
}

/* Reads member NAME.npy of z (path for messages) into a: dtype among want,
 * ndim dimensions. A missing member sets *present to 0 if present is not
 * NULL, and is an error otherwise. */
static int read_member(npz_array *a, zip_t *z, const char *path, const char *name,
                       const dtype_want *want, int ndim, int *present, char *msg) {
    zip_file_t *zf = NULL;
    char *header = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (zf) zip_fclose(zf);                                                           \
        free(header);                                                                     \
        array_clear(a);                                                                   \
    } while (0)
    memset(a, 0, sizeof *a);
    snprintf(a->member, sizeof a->member, "%s.npy", name);
    const char *M = a->member;
    zip_int64_t idx = zip_name_locate(z, M, 0);
    if (present) *present = idx >= 0;
    if (idx < 0 && present) return GNNKD_OK;
    GKD_CHECK(idx >= 0, GNNKD_EDATA, "%s:%s: expected this member, found no member of that name",
             path, M);

    zip_stat_t st;
    zip_stat_init(&st);
    GKD_CHECK(zip_stat_index(z, (zip_uint64_t)idx, 0, &st) == 0 &&
                 (st.valid & ZIP_STAT_SIZE) && (st.valid & ZIP_STAT_COMP_SIZE) &&
                 (st.valid & ZIP_STAT_COMP_METHOD),
             GNNKD_EDATA, "%s:%s: expected a readable directory entry, found: %s", path, M,
             zip_strerror(z));
    GKD_CHECK(st.comp_method == ZIP_CM_STORE || st.comp_method == ZIP_CM_DEFLATE, GNNKD_EDATA,
             "%s:%s: expected a stored or deflated member, found compression method %d", path,
             M, (int)st.comp_method);
    GKD_CHECK(!(st.valid & ZIP_STAT_ENCRYPTION_METHOD) || st.encryption_method == ZIP_EM_NONE,
             GNNKD_EDATA, "%s:%s: expected a member without encryption, found an encrypted one",
             path, M);
    GKD_CHECK(st.size <= INT64_MAX / 2 &&
                 (st.comp_method == ZIP_CM_STORE ? st.size == st.comp_size
                                                 : st.size / DEFLATE_MAX_RATIO <= st.comp_size),
             GNNKD_EDATA,
             "%s:%s: expected at most %llu bytes from %llu compressed bytes, found a member "
             "declaring %llu", path, M,
             (unsigned long long)(st.comp_method == ZIP_CM_STORE
                                      ? st.comp_size
                                      : st.comp_size * DEFLATE_MAX_RATIO + DEFLATE_MAX_RATIO - 1),
             (unsigned long long)st.comp_size, (unsigned long long)st.size);
    int64_t size = (int64_t)st.size;

    zf = zip_fopen_index(z, (zip_uint64_t)idx, 0);
    GKD_CHECK(zf != NULL, GNNKD_EDATA, "%s:%s: cannot open the member: %s", path, M,
             zip_strerror(z));
    uint8_t pre[12];
    GKD_CHECK(size >= 10 && read_exact(zf, pre, 10, NULL) == 1 && memcmp(pre, NPY_MAGIC, 6) == 0,
             GNNKD_EDATA, "%s:%s: expected a .npy member (magic \\x93NUMPY), found other bytes",
             path, M);
    int64_t hlen, start;
    if (pre[6] == 1) {
        hlen = pre[8] | (int64_t)pre[9] << 8;
        start = 10;
    } else {
        GKD_CHECK((pre[6] == 2 || pre[6] == 3) && size >= 12 && read_exact(zf, pre + 10, 2, NULL) == 1,
                 GNNKD_EDATA, "%s:%s: expected .npy format version 1, 2 or 3, found %d.%d", path,
                 M, pre[6], pre[7]);
        hlen = pre[8] | (int64_t)pre[9] << 8 | (int64_t)pre[10] << 16 | (int64_t)pre[11] << 24;
        start = 12;
    }
    GKD_CHECK(hlen <= size - start, GNNKD_EDATA,
             "%s:%s: expected a header of %lld bytes, found a member of %lld bytes", path, M,
             (long long)hlen, (long long)size);
    GKD_ALLOC(header, hlen + 1);
    GKD_CHECK(read_exact(zf, header, hlen, NULL) == 1, GNNKD_EDATA,
             "%s:%s: expected a header of %lld bytes, found fewer: %s", path, M, (long long)hlen,
             zip_file_strerror(zf));

    int fortran = 0;
    const char *bad;
    GKD_CHECK(gkd_npy_parse_header(header, (size_t)hlen, a->descr, sizeof a->descr, &fortran,
                                   a->dims, &a->ndim, &bad),
             GNNKD_EDATA, "%s:%s: expected in the header %s, found \"%.*s\"", path, M, bad,
             (int)(hlen < 200 ? hlen : 200), header);
    GKD_CHECK(parse_descr(a->descr, &a->kind, &a->width) && strchr(want->kinds, a->kind),
             GNNKD_EDATA, "%s:%s: expected %s, little-endian, found dtype '%s'", path, M,
             want->name, a->descr);
    GKD_CHECK(!fortran, GNNKD_EDATA, "%s:%s: expected C order, found fortran_order True", path, M);
    GKD_CHECK(a->ndim == ndim, GNNKD_EDATA, "%s:%s: expected a %d-D array, found a %d-D one",
             path, M, ndim, a->ndim);

    /* The declared shape against the member's length, before allocating. */
    int64_t data = size - start - hlen, count = 1;
    for (int k = 0; k < a->ndim; k++) {
        GKD_CHECK(a->dims[k] == 0 || count <= INT64_MAX / a->width / a->dims[k], GNNKD_EDATA,
                 "%s:%s: expected a shape of at most %lld bytes, found one beyond 64 bits", path,
                 M, (long long)data);
        count *= a->dims[k];
    }
    GKD_CHECK(count * a->width == data, GNNKD_EDATA,
             "%s:%s: expected %lld bytes of data (%lld values of %d bytes), found %lld", path, M,
             (long long)(count * a->width), (long long)count, a->width, (long long)data);
    a->count = count;
    GKD_ALLOC(a->data, data);
    int64_t got = 0, extra;
    uint8_t tail;
    int r = read_exact(zf, a->data, data, &got);
    GKD_CHECK(r >= 0, GNNKD_EDATA, "%s:%s: cannot read the data: %s", path, M,
             zip_file_strerror(zf));
    GKD_CHECK(r == 1, GNNKD_EDATA, "%s:%s: expected %lld bytes of data, found %lld (truncated)",
             path, M, (long long)data, (long long)got);
    /* Reading on to the end lets libzip check the CRC. */
    r = read_exact(zf, &tail, 1, &extra);
    GKD_CHECK(r >= 0, GNNKD_EDATA, "%s:%s: cannot read the data: %s", path, M,
             zip_file_strerror(zf));
    GKD_CHECK(extra == 0, GNNKD_EDATA,
             "%s:%s: expected %lld bytes in the member, found more than its directory declares",
             path, M, (long long)size);
    zip_fclose(zf);
    free(header);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Value k of an integer or bool array. */
static int64_t int_at(const npz_array *a, int64_t k) {
    const uint8_t *p = a->data + k * a->width;
    uint64_t u = 0;
    for (int b = a->width - 1; b >= 0; b--) u = u << 8 | p[b];
    if (a->kind == 'i' && a->width < 8 && (u >> (8 * a->width - 1) & 1)) u |= ~0ULL << (8 * a->width);
    return (int64_t)u; /* a uint64 above INT64_MAX comes out negative: out of every range */
}

/* Value k of any numeric array. */
static double num_at(const npz_array *a, int64_t k) {
    if (a->kind != 'f') return (double)int_at(a, k);
    const uint8_t *p = a->data + k * a->width;
    uint64_t u = 0;
    for (int b = a->width - 1; b >= 0; b--) u = u << 8 | p[b];
    if (a->width == 4) {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, sizeof f);
        return f;
    }
    double x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* ---- SciPy CSR parts -------------------------------------------------------- */

typedef struct {
    npz_array shape, indptr, indices, data;
    int64_t rows, cols, nnz;
} npz_csr;

static void csr_clear(npz_csr *c) {
    array_clear(&c->shape);
    array_clear(&c->indptr);
    array_clear(&c->indices);
    array_clear(&c->data);
}

/* Reads PREFIX_shape, _indptr, _indices, _data and checks that they form a
 * (rows, cols) CSR matrix. *present (if not NULL) tells whether
 * PREFIX_shape.npy exists; the other parts must then exist too. */
static int read_csr(npz_csr *c, zip_t *z, const char *path, const char *prefix, int *present,
                    char *msg) {
#define GKD_FREE_ALL csr_clear(c)
    char name[64];
    memset(c, 0, sizeof *c);
    snprintf(name, sizeof name, "%s_shape", prefix);
    GKD_TRY(read_member(&c->shape, z, path, name, &WANT_INT, 1, present, msg));
    if (present && !*present) return GNNKD_OK;
    const char *S = c->shape.member;
    GKD_CHECK(c->shape.count == 2, GNNKD_EDATA, "%s:%s: expected 2 values (rows, cols), found %lld",
             path, S, (long long)c->shape.count);
    c->rows = int_at(&c->shape, 0);
    c->cols = int_at(&c->shape, 1);
    GKD_CHECK(c->rows >= 0 && c->rows < INT32_MAX && c->cols >= 0 && c->cols < INT32_MAX,
             GNNKD_EDATA, "%s:%s: expected a shape in 0..%d, found (%lld, %lld)", path, S,
             INT32_MAX - 1, (long long)c->rows, (long long)c->cols);

    snprintf(name, sizeof name, "%s_indices", prefix);
    GKD_TRY(read_member(&c->indices, z, path, name, &WANT_INT, 1, NULL, msg));
    snprintf(name, sizeof name, "%s_indptr", prefix);
    GKD_TRY(read_member(&c->indptr, z, path, name, &WANT_INT, 1, NULL, msg));
    snprintf(name, sizeof name, "%s_data", prefix);
    GKD_TRY(read_member(&c->data, z, path, name, &WANT_NUM, 1, NULL, msg));
    const char *P = c->indptr.member, *I = c->indices.member;
    c->nnz = c->indices.count;

    GKD_CHECK(c->indptr.count == c->rows + 1, GNNKD_EDATA,
             "%s:%s: expected %lld offsets (rows + 1, %s), found %lld", path, P,
             (long long)(c->rows + 1), S, (long long)c->indptr.count);
    GKD_CHECK(int_at(&c->indptr, 0) == 0, GNNKD_EDATA, "%s:%s: expected offset 0 first, found %lld",
             path, P, (long long)int_at(&c->indptr, 0));
    for (int64_t i = 0; i < c->rows; i++) {
        int64_t lo = int_at(&c->indptr, i), hi = int_at(&c->indptr, i + 1);
        GKD_CHECK(hi >= lo, GNNKD_EDATA,
                 "%s:%s: expected non-decreasing offsets, found %lld after %lld (row %lld)", path,
                 P, (long long)hi, (long long)lo, (long long)i);
    }
    GKD_CHECK(int_at(&c->indptr, c->rows) == c->nnz, GNNKD_EDATA,
             "%s:%s: expected the last offset to be %lld (the length of %s), found %lld", path, P,
             (long long)c->nnz, I, (long long)int_at(&c->indptr, c->rows));
    for (int64_t e = 0; e < c->nnz; e++) {
        int64_t j = int_at(&c->indices, e);
        GKD_CHECK(j >= 0 && j < c->cols, GNNKD_EDATA,
                 "%s:%s: expected column indices in 0..%lld (%s), found %lld at entry %lld", path,
                 I, (long long)c->cols - 1, S, (long long)j, (long long)e);
    }
    GKD_CHECK(c->data.count == c->nnz, GNNKD_EDATA,
             "%s:%s: expected %lld values, one per entry of %s, found %lld", path,
             c->data.member, (long long)c->nnz, I, (long long)c->data.count);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- the dataset -------------------------------------------------------------- */

static int read_adjacency(gnnkd_dataset *d, gnnkd_graph_counts *counts, zip_t *z,
                          const char *path, char *msg) {
    npz_csr a;
    int32_t *u = NULL, *v = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        csr_clear(&a);                                                                    \
        free(u);                                                                          \
        free(v);                                                                          \
    } while (0)
    GKD_TRY(read_csr(&a, z, path, "adj", NULL, msg));
    GKD_CHECK(a.rows == a.cols && a.rows > 0, GNNKD_EDATA,
             "%s:%s: expected a square (n, n) adjacency with n > 0, found (%lld, %lld)", path,
             a.shape.member, (long long)a.rows, (long long)a.cols);
    /* Every stored entry is an arc, whatever its value. */
    GKD_ALLOC(u, a.nnz);
    GKD_ALLOC(v, a.nnz);
    for (int64_t i = 0; i < a.rows; i++)
        for (int64_t e = int_at(&a.indptr, i); e < int_at(&a.indptr, i + 1); e++) {
            u[e] = (int32_t)i;
            v[e] = (int32_t)int_at(&a.indices, e);
        }
    GKD_TRY(gnnkd_dataset_set_edges(d, counts, (int32_t)a.rows, u, v, a.nnz, 1, msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

typedef struct {
    int32_t col;
    float val;
} entry;

static int cmp_entry(const void *x, const void *y) {
    const entry *a = x, *b = y;
    return (a->col > b->col) - (a->col < b->col);
}

/* attr_matrix (dense) if present, else the attr_* CSR parts. */
static int read_features(gnnkd_dataset *d, zip_t *z, const char *path, char *msg) {
    npz_array m;
    npz_csr a;
    gnnkd_csr x = {0};
    entry *row = NULL;
    int present;
    memset(&a, 0, sizeof a);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        array_clear(&m);                                                                  \
        csr_clear(&a);                                                                    \
        gnnkd_csr_clear(&x);                                                              \
        free(row);                                                                        \
    } while (0)
    GKD_TRY(read_member(&m, z, path, "attr_matrix", &WANT_NUM, 2, &present, msg));
    if (present) {
        GKD_CHECK(m.dims[0] == d->n && m.dims[1] > 0 && m.dims[1] < INT32_MAX, GNNKD_EDATA,
                 "%s:%s: expected (%d, f) with f > 0, one row per node (adj_shape.npy), found "
                 "(%lld, %lld)", path, m.member, d->n, (long long)m.dims[0], (long long)m.dims[1]);
        GKD_ALLOC(d->xdense, m.count);
        for (int64_t k = 0; k < m.count; k++) {
            float f = (float)num_at(&m, k);
            GKD_CHECK(isfinite(f), GNNKD_EDATA,
                     "%s:%s: expected finite float32 values, found %g at row %lld, column %lld",
                     path, m.member, num_at(&m, k), (long long)(k / m.dims[1]),
                     (long long)(k % m.dims[1]));
            d->xdense[k] = f;
        }
        d->nfeat = (int32_t)m.dims[1];
        GKD_FREE_ALL;
        return GNNKD_OK;
    }

    GKD_TRY(read_csr(&a, z, path, "attr", NULL, msg));
    GKD_CHECK(a.rows == d->n && a.cols > 0, GNNKD_EDATA,
             "%s:%s: expected (%d, f) with f > 0, one row per node (adj_shape.npy), found "
             "(%lld, %lld)", path, a.shape.member, d->n, (long long)a.rows, (long long)a.cols);
    GKD_ALLOC(x.rowptr, a.rows + 1);
    GKD_ALLOC(x.colidx, a.nnz);
    GKD_ALLOC(x.val, a.nnz);
    int64_t widest = 0;
    for (int64_t i = 0; i < a.rows; i++) {
        int64_t w = int_at(&a.indptr, i + 1) - int_at(&a.indptr, i);
        if (w > widest) widest = w;
    }
    GKD_ALLOC(row, widest);
    /* SciPy allows unsorted columns; the library's CSR does not. */
    for (int64_t i = 0; i < a.rows; i++) {
        int64_t lo = int_at(&a.indptr, i), w = int_at(&a.indptr, i + 1) - lo;
        for (int64_t k = 0; k < w; k++) {
            float f = (float)num_at(&a.data, lo + k);
            GKD_CHECK(isfinite(f), GNNKD_EDATA,
                     "%s:%s: expected finite float32 values, found %g at entry %lld", path,
                     a.data.member, num_at(&a.data, lo + k), (long long)(lo + k));
            row[k] = (entry){(int32_t)int_at(&a.indices, lo + k), f};
        }
        qsort(row, (size_t)w, sizeof *row, cmp_entry);
        for (int64_t k = 0; k < w; k++) {
            GKD_CHECK(k == 0 || row[k].col != row[k - 1].col, GNNKD_EDATA,
                     "%s:%s: expected each column once in a row, found column %d twice in row "
                     "%lld", path, a.indices.member, row[k].col, (long long)i);
            x.colidx[lo + k] = row[k].col;
            x.val[lo + k] = row[k].val;
        }
        x.rowptr[i + 1] = lo + w;
    }
    x.nrows = (int32_t)a.rows;
    x.ncols = (int32_t)a.cols;
    d->x = x;
    d->nfeat = x.ncols;
    memset(&x, 0, sizeof x);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* labels (a vector of class ids) if present, else labels_* CSR parts (one
 * class a row, as one-hot; an empty row is unlabelled). */
static int read_labels(gnnkd_dataset *d, zip_t *z, const char *path, char *msg) {
    npz_array y;
    npz_csr a;
    int present;
    memset(&a, 0, sizeof a);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        array_clear(&y);                                                                  \
        csr_clear(&a);                                                                    \
    } while (0)
    GKD_TRY(read_member(&y, z, path, "labels", &WANT_INT, 1, &present, msg));
    GKD_ALLOC(d->label, d->n);
    int64_t nclass = 0;
    if (present) {
        GKD_CHECK(y.count == d->n, GNNKD_EDATA,
                 "%s:%s: expected %d labels, one per node (adj_shape.npy), found %lld", path,
                 y.member, d->n, (long long)y.count);
        for (int32_t i = 0; i < d->n; i++) {
            int64_t c = int_at(&y, i);
            GKD_CHECK(c >= -1 && c < MAX_CLASSES, GNNKD_EDATA,
                     "%s:%s: expected a class id (0, 1, ...) or -1, found %lld at node %d", path,
                     y.member, (long long)c, i);
            d->label[i] = (int32_t)c;
            if (c + 1 > nclass) nclass = c + 1;
        }
    } else {
        GKD_TRY(read_csr(&a, z, path, "labels", &present, msg));
        GKD_CHECK(present, GNNKD_EDATA,
                 "%s:labels.npy: expected this member (or labels_shape.npy and the other CSR "
                 "parts), found neither", path);
        GKD_CHECK(a.rows == d->n && a.cols <= MAX_CLASSES, GNNKD_EDATA,
                 "%s:%s: expected (%d, classes), one row per node (adj_shape.npy), found (%lld, "
                 "%lld)", path, a.shape.member, d->n, (long long)a.rows, (long long)a.cols);
        for (int32_t i = 0; i < d->n; i++) {
            int64_t lo = int_at(&a.indptr, i), w = int_at(&a.indptr, i + 1) - lo;
            GKD_CHECK(w <= 1, GNNKD_EDATA,
                     "%s:%s: expected at most one class a node, found %lld in row %d", path,
                     a.indptr.member, (long long)w, i);
            d->label[i] = w ? (int32_t)int_at(&a.indices, lo) : -1;
        }
        nclass = a.cols;
    }
    d->nclass = (int32_t)nclass;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_load_npz(gnnkd_dataset **d, gnnkd_graph_counts *counts,
                                    const char *path, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *out = NULL;
    zip_t *z = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&out);                                                         \
        if (z) zip_discard(z);                                                            \
    } while (0)
    GKD_CHECK(d != NULL && path != NULL && path[0] != '\0', GNNKD_EINVAL,
             "gnnkd_dataset_load_npz: expected a .npz file, found no path");
    *d = NULL;
    int err = 0;
    z = zip_open(path, ZIP_RDONLY | ZIP_CHECKCONS, &err);
    if (z == NULL) {
        zip_error_t ze;
        char why[256];
        zip_error_init_with_code(&ze, err);
        snprintf(why, sizeof why, "%s", zip_error_strerror(&ze));
        zip_error_fini(&ze);
        GKD_CHECK(err != ZIP_ER_OPEN && err != ZIP_ER_NOENT && err != ZIP_ER_READ, GNNKD_EIO,
                 "%s: cannot open: %s", path, why);
        GKD_CHECK(err != ZIP_ER_MEMORY, GNNKD_ENOMEM, "%s: out of memory opening the zip", path);
        GKD_FAIL(GNNKD_EDATA, "%s: expected a zip file (.npz), found: %s", path, why);
    }
    GKD_TRY(gnnkd_dataset_new(&out, msg));
    const char *base = strrchr(path, '/');
    snprintf(out->name, sizeof out->name, "%s", base ? base + 1 : path);
    size_t len = strlen(out->name);
    if (len > 4 && strcmp(out->name + len - 4, ".npz") == 0) out->name[len - 4] = '\0';

    GKD_TRY(read_adjacency(out, counts, z, path, msg));
    GKD_TRY(read_features(out, z, path, msg));
    GKD_TRY(read_labels(out, z, path, msg));
    zip_discard(z);
    *d = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
