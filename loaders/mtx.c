/* mtx.c — MatrixMarket coordinate files read into CSR (with every malformed
 * input named by file and line) and written back. */
#include "loaders/mtx.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

/* ---- MatrixMarket: header ---------------------------------------------- */

/* The next line that is neither a comment nor blank, or NULL at the end. */
static char *next_data_line(gkd_text *t) {
    char *s;
    while ((s = gkd_text_next(t)) != NULL)
        if (s[0] != '%' && !gkd_is_blank(s)) return s;
    return NULL;
}

/* Splits the banner's words (at most 6) in place. */
static int split_words(char *s, char **w, int max) {
    int n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(s, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
        if (n == max) return max + 1;
        w[n++] = tok;
    }
    return n;
}

int gkd_mtx_read_header(gkd_mtx_header *h, gkd_text *t, char *msg) {
    const char *path = t->path;
    char tok[64];
    memset(h, 0, sizeof *h);
    char *s = gkd_text_next(t);
    if (s == NULL) {
        gkd_msg(msg, "%s:1: expected the banner '%%%%MatrixMarket matrix coordinate FIELD "
                    "SYMMETRY', found an empty file", path);
        return GNNKD_EDATA;
    }
    char *w[7];
    char copy[256];
    snprintf(copy, sizeof copy, "%s", s);
    int nw = split_words(s, w, 6);
    if (nw < 1 || strcmp(w[0], "%%MatrixMarket") != 0) {
        gkd_msg(msg, "%s:1: expected the banner '%%%%MatrixMarket matrix coordinate FIELD "
                    "SYMMETRY', found %s", path, gkd_token(tok, sizeof tok, copy));
        return GNNKD_EDATA;
    }
    if (nw != 5) {
        gkd_msg(msg, "%s:1: expected 5 words in the banner '%%%%MatrixMarket matrix coordinate "
                    "FIELD SYMMETRY', found %s%d", path, nw > 6 ? "more than " : "",
               nw > 6 ? 6 : nw);
        return GNNKD_EDATA;
    }
    if (strcasecmp(w[1], "matrix") != 0) {
        gkd_msg(msg, "%s:1: expected object 'matrix', found '%.40s'", path, w[1]);
        return GNNKD_EDATA;
    }
    if (strcasecmp(w[2], "coordinate") != 0) {
        gkd_msg(msg, "%s:1: unsupported format '%.40s': expected 'coordinate'", path, w[2]);
        return GNNKD_EDATA;
    }
    if (strcasecmp(w[3], "pattern") == 0)
        h->pattern = 1;
    else if (strcasecmp(w[3], "integer") == 0)
        h->integer = 1;
    else if (strcasecmp(w[3], "real") != 0 && strcasecmp(w[3], "double") != 0) {
        gkd_msg(msg, "%s:1: unsupported field '%.40s': expected pattern, real or integer",
               path, w[3]);
        return GNNKD_EDATA;
    }
    if (strcasecmp(w[4], "symmetric") == 0)
        h->symmetric = 1;
    else if (strcasecmp(w[4], "general") != 0) {
        gkd_msg(msg, "%s:1: unsupported symmetry '%.40s': expected general or symmetric",
               path, w[4]);
        return GNNKD_EDATA;
    }

    s = next_data_line(t);
    if (s == NULL) {
        gkd_msg(msg, "%s:%lld: expected the size line 'ROWS COLS NNZ', found the end of the file",
               path, (long long)t->line);
        return GNNKD_EDATA;
    }
    h->size_line = t->line;
    const char *p = s;
    int64_t v[3];
    for (int k = 0; k < 3; k++) {
        if (!gkd_parse_int(&p, &v[k])) {
            gkd_msg(msg, "%s:%lld: expected the size line 'ROWS COLS NNZ' (3 integers), found "
                        "'%.60s'", path, (long long)t->line, s);
            return GNNKD_EDATA;
        }
    }
    if (!gkd_is_blank(p)) {
        gkd_msg(msg, "%s:%lld: expected the size line 'ROWS COLS NNZ', found extra text %s",
               path, (long long)t->line, gkd_token(tok, sizeof tok, p));
        return GNNKD_EDATA;
    }
    for (int k = 0; k < 2; k++) {
        if (v[k] < 1 || v[k] > INT32_MAX) {
            gkd_msg(msg, "%s:%lld: expected %s between 1 and %d, found %lld", path,
                   (long long)t->line, k ? "COLS" : "ROWS", INT32_MAX, (long long)v[k]);
            return GNNKD_EDATA;
        }
    }
    /* Each entry takes at least "i j\n": 4 bytes. A larger count is a lie
     * that would make us allocate for entries that are not there. */
    int64_t most = (int64_t)(gkd_text_left(t) + 1) / 4;
    if (v[2] < 0 || v[2] > most) {
        gkd_msg(msg, "%s:%lld: expected NNZ between 0 and %lld (the rest of the file holds no "
                    "more entries), found %lld", path, (long long)t->line, (long long)most,
               (long long)v[2]);
        return GNNKD_EDATA;
    }
    if (h->symmetric && v[0] != v[1]) {
        gkd_msg(msg, "%s:%lld: expected a square size for a symmetric matrix, found %lld x %lld",
               path, (long long)t->line, (long long)v[0], (long long)v[1]);
        return GNNKD_EDATA;
    }
    h->nrows = (int32_t)v[0];
    h->ncols = (int32_t)v[1];
    h->nnz = v[2];
    return GNNKD_OK;
}

/* ---- MatrixMarket: entries --------------------------------------------- */

/* Entries as read: 0-based (row, col), value, and the line each came from. */
typedef struct {
    int32_t *row, *col; /* nnz */
    float *val;         /* nnz */
    int64_t *line;      /* nnz */
    int64_t nnz;
} coo;

static void coo_free(coo *c) {
    free(c->row);
    free(c->col);
    free(c->val);
    free(c->line);
    memset(c, 0, sizeof *c);
}

static int read_entries(coo *c, gkd_text *t, const gkd_mtx_header *h, char *msg) {
#undef GKD_FREE_ALL
#define GKD_FREE_ALL coo_free(c)
    const char *path = t->path;
    char tok[64];
    memset(c, 0, sizeof *c);
    GKD_ALLOC(c->row, h->nnz);
    GKD_ALLOC(c->col, h->nnz);
    GKD_ALLOC(c->val, h->nnz);
    GKD_ALLOC(c->line, h->nnz);
    int64_t k = 0;
    char *s;
    while ((s = next_data_line(t)) != NULL) {
        long long ln = (long long)t->line;
        GKD_CHECK(k < h->nnz, GNNKD_EDATA,
                 "%s:%lld: expected no more entries (the size line declares %lld), found another",
                 path, ln, (long long)h->nnz);
        const char *p = s;
        int64_t i, j;
        float v = 1.0f;
        GKD_CHECK(gkd_parse_int(&p, &i), GNNKD_EDATA,
                 "%s:%lld: expected a row index (an integer), found %s", path, ln,
                 gkd_token(tok, sizeof tok, p));
        GKD_CHECK(gkd_parse_int(&p, &j), GNNKD_EDATA,
                 "%s:%lld: expected a column index (an integer), found %s", path, ln,
                 gkd_token(tok, sizeof tok, p));
        if (h->integer) {
            int64_t iv;
            GKD_CHECK(gkd_parse_int(&p, &iv), GNNKD_EDATA,
                     "%s:%lld: expected an integer value, found %s", path, ln,
                     gkd_token(tok, sizeof tok, p));
            v = (float)iv;
        } else if (!h->pattern) {
            GKD_CHECK(gkd_parse_float(&p, &v), GNNKD_EDATA,
                     "%s:%lld: expected a finite real value, found %s", path, ln,
                     gkd_token(tok, sizeof tok, p));
        }
        GKD_CHECK(gkd_is_blank(p), GNNKD_EDATA, "%s:%lld: expected the end of the line, found %s",
                 path, ln, gkd_token(tok, sizeof tok, p));
        GKD_CHECK(i >= 1 && i <= h->nrows, GNNKD_EDATA,
                 "%s:%lld: expected a row index in 1..%d, found %lld", path, ln, h->nrows,
                 (long long)i);
        GKD_CHECK(j >= 1 && j <= h->ncols, GNNKD_EDATA,
                 "%s:%lld: expected a column index in 1..%d, found %lld", path, ln, h->ncols,
                 (long long)j);
        c->row[k] = (int32_t)(i - 1);
        c->col[k] = (int32_t)(j - 1);
        c->val[k] = v;
        c->line[k] = t->line;
        k++;
    }
    GKD_CHECK(k == h->nnz, GNNKD_EDATA,
             "%s:%lld: expected %lld entries (as the size line declares), found the end of the "
             "file after %lld", path, (long long)t->line, (long long)h->nnz, (long long)k);
    c->nnz = k;
    return GNNKD_OK;
}

/* One entry in its row: its column, value and source line (negated for the
 * mirror image of a symmetric file's entry). */
typedef struct {
    int32_t col;
    float val;
    int64_t line;
} slot;

static int slot_cmp(const void *a, const void *b) {
    const slot *x = a, *y = b;
    if (x->col != y->col) return x->col < y->col ? -1 : 1;
    int64_t lx = llabs(x->line), ly = llabs(y->line);
    return (lx > ly) - (lx < ly);
}

/*
 * Builds a CSR (nrows, ncols) from c, adding the mirror (j, i) of every
 * off-diagonal entry if mirror, with columns sorted. A duplicate position is
 * an error at the later of the two lines (the earliest such line in the
 * file). If lines is not NULL it receives the source line of each nonzero.
 */
static int coo_to_csr(gnnkd_csr *a, int64_t **lines, const coo *c, int32_t nrows,
                      int32_t ncols, int mirror, const char *path, char *msg) {
    slot *s = NULL;
    int64_t *next = NULL;
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(s);                                                                          \
        free(next);                                                                       \
        gnnkd_csr_clear(a);                                                               \
    } while (0)
    memset(a, 0, sizeof *a);
    a->nrows = nrows;
    a->ncols = ncols;
    GKD_ALLOC(a->rowptr, (int64_t)nrows + 1);
    for (int64_t k = 0; k < c->nnz; k++) {
        a->rowptr[c->row[k] + 1]++;
        if (mirror && c->row[k] != c->col[k]) a->rowptr[c->col[k] + 1]++;
    }
    for (int32_t i = 0; i < nrows; i++) a->rowptr[i + 1] += a->rowptr[i];
    int64_t nnz = a->rowptr[nrows];
    GKD_ALLOC(s, nnz);
    GKD_ALLOC(next, nrows);
    memcpy(next, a->rowptr, (size_t)nrows * sizeof *next);
    for (int64_t k = 0; k < c->nnz; k++) {
        int32_t i = c->row[k], j = c->col[k];
        s[next[i]++] = (slot){j, c->val[k], c->line[k]};
        if (mirror && i != j) s[next[j]++] = (slot){i, c->val[k], -c->line[k]};
    }
    GKD_FREE(next);

    int64_t dup = -1, dup_first = 0; /* the slot that repeats an earlier one */
    int32_t dup_row = 0;
    for (int32_t i = 0; i < nrows; i++) {
        slot *r = s + a->rowptr[i];
        int64_t len = a->rowptr[i + 1] - a->rowptr[i];
        int sorted = 1;
        for (int64_t q = 1; q < len && sorted; q++) sorted = slot_cmp(&r[q - 1], &r[q]) < 0;
        if (!sorted) qsort(r, (size_t)len, sizeof *r, slot_cmp);
        for (int64_t q = 1; q < len; q++) {
            if (r[q].col != r[q - 1].col) continue;
            /* The sort puts the earlier line first. */
            if (dup < 0 || llabs(r[q].line) < llabs(s[dup].line)) {
                dup = r + q - s;
                dup_first = llabs(r[q - 1].line);
                dup_row = i;
            }
        }
    }
    if (dup >= 0) {
        /* Show the entry as written on its line. */
        int32_t ri = dup_row, cj = s[dup].col;
        if (s[dup].line < 0) ri = s[dup].col, cj = dup_row;
        GKD_FAIL(GNNKD_EDATA,
                "%s:%lld: expected each position once, found entry (%d, %d) again (first on "
                "line %lld%s)", path, (long long)llabs(s[dup].line), ri + 1, cj + 1,
                (long long)dup_first,
                mirror ? "; a symmetric file stores only one of (i, j) and (j, i)" : "");
    }

    GKD_ALLOC(a->colidx, nnz);
    GKD_ALLOC(a->val, nnz);
    for (int64_t q = 0; q < nnz; q++) {
        a->colidx[q] = s[q].col;
        a->val[q] = s[q].val;
    }
    if (lines) {
        /* Reuse the slots' memory would be smaller; the lines are short-lived. */
        int64_t *l = gkd_calloc((size_t)nnz, sizeof *l);
        if (l == NULL) GKD_FAIL(GNNKD_ENOMEM, "%s: out of memory", path);
        for (int64_t q = 0; q < nnz; q++) l[q] = llabs(s[q].line);
        *lines = l;
    }
    free(s);
    return GNNKD_OK;
}

/* 1 if row i of a contains column j (columns sorted). */
static int csr_has(const gnnkd_csr *a, int32_t i, int32_t j) {
    int64_t lo = a->rowptr[i], hi = a->rowptr[i + 1];
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (a->colidx[mid] < j)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < a->rowptr[i + 1] && a->colidx[lo] == j;
}

int gkd_mtx_read_graph(gnnkd_csr *adj, int64_t *nself, gkd_text *t, const gkd_mtx_header *h,
                      char *msg) {
    coo c = {0};
    int64_t *lines = NULL;
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        coo_free(&c);                                                                     \
        free(lines);                                                                      \
        gnnkd_csr_clear(adj);                                                             \
    } while (0)
    memset(adj, 0, sizeof *adj);
    GKD_CHECK(h->nrows == h->ncols, GNNKD_EDATA,
             "%s:%lld: expected a square adjacency matrix, found %d x %d", t->path,
             (long long)h->size_line, h->nrows, h->ncols);
    GKD_TRY(read_entries(&c, t, h, msg));
    int64_t m = 0, loops = 0;
    for (int64_t k = 0; k < c.nnz; k++) {
        if (c.row[k] == c.col[k]) {
            loops++;
            continue;
        }
        c.row[m] = c.row[k];
        c.col[m] = c.col[k];
        c.line[m] = c.line[k];
        m++;
    }
    c.nnz = m;
    GKD_TRY(coo_to_csr(adj, h->symmetric ? NULL : &lines, &c, h->nrows, h->ncols, h->symmetric,
                      t->path, msg));
    if (!h->symmetric) {
        /* Report the earliest line whose mirror image is missing. */
        int64_t bad = -1;
        int32_t bi = 0;
        for (int32_t i = 0; i < adj->nrows; i++)
            for (int64_t q = adj->rowptr[i]; q < adj->rowptr[i + 1]; q++)
                if (!csr_has(adj, adj->colidx[q], i) && (bad < 0 || lines[q] < lines[bad])) {
                    bad = q;
                    bi = i;
                }
        GKD_CHECK(bad < 0, GNNKD_EDATA,
                 "%s:%lld: expected a symmetric adjacency (an undirected graph), found entry "
                 "(%d, %d) without (%d, %d)", t->path, (long long)lines[bad], bi + 1,
                 adj->colidx[bad] + 1, adj->colidx[bad] + 1, bi + 1);
    }
    GKD_FREE(adj->val); /* a pattern */
    coo_free(&c);
    free(lines);
    if (nself) *nself = loops;
    return GNNKD_OK;
}

int gkd_mtx_read_matrix(gnnkd_csr *a, gkd_text *t, const gkd_mtx_header *h, char *msg) {
    coo c = {0};
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        coo_free(&c);                                                                     \
        gnnkd_csr_clear(a);                                                               \
    } while (0)
    memset(a, 0, sizeof *a);
    GKD_TRY(read_entries(&c, t, h, msg));
    GKD_TRY(coo_to_csr(a, NULL, &c, h->nrows, h->ncols, h->symmetric, t->path, msg));
    coo_free(&c);
    return GNNKD_OK;
}

int gkd_mtx_load_graph(gnnkd_csr *adj, int64_t *nself, const char *path, char *msg) {
    gkd_text t;
    gkd_mtx_header h;
    int rc = gkd_text_open(&t, path, msg);
    if (rc == GNNKD_OK) rc = gkd_mtx_read_header(&h, &t, msg);
    if (rc == GNNKD_OK) rc = gkd_mtx_read_graph(adj, nself, &t, &h, msg);
    gkd_text_close(&t);
    return rc;
}

int gkd_mtx_check_feature_columns(const gkd_mtx_header *h, const char *path, char *msg) {
    int64_t bound = GKD_MTX_COLS_PER_ENTRY * h->nnz + GKD_MTX_COLS_MARGIN;
    if (h->ncols <= bound) return GNNKD_OK;
    gkd_msg(msg, "%s:%lld: %d feature columns for %lld entries: at most %d per entry + %d (%lld "
                 "here); a column no entry uses trains nothing",
            path, (long long)h->size_line, h->ncols, (long long)h->nnz, GKD_MTX_COLS_PER_ENTRY,
            GKD_MTX_COLS_MARGIN, (long long)bound);
    return GNNKD_EDATA;
}

int gkd_mtx_load_matrix(gnnkd_csr *a, const char *path, char *msg) {
    return gkd_mtx_load_rows(a, path, -1, NULL, msg);
}

int gkd_mtx_load_rows(gnnkd_csr *a, const char *path, int32_t nrows, const char *of, char *msg) {
    gkd_text t;
    gkd_mtx_header h;
    int rc = gkd_text_open(&t, path, msg);
    if (rc == GNNKD_OK) rc = gkd_mtx_read_header(&h, &t, msg);
    // the row count is the dataset's, not the file's to choose: check it first
    if (rc == GNNKD_OK && nrows >= 0 && h.nrows != nrows) {
        gkd_msg(msg, "%s: %d feature rows for the %d nodes of %s (declared on line %lld; one row "
                     "per node)", path, h.nrows, nrows, of ? of : "the graph", (long long)h.size_line);
        rc = GNNKD_EDATA;
    }
    if (rc == GNNKD_OK && nrows >= 0) rc = gkd_mtx_check_feature_columns(&h, path, msg);
    if (rc == GNNKD_OK) rc = gkd_mtx_read_matrix(a, &t, &h, msg);
    gkd_text_close(&t);
    return rc;
}

/* ---- MatrixMarket: writing ----------------------------------------------- */

int gkd_mtx_save_graph(const gnnkd_csr *adj, const char *path, const char *comment, char *msg) {
    int64_t lower = 0;
    for (int32_t i = 0; i < adj->nrows; i++)
        for (int64_t q = adj->rowptr[i]; q < adj->rowptr[i + 1]; q++) {
            int32_t j = adj->colidx[q];
            if (j == i || !csr_has(adj, j, i)) {
                gkd_msg(msg, "%s: expected a symmetric adjacency without self loops, found "
                            "entry (%d, %d)%s", path, i + 1, j + 1,
                       j == i ? "" : " without its mirror");
                return GNNKD_EINVAL;
            }
            lower += (j < i);
        }
    char tmp[GKD_PATH_LEN + 32];
    FILE *f = gkd_open_tmp(path, tmp, sizeof tmp, msg);
    if (f == NULL) return GNNKD_EIO;
    fprintf(f, "%%%%MatrixMarket matrix coordinate pattern symmetric\n");
    if (comment) fprintf(f, "%% %s\n", comment);
    fprintf(f, "%d %d %lld\n", adj->nrows, adj->ncols, (long long)lower);
    /* Column by column, as the shared datasets are written: the lower
     * triangle's column j is the upper part of row j of a symmetric matrix. */
    for (int32_t j = 0; j < adj->nrows; j++)
        for (int64_t q = adj->rowptr[j]; q < adj->rowptr[j + 1]; q++)
            if (adj->colidx[q] > j) fprintf(f, "%d %d\n", adj->colidx[q] + 1, j + 1);
    return gkd_commit_file(f, tmp, path, 1, msg);
}

/* The shortest %g text (at least 6, at most 9 digits) that reads back as v. */
static const char *float_text(char *buf, size_t len, float v) {
    for (int digits = 6; digits < 9; digits++) {
        snprintf(buf, len, "%.*g", digits, (double)v);
        if (strtof(buf, NULL) == v) return buf;
    }
    snprintf(buf, len, "%.9g", (double)v);
    return buf;
}

int gkd_mtx_save_matrix(const gnnkd_csr *x, const float *xdense, int32_t nrows, int32_t ncols,
                       const char *path, const char *comment, char *msg) {
    int64_t nnz = 0;
    if (x != NULL)
        nnz = gnnkd_csr_nnz(x);
    else
        for (int64_t k = 0; k < (int64_t)nrows * ncols; k++) nnz += (xdense[k] != 0.0f);
    char tmp[GKD_PATH_LEN + 32];
    FILE *f = gkd_open_tmp(path, tmp, sizeof tmp, msg);
    if (f == NULL) return GNNKD_EIO;
    fprintf(f, "%%%%MatrixMarket matrix coordinate real general\n");
    if (comment) fprintf(f, "%% %s\n", comment);
    fprintf(f, "%d %d %lld\n", nrows, ncols, (long long)nnz);
    char num[32];
    for (int32_t i = 0; i < nrows; i++) {
        if (x != NULL) {
            for (int64_t q = x->rowptr[i]; q < x->rowptr[i + 1]; q++)
                fprintf(f, "%d %d %s\n", i + 1, x->colidx[q] + 1,
                        float_text(num, sizeof num, x->val ? x->val[q] : 1.0f));
        } else {
            const float *r = xdense + (int64_t)i * ncols;
            for (int32_t j = 0; j < ncols; j++)
                if (r[j] != 0.0f)
                    fprintf(f, "%d %d %s\n", i + 1, j + 1, float_text(num, sizeof num, r[j]));
        }
    }
    return gkd_commit_file(f, tmp, path, 1, msg);
}
