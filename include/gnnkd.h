/*
 * gnnkd.h — the public API of gnnkd, knowledge distillation for graph neural
 * networks. This header is the manual: read it top to bottom. Its sections
 * follow the library's modules: core, sparse matrices, loaders (datasets,
 * .npy, synthetic graphs, graph files, .npz and OGB files, new nodes,
 * statistics, splits), gnn (the normalised adjacency, models, node-level
 * inference, profiling, the C export), distill (losses, training, teachers,
 * transfer sets, names, the recipe, settings, MUNGE), dist (graph
 * partitions).
 *
 * Conventions (as in LAGraph and igraph):
 *   - Every function that can fail returns a gnnkd_status (GNNKD_OK = 0),
 *     which must be read (GNNKD_NODISCARD), and takes `char *msg` last: a
 *     buffer of GNNKD_MSG_LEN bytes, or NULL. msg is cleared on entry; on
 *     failure it holds the first error met, "where: what went wrong" (for
 *     malformed input files `where` is "file:line").
 *   - Arguments: outputs first, then inputs, then msg.
 *   - Objects come in pairs: gnnkd_x_new (or a loader) / gnnkd_x_free. A
 *     constructor sets its output to NULL first, so it is NULL after a
 *     failure; free takes the address of the pointer, frees the object and
 *     sets the pointer to NULL; NULL is fine.
 *   - Ownership, unless a function's comment says otherwise ("Ownership:"):
 *     pointer arguments are borrowed for the call only; the library keeps no
 *     pointer to them and never frees them. Arrays it allocates for the
 *     caller are freed with free(); objects with their gnnkd_x_free.
 *   - Node ids and dimensions are int32_t; nonzero counts are int64_t.
 *   - Dense matrices are row-major float arrays; shapes are given as (rows, cols).
 *   - Global state: GraphBLAS (started once, on first need or by
 *     gnnkd_init, released by gnnkd_finalize), the thread counts that
 *     gnnkd_set_threads sets, the tuning settings (gnnkd_tuning_set and the
 *     GNNKD_* environment variables read at load time), and igraph's
 *     process-wide settings, which the library changes only while it holds
 *     its own lock and always puts back. Nothing else is shared between calls.
 *   - Threads: unless a section says otherwise, functions may be called from
 *     several threads at once on distinct objects; an object (dataset, graph,
 *     model, teacher) is used by one thread at a time, except that objects
 *     passed as const may be read by several threads together.
 */
#ifndef GNNKD_H
#define GNNKD_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>

#include "gnnkd_version.h" /* GNNKD_VERSION, generated from the build */

#ifdef __cplusplus
extern "C" {
#endif

#define GNNKD_MSG_LEN 512
#define GNNKD_MAX_LAYERS 8
#define GNNKD_MIN_LAYERS 2 /* weight layers: a model has at least one hidden layer */

/* Every public declaration carries GNNKD_API: the library is built with
 * hidden visibility, so what is not declared here does not exist for a user.
 * GNNKD_NODISCARD marks the functions whose status must be read. */
#if defined(__GNUC__)
#define GNNKD_API __attribute__((visibility("default")))
#define GNNKD_NODISCARD __attribute__((warn_unused_result))
#else
#define GNNKD_API
#define GNNKD_NODISCARD
#endif

/* ======================================================================== */
/* core: status, version, library state, threads                           */
/* ======================================================================== */

typedef enum gnnkd_status {
    GNNKD_OK = 0,
    GNNKD_EINVAL = 1,    /* a bad argument or option: a usage error */
    GNNKD_EDATA = 2,     /* malformed input data */
    GNNKD_EIO = 3,       /* a file could not be opened, read or written */
    GNNKD_ENOMEM = 4,    /* out of memory, or a size too large to allocate */
    GNNKD_ENUMERIC = 5,  /* NaN or Inf appeared while training */
    GNNKD_EINTERNAL = 6  /* a library below (GraphBLAS, igraph) failed */
} gnnkd_status;

/* The status's name, e.g. "GNNKD_EDATA" ("GNNKD_UNKNOWN" for another value).
 * Ownership: a static string. */
GNNKD_API const char *gnnkd_status_name(gnnkd_status status);

/* The process exit code for a status: 0 for GNNKD_OK, 2 for usage and data
 * errors (EINVAL, EDATA, EIO), 1 for the rest. */
GNNKD_API int gnnkd_exit_code(gnnkd_status status);

/* The version of the library binary, e.g. "0.1.0"; GNNKD_VERSION is the
 * version of this header (the two differ only if a program runs against
 * another build than it was compiled with). Ownership: a static string. */
GNNKD_API const char *gnnkd_version(void);

/* Starts what the library needs from the libraries below it (GraphBLAS) now,
 * so that a failure shows here rather than in the first gnnkd_graph_new.
 * Optional: every function starts what it needs itself, once, on first use.
 * Calling it again is a cheap GNNKD_OK. GNNKD_EINTERNAL if GraphBLAS fails
 * to start; GNNKD_EINVAL after gnnkd_finalize (GraphBLAS starts once per
 * process). Thread-safe. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_init(char *msg);

/* Releases GraphBLAS (GrB_finalize), at the end of a program; it waits for
 * graphs being built on other threads to finish. Afterwards gnnkd_init and
 * gnnkd_graph_new fail with GNNKD_EINVAL; everything else,
 * including existing graphs, models and datasets, keeps working, and the
 * objects are still freed as usual. A second call does nothing. igraph needs
 * no release: the library leaves none of igraph's settings behind. */
GNNKD_API void gnnkd_finalize(void);

/* Sets the number of threads of the library's parallel loops; n <= 0 means
 * all cores. OpenMP keeps this count per calling thread: it applies to the
 * later calls made from the thread that set it (and to that thread's own
 * OpenMP regions), while other threads keep theirs (by default
 * OMP_NUM_THREADS or all cores). OpenBLAS's thread count, set here too, is
 * process-wide. Never more than gnnkd_threads_fit(). gnnkd_get_threads is
 * the calling thread's count. */
GNNKD_API void gnnkd_set_threads(int n);
GNNKD_API int gnnkd_get_threads(void);

/* The most threads whose pools fit the address-space limit (ulimit -v,
 * RLIMIT_AS): half of the space left, at about 144 MB a thread (OpenBLAS's
 * buffer, a malloc arena, a stack); INT32_MAX without a limit. OpenBLAS
 * spins forever when its buffers do not fit, so gnnkd_set_threads caps by it. */
GNNKD_API int gnnkd_threads_fit(void);

/* Checks, without creating anything, that path can be written as an output,
 * so that a program can refuse it before hours of work: GNNKD_EINVAL if path
 * is empty or a directory, GNNKD_EIO if its folder does not exist or cannot
 * be written. Outputs: a regular file is replaced whole (written to an unnamed
 * temporary file, flushed to disk, renamed into place); a symlink is
 * followed (its target is replaced, the link stays); a character device or a
 * FIFO (/dev/null, /dev/stdout) is written directly, never replaced. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_output_check(const char *path, char *msg);

/* The bytes of the state an output keeps between open and close. */
#define GNNKD_OUTPUT_STATE_LEN 4160

/* Opens path as an output, the way the library writes its own files (see
 * gnnkd_output_check): *file (NULL on error) is where to write, state
 * (GNNKD_OUTPUT_STATE_LEN bytes, the caller's) what gnnkd_output_close needs.
 * Nothing appears at path before gnnkd_output_close keeps it, and nothing
 * half-written ever does. GNNKD_EINVAL for an empty path or a directory,
 * GNNKD_EIO if the file cannot be created. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_output_open(FILE **file, char *state, const char *path,
                                                         char *msg);

/* Closes file (from gnnkd_output_open with this state and path; always
 * closed, also on error). keep = 1 flushes the data to disk and puts them at
 * path, replacing what was there at once; keep = 0 drops them and leaves path
 * as it was. GNNKD_EIO if a write failed or the file cannot be put in place
 * (path is then unchanged). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_output_close(FILE *file, const char *state, const char *path,
                                                          int keep, char *msg);

/* ---- Tuning: parallel thresholds and the copy of the hot kernels ----------
 * The settings in force are the defaults, then the environment variables
 * named below (read once, when the library is loaded; a malformed or
 * out-of-range value is ignored with a one-line warning on stderr), then
 * gnnkd_tuning_set. The defaults were measured on one machine:
 * docs/perf-notes.md says which figure justifies each and how to re-measure
 * it on another. Like the thread count, these are process-wide: change them
 * while no other gnnkd call runs. A threshold that changes a loop's thread
 * count may change its summation order, as gnnkd_set_threads does. */

/* The copies of the hot kernels (x86-64 micro-architecture levels). */
typedef enum gnnkd_isa {
    GNNKD_ISA_BASELINE = 0,  /* "baseline": the build's own flags */
    GNNKD_ISA_X86_64_V3 = 1, /* "x86-64-v3": AVX2 and FMA */
    GNNKD_ISA_X86_64_V4 = 2  /* "x86-64-v4": AVX-512 */
} gnnkd_isa;

typedef struct gnnkd_tuning {
    /* GNNKD_PAR_MIN (default 32768): loops with fewer multiply-adds (or
     * hashed elements) run on one thread: waking a team costs more. */
    int64_t par_min;
    /* GNNKD_PAR_MIN_STREAM (1048576): the same for loops that only stream
     * memory (bias, ReLU, masked gradients): a team barely speeds them up. */
    int64_t par_min_stream;
    /* GNNKD_BLAS_PAR_MIN (4194304): OpenBLAS products of fewer
     * multiply-adds run on one thread. */
    int64_t blas_par_min;
    /* GNNKD_NARROW_MIN_IN (64): a product with at most 16 outputs (the
     * logits) uses gnnkd's own narrow kernel from this many inputs on,
     * OpenBLAS below. */
    int64_t narrow_min_in;
    /* GNNKD_LOSS_PAR_MIN (65536): the same for the losses, in logits. */
    int64_t loss_par_min;
    /* GNNKD_DROP_FLOATS (4194304): dense features are dropped out and
     * multiplied in blocks of about this many floats. */
    int64_t drop_floats;
    /* GNNKD_PREFETCH_BYTES (33554432): Â x prefetches x's rows when x is
     * larger than this... */
    int64_t prefetch_bytes;
    /* GNNKD_PREFETCH_AHEAD (16): ...this many nonzeros ahead. */
    int64_t prefetch_ahead;
    /* GNNKD_ISA (x86-64-v4, x86-64-v3 or baseline; default the best this
     * CPU runs): the copy of the hot kernels in use. */
    gnnkd_isa isa;
} gnnkd_tuning;

/* *t = the built-in defaults, with the best isa this build and CPU run; the
 * environment is not consulted. O(1). */
GNNKD_API void gnnkd_tuning_default(gnnkd_tuning *t);

/* *t = the settings in force. O(1). */
GNNKD_API void gnnkd_tuning_get(gnnkd_tuning *t);

/* Makes *t (copied) the settings in force, all or nothing. GNNKD_EINVAL,
 * naming the field, for a negative threshold, drop_floats < 1,
 * prefetch_ahead > 4096, or an isa this build or CPU cannot run (the
 * settings are then unchanged). Not thread-safe (see above). O(1). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_tuning_set(const gnnkd_tuning *t, char *msg);

/* The isa's name ("x86-64-v4", "x86-64-v3", "baseline"), NULL if there is
 * no such level. Static storage. */
GNNKD_API const char *gnnkd_isa_name(int isa);

/* ======================================================================== */
/* Sparse matrices (CSR)                                                    */
/* ======================================================================== */

/* Compressed sparse rows: row i's entries are colidx[rowptr[i] .. rowptr[i+1]),
 * columns ascending within a row. val is NULL for a pattern (all ones).
 * The arrays are allocated with malloc: a gnnkd_csr the library fills is
 * released with gnnkd_csr_clear (or by the object that owns it). */
typedef struct {
    int32_t nrows, ncols;
    int64_t *rowptr; /* nrows + 1 */
    int32_t *colidx; /* nnz */
    float *val;      /* nnz, or NULL */
} gnnkd_csr;

static inline int64_t gnnkd_csr_nnz(const gnnkd_csr *a) { return a->rowptr ? a->rowptr[a->nrows] : 0; }

/* Frees the arrays of a and zeroes it (a itself is not freed). NULL is fine. */
GNNKD_API void gnnkd_csr_clear(gnnkd_csr *a);

/* ======================================================================== */
/* loaders: datasets                                                        */
/* ======================================================================== */

enum { GNNKD_TRAIN = 0, GNNKD_VAL = 1, GNNKD_TEST = 2 };

/* How a dataset's features were transformed after reading, and so how a
 * model trained on them expects its input: kept as read, or each row scaled
 * to sum 1 (gnnkd_dataset_normalize_features). A model records it
 * (gnnkd_model_get_feature_norm) so that new raw feature rows can be given
 * the same treatment (gnnkd predict, gnnkd_model_export_c). */
typedef enum {
    GNNKD_FEATURES_RAW = 0,    /* as read */
    GNNKD_FEATURES_ROW_SUM = 1 /* each row scaled by 1 / its sum (rows summing to 0 kept) */
} gnnkd_feature_norm;

/* "raw", "row-sum" (and "?"). Static strings. */
GNNKD_API const char *gnnkd_feature_norm_name(gnnkd_feature_norm f);

/* A node-classification dataset: an undirected graph, node features, labels
 * and a train/validation/test split. Fields may be read directly; the
 * dataset owns every array in it (allocated with malloc, all freed by
 * gnnkd_dataset_free), so a caller who replaces one frees the old one. */
typedef struct {
    char name[128];
    int32_t n;       /* nodes */
    int32_t nfeat;   /* feature dimension */
    int32_t nclass;  /* classes; labels are 0..nclass-1 */
    gnnkd_csr adj;   /* (n, n) symmetric pattern, no self loops, no duplicates */
    gnnkd_csr x;     /* (n, nfeat) sparse features; x.rowptr is NULL if dense */
    float *xdense;   /* (n, nfeat) dense features, or NULL if sparse */
    int32_t *label;  /* (n) class of each node, -1 = unlabelled */
    int32_t *split[3];  /* node ids of GNNKD_TRAIN, GNNKD_VAL, GNNKD_TEST */
    int32_t nsplit[3];  /* their lengths */
    gnnkd_feature_norm feature_norm; /* what was done to x / xdense after
                                        reading (RAW until
                                        gnnkd_dataset_normalize_features
                                        scales the rows) */
} gnnkd_dataset;

/* A new, empty dataset (all fields zero). GNNKD_ENOMEM.
 * Ownership: the caller frees *d with gnnkd_dataset_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_new(gnnkd_dataset **d, char *msg);

/* Frees d's arrays and d, and sets *d to NULL. NULL is fine. */
GNNKD_API void gnnkd_dataset_free(gnnkd_dataset **d);

/* Reads a dataset folder in the gnnkd format: adjacency.mtx, features.mtx
 * (MatrixMarket coordinate; pattern/real/integer; general/symmetric),
 * labels.txt, train.txt, val.txt, test.txt, classes.txt. Every malformed input
 * is a GNNKD_EDATA naming the file and line ("path:line: what was
 * expected, what was found"): bad banner or size line, wrong entry counts,
 * indices out of range, duplicates, an asymmetric adjacency, NaN/Inf or
 * non-numeric values, labels outside 0..nclass-1 other than -1, split ids
 * out of range, repeated or overlapping, an unlabelled split node, and a
 * declared size the file is too short to hold or that disagrees with another
 * file, more classes than nodes (refused before allocating).
 * A missing file is GNNKD_EIO. Self loops in the adjacency are dropped.
 * Features are kept as read (see gnnkd_dataset_normalize_features).
 * O(file size). Ownership: a new dataset, freed with gnnkd_dataset_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_load_dir(gnnkd_dataset **d,
                                                             const char *dir, char *msg);

/* Opens a dataset by specification:
 *   - "synthetic" or "synthetic:KEY=VALUE,..." : the built-in generator;
 *   - a value containing '/' : a path, read directly;
 *   - otherwise NAME : the path data_dir/NAME, where data_dir defaults (NULL)
 *     to the environment variable GNNKD_DATA; NAME "." or ".." is
 *     GNNKD_EINVAL (a name never leaves data_dir).
 * The path is then read by its kind: a name ending in ".npz" with
 * gnnkd_dataset_load_npz, a folder holding raw/edge.csv.gz with
 * gnnkd_dataset_load_ogb (its only split; see there), any other folder with
 * gnnkd_dataset_load_dir. What those two drop is not reported here: call
 * them directly for their gnnkd_graph_counts.
 * d->name is NAME or the path's last component (without ".npz").
 * GNNKD_EINVAL if NAME is given and neither data_dir nor GNNKD_DATA is;
 * otherwise as the loader or the generator. Ownership: a new dataset, freed
 * with gnnkd_dataset_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_open(gnnkd_dataset **d, const char *spec,
                                                         const char *data_dir, char *msg);

/* Scales each feature row to sum 1 (rows that sum to 0 are left as they are),
 * as Kipf & Welling do for bags of words. Features with a negative value
 * anywhere (such as the synthetic Gaussians) are left as they are: their row
 * sums mean nothing. Pattern features get a value array (all ones before
 * scaling): GNNKD_ENOMEM if it cannot be allocated, and then d is unchanged.
 * d->feature_norm becomes GNNKD_FEATURES_ROW_SUM when the rows were scaled
 * (it stays as it was for signed features). GNNKD_EINVAL if d is NULL.
 * O(nnz). Ownership: changes d in place. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_normalize_features(gnnkd_dataset *d,
                                                                       char *msg);

/* Row i of d's features (0 <= i < d->n, not checked), in the two forms an
 * exported model takes: dense into x (d->nfeat floats) and as its nonzeros
 * (column ids ascending into idx, values into val; up to d->nfeat each).
 * Returns the number of nonzeros. O(nfeat) for dense features, O(nfeat +
 * row nonzeros) for sparse ones. Ownership: writes the caller's arrays. */
GNNKD_API int32_t gnnkd_dataset_feature_row(const gnnkd_dataset *d, int32_t i, float *x,
                                           int32_t *idx, float *val);

/* Writes d as a dataset folder in the format read by gnnkd_dataset_load_dir
 * (creating the folder if needed); floats are written so that they read
 * back bit for bit. Each file is written to a temporary name and renamed.
 * GNNKD_EIO if the folder or a file cannot be written. O(nnz). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_save_dir(const gnnkd_dataset *d,
                                                             const char *dir, char *msg);

/* ======================================================================== */
/* loaders: .npy files (NumPy format, float32, 2-D, C order)                */
/* ======================================================================== */

/* Writes a (rows, cols) as NumPy's format 1.0 ('<f4', C order), through a
 * temporary file and a rename. GNNKD_EIO if it cannot be written. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_npy_write(const char *path, const float *a,
                                                      int64_t rows, int64_t cols, char *msg);

/* Reads a 2-D (or 1-D, as (rows, 1)) float32 or float64 .npy file into a new
 * float array. Another dtype, Fortran order, a bad magic or header,
 * truncated data, or a NaN or infinite value (also after float64 to
 * float32) is GNNKD_EDATA naming the file (and the row and column); a
 * missing file or one that is not a regular file GNNKD_EIO.
 * Ownership: *a is new; the caller frees it with free(). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_npy_read(float **a, int64_t *rows, int64_t *cols,
                                                     const char *path, char *msg);

/* ======================================================================== */
/* loaders: synthetic graphs                                                */
/* ======================================================================== */

/* A contextual stochastic block model from a specification "synthetic" or
 * "synthetic:KEY=VALUE,..." (see the keys below). Deterministic for a seed:
 * the same spec gives the same dataset on any number of threads.
 *
 * Structure: igraph_sbm_game (seeded from `seed` through a private igraph
 * RNG) with `classes` blocks of near-equal size (the first n % classes
 * blocks one node larger) and two edge probabilities chosen so that the
 * expected number of edges is nodes * degree / 2 and the expected fraction
 * of them inside a class is `homophily`. Undirected, no loops, no
 * duplicates. Blocks are consecutive node ranges (class 0 first), and
 * every node is labelled with its block.
 * Features: dense (xdense), x = mu[class] + N(0, I); the class means are
 * orthogonal (class c puts snr / sqrt(2 b) on its own b = features / classes
 * coordinates), so any two means are exactly `snr` apart. Drawn with a
 * counter-based generator keyed by (seed, node).
 * Split: Planetoid-like, `train-per-class` random nodes of each class for
 * training, then `val` and `test` random other nodes. With fewer nodes than
 * the preset's, val and test not given as keys are scaled by nodes / the
 * preset's nodes (synthetic:nodes=500: val 92, test 184); a split that does
 * not fit is GNNKD_EINVAL naming the three keys.
 *
 * Keys (defaults = preset=cora):
 *   preset=cora|scale  start from a preset; later keys override it
 *   nodes=N classes=K degree=D (mean degree) homophily=H (0..1)
 *   features=F (>= classes) snr=S (>= 0) seed=N
 *   train-per-class=T val=V test=E
 * Presets:
 *   cora   nodes=2708 classes=7 degree=3.9 homophily=0.81 features=256
 *          snr=2 train-per-class=20 val=500 test=1000: like Cora, a 2-layer
 *          GCN (gcn:16) is far ahead of an MLP (mlp:64) trained from scratch
 *          (test accuracy 0.786 against 0.281, 3 seeds) and not at 100%;
 *          256 dimensions (not 64) leave a distilled MLP room to fit the
 *          teacher: KD from gcn:64 gives it 0.698 (64: 0.558)
 *   scale  nodes=1000000 classes=10 degree=20 (~10M undirected edges)
 *          homophily=0.8 features=128 snr=2 train-per-class=20 val=500
 *          test=1000: for timing; the 512 MB of dense features dominate
 *          its memory.
 * Errors: an unknown key, a malformed or out-of-range value: GNNKD_EINVAL
 * naming it. O(nodes * features + edges).
 * Ownership: a new dataset, freed with gnnkd_dataset_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_synthetic(gnnkd_dataset **d,
                                                              const char *spec, char *msg);

/* ======================================================================== */
/* loaders: graph files, statistics, splits                                 */
/* ======================================================================== */
/* The functions here that use igraph (gnnkd_dataset_load_graph,
 * gnnkd_dataset_synthetic above, gnnkd_dataset_stats, gnnkd_dataset_lcc)
 * may be called from several threads: they take turns on one library lock,
 * because igraph keeps its error handler, attribute table and random number
 * generator in process-wide variables. A program that calls igraph itself
 * must not do so while another thread is in one of them. */

/* What reading a graph file dropped or changed to give a simple undirected
 * graph. */
typedef struct {
    int directed;          /* the file declared a directed graph: symmetrised */
    int64_t file_edges;    /* edges (arcs) as read from the file */
    int64_t self_loops;    /* dropped */
    int64_t duplicates;    /* dropped: a pair seen before (either direction
                              for undirected files, the same direction for
                              directed ones) */
    int64_t reciprocal;    /* directed files: arc pairs u->v, v->u merged
                              into one edge */
    int64_t edges;         /* undirected edges kept */
} gnnkd_graph_counts;

/* Reads a graph structure with igraph, and optionally node features and
 * labels, into a new dataset.
 *
 * format: "edgelist", "ncol", "lgl", "pajek", "graphml", "gml", "dimacs",
 * or NULL to guess from graph_path's extension: .txt .edges .el edgelist,
 * .ncol, .lgl, .net .paj pajek, .graphml, .gml, .dimacs .max dimacs.
 * Edge lists, NCOL and LGL files are read as undirected (every line is an
 * edge; "1 2" after "2 1" is a duplicate); GraphML, GML and Pajek files say
 * whether they are directed and DIMACS files are directed; directed graphs
 * are symmetrised. Self loops and duplicate edges are dropped and counted in
 * *counts (may be NULL). Weights and other attributes are ignored.
 *
 * Rows: which node of the file is row i of the features and labels.
 *   - edgelist: node id k (0-based) is row k; n = the largest id + 1, which
 *     must be at most 16 per edge + 1024 (a larger id is GNNKD_EDATA: one
 *     stray id would otherwise make every id below it a node).
 *   - pajek, dimacs: vertex k (1-based, as numbered in the file) is row k-1;
 *     the declared node count ("*Vertices N", "p max N M") and, in dimacs,
 *     every id of an "a U V", "e U V" or "n ID" line must be at most 16 per
 *     line of the file + 1024 (GNNKD_EDATA otherwise).
 *   - ncol, lgl (the names), graphml (the node id attribute), gml (the id
 *     key): if every name is a decimal integer, rows follow the names in
 *     ascending numeric order (so names 0..n-1 or 1..n keep their order);
 *     otherwise rows follow the order in which the file first mentions
 *     each node (igraph's vertex order).
 *
 * features_path (NULL for none): .mtx (MatrixMarket coordinate, sparse x)
 * or .npy (float32/64, dense xdense), one row per node. Without features
 * the nodes get a sparse one-hot stand-in: the identity (nfeat = n) when
 * n <= 20000, otherwise a one-hot of the log-degree bucket
 * floor(log2(degree + 1)) (nfeat = the largest bucket + 1).
 * labels_path (NULL for none: all -1, nclass 0): .npy (one column) or
 * text, one integer class (or -1) per line; nclass = the largest + 1, at
 * most n (GNNKD_EDATA beyond: the outputs are n x nclass).
 * The split is left empty (see gnnkd_dataset_split).
 *
 * Errors: a file igraph cannot parse is GNNKD_EDATA "path: igraph's reason";
 * a missing file or one that is not a regular file GNNKD_EIO; an unknown
 * format GNNKD_EINVAL; a features or
 * labels file whose row count is not n is GNNKD_EDATA naming that file.
 * O(edges log edges + feature size).
 * Ownership: a new dataset, freed with gnnkd_dataset_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_load_graph(
    gnnkd_dataset **d, gnnkd_graph_counts *counts, const char *graph_path, const char *format,
    const char *features_path, const char *labels_path, char *msg);

/* Builds a dataset's adjacency from an edge list: pairs (u[e], v[e]) of
 * node ids in [0, n), symmetrised, self loops and duplicates dropped and
 * counted (as for gnnkd_dataset_load_graph; directed tells whether (u, v)
 * and (v, u) are reciprocal arcs or duplicates). counts may be NULL.
 * O(m) plus a radix sort. Ownership: u and v are read, not kept; d->adj is
 * replaced (the old one freed) and d->n set; d is unchanged on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_set_edges(
    gnnkd_dataset *d, gnnkd_graph_counts *counts, int32_t n, const int32_t *u, const int32_t *v,
    int64_t m, int directed, char *msg);

/* ---- The GLNN/CPF data files (.npz) and the OGB node-property layout ---- */

/* Reads a .npz file of Shchur et al.'s gnn-benchmark (the files of CPF,
 * GLNN, NOSMOG, VQGraph): a zip of .npy members, stored or deflated, opened
 * with libzip. Members, NAME.npy each (other members, such as node_names and
 * class_names, are not read):
 *   adj_shape (2 integers: n, n), adj_indptr (n + 1 offsets), adj_indices,
 *     adj_data: the adjacency as SciPy CSR parts; every stored entry is an
 *     arc whatever its value; arcs are symmetrised, self loops and
 *     duplicates dropped and counted in *counts (may be NULL) as by
 *     gnnkd_dataset_set_edges with directed = 1;
 *   attr_matrix (n, f), dense, if present; otherwise attr_shape (n, f),
 *     attr_indptr, attr_indices, attr_data: sparse features, columns sorted
 *     on reading; values kept as read, as float32;
 *   labels: n class ids (any integer dtype; -1 = unlabelled), nclass = the
 *     largest + 1; or, without it, labels_shape (n, C), labels_indptr,
 *     labels_indices, labels_data: one-hot rows (an empty row is
 *     unlabelled), nclass = C.
 * Each member's header is checked strictly: a little-endian numeric dtype of
 * the right kind (integer for shapes, offsets, indices and labels), C order,
 * the expected number of dimensions, and a shape whose bytes are exactly
 * what the member holds, before anything is allocated. The file holds no
 * split: the split is left empty (see gnnkd_dataset_split).
 * Errors: a missing or unreadable file is GNNKD_EIO; anything malformed is
 * GNNKD_EDATA "path:member: what was expected, what was found" (a missing
 * member, a wrong dtype or shape, a truncated member or one declaring more
 * than it holds, offsets not starting at 0, decreasing or not ending at the
 * entry count, an index out of range, a repeated feature column, a
 * non-finite feature, a label out of range or a count that is not one per
 * node), or "path: ..." when the zip itself is bad. O(file size +
 * edges log edges). Ownership: a new dataset, freed with
 * gnnkd_dataset_free; *counts is the caller's. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_load_npz(gnnkd_dataset **d,
                                                             gnnkd_graph_counts *counts,
                                                             const char *path, char *msg);

/* Reads an Open Graph Benchmark node-property dataset in its raw layout
 * (ogbn-arxiv, ogbn-products: what OGB downloads and unpacks), a folder dir
 * with, all gzip-compressed CSV without a header line (read with zlib,
 * which reads an uncompressed file as it is):
 *   raw/edge.csv.gz         "u,v" a line, 0-based node ids: arcs,
 *                           symmetrised; self loops and duplicates dropped
 *                           and counted in *counts (may be NULL) as by
 *                           gnnkd_dataset_set_edges with directed = 1
 *   raw/node-feat.csv.gz    one line per node: f comma-separated floats
 *                           (dense features, xdense)
 *   raw/node-label.csv.gz   one line per node: a class id ("3" or "3.0"),
 *                           or "nan" (OGB's unlabelled nodes) or -1, read
 *                           as -1; nclass = the largest + 1
 *   raw/num-node-list.csv.gz  optional: one line, the node count n, which
 *                           must match the feature and label lines
 *   split/NAME/train.csv.gz, valid.csv.gz, test.csv.gz  node ids, one a
 *                           line: GNNKD_TRAIN, GNNKD_VAL, GNNKD_TEST, in
 *                           the files' order
 * split_name is NAME; NULL takes the one folder under split/, or leaves the
 * split empty if dir has no split/ folder (GNNKD_EINVAL if it has several).
 * Errors: a missing file is GNNKD_EIO; every malformed line GNNKD_EDATA
 * "path:line: what was expected, what was found" (a wrong field count, a
 * non-number, a non-finite feature, an id out of range, a label below -1
 * or fractional, a split node that is unlabelled, repeated or in two
 * splits, an empty line, a row count that is not n), and so is data zlib
 * cannot inflate ("path:line: expected gzip-compressed text, found: ...",
 * the line it stopped in). Arrays grow with what the files hold;
 * no declared count is allocated before the lines it counts are read.
 * d->name is dir's last component. O(file size + edges log edges).
 * Ownership: a new dataset, freed with gnnkd_dataset_free; *counts is the
 * caller's. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_load_ogb(gnnkd_dataset **d,
                                                             gnnkd_graph_counts *counts,
                                                             const char *dir,
                                                             const char *split_name, char *msg);

/* A summary of a dataset (gnnkd info). */
typedef struct {
    int32_t nodes;
    int64_t edges;             /* undirected */
    int32_t isolated;          /* nodes of degree 0 */
    int32_t degree_min, degree_max;
    double degree_mean;        /* 2 * edges / nodes */
    double degree_median;      /* the mean of the middle two for even n */
    int32_t components;        /* connected components (igraph, weak) */
    int32_t largest_component; /* nodes in the largest one */
    double clustering;         /* mean local clustering coefficient over all
                                  nodes, nodes of degree < 2 counting as 0
                                  (igraph_transitivity_avglocal_undirected,
                                  IGRAPH_TRANSITIVITY_ZERO) */
    int64_t labelled_edges;    /* edges whose ends are both labelled */
    double edge_homophily;     /* the fraction of those joining the same
                                  class; NaN if there are none */
    int32_t labelled;          /* nodes with a label */
    int32_t nclass;
    int32_t *class_count;      /* (nclass) nodes per class; gnnkd_stats_clear */
    int32_t nfeat;
    int64_t feature_nnz;       /* nonzero feature values */
    double feature_density;    /* feature_nnz / (nodes * nfeat) */
    int dense_features;        /* 1 if d->xdense */
    int32_t nsplit[3];
} gnnkd_stats;

/* Computes s for d; components and clustering with igraph.
 * O(edges * max degree + feature size). Ownership: s is overwritten (not
 * freed: clear a used one first); s->class_count is new, released with
 * gnnkd_stats_clear(s). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_stats(gnnkd_stats *s, const gnnkd_dataset *d,
                                                          char *msg);

/* Frees s->class_count and zeroes s (s itself is not freed). NULL is fine. */
GNNKD_API void gnnkd_stats_clear(gnnkd_stats *s);

/* Splits. Each replaces d's split (freeing the old lists; d keeps its split
 * on failure) with sorted, disjoint node lists drawn among labelled nodes
 * with the seed (the same seed, the same split), and fails with
 * GNNKD_EINVAL naming the class when a class has too few labelled nodes for
 * the request, or when too few nodes are left.
 *
 * random: train_per_class nodes of each class for training, then nval and
 * ntest nodes drawn from the other labelled nodes (Planetoid-like). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_split_random(
    gnnkd_dataset *d, int32_t train_per_class, int32_t nval, int32_t ntest, uint64_t seed,
    char *msg);

/* per-class: train_per_class and val_per_class nodes of each class; every
 * other labelled node is a test node (as in CPF and GLNN). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_split_per_class(
    gnnkd_dataset *d, int32_t train_per_class, int32_t val_per_class, uint64_t seed, char *msg);

/* Applies a split given as text: "planetoid" (keep d's split),
 * "random:T:V:E" or "per-class:T:V"; anything else is GNNKD_EINVAL. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_split(gnnkd_dataset *d, const char *spec,
                                                          uint64_t seed, char *msg);

/* Keeps only the largest connected component (igraph's weak components;
 * between equal sizes the one holding the smallest node id), renumbering
 * nodes in their old order: adjacency, features, labels and split lists
 * (nodes outside the component leave the split) all follow. O(n + edges +
 * feature size). Ownership: d's arrays are replaced by new ones (the old
 * ones freed), so pointers into them taken before are stale; d is
 * unchanged on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_lcc(gnnkd_dataset *d, char *msg);

/* New nodes (loaders/append.c): what a trained model is asked about after
 * training. gnnkd_features_read reads their raw feature rows, .mtx
 * (MatrixMarket coordinate: sparse x) or .npy (float32/64: dense xdense),
 * into a new dataset of those rows alone: n rows, no edges, labels -1,
 * nclass 0, feature_norm RAW. nfeat > 0 is the width expected: another
 * width is GNNKD_EDATA "path: C feature columns; expected nfeat". Malformed
 * files are GNNKD_EDATA naming the file (and line), a missing one
 * GNNKD_EIO. O(file size). Ownership: a new dataset (gnnkd_dataset_free). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_features_read(gnnkd_dataset **d, const char *path,
                                                          int32_t nfeat, char *msg);

/* The induced subgraph of d on the nodes with keep[i] != 0 (keep has d->n
 * entries), as a new dataset: nodes renumbered in their old order, every
 * edge with a dropped end gone, features, labels and split lists following
 * (dropped nodes leave the split); name, nfeat and nclass as d's. *ids (may
 * be NULL) receives the new-to-old map: node k of *sub is node (*ids)[k] of
 * d. GNNKD_EINVAL for NULL arguments or a d without a graph; GNNKD_ENOMEM.
 * O(n + edges + feature size). Ownership: d and keep are read, not kept;
 * *sub is new (gnnkd_dataset_free), *ids too (free()); both NULL on
 * failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_subgraph(gnnkd_dataset **sub, int32_t **ids,
                                                             const gnnkd_dataset *d,
                                                             const uint8_t *keep, char *msg);

/* ======================================================================== */
/* loaders: DeepWalk position features (loaders/deepwalk.c)                 */
/* ======================================================================== */

/* DeepWalk (Perozzi, Al-Rfou, Skiena 2014): walks uniform random walks of
 * length nodes from every node (igraph_random_walk, igraph's RNG seeded
 * with seed for the call), then skip-gram with negative sampling over them
 * (Mikolov et al. 2013): a window of up to window nodes each side (shrunk
 * at random per position, as word2vec does), negatives drawn from the
 * walks' node frequencies to the power 0.75, step lr decaying linearly to
 * 1e-4 lr over epochs passes. Defaults (gnnkd_deepwalk_options_default):
 * NOSMOG's Cora configuration, dim 64, walks 5, length 50, window 5,
 * epochs 1; word2vec's negatives 5, lr 0.025; seed 0. */
typedef struct {
    int32_t dim, walks, length, window, epochs, negatives;
    float lr;
    uint64_t seed;
} gnnkd_deepwalk_options;

/* Fills the caller's *o with the defaults above. O(1). */
GNNKD_API void gnnkd_deepwalk_options_default(gnnkd_deepwalk_options *o);

/* Parses "deepwalk:D[,walks=W][,length=L][,window=K][,epochs=E]
 * [,negatives=N][,lr=R][,seed=S]" (keys in any order, unset ones at their
 * defaults) into *o. GNNKD_EINVAL naming the text and the bad part (a
 * dimension of 0, an unknown key, a value out of range); *o is unchanged
 * then. O(length of text). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_deepwalk_options_parse(gnnkd_deepwalk_options *o,
                                                                   const char *text, char *msg);

/* *emb (adj->nrows, o->dim) = the DeepWalk embeddings of the graph adj
 * (a symmetric pattern; an isolated node's walks are that node alone, and
 * its row stays near its random start). Training is Hogwild SGD under
 * OpenMP: threads update shared rows without locks, so with more than one
 * thread the result varies from run to run; with one thread
 * (omp_set_num_threads(1), --threads 1) it is a pure function of adj and
 * o, bit for bit. GNNKD_EINVAL for NULL arguments or a non-positive
 * option; GNNKD_ENOMEM. O(walks n length (4 + window (1 + negatives) dim))
 * time, O(walks n length + 2 n dim) memory. Ownership: *emb is new, freed
 * with free(); NULL on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_deepwalk(float **emb, const gnnkd_csr *adj,
                                                      const gnnkd_deepwalk_options *o, char *msg);

/* A copy of d whose features are d's with k dense columns appended: row i
 * of the new features is d's row i followed by cols[i k .. i k + k). The
 * copy keeps d's form: sparse features stay CSR (each row's k new entries
 * stored after its own; a pattern-only x gets explicit ones), dense ones
 * dense; nfeat grows by k; graph, labels, split and feature_norm are
 * copied. GNNKD_EINVAL for NULL arguments or k < 1; GNNKD_ENOMEM.
 * O(n + edges + feature size + n k). Ownership: d and cols are read, not
 * kept; *out is new (gnnkd_dataset_free), NULL on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_append_columns(gnnkd_dataset **out,
                                                                   const gnnkd_dataset *d,
                                                                   const float *cols, int32_t k,
                                                                   char *msg);

/* Reads the new nodes' edges to known nodes: a text file of lines "NEW
 * KNOWN", NEW a row of the new features (0..nu-1), KNOWN a node of the
 * dataset (0..nv-1); blank lines and lines starting with '#' are skipped.
 * A malformed line or an id out of range is GNNKD_EDATA "path:line: ...";
 * a missing file GNNKD_EIO. O(file size). Ownership: *u and *v (m each)
 * are new arrays, freed with free(). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_edges_read(int32_t **u, int32_t **v, int64_t *m,
                                                       const char *path, int32_t nu, int32_t nv,
                                                       char *msg);

/* Grows d by the nodes of add (k = add->n of them, typically from
 * gnnkd_features_read): they become nodes d->n .. d->n + k - 1, with their
 * feature rows (converted to d's sparse or dense form; add's must already
 * be normalised as d's are) and labels (-1 if add has none), joined to the
 * known nodes by the edges (new node u[e] in 0..k-1, known node v[e] in
 * 0..n-1; repeats are dropped). The split lists are unchanged. A GCN then
 * answers about the new nodes through gnnkd_graph_new on the grown
 * adjacency and gnnkd_model_forward_nodes. Errors: GNNKD_EINVAL for another
 * feature width or an edge out of range, GNNKD_ENOMEM; d is unchanged on
 * failure. O(nnz(adj) + nnz(X) + m log m). Ownership: d's adjacency,
 * feature and label arrays are replaced (pointers into them go stale); add,
 * u and v are read only. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_dataset_append(gnnkd_dataset *d,
                                                           const gnnkd_dataset *add,
                                                           const int32_t *u, const int32_t *v,
                                                           int64_t m, char *msg);

/* ======================================================================== */
/* loaders: constants the programs show                                     */
/* ======================================================================== */

/* A graph read without features gets one-hot node ids up to this many nodes,
 * one-hot log-degree buckets beyond (gnnkd_dataset_load_graph). */
#define GNNKD_ONE_HOT_MAX_NODES 20000

/* A macro's value as a string literal, for help texts. */
#define GNNKD_STR_(x) #x
#define GNNKD_STR(x) GNNKD_STR_(x)

/* ======================================================================== */
/* gnn: the normalised adjacency                                            */
/* ======================================================================== */

/* Â = D^-1/2 (A + I) D^-1/2, built with GraphBLAS and held as CSR arrays. */
typedef struct gnnkd_graph gnnkd_graph;

/* Builds Â from a symmetric adjacency pattern (self loops in adj are ignored,
 * a repeated edge counts once, an isolated node gets Â_ii = 1) with
 * SuiteSparse:GraphBLAS, and keeps its CSR export with sorted rows. adj->val is
 * not read. GNNKD_EINVAL if adj is not a square, well-formed CSR matrix or
 * after gnnkd_finalize; GNNKD_EINTERNAL if GraphBLAS fails. Starts GraphBLAS
 * on first use (see gnnkd_init). O(nnz + n). Several threads may build
 * graphs at once. Ownership: adj is read, not kept (the graph holds its own
 * arrays); the caller frees *g with gnnkd_graph_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_graph_new(gnnkd_graph **g, const gnnkd_csr *adj,
                                                      char *msg);

/* Frees g and sets *g to NULL. NULL is fine. */
GNNKD_API void gnnkd_graph_free(gnnkd_graph **g);

/* Â as CSR with values, for the kernels. Ownership: owned by g, valid until
 * gnnkd_graph_free; do not change or free it. */
GNNKD_API const gnnkd_csr *gnnkd_graph_csr(const gnnkd_graph *g);

/* ======================================================================== */
/* gnn: models                                                              */
/* ======================================================================== */
/* A model holds its parameters, gradients, Adam's moments and the workspace
 * of its passes: forward and backward write into it, so one model is used
 * by one thread at a time (a thread each for distinct models is fine). */

typedef enum {
    GNNKD_MODEL_GCN = 0,  /* Kipf & Welling 2017: Â X W */
    GNNKD_MODEL_MLP = 1,  /* the features alone */
    GNNKD_MODEL_GAT = 2,  /* Veličković et al. 2018: attention over in-neighbours */
    GNNKD_MODEL_SAGE = 3, /* Hamilton et al. 2017: root weight + mean aggregator */
    GNNKD_MODEL_CPF = 4   /* Yang et al. 2021: label propagation gated with an MLP */
} gnnkd_model_kind;

/* The shape of a model: nlayers weight layers; layer l maps dims[l] to
 * dims[l+1]; dims[0] is the feature dimension, dims[nlayers] the classes.
 * Between layers: ReLU (GCN, MLP, SAGE) or ELU (GAT), then dropout; dropout
 * also applies to the input.
 *
 * GAT layer l has heads[l] attention heads over the graph with self loops:
 * a hidden layer concatenates them (dims[l+1] = heads[l] x the per-head
 * width), the output layer averages heads[nlayers-1] heads of dims[nlayers]
 * each. For target node i and in-neighbour j (i itself included), head k:
 * e_ij = LeakyReLU_0.2(a_dst_k . W_k h_i + a_src_k . W_k h_j),
 * alpha_ij = softmax over j of e_ij, then attention dropout (attn_dropout)
 * on alpha, and out_i = sum_j alpha_ij W_k h_j + b.
 * SAGE layer: out_i = W_self h_i + W_neigh mean_{j in N(i)} h_j + b (the
 * mean is 0 for an isolated node). heads and attn_dropout are 0 for the
 * other kinds.
 *
 * CPF (Yang, Liu & Shi, WWW 2021, their inductive PLP student): the layers
 * are a feature-transformation MLP f(x) (dims as an MLP's); on top, steps
 * rounds of label propagation over the graph with self loops, from h_0 =
 * the one-hot label of a training node (d->split[GNNKD_TRAIN]), 1/C for
 * every other node:
 *   alpha_ij = softmax over j in N(i) + i of a . x_j (attention dropout
 *              attn_dropout on alpha when training),
 *   z_i = g_i sum_j alpha_ij h_j + (1 - g_i) f(x)_i, g_i = sigmoid(w . x_i + c),
 *   h_k,i = ReLU(z_i), then a training node's h clamped to its one-hot label.
 * The output (the "logits") is h_steps. a, w and c follow the last layer's
 * weights (gkd_layer_shape_of). The graph is needed at inference. */
typedef struct {
    gnnkd_model_kind kind;
    int nlayers;
    int32_t dims[GNNKD_MAX_LAYERS + 1];
    float dropout;
    int32_t heads[GNNKD_MAX_LAYERS]; /* GAT: heads of layer l */
    float attn_dropout;              /* GAT, CPF: dropout on the attention weights */
    int32_t steps;                   /* CPF: propagation steps (0 for the other kinds) */
} gnnkd_model_spec;

/* "gcn", "mlp", "gat", "sage", "cpf" (and "?"). Static strings; O(1). */
GNNKD_API const char *gnnkd_model_kind_name(gnnkd_model_kind k);

/* Parses a model's text:
 *   "gcn:16", "gcn:64,64", "mlp:256,256", "sage:64", "sage:128,128": the
 *   kind and the hidden widths; "gcn" = gcn:16, "mlp" = mlp:64, "sage" =
 *   sage:64; dropout 0.5 (Kipf & Welling; Hamilton et al.'s mean model).
 *   "gat:HEADSxHIDDEN[,HEADSxHIDDEN...][/OUTHEADS]": hidden GAT layers of
 *   HEADS heads of HIDDEN features each (concatenated: dims = HEADS *
 *   HIDDEN) and an output layer of OUTHEADS averaged heads (default 1);
 *   "gat" = gat:8x8, dropout and attn_dropout 0.6: Veličković et al.'s
 *   Cora/CiteSeer model. "gat:8x8/8" is their PubMed model, and its
 *   recipe (gnnkd_train_options_for_model) differs.
 *   "cpf:K[,H,...]": CPF's student, K propagation steps and a
 *   feature-transformation MLP of hidden widths H (default 64); "cpf" =
 *   cpf:8,64, dropout 0.8 and attn_dropout 0.2 (CPF's code, Cora).
 * dims[0] and dims[nlayers] are left 0 for gnnkd_model_new. Anything else
 * (another kind, an empty, zero, negative or non-numeric width or head
 * count, spaces, more than GNNKD_MAX_LAYERS - 1 hidden layers) is
 * GNNKD_EINVAL. Ownership: fills the caller's *spec. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_spec_parse(gnnkd_model_spec *spec,
                                                             const char *text, char *msg);

/* Writes the text gnnkd_model_spec_parse reads ("gcn:16", "gat:8x8/8")
 * for spec into buf (truncated to len). */
GNNKD_API void gnnkd_model_spec_format(char *buf, size_t len, const gnnkd_model_spec *spec);

/* The thread count to use when the user gave none, for training s on d: 1
 * when an epoch is under 2e7 multiply-adds (3 x (nnz(X) h1 + n sum of the
 * dense layers + nnz(Â) sum of the widths for a GCN); the environment
 * variable GNNKD_THREADS_WORK changes that threshold), where fork/join and
 * waiting threads cost more than they save; above it, the cores that no
 * other process keeps busy (from the runnable count in /proc/stat, sampled
 * five times over 4 ms: a thread that shares its core with a busy process
 * stalls every parallel loop), at least 1. Capped by gnnkd_threads_fit.
 * Takes about 4 ms above the threshold, O(1) below. */
GNNKD_API int gnnkd_threads_default(const gnnkd_dataset *d, const gnnkd_model_spec *s);

typedef struct gnnkd_model gnnkd_model;

/* A model of the given shape with Glorot-uniform weights and zero biases,
 * drawn from seed; spec->dims[0] must be nin and dims[nlayers] nout (they are
 * filled in if 0). spec->dropout is used as given and must be in [0, 1);
 * nlayers must be 2..GNNKD_MAX_LAYERS. Weight e of layer l is
 * U(-r, r), r = sqrt(6 / (in + out)), a function of (seed, l, e) only (out:
 * the layer's width, W_self and W_neigh each for SAGE, heads x per-head
 * width for GAT, whose attention vectors take r = sqrt(6 / (heads +
 * per-head width)) as PyG's glorot does). A GAT's heads must divide its
 * hidden widths, and attn_dropout be in [0, 1).
 * GNNKD_EINVAL for a bad shape, GNNKD_ENOMEM.
 * Ownership: spec is copied; the caller frees *m with gnnkd_model_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_new(gnnkd_model **m,
                                                      const gnnkd_model_spec *spec, int32_t nin,
                                                      int32_t nout, uint64_t seed, char *msg);

/* Frees m and sets *m to NULL. NULL is fine. */
GNNKD_API void gnnkd_model_free(gnnkd_model **m);

/* m's shape and parameter count. Ownership: the spec is owned by m, valid
 * until gnnkd_model_free. */
GNNKD_API const gnnkd_model_spec *gnnkd_model_get_spec(const gnnkd_model *m);
GNNKD_API int64_t gnnkd_model_num_params(const gnnkd_model *m);

/* Forward pass over all n nodes of d. training != 0 applies dropout with the
 * mask drawn from (seed, step): the same key gives the same mask on any
 * number of threads. GCN models need g; MLPs ignore it (NULL is fine), and
 * so do GAT and SAGE models, which read d->adj (the first forward keeps
 * the structure they need, with self loops for GAT, in the workspace).
 * Sparse features (d->x) are never densified. The first forward over a
 * dataset allocates the model's workspace; later ones over the same n reuse
 * it. The same seed, step and thread count give bit-identical logits;
 * another thread count changes only the summation order. GNNKD_EINVAL if d's
 * features or classes do not match the model, or g is not d's graph;
 * GNNKD_ENOMEM. O(nnz(Â) h + nnz(X) dims[1] + n sum dims[l] dims[l+1]).
 * Ownership: *logits (n, nclass) is owned by m and valid until the next
 * forward or gnnkd_model_free. m remembers d's features for the backward
 * pass: d (and g) must stay alive and unchanged until then. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_forward(gnnkd_model *m, const float **logits,
                                                          const gnnkd_dataset *d,
                                                          const gnnkd_graph *g, int training,
                                                          uint64_t seed, uint64_t step, char *msg);

/* Backward pass of the last forward: accumulates (+=) parameter gradients
 * (held by m) from dlogits (n, nclass), with the last forward's dropout
 * masks; d and g must be the ones of that forward. GNNKD_EINVAL if no
 * forward over a dataset of this shape came before. Ownership: dlogits is
 * read, not kept. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_backward(gnnkd_model *m, const float *dlogits,
                                                           const gnnkd_dataset *d,
                                                           const gnnkd_graph *g, char *msg);

/* gnnkd_model_backward, and also dx (n, nfeat) = the gradient of the loss
 * with respect to the input features (overwritten): what an adversarial
 * perturbation of the input follows. Any kind but GAT (whose attention
 * scores also read the input: GNNKD_EINVAL). The last forward must have
 * run on dense features (d->xdense) without dropout (training 0):
 * GNNKD_EINVAL otherwise. Parameter gradients accumulate as in
 * gnnkd_model_backward (a caller that wants dx alone zeroes them after).
 * O(gnnkd_model_backward + n nfeat dims[1]). Ownership: dx is the
 * caller's. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_input_grad(gnnkd_model *m, float *dx,
                                                             const float *dlogits,
                                                             const gnnkd_dataset *d,
                                                             const gnnkd_graph *g, char *msg);

/* The feature normalisation m was trained with: gnnkd_train records the
 * training dataset's d->feature_norm in m (the one place it is set; a new
 * model says GNNKD_FEATURES_RAW), model files keep it, and gnnkd predict and
 * gnnkd_model_export_c apply it to raw feature rows. The setter is for
 * models whose weights come from elsewhere; an unknown value is ignored.
 * O(1). */
GNNKD_API gnnkd_feature_norm gnnkd_model_get_feature_norm(const gnnkd_model *m);
GNNKD_API void gnnkd_model_set_feature_norm(gnnkd_model *m, gnnkd_feature_norm f);

/* Position features (NOSMOG; gnnkd_position_features): a student trained
 * with position columns reads, after its nf = dims[0] - dim feature
 * columns, dim columns that place the node in the graph. The model keeps
 * the rows of the n nodes it knows, so that it can be shipped alone: a new
 * node's row is the mean of its known neighbours' rows
 * (gnnkd_model_position_rows), one hop of lookup instead of a graph model's
 * L-hop field. gnnkd_distill_in sets them (every node of the setting's full
 * dataset, in its numbering: the held-out nodes' rows are their observed
 * neighbours' mean); model files keep them.
 * gnnkd_model_position: the block (n, dim), row-major, owned by m, and its
 * sizes; NULL (and zeros) when m has none. O(1).
 * gnnkd_model_set_position: copies rows (n, dim) into m, replacing any
 * block; rows NULL removes it. GNNKD_EINVAL unless 1 <= dim < dims[0],
 * n >= 1 and every value is finite; GNNKD_ENOMEM. O(n dim).
 * gnnkd_model_position_rows: the rows (k, dim) of k new nodes given by
 * their edges (u[e] a new node 0..k-1, v[e] a known node 0..n-1, as
 * gnnkd_edges_read reads them; an edge given twice counts twice): each the
 * mean of its known neighbours' rows, zero without one (the column mean of
 * standardised rows). GNNKD_EINVAL if m has no block or an id is out of
 * range. O(k dim + ne dim). */
GNNKD_API const float *gnnkd_model_position(const gnnkd_model *m, int32_t *n, int32_t *dim);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_set_position(gnnkd_model *m, const float *rows,
                                                                int32_t n, int32_t dim, char *msg);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_position_rows(float *rows, const gnnkd_model *m,
                                                                 int32_t k, const int32_t *u,
                                                                 const int32_t *v, int64_t ne,
                                                                 char *msg);

/* Saves m: magic, version, shape, feature normalisation, parameters, the
 * position rows if m has them, and a CRC-32, written to a temporary file
 * and renamed (the format is in gnn/model_io.c: the lowest version that
 * holds m). GNNKD_EIO if it cannot be written. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_save(const gnnkd_model *m, const char *path,
                                                       char *msg);

/* Loads a model written by gnnkd_model_save (format versions 2 to 4: 3
 * adds CPF's step count, 4 the position rows; or version
 * 1, written before models recorded their feature normalisation: those are
 * taken as GNNKD_FEATURES_ROW_SUM, what the gnnkd program then always did
 * without --raw-features); a bad magic, version, shape, normalisation,
 * length, checksum or a NaN/infinite parameter is GNNKD_EDATA ("path:
 * reason"; so is a non-finite position value), an unreadable file or one
 * that is not a regular file GNNKD_EIO.
 * Adam's moments start at zero.
 * Ownership: a new model, freed with gnnkd_model_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_load(gnnkd_model **m, const char *path,
                                                       char *msg);

/* ======================================================================== */
/* gnn: inference for a few nodes (gnn/infer.c)                             */
/* ======================================================================== */

/* The workspace of gnnkd_model_forward_nodes: index arrays of the dataset's
 * n nodes and row buffers that grow to the largest receptive field seen, so
 * repeated calls on the same or a smaller field allocate nothing. One per
 * thread; it may serve any model and dataset. */
typedef struct gnnkd_infer gnnkd_infer;

/* A new, empty workspace (freed with gnnkd_infer_free). GNNKD_ENOMEM. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_infer_new(gnnkd_infer **w, char *msg);
GNNKD_API void gnnkd_infer_free(gnnkd_infer **w);

/* Eval-mode logits (nnodes, nclass) of the nodes nodes[0 .. nnodes) into
 * logits (the caller's), computed as a server answering queries would: a
 * GCN of L layers from the nodes' L-hop receptive field only (every layer
 * runs on the field, never on the whole graph), an MLP from the nodes' own
 * feature rows, a CPF model of K steps from the K-hop field of d->adj (its
 * MLP on the (K-1)-hop part; d's training nodes clamped). Nodes may repeat. Equal to the rows of gnnkd_model_forward
 * (training 0) up to float rounding (the sums run in another order).
 * *field (may be NULL) receives the number of distinct nodes read. m, d and
 * g are borrowed, read only. Errors: GNNKD_EINVAL for a node outside
 * 0..n-1, a model that does not fit d, a GCN without d's graph (CPF: d->adj),
 * or a GAT or SAGE model (not served node by node: their layers run on the
 * whole graph with gnnkd_model_forward);
 * GNNKD_ENOMEM when the workspace must grow. Cost: O(field's nnz(Â) h +
 * field's nnz(X) dims[1] + field sum dims[l] dims[l+1]) (CPF: plus K field
 * nnz(A) C); the workspace holds 3 n int32 plus 3 field max(dims[1..])
 * floats (CPF: and 2 field (C + 1)). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_forward_nodes(float *logits, int64_t *field,
                                                                 gnnkd_infer *w,
                                                                 const gnnkd_model *m,
                                                                 const gnnkd_dataset *d,
                                                                 const gnnkd_graph *g,
                                                                 const int32_t *nodes,
                                                                 int32_t nnodes, char *msg);

/* ======================================================================== */
/* gnn: exporting a student as standalone C (gnn/export.c)                  */
/* ======================================================================== */

typedef struct {
    int int8;           /* 0: float32 weights as trained; 1: int8 (below) */
    const char *prefix; /* the C names' prefix: PREFIX_predict, PREFIX_NFEAT
                           ("student"); a C identifier of at most 64 chars */
} gnnkd_export_options;

/* *o = float32 weights, prefix "student". O(1). */
GNNKD_API void gnnkd_export_options_default(gnnkd_export_options *o);

/* What an export takes. float_bytes: the parameters as float32 (4 per
 * parameter) plus, for a student with position rows, the rows table as
 * float32 (4 n dim); int8_bytes: 1 per weight, plus float32 scales and
 * biases (4 each per output; layer 0 of a position student has a second
 * set of scales, 4 dims[1], for its position rows), plus the rows table as
 * int8 (n dim, and 4 dim of column scales). pos_bytes and pos_bytes_int8
 * are the rows table's share of each (0 without rows). These count the
 * static const data an export holds; its code is a few kilobytes more.
 * stack_bytes and stack_bytes_int8: at most the bytes of local arrays one
 * call puts on the stack, float and int8 (2, resp. 3, float rows of the
 * widest layer output, plus 512 for a 64-column gather of a dense row's
 * nonzeros; a position student's int8 layer 0 adds a fourth row and 2 dim
 * for the position row's int16 levels, and its _new functions hold a
 * position row, 4 dim, beside the larger of the forward and the lookup's
 * column sums, 8 dim for int8). */
typedef struct {
    int64_t float_bytes, int8_bytes;
    int64_t stack_bytes, stack_bytes_int8;
    int64_t pos_bytes, pos_bytes_int8;
} gnnkd_export_info;

/* Writes the MLP m as one self-contained C99 source, path (ending in .c),
 * and its header beside it (the same path ending in .h, which the source
 * includes by its base name). The source holds the weights as static const
 * arrays and
 *   int PREFIX_logits(const float *x, float *logits);
 *   int PREFIX_logits_sparse(const int32_t *idx, const float *val, int nnz,
 *                            float *logits);
 *   int PREFIX_predict(const float *x, float *probs);
 *   int PREFIX_predict_sparse(const int32_t *idx, const float *val, int nnz,
 *                             float *probs);
 * over ONE node's raw feature row (dense, PREFIX_NFEAT floats, or its
 * nonzeros), each returning the predicted class (-1 for a sparse column out
 * of range): they apply m's recorded feature normalisation
 * (gnnkd_model_get_feature_norm) themselves, then the layers, in eval mode.
 * A student with position rows (gnnkd_model_set_position) reads the node's
 * position row too, PREFIX_NPOS floats used as given (they are
 * standardised already), after the features:
 *   int PREFIX_logits(const float *x, const float *pos, float *logits);
 *   int PREFIX_logits_sparse(const int32_t *idx, const float *val, int nnz,
 *                            const float *pos, float *logits);
 * and the same for the two _predict; the source also holds the
 * PREFIX_NNODES known nodes' rows as a table (float32, or int8 per column
 * with o->int8) and
 *   int PREFIX_position(int32_t node, float *pos);
 *   int PREFIX_position_new(const int32_t *nbr, int nnbr, float *pos);
 *   int PREFIX_logits_new(const float *x, const int32_t *nbr, int nnbr,
 *                         float *logits);
 *   int PREFIX_logits_new_sparse(const int32_t *idx, const float *val,
 *                                int nnz, const int32_t *nbr, int nnbr,
 *                                float *logits);
 *   (and PREFIX_predict_new, PREFIX_predict_new_sparse, with probs)
 * a known node's row; a new node's, the mean of its known neighbours'
 * rows nbr[0 .. nnbr) (a repeated id counts again; none: the zero row), as
 * gnnkd_model_position_rows computes it; and a new node's answer in one
 * call. The lookups return 0, the _new forward passes the class, and all
 * return -1, writing nothing, for an id outside 0..PREFIX_NNODES-1 or
 * nnbr < 0.
 * They need only a C99 compiler and libm: no allocation, no global mutable
 * state, a fixed stack use stated (with the model's sizes) in the header
 * comment. With o->int8, each weight matrix is quantised per output
 * channel, symmetric (scale[c] = max_k |W[k][c]| / 127), and each layer's
 * input row per row: layer 0's symmetric (levels -127..127, max |x| / 127),
 * a later layer's (a ReLU's output) to levels 0..255 (max x / 255);
 * products sum in int32; scales, biases and the activations between layers
 * stay float. A position student's layer 0 quantises its position part
 * apart: its weight rows with per-channel scales of their own, the
 * position row with its own per-row scale (max |pos| / 127), as a second
 * int32 sum. The float export's logits equal
 * gnnkd_evaluate's up to float rounding (the sums run in their order for
 * sparse rows). o NULL: the defaults. info (may be NULL) receives the sizes,
 * also on failure if m is not NULL. Both files are written to temporary
 * names and renamed; the source is written as it is generated (no buffer
 * of the rows table's size). Errors: GNNKD_EINVAL for a model that is not
 * an MLP (a graph model's prediction reads the graph: the message says
 * so), a prefix that is not an identifier, a path not ending in .c, a
 * non-finite parameter or position value, or with int8 a first layer of
 * more than 133144 inputs or a later one of more than 66313 (int32 sums
 * could overflow); GNNKD_EIO if a file cannot be written; GNNKD_ENOMEM.
 * O(nparams + n dim). Ownership: m and o are read only. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_model_export_c(gnnkd_export_info *info,
                                                           const gnnkd_model *m,
                                                           const char *path,
                                                           const gnnkd_export_options *o,
                                                           char *msg);

/* ======================================================================== */
/* gnn: profiling the kernels (gnn/profile.c)                               */
/* ======================================================================== */

/* What a kernel mostly streams or computes. */
typedef enum {
    GNNKD_PROFILE_SPARSE_FEATURES = 0, /* sparse X times dense, and its transpose */
    GNNKD_PROFILE_ADJACENCY = 1,       /* Â times dense */
    GNNKD_PROFILE_GEMM = 2,            /* dense products */
    GNNKD_PROFILE_ELEMENTWISE = 3,     /* bias, ReLU, dropout, loss, Adam */
    GNNKD_PROFILE_NGROUPS = 4
} gnnkd_profile_group;

/* "sparse features", "adjacency", "gemm", "elementwise" (and "?"). */
GNNKD_API const char *gnnkd_profile_group_name(gnnkd_profile_group g);

#define GNNKD_PROFILE_MAX 64

/* The kernel calls of one name, e.g. "A*T+bias,relu,dropout (n,256)": the
 * same kernel on the same shapes with the same epilogue. */
typedef struct {
    char name[64];
    gnnkd_profile_group group;
    int64_t calls;
    double seconds;      /* all calls together */
    double seconds_min;  /* the fastest call */
    double flops;        /* all calls together (multiply-adds count 2) */
    double bytes;        /* all calls together: the least memory traffic each
                            needs (every operand read once, outputs written once) */
} gnnkd_profile_entry;

/* A profile: filled by the kernel calls of the models it is attached to. */
typedef struct {
    int nentries;
    gnnkd_profile_entry entry[GNNKD_PROFILE_MAX]; /* in order of first call */
    int64_t dropped; /* calls of names beyond GNNKD_PROFILE_MAX, not recorded */
} gnnkd_profile;

/* Empties p. O(1). */
GNNKD_API void gnnkd_profile_clear(gnnkd_profile *p);

/* Attaches p (the caller's; borrowed until detached) to m, or detaches it
 * (p NULL). While attached, every kernel call of gnnkd_model_forward and
 * gnnkd_model_backward on m, and gnnkd_train's loss and Adam step, adds its
 * wall time, flops and bytes to p's entry of its name (the name carries the
 * shapes: n stands for the nodes). gnnkd_train records its training steps
 * only: it detaches p during each validation pass. Without a profile the
 * passes read no clock. Profiling changes no result, bit for bit. A profile
 * is written without a lock: one per model, or models used one at a time. */
GNNKD_API void gnnkd_model_set_profile(gnnkd_model *m, gnnkd_profile *p);

/* ======================================================================== */
/* distill: losses                                                          */
/* ======================================================================== */
/*
 * Each takes logits (n, C) and a list of rows idx (nidx of them), returns
 * the mean loss over those rows, and, if dlogits is not NULL, adds
 * weight * d(loss)/d(logits) into dlogits (n, C). They cannot fail and
 * allocate nothing; they write only into dlogits (and kl).
 */

/* Softmax cross-entropy with hard labels. */
GNNKD_API double gnnkd_loss_ce(float *dlogits, const float *logits, const int32_t *label,
                               const int32_t *idx, int64_t nidx, int32_t C, float weight);

/* Knowledge distillation (Hinton et al. 2015): T^2 * CE(q, softmax(s/T)),
 * with q (n, C) the teacher's softened probabilities. Gradient:
 * weight * T * (softmax(s/T) - q) / nidx. If kl is not NULL it receives
 * T^2 * mean KL(q || softmax(s/T)) (same gradient, zero at a perfect match). */
GNNKD_API double gnnkd_loss_kd(float *dlogits, double *kl, const float *logits, const float *q,
                               const int32_t *idx, int64_t nidx, int32_t C, float T,
                               float weight);

/* Model compression (Bucilua et al. 2006; logit regression as in Ba & Caruana
 * 2014): (1/C) * ||s - t||^2 / 2 with t (n, C) the teacher's logits.
 * Gradient: weight * (s - t) / (C * nidx). */
GNNKD_API double gnnkd_loss_compress(float *dlogits, const float *logits, const float *t,
                                     const int32_t *idx, int64_t nidx, int32_t C, float weight);

/* CPF's distillation loss (Yang, Liu & Shi 2021, their code's): the
 * Euclidean distance ||softmax(s/T) - q||_2 over all nidx rows together (one
 * square root of the whole sum, not a mean), q (n, C) as for KD. Gradient:
 * weight * (1/T) p (g - <p, g>) row by row, g = (p - q) / loss; none at
 * loss 0. */
GNNKD_API double gnnkd_loss_euclid(float *dlogits, const float *logits, const float *q,
                                   const int32_t *idx, int64_t nidx, int32_t C, float T,
                                   float weight);

/* Row-wise softmax(z / T) of z (n, C) into the caller's p (n, C). */
GNNKD_API void gnnkd_softmax(float *p, const float *z, int64_t n, int32_t C, float T);

/* Accuracy of argmax(logits) over the rows idx; NaN if there are none (an
 * empty set has no accuracy). */
GNNKD_API double gnnkd_accuracy(const float *logits, const int32_t *label, const int32_t *idx,
                                int64_t nidx, int32_t C);

/* ======================================================================== */
/* distill: training                                                        */
/* ======================================================================== */

typedef enum {
    GNNKD_SELECT_VAL_LOSS = 0, /* Kipf: stop once val loss exceeds the mean of
                                  the previous `patience` epochs; keep the last */
    GNNKD_SELECT_VAL_ACC = 1,  /* keep the weights of the best val accuracy;
                                  stop after `patience` epochs without gain */
    GNNKD_SELECT_LAST = 2      /* train every epoch and keep the last weights:
                                  needs no validation set */
} gnnkd_select;

typedef enum {
    GNNKD_METHOD_SCRATCH = 0,  /* hard labels only */
    GNNKD_METHOD_KD = 1,       /* Hinton et al. 2015 */
    GNNKD_METHOD_COMPRESS = 2, /* Bucilua et al. 2006, logit regression */
    GNNKD_METHOD_LSP = 3,      /* Yang et al. 2020: local structure + hard labels */
    GNNKD_METHOD_KD_LSP = 4,   /* KD and the local structure term together */
    GNNKD_METHOD_EUCLID = 5    /* CPF's (Yang et al. 2021): ||softmax(s/T) - q||_2 */
} gnnkd_method;

/* The similarity kernel of LSP's local structure (gnnkd_distill_options). */
typedef enum {
    GNNKD_LSP_RBF = 0,    /* -||z_i - z_j||^2 / (2 sigma^2): the paper's form */
    GNNKD_LSP_LINEAR = 1, /* z_i . z_j */
    GNNKD_LSP_POLY = 2,   /* (z_i . z_j + 1)^2 */
    GNNKD_LSP_L1 = 3      /* exp(-||z_i - z_j||_1 / sigma): the authors' code */
} gnnkd_lsp_kernel;

/* The widest neighbourhood of LSP's local structure, in edges. */
#define GNNKD_LSP_MAX_HOPS 16

/* What one epoch reports to a progress callback. */
typedef struct {
    int epoch;
    double train_loss, val_loss, val_acc, train_acc;
    double seconds;
} gnnkd_epoch_info;

typedef struct {
    float lr, beta1, beta2, eps;  /* Adam */
    float weight_decay;           /* L2, times w^2/2 */
    int decay_all_layers;         /* 0: first layer only (Kipf) */
    int epochs;                   /* at most */
    int patience;                 /* early-stopping window */
    gnnkd_select select;
    uint64_t seed;                /* weights and dropout */
    /* 1: the weight and bias gradients are summed exactly (fixed point, 128
     * bits), so a run's bits do not depend on the order of the sums: the
     * thread count, or the ranks of gnnkd_train_part, give the same model as
     * one thread. GCN and MLP only; costs a second pass over the products
     * X^T G in the backward pass. 0: float sums (the default). */
    int reproducible;
    /* Mini-batch steps. 0 (the default): one full-batch Adam step an
     * epoch. B > 0: K = max(1, m / B) steps an epoch, m the transfer set's
     * size (the training set's without a soft term): step k takes the k-th
     * of K equal slices of a fresh permutation of the transfer set and of
     * the training set, each term the mean over its slice (the similarity
     * term, NOSMOG's RSD, over the k-th of K slices of its own batches),
     * as GLNN's and NOSMOG's batches over all nodes. The model still runs
     * over all n nodes a step, so an epoch costs K full-batch steps; K = 1
     * is the full-batch step to the bit. Not with LSP. */
    int32_t batch;
    /* 1: dropout on the hidden layers' outputs only, not on the input
     * features (GLNN's and NOSMOG's MLP); 0: on both (the default). */
    int hidden_dropout_only;
    /* Called after every epoch if not NULL, on the calling thread; returning
     * non-zero stops training. progress_ctx is passed through, not kept. */
    int (*progress)(void *ctx, const gnnkd_epoch_info *e);
    void *progress_ctx;
} gnnkd_train_options;

/* Kipf & Welling's settings: lr 0.01, Adam (0.9, 0.999, 1e-8), weight decay
 * 5e-4 on the first layer, at most 200 epochs, seed 0; model selection by
 * the best validation accuracy (patience 100), which scores higher on
 * Cora, CiteSeer and PubMed (10 seeds) than their own rule,
 * GNNKD_SELECT_VAL_LOSS with patience 10. Fills the caller's *o. */
GNNKD_API void gnnkd_train_options_default(gnnkd_train_options *o);

/* The soft targets of distillation. The target array is (n, C): the teacher's
 * softened probabilities for KD (see gnnkd_teacher_targets), its logits for
 * compression. Loss = alpha * soft term over the transfer set +
 * (1 - alpha) * cross-entropy over the training nodes. The arrays are
 * borrowed: they must stay alive during gnnkd_train. */
typedef struct {
    gnnkd_method method;
    float alpha;
    float temperature;       /* KD only */
    const float *target;     /* (n, C) */
    const int32_t *transfer; /* node ids of the transfer set */
    int32_t ntransfer;
    /* Adversarial feature augmentation (NOSMOG; Madry et al.'s PGD), off
     * while adv_eps is 0: each epoch, a perturbation delta of the input
     * features with |delta| <= adv_eps elementwise starts uniform in the
     * ball and takes adv_steps steps of adv_eps / 4 along the sign of the
     * gradient of this objective's loss (hard + soft terms, without decay;
     * the student run without dropout), clipped back to the ball; the
     * step's loss is then the clean loss + adv_weight times the loss at X
     * + delta (NOSMOG: 5 steps, weight 0.1). The student trains on a dense
     * copy of the features then: three (n, nfeat) float arrays (features,
     * delta, its gradient) besides the model's workspace. MLP, GCN and
     * SAGE students; GAT is GNNKD_EINVAL. */
    float adv_eps;
    int adv_steps;
    float adv_weight;
} gnnkd_objective;

typedef struct {
    int epochs;           /* epochs run */
    int best_epoch;       /* the epoch whose weights were kept (1-based) */
    double acc[3], loss[3];  /* accuracy and hard cross-entropy, by GNNKD_TRAIN/VAL/TEST */
    double train_seconds;    /* wall time of the whole call */
    double epoch_seconds_median;  /* the median training step */
    double epoch_seconds_min, epoch_seconds_max; /* the fastest and slowest step */
    /* The cross-fitted validation accuracy, to compare settings: the
     * validation list's even and odd positions are two halves; each picks
     * an epoch by the selection rule on its own nodes (best accuracy, ties
     * to the lower loss) and is scored by the other half's accuracy there;
     * the mean of the two scores. acc[GNNKD_VAL] is read at the epoch chosen
     * by those same nodes, so noisier training raises it more (by 2-3
     * points on Cora and CiteSeer, docs/results/nosmog.md); this one is not
     * raised by the choice. GNNKD_SELECT_VAL_ACC in gnnkd_train (NaN under
     * the other rules, with fewer than 2 validation nodes, and from
     * gnnkd_train_part). */
    double val_acc_cross;
} gnnkd_train_result;

/* Trains m on d (and g for GCNs) with Adam, dropout, weight decay and early
 * stopping; obj NULL (or method SCRATCH) means hard labels only. On return m
 * holds the selected weights and r their accuracies; r->epoch_seconds_median
 * is the median training step (forward, backward, Adam) without the
 * per-epoch validation pass, which r->train_seconds includes. Nothing is
 * allocated inside the epoch loop. GNNKD_EINVAL if the model does not fit d,
 * a split node is unlabelled, the training set is empty, the validation set
 * is empty under a selection that reads it (all but GNNKD_SELECT_LAST), an
 * option or the objective is out of range;
 * GNNKD_ENUMERIC if the loss becomes NaN or infinite; GNNKD_ENOMEM.
 * O(epochs * forward). Ownership: m is changed in place; d, g, o and obj
 * are read during the call only; r is the caller's. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_train(gnnkd_model *m, gnnkd_train_result *r,
                                                  const gnnkd_dataset *d, const gnnkd_graph *g,
                                                  const gnnkd_train_options *o,
                                                  const gnnkd_objective *obj, char *msg);

/* Evaluates m (no dropout) on the three splits of d: fills r->acc and
 * r->loss and leaves the rest of r as it is. Ownership: logits (n, C), the
 * caller's array, receives a copy of the logits if not NULL; m's workspace
 * is used. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_evaluate(gnnkd_model *m, gnnkd_train_result *r,
                                                     float *logits, const gnnkd_dataset *d,
                                                     const gnnkd_graph *g, char *msg);

/* ======================================================================== */
/* distill: teachers and ensembles                                          */
/* ======================================================================== */

/* A teacher: the logits (n, C) of one or more members over all nodes. */
typedef struct gnnkd_teacher gnnkd_teacher;

/* An empty teacher for n nodes and C classes. GNNKD_EINVAL unless n, C > 0.
 * Ownership: the caller frees *t with gnnkd_teacher_free. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_new(gnnkd_teacher **t, int32_t n, int32_t C,
                                                        char *msg);

/* Frees t and sets *t to NULL. NULL is fine. */
GNNKD_API void gnnkd_teacher_free(gnnkd_teacher **t);

/* Adds a member given by its logits (n, C). GNNKD_ENOMEM.
 * Ownership: the logits are copied into t. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_add_logits(gnnkd_teacher *t,
                                                               const float *logits, char *msg);

/* Adds a member given by a model (its logits over d are computed, without
 * dropout), a model file or a .npy logits file (the path's ending decides).
 * GNNKD_EINVAL (model) or GNNKD_EDATA (file) if its nodes or classes do not
 * match t or its features d; as gnnkd_model_load or gnnkd_npy_read.
 * Ownership: the logits are copied into t; m is borrowed (its workspace is
 * used, so not by another thread meanwhile); a file's model is freed
 * before returning. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_add_model(gnnkd_teacher *t, gnnkd_model *m,
                                                              const gnnkd_dataset *d,
                                                              const gnnkd_graph *g, char *msg);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_add_file(gnnkd_teacher *t, const char *path,
                                                             const gnnkd_dataset *d,
                                                             const gnnkd_graph *g, char *msg);

/* The number of members added. */
GNNKD_API int gnnkd_teacher_members(const gnnkd_teacher *t);

/* Flags of gnnkd_teacher_targets. */
enum {
    GNNKD_TARGET_CENTER = 1,     /* compression: centre each target row to zero mean */
    GNNKD_TARGET_STANDARDISE = 2 /* each member's logit row z-scored (mean 0, standard
                                  * deviation 1 over its C entries) before the target:
                                  * a per-node temperature T * sd_i (logit standardisation,
                                  * Sun et al. 2024, on the teacher's side), so a teacher
                                  * kept at an early, flat epoch still gives its ranking */
};

/* The distillation target (n, C) for a method: for KD the mean of the
 * members' softmax(z / T); for compression the mean of their logits. flags:
 * GNNKD_TARGET_* (0 for none). GNNKD_EINVAL without members or for T <= 0
 * with KD; GNNKD_ENOMEM. Ownership: written into the caller's target array
 * (n, C). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_targets(float *target, const gnnkd_teacher *t,
                                                            gnnkd_method method, float T,
                                                            int flags, char *msg);

/* *acc = the accuracy of the ensemble (argmax of the mean softmax at T = 1)
 * on the rows idx. GNNKD_EINVAL without members; GNNKD_ENOMEM (it needs an
 * (n, C) array for the call). *acc is left unchanged on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_teacher_accuracy(double *acc, const gnnkd_teacher *t,
                                                             const int32_t *label,
                                                             const int32_t *idx, int64_t nidx,
                                                             char *msg);

/* ======================================================================== */
/* distill: transfer sets                                                   */
/* ======================================================================== */

/* The transfer set S of distillation: every node (the transductive default,
 * unlabelled nodes included), the training nodes, every node but the
 * training nodes, the node ids of a file (one 0-based id a line), or every
 * node but the validation nodes (no-val: validation accuracy then scores
 * nodes the student never fitted, as the inductive setting's held-out
 * nodes are; for choosing a student's regularisation). */
typedef enum {
    GNNKD_TRANSFER_ALL = 0,
    GNNKD_TRANSFER_TRAIN = 1,
    GNNKD_TRANSFER_UNLABELED = 2,
    GNNKD_TRANSFER_FILE = 3,
    GNNKD_TRANSFER_NO_VAL = 4
} gnnkd_transfer;

/* The transfer nodes of d, ascending, *n of them. path is read for
 * GNNKD_TRANSFER_FILE (ids out of range or repeated are GNNKD_EDATA naming
 * the line) and ignored otherwise. Ownership: *ids is a new array; the
 * caller frees it with free(). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_transfer_nodes(int32_t **ids, int32_t *n,
                                                           const gnnkd_dataset *d,
                                                           gnnkd_transfer kind, const char *path,
                                                           char *msg);

/* ======================================================================== */
/* distill: names of the options (distill/recipe.c)                         */
/* ======================================================================== */

/* "scratch", "kd", "compress", "lsp", "kd+lsp" (and "?" for another value):
 * the names the command line and result files use. Static strings; O(1). */
GNNKD_API const char *gnnkd_method_name(gnnkd_method m);
/* The method named text. GNNKD_EINVAL naming text and the names if it is
 * none of them. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_method_parse(gnnkd_method *m, const char *text,
                                                          char *msg);
/* "rbf", "linear", "poly", "l1" (and "?"). */
GNNKD_API const char *gnnkd_lsp_kernel_name(gnnkd_lsp_kernel k);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_lsp_kernel_parse(gnnkd_lsp_kernel *k, const char *text,
                                                              char *msg);
/* "val-loss", "val-acc", "last" (and "?"). */
GNNKD_API const char *gnnkd_select_name(gnnkd_select s);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_select_parse(gnnkd_select *s, const char *text,
                                                          char *msg);
/* "all", "train", "unlabeled", "file" (and "?"). */
GNNKD_API const char *gnnkd_transfer_name(gnnkd_transfer t);
/* "all", "train" or "unlabeled"; any other non-empty text is the path of a
 * node-id file (GNNKD_TRANSFER_FILE). GNNKD_EINVAL for NULL or "". */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_transfer_parse(gnnkd_transfer *t, const char *text,
                                                            char *msg);

/* ======================================================================== */
/* distill: the recipe (distill/recipe.c)                                   */
/* ======================================================================== */

/* Training options of a model trained by method with the selection rule
 * select: gnnkd_train_options_default, then weight decay 0 for a student of
 * KD, KD+LSP or compression (the soft targets on every node regularise; Cora,
 * mlp:64: 0.819 without decay, 0.787 with 5e-4) and 5e-4 from scratch and
 * for LSP (hard labels and no soft targets), and
 * patience 100 for GNNKD_SELECT_VAL_ACC, 10 (Kipf's window) for
 * GNNKD_SELECT_VAL_LOSS. The one place these defaults are decided. O(1). */
GNNKD_API void gnnkd_train_options_for(gnnkd_train_options *o, gnnkd_method method,
                                       gnnkd_select select);

/* gnnkd_train_options_for, then the recipe of spec's kind:
 *   - gat: Veličković et al.'s, lr 0.005 and weight decay 5e-4 (on every
 *     layer's weights and attention vectors), at most 1000 epochs; with
 *     more than one output head (gat:8x8/8, their PubMed model) lr 0.01
 *     and weight decay 1e-3. A student of KD or compression gets no decay,
 *     as for every kind.
 *   - cpf: CPF's code's 500 epochs and the largest lr of its search,
 *     0.01; no weight decay (any method; decay_all_layers set, as their
 *     decay is on every parameter) and no early stop when selecting by
 *     validation accuracy (patience 500): CPF's decay 0.01 and window of
 *     50 stop the student near its start under gnnkd's KD loss. Chosen on
 *     validation accuracy (docs: README, CPF's student).
 *   - gcn, mlp, sage: gnnkd_train_options_for unchanged.
 * O(1). */
GNNKD_API void gnnkd_train_options_for_model(gnnkd_train_options *o, const gnnkd_model_spec *spec,
                                             gnnkd_method method, gnnkd_select select);

/* Everything one distillation needs besides the data and the seed. */
typedef struct {
    /* the teacher: trained per seed (ensemble members of spec teacher), or
     * the files teacher_files (model files or .npy logits; borrowed) */
    gnnkd_model_spec teacher;          /* gcn:64 */
    int ensemble;                      /* members trained per seed (1) */
    const char *const *teacher_files;  /* NULL: train */
    int nteacher_files;
    gnnkd_train_options teacher_train; /* Kipf's recipe: gnnkd_train_options_default */
    /* the student and the objective */
    gnnkd_model_spec student;          /* mlp:64 */
    gnnkd_train_options student_train; /* gnnkd_train_options_for(method, select) */
    gnnkd_method method;
    float temperature;                 /* KD (1) */
    float alpha;                       /* weight of the soft term (0.9) */
    int center;                        /* compression: centre the logit rows (0) */
    int standardise;                   /* z-score the teacher's logit rows first
                                        * (GNNKD_TARGET_STANDARDISE) (0) */
    gnnkd_transfer transfer;           /* (GNNKD_TRANSFER_ALL) */
    const char *transfer_path;         /* for GNNKD_TRANSFER_FILE (borrowed) */
    /* MUNGE pseudo-nodes added to the transfer set (gnnkd_munge; only
     * gnnkd_distill_in applies them): munge of them (0: none), with
     * munge_p and munge_s (GNNKD_MUNGE_P, GNNKD_MUNGE_S) */
    int32_t munge;
    float munge_p, munge_s;
    /* LSP (Yang et al. 2020; GNNKD_METHOD_LSP and _KD_LSP): the local
     * structure of node i at a hidden layer is LS_ij = softmax over its
     * neighbours j of k(z_i, z_j) / lsp_tau; the loss lsp_weight * the mean
     * over nodes of KL(LS^student_i || LS^teacher_i) (lsp_reverse: KL(t ||
     * s), as the authors' code). Teacher members must be trained here or
     * model files (not .npy logits); an ensemble's LS is its members' mean. */
    float lsp_weight;            /* beta (1, the authors' code) */
    gnnkd_lsp_kernel lsp_kernel; /* (GNNKD_LSP_RBF) */
    float lsp_tau;               /* (1: the paper) */
    float lsp_sigma;             /* rbf and l1 (0: the kernel's own, 1 rbf, 100 l1) */
    int lsp_layer;               /* the student's hidden layer, 1-based (0: its last) */
    int lsp_teacher_layer;       /* the teacher's (0: its last) */
    int lsp_self_loop;           /* j = i is a neighbour too (0) */
    int lsp_reverse;             /* (0) */
    int lsp_preact;              /* both layers before their ReLU/ELU, as the authors' code (0) */
    int lsp_hops;                /* j within this many edges of i, 1..GNNKD_LSP_MAX_HOPS (1: the
                                  * paper's N(i); 0 counts as 1). The pairs (i, j) cost 24
                                  * bytes each; more than 2^28 of them is GNNKD_EINVAL */
    /* Position features (NOSMOG; only gnnkd_distill_in applies them): with
     * position.dim > 0 or a position_file, the student's input is its
     * features with gnnkd_position_features' columns appended (the teacher's
     * is unchanged); DeepWalk's seed is position.seed + the run's seed.
     * position_save, if not NULL, receives the raw (n, k) block in the
     * dataset's numbering (.npy). Default: none. */
    gnnkd_deepwalk_options position;   /* dim 0: no DeepWalk */
    const char *position_file;         /* .npy (n, k) instead of DeepWalk (borrowed) */
    const char *position_save;         /* (borrowed) */
    /* Adversarial feature augmentation of the student (gnnkd_objective):
     * adv_eps 0 (off), adv_steps 5, adv_weight 0.1 (NOSMOG's) */
    float adv_eps;
    int adv_steps;
    float adv_weight;
    /* Representation similarity distillation (NOSMOG), off while rsd_weight
     * is 0: each epoch the nodes are shuffled into n / rsd_batch batches
     * (one of all n if fewer), and the loss gains rsd_weight times the
     * batches' mean of mean((S_s - S_t)^2), S the b x b cosine similarities
     * of the student's and the teacher's hidden rows in the batch (layers
     * lsp_layer and lsp_teacher_layer; an ensemble's S_t is its members'
     * mean). Teacher members trained here or model files; not with MUNGE.
     * rsd_dot: S the dot products of the rows as they are (NOSMOG's code)
     * instead of cosines; rsd_projector: the student's rows pass first
     * through NOSMOG's projector relu(z W^T + b) (W (ds, ds), trained
     * alongside by Adam at the student's lr, no decay, not saved). */
    float rsd_weight;                  /* (0) */
    int32_t rsd_batch;                 /* (512, NOSMOG's) */
    int rsd_dot;                       /* (0: cosine) */
    int rsd_projector;                 /* (0) */
    /* Born-again generations (Furlanello et al. 2018): gnnkd_distill_student
     * trains this many students in turn, each after the first taught by the
     * one before it (its logits on every node and, for LSP and similarity
     * distillation, its hidden layer lsp_layer) with every other option as
     * given; all start from the same seed, and the last is the student.
     * 1..GNNKD_MAX_GENERATIONS; above 1 needs a soft-target method. (1) */
    int generations;
    /* A teacher assistant (Mirzadeh et al. 2020; CPF's --assistant; only
     * gnnkd_distill_in applies it): the name of a recipe
     * (gnnkd_recipe_apply), or NULL for none. The teacher then teaches a
     * student of that recipe, the assistant, which teaches this student in
     * the teacher's place: its logits on the observed nodes and, for LSP or
     * similarity distillation, its hidden layer lsp_teacher_layer. The
     * assistant's options are gnnkd_distill_options_default(KD, the
     * student's select), then the recipe, with o's teacher fields, the
     * student's progress callback and reproducible flag, and no assistant
     * of its own; position features are its recipe's (this student's are
     * o's). Not with MUNGE. (NULL) */
    const char *assistant;
    /* Called after each trained member (not for files), if not NULL, with
     * the member's model (still owned by the runner), its index j and seed;
     * a status other than GNNKD_OK stops the run with that status (the hook
     * writes msg). */
    gnnkd_status (*member_trained)(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg);
    void *member_ctx;
} gnnkd_distill_options;

/* The most generations gnnkd_distill_options allows. */
#define GNNKD_MAX_GENERATIONS 16

/* Named recipes: a recipe sets the fields of o its method needs, on top of
 * what o holds (options given explicitly afterwards override them):
 *   "nosmog": the MLP student of NOSMOG (Tian et al., ICLR 2023) by KD
 *   on the teacher's z-scored logits (standardise 1, temperature 1) with
 *   DeepWalk position features and similarity distillation at the values
 *   validated in README, trained 500 epochs and selected over all of them
 *   (student_train.epochs and, for selection by validation accuracy,
 *   patience 500), two generations; adversarial augmentation stays off
 *   (its own options turn it on);
 *   "cpf": the student "cpf:8,128" (gnnkd_model_spec_parse) at dropout
 *   0.3 (the spec's default is CPF's 0.8) with the training options
 *   gnnkd_train_options_for_model gives it, on CPF's loss
 *   (GNNKD_METHOD_EUCLID) over the unlabelled nodes, standardise 1, one
 *   generation, taught by the assistant "nosmog" (the field assistant).
 * GNNKD_EINVAL naming text and the recipes if text is none of them (o
 * unchanged). O(1); nothing is allocated. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_recipe_apply(gnnkd_distill_options *o, const char *text,
                                                          char *msg);
/* The k-th recipe's name (k from 0), NULL past the last. Static strings. */
GNNKD_API const char *gnnkd_recipe_name(int k);

/* The defaults of a distillation by method whose student selects its
 * weights by select: teacher gcn:64 trained with Kipf's recipe, one member,
 * student mlp:64 trained with gnnkd_train_options_for(method, select),
 * temperature 1, alpha 0.9, no centring, transfer set all nodes; LSP:
 * weight 1, rbf, tau 1, the kernel's sigma, the last hidden layers, no self
 * loops, KL(student || teacher); no position features, no adversarial
 * augmentation, no similarity distillation (rsd_weight 0, rsd_batch 512),
 * one generation, no assistant. O(1). */
GNNKD_API void gnnkd_distill_options_default(gnnkd_distill_options *o, gnnkd_method method,
                                             gnnkd_select select);

/* The sigma of kernel k when lsp_sigma is 0: 100 for l1 (the authors'
 * code's scale), 1 otherwise (the paper's rbf; linear and poly have none).
 * O(1). */
GNNKD_API float gnnkd_lsp_default_sigma(gnnkd_lsp_kernel k);

/* MUNGE's defaults: the swap probability p and the spread divisor s. */
#define GNNKD_MUNGE_P 0.5f
#define GNNKD_MUNGE_S 1.0f

/* MUNGE (Bucilua, Caruana, Niculescu-Mizil 2006): a new dataset, d's n
 * nodes followed by npseudo pseudo-nodes n .. n + npseudo - 1. Pseudo-node
 * k has a source node src = a uniform draw among d's nodes (keyed by
 * (seed, k)) and that node's partner, its nearest other node of d by
 * cosine similarity of the feature rows (exact search, ties to the smaller
 * id, OpenMP over sources; per distinct source O(nnz(X)) for dense
 * features, and for sparse ones O(n + the lengths of the source's
 * columns) through column lists of O(nnz(X)) memory). Each feature
 * f of the pseudo-node is the source's value a, except with probability p
 * (a draw keyed by (seed, k, f)): for a nominal feature (every value of f
 * in d is 0 or 1) the partner's value b; for a continuous one b + z |a - b|
 * / s with z standard normal. A pseudo-node joins the graph with its
 * source's edges (an edge to each of the source's neighbours). Pseudo-nodes
 * are unlabelled and in no split; d's nodes, features, labels, edges and
 * split are kept. *source (may be NULL) receives the source of each
 * pseudo-node (npseudo ids). Deterministic for a seed on any number of
 * threads. Errors: GNNKD_EINVAL for npseudo < 0, fewer than 2 nodes, p
 * outside [0, 1], s <= 0 or no features; GNNKD_ENOMEM. Memory: d's size,
 * a copy of its features while searching (plus threads x n doubles), and
 * npseudo times (the mean row's nonzeros of two nodes + their degree),
 * nothing of order n x npseudo. Ownership: d is read, not kept; *out is new
 * (gnnkd_dataset_free), *source too (free()). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_munge(gnnkd_dataset **out, int32_t **source,
                                                   const gnnkd_dataset *d, int32_t npseudo,
                                                   float p, float s, uint64_t seed, char *msg);

/* The seed of ensemble member j of a run seeded seed: seed + 7919 j
 * (member 0 is `gnnkd train --seed seed`). */
GNNKD_API uint64_t gnnkd_distill_member_seed(uint64_t seed, int j);

/* The teacher of a run: o->teacher_files if given (each loaded, GCN models
 * run over d and g), otherwise o->ensemble models of spec o->teacher, member
 * j seeded gnnkd_distill_member_seed(seed, j) and trained on d with
 * o->teacher_train (its seed replaced). *t is new (gnnkd_teacher_free);
 * *params (may be NULL) receives the trained members' parameters (0 for
 * files). Errors: GNNKD_EINVAL for no files and ensemble < 1 or a spec
 * that does not fit d, and those of the loader and gnnkd_train; nothing
 * is left allocated on failure. O(ensemble * training). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill_teacher(gnnkd_teacher **t, int64_t *params,
                                                             const gnnkd_distill_options *o,
                                                             uint64_t seed,
                                                             const gnnkd_dataset *d,
                                                             const gnnkd_graph *g, char *msg);

/* A student of spec o->student seeded seed, trained on d with
 * o->student_train (its seed replaced by seed) and the objective of
 * o->method from t (the targets and transfer set are built here; t is
 * borrowed and not read for GNNKD_METHOD_SCRATCH, NULL is fine then);
 * with o->generations > 1, the last of that many, each taught by the one
 * before (*r is the last one's).
 * *student (may be NULL: the model is freed) receives the trained model,
 * owned by the caller (gnnkd_model_free). Errors: GNNKD_EINVAL for an
 * objective out of range, a missing teacher or generations out of range,
 * and those of gnnkd_transfer_nodes, gnnkd_teacher_targets and
 * gnnkd_train; nothing is left allocated on failure.
 * O(generations * (training + n C)). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill_student(gnnkd_model **student,
                                                             gnnkd_train_result *r,
                                                             const gnnkd_distill_options *o,
                                                             const gnnkd_teacher *t, uint64_t seed,
                                                             const gnnkd_dataset *d,
                                                             const gnnkd_graph *g, char *msg);

/* What gnnkd_distill reports. */
typedef struct {
    int teacher_members;
    int64_t teacher_params;     /* trained members' parameters, 0 for files */
    double teacher_acc[3];      /* the ensemble (argmax of the mean softmax at
                                   T = 1) by GNNKD_TRAIN/VAL/TEST */
    gnnkd_train_result student; /* the student's selected weights */
    int64_t student_params;
} gnnkd_distill_result;

/* One run of the recipe: gnnkd_distill_teacher, the teacher's accuracy,
 * then gnnkd_distill_student, all with seed. *student as for
 * gnnkd_distill_student (may be NULL). Errors: as those two; GNNKD_ENOMEM.
 * O(training of the teacher and the student). */
/* (o->munge must be 0 here: GNNKD_EINVAL; see gnnkd_distill_in.) */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill(gnnkd_distill_result *r, gnnkd_model **student,
                                                     const gnnkd_distill_options *o, uint64_t seed,
                                                     const gnnkd_dataset *d, const gnnkd_graph *g,
                                                     char *msg);

/* ======================================================================== */
/* distill: the transductive and inductive settings (distill/setting.c)     */
/* ======================================================================== */
/*
 * Transductive (every experiment before): models train with every node and
 * edge in the graph, test nodes included. Inductive (GLNN, Zhang et al.
 * 2022): a fraction F of the test nodes is held out with every edge that
 * touches it; teacher training, the teacher's targets and student training
 * see only the observed graph (the induced subgraph on the other nodes).
 * A model is then scored three ways:
 *   tran  accuracy on the observed test nodes, the model run on the
 *         observed graph;
 *   ind   accuracy on the held-out nodes, a graph model run on the full
 *         graph, an MLP on their own features (it reads nothing else);
 *   prod  (1 - F) tran + F ind, with F the stated fraction.
 * The transductive setting reports tran = the test accuracy, ind = NaN and
 * prod = tran. Node ids given or returned are d's own unless a function
 * says "observed".
 */

typedef enum {
    GNNKD_SETTING_TRANSDUCTIVE = 0,
    GNNKD_SETTING_INDUCTIVE = 1
} gnnkd_setting_kind;

/* The default held-out fraction of the inductive setting (GLNN's). */
#define GNNKD_INDUCTIVE_FRACTION 0.2

/* Parses "transductive", "inductive" (F = GNNKD_INDUCTIVE_FRACTION) or
 * "inductive:F" with 0 < F < 1; *fraction is 0 for transductive.
 * GNNKD_EINVAL naming text otherwise. O(1). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_setting_parse(gnnkd_setting_kind *kind,
                                                           double *fraction, const char *text,
                                                           char *msg);

typedef struct gnnkd_setting gnnkd_setting;

/* The setting of kind over d, d's split as it is now. Inductive: the
 * held-out nodes are round(fraction * ntest) of d's test nodes, the first
 * ones of the test list shuffled by seed (Fisher-Yates, counter-based draws
 * keyed by seed: they depend on the seed and the test list only, never on
 * features, labels or edges); the observed dataset is
 * gnnkd_dataset_subgraph of the rest, whose split is d's train and
 * validation nodes and the observed test nodes. Both normalised
 * adjacencies (observed and full) are built here. GNNKD_EINVAL for a bad
 * kind or fraction, a d without test nodes (inductive) or a split node
 * held out (cannot happen for d's own split); those of gnnkd_graph_new;
 * GNNKD_ENOMEM. O(n + edges + feature size). Ownership: d is borrowed: it
 * must stay alive and unchanged until gnnkd_setting_free; everything else
 * the setting holds is its own. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_setting_new(gnnkd_setting **s, const gnnkd_dataset *d,
                                                         gnnkd_setting_kind kind, double fraction,
                                                         uint64_t seed, char *msg);

/* Frees s (not the borrowed dataset) and sets *s to NULL. NULL is fine. */
GNNKD_API void gnnkd_setting_free(gnnkd_setting **s);

/* The GLNN/CPF protocol (--protocol glnn), one run of it: redraws d's split
 * with gnnkd_dataset_split_per_class(d, GNNKD_GLNN_TRAIN_PER_CLASS,
 * GNNKD_GLNN_VAL_PER_CLASS, seed) (every other labelled node is a test
 * node) and makes the inductive setting with GNNKD_INDUCTIVE_FRACTION and
 * the same seed. The largest connected component is the caller's to take,
 * once, before (gnnkd_dataset_lcc). A run k of `--runs` passes seed =
 * split seed + k, so every run has its own split and held-out nodes.
 * Errors: those of the split and gnnkd_setting_new; d keeps its split if
 * the split fails. Ownership: d's split is replaced; d is borrowed as by
 * gnnkd_setting_new. */
#define GNNKD_GLNN_TRAIN_PER_CLASS 20
#define GNNKD_GLNN_VAL_PER_CLASS 30
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_setting_glnn(gnnkd_setting **s, gnnkd_dataset *d,
                                                          uint64_t seed, char *msg);

/* What s is: its kind and fraction (0 for transductive). O(1). */
GNNKD_API gnnkd_setting_kind gnnkd_setting_get_kind(const gnnkd_setting *s);
GNNKD_API double gnnkd_setting_fraction(const gnnkd_setting *s);

/* The dataset models train on: the observed dataset (d itself in the
 * transductive setting), and its normalised adjacency; the full dataset d
 * and its adjacency. Ownership: owned or borrowed by s, valid until
 * gnnkd_setting_free; read only. O(1). */
GNNKD_API const gnnkd_dataset *gnnkd_setting_observed(const gnnkd_setting *s);
GNNKD_API const gnnkd_graph *gnnkd_setting_observed_graph(const gnnkd_setting *s);
GNNKD_API const gnnkd_dataset *gnnkd_setting_full(const gnnkd_setting *s);
GNNKD_API const gnnkd_graph *gnnkd_setting_full_graph(const gnnkd_setting *s);

/* The held-out nodes (d's ids, ascending; *n of them, 0 and NULL when
 * transductive), and the observed-to-d map: observed node k is d's node
 * ids[k] (NULL, with *n = d->n, when transductive: the identity).
 * Ownership: owned by s, valid until gnnkd_setting_free. O(1). */
GNNKD_API const int32_t *gnnkd_setting_held_out(const gnnkd_setting *s, int32_t *n);
GNNKD_API const int32_t *gnnkd_setting_observed_ids(const gnnkd_setting *s, int32_t *n);

/* The three scores of a model or a teacher in a setting. */
typedef struct {
    double tran, ind, prod;
} gnnkd_setting_acc;

/* Scores m in s as the section's comment says (no dropout). GNNKD_EINVAL
 * if m does not fit d; GNNKD_ENOMEM. O(two forward passes). Ownership: m
 * is borrowed (its workspace is used); its last forward is over the full
 * dataset afterwards. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_setting_evaluate(gnnkd_setting_acc *acc,
                                                              gnnkd_model *m,
                                                              const gnnkd_setting *s, char *msg);

/* The position features of setting s's nodes: *pos (full n, *k) in the
 * full dataset's numbering. The observed nodes' rows are their DeepWalk
 * embeddings (gnnkd_deepwalk with o, on the observed graph only; o may be
 * NULL when path is given) or, if path is not NULL, their rows of the .npy
 * file path ((full n, k) float32/64, e.g. one saved by an earlier run). A
 * held-out node (inductive setting) gets the mean of its observed
 * neighbours' rows, or the observed nodes' mean if it has none (the zero
 * row once standardised, as gnnkd_model_position_rows serves a new node):
 * a student with position features thus needs one hop of the graph at
 * inference for a new node (the sum of its neighbours' rows, O(degree k)).
 * With standardize, every column is
 * then centred and scaled to unit variance by its mean and deviation over
 * the observed nodes (a column constant there is only centred), which
 * puts the embedding on the scale of normalised features. Errors:
 * GNNKD_EINVAL (NULL s, no o and no path, bad options), GNNKD_EDATA (a
 * file whose row count is not n, or not finite), GNNKD_EIO, GNNKD_ENOMEM.
 * O(gnnkd_deepwalk + edges k + n k). Ownership: *pos is new (free()),
 * NULL on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_position_features(float **pos, int32_t *k,
                                                              const gnnkd_setting *s,
                                                              const gnnkd_deepwalk_options *o,
                                                              const char *path, int standardize,
                                                              char *msg);

/* What gnnkd_distill_in reports: r as gnnkd_distill's, over the observed
 * dataset, and the setting's scores of the teacher (the ensemble's mean
 * softmax) and of the student. */
typedef struct {
    gnnkd_distill_result r;
    gnnkd_setting_acc teacher, student;
    /* with o->assistant (zero otherwise): the assistant's selected weights,
     * its parameters and its scores in the setting */
    gnnkd_train_result assistant_result;
    int64_t assistant_params;
    gnnkd_setting_acc assistant;
} gnnkd_distill_setting_result;

/* One run of the recipe in setting s: gnnkd_distill over the observed
 * dataset and graph (the teacher trains and gives targets there, the
 * transfer set is made of observed nodes), then the teacher and the
 * student scored in s. With o->munge > 0, gnnkd_munge(observed, o->munge,
 * o->munge_p, o->munge_s, seed) adds pseudo-nodes: each trained member
 * labels them on the observed graph with every pseudo-node joined at once
 * (the observed nodes' targets stay those of the observed graph), and the
 * student, which must be an MLP, trains on the pseudo-nodes as well (they
 * are unlabelled nodes: transfer set all or unlabeled; teacher files are
 * GNNKD_EINVAL). Inductive: teacher files and a transfer file are
 * GNNKD_EINVAL (they would carry the full graph's numbering into the
 * observed one). With position features the student keeps every node's
 * position row (gnnkd_model_set_position), so that it predicts alone.
 * With o->assistant, the assistant is trained after the teacher, on the
 * observed nodes with its own position features, and scored in s; then
 * this student learns from it (the teacher's scores stay the teacher's).
 * Errors: as gnnkd_distill; GNNKD_EINVAL for an unknown assistant recipe
 * or one with MUNGE; GNNKD_ENOMEM. *student as for gnnkd_distill.
 * O(gnnkd_distill + the assistant's training + the members' forward
 * passes over d). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill_in(gnnkd_distill_setting_result *r,
                                                        gnnkd_model **student,
                                                        const gnnkd_distill_options *o,
                                                        uint64_t seed, const gnnkd_setting *s,
                                                        char *msg);

/* The assistant of o (o->assistant) trained in setting s from teacher t
 * (over s's observed nodes; with the structure its recipe reads, as
 * gnnkd_distill_teacher keeps it for the assistant's options), seeded
 * seed, as gnnkd_distill_in trains it: *out (new, gnnkd_teacher_free) is
 * the assistant as the teacher of o's student, over the observed nodes;
 * r->assistant_result, assistant_params and assistant receive its
 * results (r's other fields are not touched). For a caller that trains
 * one teacher for many students. Errors: GNNKD_EINVAL for NULL arguments
 * or an unknown recipe, and those of gnnkd_distill_student; *out is NULL
 * on failure. O(the assistant's training). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill_assistant(gnnkd_teacher **out,
                                                               gnnkd_distill_setting_result *r,
                                                               const gnnkd_distill_options *o,
                                                               const gnnkd_teacher *t,
                                                               uint64_t seed,
                                                               const gnnkd_setting *s, char *msg);

/* ======================================================================== */
/* dist: graph partitions for distributed training (dist/)                  */
/* ======================================================================== */
/* A graph is cut into P parts (METIS, or contiguous blocks of node ids);
 * each part is written as a folder a process (an MPI rank) reads on its
 * own, without the whole graph: the nodes it owns, their rows of the
 * normalised adjacency Â of the WHOLE graph (so its values use the global
 * degrees) with columns numbered locally, owned nodes first, then the halo
 * (the other parts' nodes those rows reach), the owned feature rows, labels
 * and split membership, and what the neighbours need of it. Partitioning is
 * a single-process step and needs no MPI.
 *
 * Layout of DIR (written by gnnkd_partition_write):
 *   DIR/partition.txt      the partitioning: id, method, parts, sizes, edge
 *                          cut, each part's owned and halo rows
 *   DIR/part-K/manifest.txt  part K: id, sizes, and each file's bytes and
 *                          CRC-32 (zlib)
 *   DIR/part-K/nodes.bin   int32: global ids of the owned nodes
 *                          (ascending), then of the halo (by owner, then
 *                          id); the halo's owners; per part the count, then
 *                          the lists, of owned local rows that part's halo
 *                          holds (each in ascending global id: the order of
 *                          that part's halo)
 *   DIR/part-K/adjacency.bin  Â's owned rows: int64 rowptr (owned + 1),
 *                          int32 local columns, float values
 *   DIR/part-K/features.bin   sparse: int64 rowptr, int32 columns, float
 *                          values, int64 offset of each row in the whole
 *                          X; dense: (owned, nfeat) floats
 *   DIR/part-K/labels.bin  int32 labels, then one byte a node: 0 none,
 *                          1 + GNNKD_TRAIN, VAL or TEST
 * Binary files are little-endian. Each file is written through a
 * temporary and renamed; manifest.txt after its part's files, partition.txt
 * last. */

typedef enum {
    GNNKD_PARTITION_METIS = 0,     /* METIS_PartGraphKway, minimising the edge cut */
    GNNKD_PARTITION_CONTIGUOUS = 1 /* node i in part floor(i P / n) */
} gnnkd_partition_method;

/* "metis", "contiguous" (and "?"). Static strings. *m from a name:
 * GNNKD_EINVAL naming it for another. */
GNNKD_API const char *gnnkd_partition_method_name(gnnkd_partition_method m);
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_partition_method_parse(gnnkd_partition_method *m,
                                                                   const char *name, char *msg);

/* The part of each of d's nodes, in 0..parts-1, into *part (d->n, new).
 * METIS runs on d's adjacency (symmetric, no self loops), unweighted, with
 * METIS's own seed option set to seed: the same seed, the same parts.
 * Errors: GNNKD_EINVAL for parts < 1 or more parts than nodes, a d without
 * a graph, or more than 2^31 - 1 adjacency entries (METIS's 32-bit
 * indices); GNNKD_EINTERNAL if METIS fails or leaves a part empty (fewer
 * parts then); GNNKD_ENOMEM. O(nnz log parts) for METIS, O(n) otherwise.
 * Ownership: d is read; *part is freed with free(), NULL on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_partition_compute(int32_t **part,
                                                              const gnnkd_dataset *d,
                                                              int32_t parts,
                                                              gnnkd_partition_method method,
                                                              uint64_t seed, char *msg);

/* What a partition costs in communication. */
typedef struct {
    uint64_t id;          /* the partitioning id (gnnkd_partition_write) */
    gnnkd_partition_method method;
    int32_t parts;
    int32_t nodes;
    int64_t edges;        /* undirected */
    int64_t edge_cut;     /* undirected edges between two parts */
    int64_t halo_total;   /* halo rows over all parts: rows fetched per exchange */
    int32_t *owned;       /* (parts) nodes each part owns */
    int32_t *halo;        /* (parts) halo rows of each part */
} gnnkd_partition_stats;

/* *s for the partition part (d->n entries in 0..parts-1) of d. Errors:
 * GNNKD_EINVAL for a part id out of range or an empty part; GNNKD_ENOMEM.
 * O(nnz). Ownership: s is overwritten (clear a used one first); its arrays
 * are released with gnnkd_partition_stats_clear. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_partition_stats_of(gnnkd_partition_stats *s,
                                                               const gnnkd_dataset *d,
                                                               const int32_t *part,
                                                               int32_t parts,
                                                               gnnkd_partition_method method,
                                                               char *msg);

/* Frees s's arrays and zeroes s. NULL is fine. */
GNNKD_API void gnnkd_partition_stats_clear(gnnkd_partition_stats *s);

/* Bytes all parts together send in one training epoch of a GCN of shape
 * spec (float32 rows): each layer exchanges its output width's halo rows
 * forward and its gradient's backward, 2 x 4 x halo_total x sum of
 * dims[1..nlayers]; 0 for an MLP, whose rows never leave their part. O(1). */
GNNKD_API int64_t gnnkd_partition_epoch_bytes(const gnnkd_partition_stats *s,
                                              const gnnkd_model_spec *spec);

/* Writes the partition part of d (d->n entries in 0..parts-1) as the
 * folder dir (created if needed; see the layout above), Â computed here
 * over the whole graph with gnnkd_graph_new. The partitioning id is a hash
 * of d's size, its adjacency, the method and part. s (may be NULL)
 * receives the statistics, as gnnkd_partition_stats_of. Errors: those of
 * gnnkd_partition_stats_of and gnnkd_graph_new; GNNKD_EINVAL for a d
 * without features or labels; GNNKD_EIO if a folder or file cannot be
 * written. O(nnz(Â) + feature size + n log n). Ownership: d and part are
 * read; s as for gnnkd_partition_stats_of. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_partition_write(gnnkd_partition_stats *s,
                                                            const char *dir,
                                                            const gnnkd_dataset *d,
                                                            const int32_t *part, int32_t parts,
                                                            gnnkd_partition_method method,
                                                            char *msg);

/* One part, as a process reads it. Local row r < owned is the owned node
 * global[r]; local column c of ahat is global[c], a halo node (c >= owned)
 * owned by halo_owner[c - owned]. Fields may be read directly; the part
 * owns every array (gnnkd_part_free). */
typedef struct {
    uint64_t id;            /* the partitioning id */
    int32_t part, parts;
    gnnkd_partition_method method;
    char name[128];         /* the dataset's */
    int32_t nodes;          /* of the whole graph */
    int32_t nfeat, nclass;
    gnnkd_feature_norm feature_norm;
    int32_t nsplit_total[3]; /* the whole graph's split sizes (loss means) */
    int64_t edge_cut;
    int32_t owned, halo;
    int32_t *global;        /* (owned + halo) global ids */
    int32_t *halo_owner;    /* (halo) owning part, ascending */
    int32_t *send_count;    /* (parts) rows sent to each part (0 to itself) */
    int32_t *send;          /* (sum of send_count) local owned rows, by part */
    gnnkd_csr ahat;         /* (owned, owned + halo) Â's rows, local columns */
    gnnkd_csr x;            /* (owned, nfeat) sparse features, or rowptr NULL */
    int64_t *xoff;          /* (owned) sparse: each row's first nonzero in the whole
                               graph's X (dropout masks are drawn there) */
    float *xdense;          /* (owned, nfeat) dense features, or NULL */
    int32_t *label;         /* (owned) -1 = unlabelled */
    int32_t *split[3];      /* local rows of each set, ascending */
    int32_t nsplit[3];
} gnnkd_part;

/* Reads part k of the partition folder dir: dir/partition.txt, then
 * dir/part-K/. Every check is made before the part is used: the manifest
 * must name the partitioning id, part count and method of partition.txt (a
 * part of another partitioning is GNNKD_EDATA "FILE: partitioning id X,
 * DIR/partition.txt has Y: the part belongs to another partitioning"),
 * each file its manifest's byte count and CRC-32 (GNNKD_EDATA naming the
 * file), and the contents must be consistent (offsets, ids and columns in
 * range, finite values, labels in range, split nodes labelled, the halo
 * ordered by owner). Malformed text is GNNKD_EDATA "file:line: what was
 * expected, what was found"; a missing file GNNKD_EIO; k outside
 * 0..parts-1 GNNKD_EINVAL. Nothing is allocated by a size the files do not
 * hold. O(part's file sizes). Ownership: a new part (gnnkd_part_free),
 * NULL on failure. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_part_load(gnnkd_part **p, const char *dir,
                                                      int32_t k, char *msg);

/* Frees p's arrays and p, and sets *p to NULL. NULL is fine. */
GNNKD_API void gnnkd_part_free(gnnkd_part **p);

/* ---- distributed training over MPI (dist/mpi.c) -----------------------------
 * One MPI rank per part, each reading only its own part (gnnkd_part_load):
 * synchronous full-graph training of a GCN or an MLP. Before each product
 * with Â a rank fetches its halo rows from their owners
 * (MPI_Neighbor_alltoallv on a distributed graph communicator of the parts
 * it exchanges with; Â being symmetric, the backward pass fetches the halo
 * rows of the gradient the same way); an MLP exchanges nothing. Gradients
 * and losses are summed on rank 0 and broadcast, so every rank takes the
 * same Adam step on the same bits. Dropout masks are drawn at global node
 * ids with the seed and step of gnnkd_train: P ranks compute the function
 * the single process computes, up to the order of the sums. OpenMP runs
 * inside each rank (gnnkd_set_threads). Built only with GNNKD_MPI (CMake;
 * on when MPI is found): otherwise gnnkd_mpi_built() is 0 and the others
 * fail with GNNKD_EINVAL saying so. */

/* 1 if this build has MPI. */
GNNKD_API int gnnkd_mpi_built(void);

/* Starts MPI (MPI_Init_thread, FUNNELED: only the main thread calls MPI)
 * unless it runs already; *rank and *size of MPI_COMM_WORLD.
 * GNNKD_EINTERNAL if MPI fails to start. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_mpi_init(int *rank, int *size, char *msg);

/* MPI_Finalize, once, if MPI was started. */
GNNKD_API void gnnkd_mpi_finalize(void);

/* Ends the whole job after a failure on this rank: prints "rank R: msg" on
 * stderr and calls MPI_Abort with gnnkd_exit_code(status), so the other
 * ranks do not wait forever in a collective. Does not return. */
GNNKD_API void gnnkd_mpi_abort(int status, const char *msg);

/* What the exchanges of a distributed training cost. */
typedef struct {
    int epochs;
    double exchange_seconds; /* in halo exchanges, mean over ranks, whole run */
    double bytes_per_epoch;  /* halo bytes all ranks sent per epoch (training
                                step and validation pass) */
    double peak_rss_mb_max;  /* the largest peak resident set of a rank, MiB */
} gnnkd_dist_stats;

/* gnnkd_train on the distributed graph: every rank calls it together with
 * its part p (part = rank; the job must have p->parts ranks) and a model of
 * the same shape made with the same seed (gnnkd_model_new: the same
 * weights everywhere). o as for gnnkd_train, except that o->progress's
 * answer is ignored (a rank alone cannot stop the others). obj (NULL: hard
 * labels) as for gnnkd_train, but in this rank's rows: target (owned, C),
 * transfer local rows 0..owned-1; each term's mean is over all ranks' rows.
 * On return every rank's m holds the selected weights, r the accuracies
 * and losses over the whole graph's splits, ds (may be NULL) the exchange
 * costs, mine (may be NULL; (owned, C), the caller's) this rank's logits;
 * logits, on rank 0 and if not NULL, receives the (nodes, C) logits of
 * every node (gathered from the ranks; the other ranks' logits argument is
 * not read). Errors: GNNKD_EINVAL for a model that is not a GCN or MLP or
 * does not fit p, a rank count that is not p->parts, options or an
 * objective out of range; GNNKD_EDATA if the ranks' parts come from
 * different partitionings; GNNKD_ENUMERIC, GNNKD_ENOMEM; GNNKD_EINTERNAL
 * if MPI fails. A rank that fails returns while the others may wait in a
 * collective: call gnnkd_mpi_abort. O(epochs (forward + halo rows x
 * widths)). Ownership: m is changed in place; p, o and obj are read. */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_train_part(gnnkd_model *m, gnnkd_train_result *r,
                                                       gnnkd_dist_stats *ds, float *logits,
                                                       float *mine, const gnnkd_part *p,
                                                       const gnnkd_train_options *o,
                                                       const gnnkd_objective *obj, char *msg);

/* gnnkd_distill on the distributed graph (collective, as gnnkd_train_part):
 * o->ensemble teachers of o->teacher trained with gnnkd_train_part (member
 * seeds gnnkd_distill_member_seed), their logits and the soft targets kept
 * in each rank's rows (never gathered), then the student (GCN or MLP: an
 * MLP exchanges nothing) trained on them with seed. Transfer sets all,
 * train or unlabeled; teacher files, MUNGE and o->center's other uses as
 * gnnkd_distill. r as gnnkd_distill's (the teacher's accuracy over all
 * ranks' rows); *student (may be NULL) the student on every rank; ds and
 * logits (the student's) as for gnnkd_train_part. Errors: those of
 * gnnkd_train_part; GNNKD_EINVAL for teacher files, MUNGE, a transfer
 * file, a method other than scratch, kd and compress, position features,
 * adversarial augmentation, similarity distillation, more than one
 * generation or an assistant. Ownership: *student is new (gnnkd_model_free). */
GNNKD_API GNNKD_NODISCARD gnnkd_status gnnkd_distill_part(gnnkd_distill_result *r,
                                                         gnnkd_model **student,
                                                         gnnkd_dist_stats *ds, float *logits,
                                                         const gnnkd_distill_options *o,
                                                         uint64_t seed, const gnnkd_part *p,
                                                         char *msg);

#ifdef __cplusplus
}
#endif
#endif /* GNNKD_H */
