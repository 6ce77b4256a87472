/*
 * loaders_internal.h — what the files of loaders/ share: a whole-file text
 * reader that hands out numbered lines, strict number parsing, and
 * MatrixMarket coordinate files in and out (loaders/mtx.c).
 *
 * Every reader reports malformed input as GNNKD_EDATA with "path:line: what
 * was expected, what was found", and a file it cannot open or read as
 * GNNKD_EIO. Nothing is left allocated on failure.
 */
#ifndef GNNKD_LOADERS_INTERNAL_H
#define GNNKD_LOADERS_INTERNAL_H

#include "gnnkd_internal.h"

/* ---- numbered lines ---------------------------------------------------- */

/* A text file read whole into memory. gk_text_next hands out its lines one
 * at a time (NUL-terminated, without "\n" or "\r\n"); line is the 1-based
 * number of the line last handed out. */
typedef struct {
    const char *path;
    char *buf;       /* len + 1 bytes */
    size_t len, pos; /* pos: the start of the next line */
    int64_t line;
} gk_text;

/* Opens and reads path; a NUL byte in it is GNNKD_EDATA. Close t even on
 * failure (gk_text_close is safe on a zeroed or failed gk_text). */
int gk_text_open(gk_text *t, const char *path, char *msg);
void gk_text_close(gk_text *t);

/* The next line, or NULL at the end of the file. */
char *gk_text_next(gk_text *t);

/* Bytes not yet handed out: a bound on what the rest of the file can hold. */
static inline size_t gk_text_left(const gk_text *t) { return t->len - t->pos; }

/* 1 if s holds only blanks (spaces, tabs, \r, \f, \v). */
int gk_is_blank(const char *s);

/* Strict numbers: each skips leading blanks, reads one whole token into *v
 * and advances *s past it; the token must end at a blank or the end of the
 * line ("12x" is not a number). 0 (and *s unchanged) if the token is not a
 * decimal integer in int64 range / a finite float. */
int gk_parse_int(const char **s, int64_t *v);
int gk_parse_float(const char **s, float *v);

/* Copies the token at s (after blanks, at most 40 characters, or
 * "end of line") into buf, for "found '...'" in messages. */
const char *gk_token(char *buf, size_t len, const char *s);

/* ---- MatrixMarket coordinate files -------------------------------------- */

/* The banner and size line of a MatrixMarket file. */
typedef struct {
    int pattern;      /* field pattern: no values (read as 1) */
    int integer;      /* field integer (else real or pattern) */
    int symmetric;    /* symmetry symmetric: each off-diagonal pair stored once, in
                         either triangle; (i, j) and (j, i) both is a duplicate */
    int32_t nrows, ncols;
    int64_t nnz;      /* entries declared (stored, before mirroring) */
    int64_t size_line;
} gk_mtx_header;

/* Reads the banner "%%MatrixMarket matrix coordinate FIELD SYMMETRY" (field
 * pattern, real, double or integer; symmetry general or symmetric), comment
 * lines and the size line "ROWS COLS NNZ". Rejects sizes beyond int32 and an
 * NNZ the rest of the file is too short to hold, before anything is
 * allocated. Leaves t at the first entry. */
int gk_mtx_read_header(gk_mtx_header *h, gk_text *t, char *msg);

/* Reads the entries after gk_mtx_read_header as a graph: h must be square;
 * entries (any order) become a symmetric pattern adj (val NULL) with sorted
 * columns. Self loops are dropped and counted in *nself (may be NULL).
 * Duplicates are errors, and so is a general file with an (i, j) but no
 * (j, i). Values of real/integer files are checked but ignored: every stored
 * entry is an edge. */
int gk_mtx_read_graph(gnnkd_csr *adj, int64_t *nself, gk_text *t, const gk_mtx_header *h,
                      char *msg);

/* Reads the entries as a matrix with float values (1 for pattern files),
 * sorted columns, a symmetric file mirrored; duplicates are errors. */
int gk_mtx_read_matrix(gnnkd_csr *a, gk_text *t, const gk_mtx_header *h, char *msg);

/* The same, opening path. */
int gk_mtx_load_graph(gnnkd_csr *adj, int64_t *nself, const char *path, char *msg);
int gk_mtx_load_matrix(gnnkd_csr *a, const char *path, char *msg);

/* Writes adj (symmetric pattern, no self loops: anything else is
 * GNNKD_EINVAL) as "coordinate pattern symmetric", lower triangle. */
int gk_mtx_save_graph(const gnnkd_csr *adj, const char *path, const char *comment, char *msg);

/* Writes a sparse (x) or dense (xdense, (nrows, ncols), when x is NULL)
 * matrix as "coordinate real general", each nonzero as the shortest %g text
 * (6 to 9 digits) that reads back as the same float. */
int gk_mtx_save_matrix(const gnnkd_csr *x, const float *xdense, int32_t nrows, int32_t ncols,
                       const char *path, const char *comment, char *msg);

#endif /* GNNKD_LOADERS_INTERNAL_H */
