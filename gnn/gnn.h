/*
 * gnn.h — what gnn/ offers the layers above it inside the library (the
 * trainer in distill/): the flat parameter arrays, the optimiser step, a
 * hidden layer's tap for a loss on it, a fast exponential, and LSP's
 * per-edge passes.
 * Kernels stay private to gnn/ (kernels.h).
 */
#ifndef GKD_GNN_H
#define GKD_GNN_H

#include "core/internal.h"

#include <string.h>

/* The tuning in force (gnn/tuning.c): the kernels' and the losses'
 * parallel thresholds. */
extern gnnkd_tuning gkd_tuning;

/* exp(x) for x <= 0 (the GAT kernels, LSP's softmax; below -87:
 * exp(-87)), within about 2 ulp: Cephes's expf polynomial, branch-free so that the loops calling it vectorise
 * (libm's expf is a call per element). Rounding by the 1.5 2^23 trick:
 * floorf is a call without SSE4.1. */
static inline float gkd_exp_neg(float x) {
    x = x < -87.0f ? -87.0f : x;
    float k = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f; // nearest integer
    float r = x - k * 0.693359375f + k * 2.12194440e-4f;
    float y = 1.9875691500e-4f;
    y = y * r + 1.3981999507e-3f;
    y = y * r + 8.3334519073e-3f;
    y = y * r + 4.1665795894e-2f;
    y = y * r + 1.6666665459e-1f;
    y = y * r + 5.0000001201e-1f;
    y = y * r * r + r + 1.0f;
    uint32_t bits = (uint32_t)((int32_t)k + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/* ---- LSP's neighbourhoods and their per-edge passes ------------------------ */

/* distill/lsp.c builds a gkd_lsp and drives the passes over its rows; the
 * passes are hot kernels, compiled once per ISA copy (kernels.c). */

/* The polynomial kernel's offset: (z_i . z_j + 1)^2. */
#define GKD_LSP_POLY_C 1.0f

/* The local structure's form: kernel, tau, sigma (already the kernel's
 * default if it was 0), self loops, the KL's direction. */
typedef struct {
    gnnkd_lsp_kernel kernel;
    float tau, sigma;
    int self_loop, reverse;
    int hops; /* the neighbourhood's radius in edges (>= 1) */
} gkd_lsp_form;

/* The neighbourhoods of an n-node graph and the loss's scratch. s holds
 * row i's neighbours j (the nodes within form.hops edges of i, and i
 * itself with self loops; columns ascending, no values; symmetric). Per
 * edge k = (i, j) (nnz of s), set by gkd_lsp_set_target: tq, the teacher's
 * LS q_ij in the form its direction reads (log q for KL(p || q), q for
 * KL(q || p)), and tqt = tq at (j, i); per epoch: r = k(z_i, z_j) / tau,
 * the student's kernel values, and f the kernel's factor (both symmetric
 * in i and j), p = p_ij, the student's LS. Per row (n): lse the
 * log-sum-exp of its r, kl its divergence, and (reverse) qlq = sum_j q_ij
 * log q_ij. Row j's side of an edge is thus at hand in row i's pass,
 * without reading row j's edges. */
typedef struct {
    gkd_lsp_form form;
    int32_t n;
    gnnkd_csr s;
    float *tq, *tqt, *r, *p, *f, *lse;
    double *kl, *qlq;
} gkd_lsp;

/* Rows i0..i1-1 over their edges k of the embeddings z (n, D): l->r[k] =
 * k(z_i, z_j) / tau, p[k] = LS_ij (their softmax), l->f[k] the kernels'
 * factors (dk/dz_i = f * direction). Each pass takes a range of rows a
 * call: PubMed's rows hold 4.5 edges on average, and a call a row (with the
 * form's constants) cost as much as the edges. */
void gkd_lsp_rows_raw(float *p, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                      int32_t i1);
/* The loss over rows i0..i1-1: l->r, l->p and l->f over their edges,
 * l->lse[i], and l->kl[i] = KL(LS^s_i || q_i) (the reverse with
 * form.reverse). */
void gkd_lsp_rows_loss(gkd_lsp *l, const float *z, int32_t D, int32_t i0, int32_t i1);
/* dz_i (D) = scale * the gradient of the summed KL w.r.t. z_i for rows
 * i0..i1-1, after every row's loss: over row i's edges k, (dKL_i/dk_ij +
 * dKL_j/dk_ji) times dk(z_i, z_j)/dz_i. */
void gkd_lsp_rows_gather(float *dz, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                         int32_t i1, float scale);

/* ---- model internals shared with the trainer (gnn/model.c) ----------------- */

/* The flat parameter and gradient arrays of m (gnnkd_model_num_params long). */
float *gkd_model_params(gnnkd_model *m);
float *gkd_model_grads(gnnkd_model *m);
void gkd_model_zero_grad(gnnkd_model *m);

/* One Adam step (t = 1, 2, ...) on all parameters, after adding the weight
 * decay gradient weight_decay * W to the weights (first layer only unless
 * o->decay_all_layers; biases never). It zeroes the gradients it used: the
 * next backward pass accumulates from zero. Returns gkd_model_l2 of the new
 * weights, summed on the way (the next epoch's decay term, without a pass
 * of its own). */
double gkd_model_adam_step(gnnkd_model *m, const gnnkd_train_options *o, int t);

/* weight_decay * sum(W^2) / 2 over the decayed weights, for reporting. */
double gkd_model_l2(const gnnkd_model *m, const gnnkd_train_options *o);

/* The profile attached to m (gnnkd_model_set_profile), or NULL. */
gnnkd_profile *gkd_model_profile(const gnnkd_model *m);

/* Adds a call of seconds, flops and bytes to p's entry named by fmt (made
 * if new; counted in p->dropped past GNNKD_PROFILE_MAX names). */
void gkd_profile_add(gnnkd_profile *p, gnnkd_profile_group group, double seconds, double flops,
                     double bytes, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* ---- a loss on a hidden layer (model.c; LSP in distill/) ------------------ */

/* Makes the forward passes keep hidden layer `layer` (1 .. nlayers-1, the
 * input of weight layer `layer`; 0: none): its activation after ReLU (ELU
 * for a GAT, heads concatenated) and before dropout, or with preact its
 * pre-activation (after the bias, before the ReLU or ELU). GNNKD_EINVAL
 * naming the range if layer is outside 0 .. nlayers-1. */
int gkd_model_set_tap(gnnkd_model *m, int layer, int preact, char *msg);
/* The width of the tapped layer (dims[tap]), 0 without a tap. */
int32_t gkd_model_tap_width(const gnnkd_model *m);
/* The tapped embedding (n, width) of the last forward pass, or NULL without
 * a tap or a forward pass; valid until the next forward pass. */
const float *gkd_model_tap(const gnnkd_model *m);
/* gnnkd_model_backward with dtap (n, width), the loss's gradient at the
 * tapped embedding (or NULL), added to the one from the output. */
int gkd_model_backward_tap(gnnkd_model *m, const float *dlogits, const float *dtap,
                           const gnnkd_dataset *d, const gnnkd_graph *g, char *msg);

/* on 1 (a new model's setting): training forward passes drop the input
 * features as every layer's input; 0: only the hidden layers' outputs, as
 * GLNN's and NOSMOG's MLP (gnnkd_train_options.hidden_dropout_only). */
void gkd_model_set_input_dropout(gnnkd_model *m, int on);

/* Resets Adam's moments and step (before training a loaded model again). */
void gkd_model_reset_adam(gnnkd_model *m);

/* The pattern of the nodes within hops (>= 1) edges of each node of the
 * square adjacency adj, without the node itself (the off-diagonal of (A +
 * I)^hops, by GraphBLAS's boolean products): rows sorted, val NULL;
 * release with gnnkd_csr_clear. GNNKD_EINVAL for a malformed adj, when a
 * product's bound on its entries (its work, at most n^2) passes 3 max_pairs
 * (checked before it is formed) or when its entries pass max_pairs
 * (after); GNNKD_ENOMEM. (graph.c) */
int gkd_graph_hops(gnnkd_csr *out, const gnnkd_csr *adj, int hops, int64_t max_pairs, char *msg);

/* ---- reproducible gradients (exact.c) --------------------------------------
 * A fixed-point sum: an integer in units of 2^-57, two's complement in 128
 * bits. With exact sums on (gkd_model_set_exact), every backward pass adds
 * the weight and bias gradients of a GCN or MLP into gkd_model_exact's
 * (nparams) integers as well as into the float gradients, and
 * gkd_model_adam_step first replaces the float gradients by the rounded
 * integers (and zeroes them): processes sum the integers, not the floats. */
typedef __int128 gkd_exact;

/* Turns exact sums on (allocating nparams integers) or off. GNNKD_EINVAL
 * naming the kind for a model other than GCN or MLP, GNNKD_ENOMEM. */
int gkd_model_set_exact(gnnkd_model *m, int on, char *msg);
/* The (nparams) integers, or NULL with exact sums off. */
gkd_exact *gkd_model_exact(gnnkd_model *m);

/* ---- a model over one part of a partitioned graph (gnn/part.c) ------------
 * The forward and backward passes of gnnkd_model_forward / _backward for
 * GCNs and MLPs over the n rows a process owns, computing the same function
 * as the single-process passes over the whole graph: dropout masks are drawn
 * at global element ids (global row r and column c of an (N, h) array is
 * element r h + c; a sparse X's entries at their global nonzero index), and
 * each product with Â reads the halo rows that exchange fills in. */
typedef struct {
    int32_t n, nhalo;       /* owned rows, halo rows */
    const int32_t *global;  /* (n) global row ids */
    const int64_t *xoff;    /* (n) sparse X: each row's first nonzero in the whole X */
    const gnnkd_csr *x;     /* (n, nfeat) sparse features, or NULL */
    const float *xdense;    /* (n, nfeat) dense features, or NULL */
    const gnnkd_csr *ahat;  /* (n, n + nhalo) Â's rows (GCN) */
    /* Fills rows n .. n + nhalo - 1 of rows ((n + nhalo), width) from the
     * processes that own them; scratch (n, width) is free for it to use (a
     * packing buffer the size of the owned rows, not one more of its own). A
     * status and msg on failure. */
    int (*exchange)(void *ctx, float *rows, int32_t width, float *scratch, char *msg);
    void *ctx;
} gkd_part_input;

typedef struct gkd_part_ws gkd_part_ws;

/* The buffers of the passes below for m over in (GNNKD_EINVAL for a GAT or
 * SAGE model or features that do not fit; GNNKD_ENOMEM). */
int gkd_part_ws_new(gkd_part_ws **w, const gnnkd_model *m, const gkd_part_input *in, char *msg);
void gkd_part_ws_free(gkd_part_ws **w);

/* *logits (n, C), owned by w: the forward pass (dropout when training, keyed
 * by seed and step as gnnkd_model_forward's). Every process calls it
 * together: each exchange is collective. */
int gkd_part_forward(const float **logits, gkd_part_ws *w, gnnkd_model *m,
                     const gkd_part_input *in, int training, uint64_t seed, uint64_t step,
                     char *msg);
/* The last forward's logits (n, C), owned by w. */
const float *gkd_part_logits(const gkd_part_ws *w);
/* Accumulates the gradients of this part's rows from dlogits (n, C) into m
 * (each process's own share: the caller sums them across processes). */
int gkd_part_backward(gkd_part_ws *w, gnnkd_model *m, const gkd_part_input *in,
                      const float *dlogits, char *msg);

#endif /* GKD_GNN_H */
