/*
 * gnnkd.h — the public API of gnnkd, knowledge distillation for graph neural
 * networks. This header is the manual: read it top to bottom.
 *
 * Conventions (as in LAGraph and igraph):
 *   - Every function that can fail returns an int status (GNNKD_OK = 0) and
 *     takes `char *msg` last: a buffer of GNNKD_MSG_LEN bytes (or NULL) that
 *     receives "where: what went wrong" on failure. For malformed input files
 *     `where` is "file:line".
 *   - Arguments: outputs first, then inputs, then msg.
 *   - Objects come in pairs: gnnkd_x_new / gnnkd_x_free (free takes the
 *     address of the pointer, frees it and sets it to NULL; NULL is fine).
 *   - Node ids and dimensions are int32_t; nonzero counts are int64_t.
 *   - Dense matrices are row-major float arrays; shapes are given as (rows, cols).
 *   - No global state except the OpenMP thread count (gnnkd_set_threads).
 */
#ifndef GNNKD_H
#define GNNKD_H

#include <stdint.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GNNKD_VERSION "0.1.0"
#define GNNKD_MSG_LEN 512
#define GNNKD_MAX_LAYERS 8
#define GNNKD_MIN_LAYERS 2 /* weight layers: a model has at least one hidden layer */

/* ------------------------------------------------------------------------ */
/* Status                                                                   */
/* ------------------------------------------------------------------------ */

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

typedef enum gnnkd_status {
    GNNKD_OK = 0,
    GNNKD_EINVAL = 1,    /* a bad argument or option: a usage error */
    GNNKD_EDATA = 2,     /* malformed input data */
    GNNKD_EIO = 3,       /* a file could not be opened, read or written */
    GNNKD_ENOMEM = 4,    /* out of memory, or a size too large to allocate */
    GNNKD_ENUMERIC = 5,  /* NaN or Inf appeared while training */
    GNNKD_EINTERNAL = 6  /* a library below (GraphBLAS, igraph) failed */
} gnnkd_status;

/* The status's name, e.g. "GNNKD_EDATA". */
const char *gnnkd_status_name(int status);

/* The process exit code for a status: 0 for GNNKD_OK, 2 for usage and data
 * errors (EINVAL, EDATA, EIO), 1 for the rest. */
int gnnkd_exit_code(int status);

/* The version string of the library, e.g. "0.1.0". */
const char *gnnkd_version(void);

/* Sets the number of OpenMP (and OpenBLAS) threads; n <= 0 means all cores.
 * Never more than gnnkd_threads_fit(). This is the library's only global
 * state. */
void gnnkd_set_threads(int n);
int gnnkd_get_threads(void);

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

/* ------------------------------------------------------------------------ */
/* Sparse matrices (CSR)                                                    */
/* ------------------------------------------------------------------------ */

/* Compressed sparse rows: row i's entries are colidx[rowptr[i] .. rowptr[i+1]),
 * columns ascending within a row. val is NULL for a pattern (all ones). */
typedef struct {
    int32_t nrows, ncols;
    int64_t *rowptr; /* nrows + 1 */
    int32_t *colidx; /* nnz */
    float *val;      /* nnz, or NULL */
} gnnkd_csr;

static inline int64_t gnnkd_csr_nnz(const gnnkd_csr *a) { return a->rowptr ? a->rowptr[a->nrows] : 0; }

/* Frees the arrays of a and zeroes it (a itself is not freed). */
void gnnkd_csr_clear(gnnkd_csr *a);

/* ------------------------------------------------------------------------ */
/* Datasets (loaders/)                                                      */
/* ------------------------------------------------------------------------ */

enum { GNNKD_TRAIN = 0, GNNKD_VAL = 1, GNNKD_TEST = 2 };

/* A node-classification dataset: an undirected graph, node features, labels
 * and a train/validation/test split. Fields may be read directly. */
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
} gnnkd_dataset;

/* A new, empty dataset (all fields zero). GNNKD_ENOMEM. */
int gnnkd_dataset_new(gnnkd_dataset **d, char *msg);
void gnnkd_dataset_free(gnnkd_dataset **d);

/* Reads a dataset folder in the gnnkd format: adjacency.mtx, features.mtx
 * (MatrixMarket coordinate; pattern/real/integer; general/symmetric),
 * labels.txt, train.txt, val.txt, test.txt, classes.txt. Every malformed input
 * is a GNNKD_EDATA naming the file and line ("path:line: what was
 * expected, what was found"): bad banner or size line, wrong entry counts,
 * indices out of range, duplicates, an asymmetric adjacency, NaN/Inf or
 * non-numeric values, labels outside 0..nclass-1 other than -1, split ids
 * out of range, repeated or overlapping, an unlabelled split node, more
 * classes (classes.txt) than nodes, and a declared size the file is too
 * short to hold or that disagrees with another file (refused before
 * allocating).
 * A missing file is GNNKD_EIO. Self loops in the adjacency are dropped.
 * Features are kept as read (see gnnkd_dataset_normalize_features).
 * O(file size). */
int gnnkd_dataset_load_dir(gnnkd_dataset **d, const char *dir, char *msg);

/* Opens a dataset by specification:
 *   - "synthetic" or "synthetic:KEY=VALUE,..." : the built-in generator;
 *   - a value containing '/' : a dataset folder, read directly;
 *   - otherwise NAME : the folder data_dir/NAME, where data_dir defaults (NULL)
 *     to the environment variable GNNKD_DATA; NAME "." or ".." is
 *     GNNKD_EINVAL (a name never leaves data_dir).
 * d->name is NAME or the folder's last component. GNNKD_EINVAL if NAME is
 * given and neither data_dir nor GNNKD_DATA is; otherwise as the loader or
 * the generator. */
int gnnkd_dataset_open(gnnkd_dataset **d, const char *spec, const char *data_dir, char *msg);

/* Scales each feature row to sum 1 (rows that sum to 0 are left as they are),
 * as Kipf & Welling do for bags of words. Features with a negative value
 * anywhere (such as the synthetic Gaussians) are left as they are: their row
 * sums mean nothing. O(nnz). */
void gnnkd_dataset_normalize_features(gnnkd_dataset *d);

/* Writes d as a dataset folder in the format read by gnnkd_dataset_load_dir
 * (creating the folder if needed); floats are written so that they read
 * back bit for bit. Each file is written to a temporary name and renamed.
 * GNNKD_EIO if the folder or a file cannot be written. O(nnz). */
int gnnkd_dataset_save_dir(const gnnkd_dataset *d, const char *dir, char *msg);

/* ------------------------------------------------------------------------ */
/* The normalised adjacency (gnn/graph.c)                                   */
/* ------------------------------------------------------------------------ */

/* Â = D^-1/2 (A + I) D^-1/2, built with GraphBLAS and held as CSR arrays. */
typedef struct gnnkd_graph gnnkd_graph;

/* Builds Â from a symmetric adjacency pattern (self loops in adj are ignored,
 * a repeated edge counts once, an isolated node gets Â_ii = 1) with
 * SuiteSparse:GraphBLAS, and keeps its CSR export with sorted rows. adj->val is
 * not read. GNNKD_EINVAL if adj is not a square, well-formed CSR matrix;
 * GNNKD_EINTERNAL if GraphBLAS fails. O(nnz + n). */
int gnnkd_graph_new(gnnkd_graph **g, const gnnkd_csr *adj, char *msg);
void gnnkd_graph_free(gnnkd_graph **g);

/* Â as CSR with values, for the kernels. Owned by g. */
const gnnkd_csr *gnnkd_graph_csr(const gnnkd_graph *g);

/* ------------------------------------------------------------------------ */
/* Models (gnn/)                                                            */
/* ------------------------------------------------------------------------ */

typedef enum { GNNKD_MODEL_GCN = 0, GNNKD_MODEL_MLP = 1 } gnnkd_model_kind;

/* The shape of a model: nlayers weight layers; layer l maps dims[l] to
 * dims[l+1]; dims[0] is the feature dimension, dims[nlayers] the classes.
 * ReLU and dropout sit between layers; dropout also applies to the input. */
typedef struct {
    gnnkd_model_kind kind;
    int nlayers;
    int32_t dims[GNNKD_MAX_LAYERS + 1];
    float dropout;
} gnnkd_model_spec;

/* Parses "gcn:16", "gcn:64,64", "mlp:256,256", "mlp" (= mlp:64), "gcn"
 * (= gcn:16): the kind and the hidden widths. Fills kind, nlayers, the
 * hidden dims and dropout = 0.5 (Kipf & Welling); dims[0] and dims[nlayers]
 * are left 0 for gnnkd_model_new. Anything else (another kind, an empty,
 * zero, negative or non-numeric width, spaces, more than
 * GNNKD_MAX_LAYERS - 1 hidden layers) is GNNKD_EINVAL. */
int gnnkd_model_spec_parse(gnnkd_model_spec *spec, const char *text, char *msg);

/* Writes "gcn:16" style text for spec into buf (truncated to len). */
void gnnkd_model_spec_format(char *buf, size_t len, const gnnkd_model_spec *spec);

/* The thread count to use when the user gave none, for training s on d: 1
 * when an epoch is under 2e7 multiply-adds (3 x (nnz(X) h1 + n sum of the
 * dense layers + nnz(Â) sum of the widths for a GCN); the environment
 * variable GNNKD_THREADS_WORK changes that threshold), where fork/join and
 * waiting threads cost more than they save (Cora gcn:16 at 2 threads ran up
 * to 3x slower than at 1); all cores above. Capped by gnnkd_threads_fit. */
GNNKD_API int gnnkd_threads_default(const gnnkd_dataset *d, const gnnkd_model_spec *s);

typedef struct gnnkd_model gnnkd_model;

/* A model of the given shape with Glorot-uniform weights and zero biases,
 * drawn from seed; spec->dims[0] must be nin and dims[nlayers] nout (they are
 * filled in if 0). spec->dropout is used as given and must be in [0, 1);
 * nlayers must be 2..GNNKD_MAX_LAYERS. Weight e of layer l is
 * U(-r, r), r = sqrt(6 / (in + out)), a function of (seed, l, e) only.
 * GNNKD_EINVAL for a bad shape, GNNKD_ENOMEM. */
int gnnkd_model_new(gnnkd_model **m, const gnnkd_model_spec *spec, int32_t nin,
                    int32_t nout, uint64_t seed, char *msg);
void gnnkd_model_free(gnnkd_model **m);

const gnnkd_model_spec *gnnkd_model_get_spec(const gnnkd_model *m);
int64_t gnnkd_model_num_params(const gnnkd_model *m);

/* Forward pass over all n nodes of d. training != 0 applies dropout with the
 * mask drawn from (seed, step): the same key gives the same mask on any
 * number of threads. *logits (n, nclass) is owned by m and valid until the
 * next forward. GCN models need g; MLPs ignore it (NULL is fine).
 * Sparse features (d->x) are never densified. The first forward over a
 * dataset allocates the model's workspace; later ones over the same n reuse
 * it. The same seed, step and thread count give bit-identical logits;
 * another thread count changes only the summation order. GNNKD_EINVAL if d's
 * features or classes do not match the model, or g is not d's graph;
 * GNNKD_ENOMEM. O(nnz(Â) h + nnz(X) dims[1] + n sum dims[l] dims[l+1]). */
int gnnkd_model_forward(gnnkd_model *m, const float **logits, const gnnkd_dataset *d,
                        const gnnkd_graph *g, int training, uint64_t seed,
                        uint64_t step, char *msg);

/* Backward pass of the last forward: accumulates (+=) parameter gradients
 * (see the trainer's internals) from dlogits (n, nclass), with the last
 * forward's dropout masks. GNNKD_EINVAL if no forward over a dataset of this
 * shape came before. */
int gnnkd_model_backward(gnnkd_model *m, const float *dlogits, const gnnkd_dataset *d,
                         const gnnkd_graph *g, char *msg);

/* Saves m: magic, version, shape, parameters and a CRC-32, written to a
 * temporary file and renamed (the format is in gnn/model_io.c).
 * GNNKD_EIO if it cannot be written. */
int gnnkd_model_save(const gnnkd_model *m, const char *path, char *msg);

/* Loads a model written by gnnkd_model_save; a bad magic, version, shape,
 * length, checksum or a NaN/infinite parameter is GNNKD_EDATA ("path:
 * reason"), an unreadable file or one that is not a regular file GNNKD_EIO. Adam's moments start at zero. */
int gnnkd_model_load(gnnkd_model **m, const char *path, char *msg);

/* ------------------------------------------------------------------------ */
/* .npy files (NumPy format, float32, 2-D, C order)                         */
/* ------------------------------------------------------------------------ */

/* Writes a (rows, cols) as NumPy's format 1.0 ('<f4', C order), through a
 * temporary file and a rename. GNNKD_EIO if it cannot be written. */
int gnnkd_npy_write(const char *path, const float *a, int64_t rows, int64_t cols, char *msg);

/* Reads a 2-D (or 1-D, as (rows, 1)) float32 or float64 .npy file into a new
 * float array (free with free()). Another dtype, Fortran order, a bad magic
 * or header, truncated data, or a NaN or infinite value (also after float64
 * to float32) is GNNKD_EDATA naming the file (and the row and column); a
 * missing file or one that is not a regular file GNNKD_EIO. */
int gnnkd_npy_read(float **a, int64_t *rows, int64_t *cols, const char *path, char *msg);

/* ------------------------------------------------------------------------ */
/* Losses (distill/loss.c)                                                  */
/* ------------------------------------------------------------------------ */
/*
 * Each takes logits (n, C) and a list of rows idx (nidx of them), returns
 * the mean loss over those rows, and, if dlogits is not NULL, adds
 * weight * d(loss)/d(logits) into dlogits (n, C).
 */

/* Softmax cross-entropy with hard labels. */
double gnnkd_loss_ce(float *dlogits, const float *logits, const int32_t *label,
                     const int32_t *idx, int64_t nidx, int32_t C, float weight);

/* Knowledge distillation (Hinton et al. 2015): T^2 * CE(q, softmax(s/T)),
 * with q (n, C) the teacher's softened probabilities. Gradient:
 * weight * T * (softmax(s/T) - q) / nidx. If kl is not NULL it receives
 * T^2 * mean KL(q || softmax(s/T)) (same gradient, zero at a perfect match). */
double gnnkd_loss_kd(float *dlogits, double *kl, const float *logits, const float *q,
                     const int32_t *idx, int64_t nidx, int32_t C, float T, float weight);

/* Model compression (Bucilua et al. 2006; logit regression as in Ba & Caruana
 * 2014): (1/C) * ||s - t||^2 / 2 with t (n, C) the teacher's logits.
 * Gradient: weight * (s - t) / (C * nidx). */
double gnnkd_loss_compress(float *dlogits, const float *logits, const float *t,
                           const int32_t *idx, int64_t nidx, int32_t C, float weight);

/* Row-wise softmax(z / T) of z (n, C) into p (n, C). */
void gnnkd_softmax(float *p, const float *z, int64_t n, int32_t C, float T);

/* Accuracy of argmax(logits) over the rows idx; NaN if there are none (an
 * empty set has no accuracy). */
double gnnkd_accuracy(const float *logits, const int32_t *label, const int32_t *idx,
                      int64_t nidx, int32_t C);

/* ------------------------------------------------------------------------ */
/* Training (distill/train.c)                                               */
/* ------------------------------------------------------------------------ */

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
    GNNKD_METHOD_COMPRESS = 2  /* Bucilua et al. 2006, logit regression */
} gnnkd_method;

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
    /* Called after every epoch if not NULL; returning non-zero stops training. */
    int (*progress)(void *ctx, const gnnkd_epoch_info *e);
    void *progress_ctx;
} gnnkd_train_options;

/* Kipf & Welling's settings: lr 0.01, Adam (0.9, 0.999, 1e-8), weight decay
 * 5e-4 on the first layer, at most 200 epochs, seed 0; model selection by
 * the best validation accuracy (patience 100). Their own rule,
 * GNNKD_SELECT_VAL_LOSS with patience 10, is 0.6 points lower on average
 * (10 seeds: Cora 0.813 vs 0.819, CiteSeer 0.704 vs 0.711, PubMed 0.785 vs
 * 0.792). */
void gnnkd_train_options_default(gnnkd_train_options *o);

/* The soft targets of distillation. The target array is (n, C): the teacher's
 * softened probabilities for KD (see gnnkd_teacher_targets), its logits for
 * compression. Loss = alpha * soft term over the transfer set +
 * (1 - alpha) * cross-entropy over the training nodes. */
typedef struct {
    gnnkd_method method;
    float alpha;
    float temperature;       /* KD only */
    const float *target;     /* (n, C) */
    const int32_t *transfer; /* node ids of the transfer set */
    int32_t ntransfer;
} gnnkd_objective;

typedef struct {
    int epochs;           /* epochs run */
    int best_epoch;       /* the epoch whose weights were kept (1-based) */
    double acc[3], loss[3];  /* accuracy and hard cross-entropy, by GNNKD_TRAIN/VAL/TEST */
    double train_seconds;    /* wall time of the whole call */
    double epoch_seconds_median;  /* the median training step */
} gnnkd_train_result;

/* Trains m on d (and g for GCNs) with Adam, dropout, weight decay and early
 * stopping; obj NULL (or method SCRATCH) means hard labels only. On return m
 * holds the selected weights and r their accuracies; r->epoch_seconds_median
 * is the median training step (forward, backward, Adam) without the
 * per-epoch validation pass, which r->train_seconds includes. Nothing is
 * allocated inside the epoch loop. GNNKD_EINVAL if the model does not fit d,
 * a split node is unlabelled, the training set is empty, the validation set
 * is empty under a selection that reads it (all but GNNKD_SELECT_LAST), an option or the objective is out of range;
 * GNNKD_ENUMERIC if the loss becomes NaN or infinite; GNNKD_ENOMEM.
 * O(epochs * forward). */
int gnnkd_train(gnnkd_model *m, gnnkd_train_result *r, const gnnkd_dataset *d,
                const gnnkd_graph *g, const gnnkd_train_options *o,
                const gnnkd_objective *obj, char *msg);

/* Evaluates m (no dropout) on the three splits of d; logits (n, C) may be
 * NULL or receive a copy of the logits. */
int gnnkd_evaluate(gnnkd_model *m, gnnkd_train_result *r, float *logits,
                   const gnnkd_dataset *d, const gnnkd_graph *g, char *msg);

/* ------------------------------------------------------------------------ */
/* Teachers and ensembles (distill/teacher.c)                               */
/* ------------------------------------------------------------------------ */

/* A teacher: the logits (n, C) of one or more members over all nodes. */
typedef struct gnnkd_teacher gnnkd_teacher;

int gnnkd_teacher_new(gnnkd_teacher **t, int32_t n, int32_t C, char *msg);
void gnnkd_teacher_free(gnnkd_teacher **t);

/* Adds a member given by its logits (n, C) (copied). */
int gnnkd_teacher_add_logits(gnnkd_teacher *t, const float *logits, char *msg);

/* Adds a member given by a model (its logits over d are computed), a model
 * file or a .npy logits file (the path's ending decides). */
int gnnkd_teacher_add_model(gnnkd_teacher *t, gnnkd_model *m, const gnnkd_dataset *d,
                            const gnnkd_graph *g, char *msg);
int gnnkd_teacher_add_file(gnnkd_teacher *t, const char *path, const gnnkd_dataset *d,
                           const gnnkd_graph *g, char *msg);

int gnnkd_teacher_members(const gnnkd_teacher *t);

/* The distillation target (n, C) for a method: for KD the mean of the
 * members' softmax(z / T); for compression the mean of their logits, each row
 * centred to zero mean if center is set. */
int gnnkd_teacher_targets(float *target, const gnnkd_teacher *t, gnnkd_method method,
                          float T, int center, char *msg);

/* The accuracy of the ensemble (argmax of the mean softmax at T = 1) on idx. */
double gnnkd_teacher_accuracy(const gnnkd_teacher *t, const int32_t *label,
                              const int32_t *idx, int64_t nidx);

/* The transfer set S of distillation: every node (the transductive default,
 * unlabelled nodes included), the training nodes, every node but the
 * training nodes, or the node ids of a file (one 0-based id a line). */
typedef enum {
    GNNKD_TRANSFER_ALL = 0,
    GNNKD_TRANSFER_TRAIN = 1,
    GNNKD_TRANSFER_UNLABELED = 2,
    GNNKD_TRANSFER_FILE = 3
} gnnkd_transfer;

/* A new array (free with free()) of the transfer nodes of d, ascending. path
 * is read for GNNKD_TRANSFER_FILE (ids out of range or repeated are
 * GNNKD_EDATA naming the line) and ignored otherwise. */
int gnnkd_transfer_nodes(int32_t **ids, int32_t *n, const gnnkd_dataset *d, gnnkd_transfer kind,
                         const char *path, char *msg);

/* ------------------------------------------------------------------------ */
/* Synthetic graphs (loaders/synthetic.c)                                   */
/* ------------------------------------------------------------------------ */

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
 * coordinates), so any two means are exactly `snr` apart. Drawn with
 * gkd_normal, keyed by (seed, node).
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
 *          test=1000: for timing. igraph_sbm_game handles this size
 *          (geometric skipping, O(nodes + edges)): measured 20 s and
 *          600 MB peak on two busy cores (load 12), most of it igraph's
 *          edge list and the 512 MB of features.
 * Errors: an unknown key, a malformed or out-of-range value: GNNKD_EINVAL
 * naming it. O(nodes * features + edges). */
int gnnkd_dataset_synthetic(gnnkd_dataset **d, const char *spec, char *msg);

/* ------------------------------------------------------------------------ */
/* Graph files, statistics, splits (loaders/graphio.c, stats.c, split.c)    */
/* ------------------------------------------------------------------------ */

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
 *     the declared node count ("*Vertices N", "p max N M") must be at most
 *     16 per line of the file + 1024 (GNNKD_EDATA otherwise).
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
 * a missing file or one that is not a regular file GNNKD_EIO; an unknown format GNNKD_EINVAL; a features or
 * labels file whose row count is not n is GNNKD_EDATA naming that file.
 * O(edges log edges + feature size). */
int gnnkd_dataset_load_graph(gnnkd_dataset **d, gnnkd_graph_counts *counts,
                             const char *graph_path, const char *format,
                             const char *features_path, const char *labels_path, char *msg);

/* Builds a dataset's adjacency from an edge list: pairs (u[e], v[e]) of
 * node ids in [0, n), symmetrised, self loops and duplicates dropped and
 * counted (as for gnnkd_dataset_load_graph; directed tells whether (u, v)
 * and (v, u) are reciprocal arcs or duplicates). counts may be NULL.
 * Replaces d->adj and sets d->n. O(m) plus a radix sort. */
int gnnkd_dataset_set_edges(gnnkd_dataset *d, gnnkd_graph_counts *counts, int32_t n,
                            const int32_t *u, const int32_t *v, int64_t m, int directed,
                            char *msg);

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

/* Computes s for d; components and clustering with igraph. Free with
 * gnnkd_stats_clear. O(edges * max degree + feature size). */
int gnnkd_dataset_stats(gnnkd_stats *s, const gnnkd_dataset *d, char *msg);
void gnnkd_stats_clear(gnnkd_stats *s);

/* Splits. Each replaces d's split with sorted, disjoint node lists drawn
 * among labelled nodes with the seed (the same seed, the same split), and
 * fails with GNNKD_EINVAL naming the class when a class has too few
 * labelled nodes for the request, or when too few nodes are left.
 *
 * random: train_per_class nodes of each class for training, then nval and
 * ntest nodes drawn from the other labelled nodes (Planetoid-like). */
int gnnkd_dataset_split_random(gnnkd_dataset *d, int32_t train_per_class, int32_t nval,
                               int32_t ntest, uint64_t seed, char *msg);

/* per-class: train_per_class and val_per_class nodes of each class; every
 * other labelled node is a test node (as in CPF and GLNN). */
int gnnkd_dataset_split_per_class(gnnkd_dataset *d, int32_t train_per_class,
                                  int32_t val_per_class, uint64_t seed, char *msg);

/* Applies a split given as text: "planetoid" (keep d's split),
 * "random:T:V:E" or "per-class:T:V". */
int gnnkd_dataset_split(gnnkd_dataset *d, const char *spec, uint64_t seed, char *msg);

/* Keeps only the largest connected component (igraph's weak components;
 * between equal sizes the one holding the smallest node id), renumbering
 * nodes in their old order: adjacency, features, labels and split lists
 * (nodes outside the component leave the split) all follow. O(n + edges +
 * feature size). */
int gnnkd_dataset_lcc(gnnkd_dataset *d, char *msg);

/* ------------------------------------------------------------------------ */
/* Speed (gnn/ and benchmarks/)                                             */
/* ------------------------------------------------------------------------ */

#ifdef __cplusplus
}
#endif
#endif /* GNNKD_H */
