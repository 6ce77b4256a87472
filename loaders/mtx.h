/*
 * mtx.h — MatrixMarket coordinate files in and out (loaders/mtx.c), private
 * to loaders/.
 *
 * Every reader reports malformed input as GNNKD_EDATA with "path:line: what
 * was expected, what was found", and a file it cannot open or read as
 * GNNKD_EIO. Nothing is left allocated on failure.
 */
#ifndef GKD_LOADERS_MTX_H
#define GKD_LOADERS_MTX_H

#include "core/internal.h"

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
} gkd_mtx_header;

/* Reads the banner "%%MatrixMarket matrix coordinate FIELD SYMMETRY" (field
 * pattern, real, double or integer; symmetry general or symmetric), comment
 * lines and the size line "ROWS COLS NNZ". Rejects sizes beyond int32 and an
 * NNZ the rest of the file is too short to hold, before anything is
 * allocated. Leaves t at the first entry. */
int gkd_mtx_read_header(gkd_mtx_header *h, gkd_text *t, char *msg);

/* Reads the entries after gkd_mtx_read_header as a graph: h must be square;
 * entries (any order) become a symmetric pattern adj (val NULL) with sorted
 * columns. Self loops are dropped and counted in *nself (may be NULL).
 * Duplicates are errors, and so is a general file with an (i, j) but no
 * (j, i). Values of real/integer files are checked but ignored: every stored
 * entry is an edge. */
int gkd_mtx_read_graph(gnnkd_csr *adj, int64_t *nself, gkd_text *t, const gkd_mtx_header *h,
                      char *msg);

/* Reads the entries as a matrix with float values (1 for pattern files),
 * sorted columns, a symmetric file mirrored; duplicates are errors. */
int gkd_mtx_read_matrix(gnnkd_csr *a, gkd_text *t, const gkd_mtx_header *h, char *msg);

/* The same, opening path. */
int gkd_mtx_load_graph(gnnkd_csr *adj, int64_t *nself, const char *path, char *msg);
int gkd_mtx_load_matrix(gnnkd_csr *a, const char *path, char *msg);

/* Features: a column no entry uses is a weight row nothing trains, so a
 * declared column count beyond 16 per entry + 1024 is taken for a malformed
 * file (GNNKD_EDATA naming the size line) before the model allocates
 * columns x hidden weights for it. */
#define GKD_MTX_COLS_PER_ENTRY 16
#define GKD_MTX_COLS_MARGIN 1024
int gkd_mtx_check_feature_columns(const gkd_mtx_header *h, const char *path, char *msg);

/* gkd_mtx_load_matrix for a matrix that must have nrows rows (one per node of
 * the graph named of): another declared count is GNNKD_EDATA naming path and
 * of, before anything is allocated. */
int gkd_mtx_load_rows(gnnkd_csr *a, const char *path, int32_t nrows, const char *of, char *msg);

/* Writes adj (symmetric pattern, no self loops: anything else is
 * GNNKD_EINVAL) as "coordinate pattern symmetric", lower triangle. */
int gkd_mtx_save_graph(const gnnkd_csr *adj, const char *path, const char *comment, char *msg);

/* Writes a sparse (x) or dense (xdense, (nrows, ncols), when x is NULL)
 * matrix as "coordinate real general", each nonzero as the shortest %g text
 * (6 to 9 digits) that reads back as the same float. */
int gkd_mtx_save_matrix(const gnnkd_csr *x, const float *xdense, int32_t nrows, int32_t ncols,
                       const char *path, const char *comment, char *msg);

#endif /* GKD_LOADERS_MTX_H */
