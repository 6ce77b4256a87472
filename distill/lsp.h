/*
 * lsp.h — what distill/ shares inside itself about LSP (Yang et al., CVPR
 * 2020, "Distilling Knowledge from Graph Convolutional Networks"): the
 * methods' parts, the local-structure loss (lsp.c), the teacher's
 * structure (teacher.c) and the trainer's entry with it (train.c).
 */
#ifndef GKD_DISTILL_LSP_H
#define GKD_DISTILL_LSP_H

#include "core/internal.h"
#include "distill/rsd.h"
#include "gnn/gnn.h"

/* What a method holds: a soft logit target (KD or compression), a KD term,
 * a local-structure term. */
static inline int gkd_method_soft(gnnkd_method m) {
    return m == GNNKD_METHOD_KD || m == GNNKD_METHOD_COMPRESS || m == GNNKD_METHOD_KD_LSP ||
           m == GNNKD_METHOD_EUCLID;
}
/* the target is the teacher's softmax at T */
static inline int gkd_method_kd(gnnkd_method m) {
    return m == GNNKD_METHOD_KD || m == GNNKD_METHOD_KD_LSP || m == GNNKD_METHOD_EUCLID;
}
static inline int gkd_method_lsp(gnnkd_method m) {
    return m == GNNKD_METHOD_LSP || m == GNNKD_METHOD_KD_LSP;
}

/* The options of o's assistant (gnnkd_distill_options.assistant states
 * them). GNNKD_EINVAL naming the recipes for an unknown name. */
gnnkd_status gkd_assistant_options(gnnkd_distill_options *a, const gnnkd_distill_options *o,
                                   char *msg);

/* *t (new) is model m as a teacher on d: its logits and, when o's method
 * or similarity distillation reads structure, its hidden layer `layer`
 * (0: its last). Nothing is left allocated on failure. */
gnnkd_status gkd_teacher_of_model(gnnkd_teacher **t, gnnkd_model *m, int layer,
                                  const gnnkd_distill_options *o, const gnnkd_dataset *d,
                                  const gnnkd_graph *g, char *msg);

/* The most pairs (i, j) a neighbourhood may hold: 24 bytes each in
 * gkd_lsp, about 6.4 GB at the limit. */
#define GKD_LSP_MAX_PAIRS ((int64_t)1 << 28)

/* The form of o's options (sigma 0 made the kernel's default, hops 0 one). */
gkd_lsp_form gkd_lsp_form_of(const gnnkd_distill_options *o);

/* A new gkd_lsp over the symmetric adjacency adj (self loops ignored),
 * its target zero (gkd_lsp_set_target). GNNKD_EINVAL for a bad form (tau or sigma not positive,
 * unknown kernel, hops outside 1..GNNKD_LSP_MAX_HOPS) or neighbourhoods
 * that pass GKD_LSP_MAX_PAIRS (gkd_graph_hops); GNNKD_ENOMEM. Free with gkd_lsp_free. */
int gkd_lsp_new(gkd_lsp **l, const gnnkd_csr *adj, const gkd_lsp_form *form, char *msg);
void gkd_lsp_free(gkd_lsp **l);

/* The teacher's LS q (nnz of l->s), kept off log(0) as the form's direction
 * reads it (l->tq: log max(q, FLT_MIN), or its exp in reverse), with its
 * transpose l->tqt and each row's sum q log q. GNNKD_ENOMEM (an n-long
 * cursor). */
int gkd_lsp_set_target(gkd_lsp *l, const float *q, char *msg);

/* ls (nnz of l->s) = LS of the embeddings z (n, D): each row's softmax of
 * k(z_i, z_j) / tau. Row-parallel. */
void gkd_lsp_distribution(float *ls, const gkd_lsp *l, const float *z, int32_t D);

/* The mean over the n nodes of KL(LS^s_i || q_i) (the reverse
 * with form.reverse) for the student's embeddings z (n, D); rows without
 * neighbours count 0. dz (n, D), if not NULL, is overwritten with weight *
 * its gradient. Deterministic on any thread count: per-edge passes over
 * rows, and the gradient gathered over rows, without atomics. O(nnz D). */
double gkd_lsp_loss(float *dz, gkd_lsp *l, const float *z, int32_t D, float weight);
/* The same by the definitions, serial and in double: the tests' oracle. */
double gkd_lsp_loss_ref(float *dz, const gkd_lsp *l, const float *z, int32_t D, float weight);

/* ---- the teacher's structure (teacher.c) -------------------------------------- */

/* The teacher keeps each member's hidden layer (n, width), not its LS: a
 * student's form (kernel, tau, sigma, self loops) makes the distribution,
 * once per student, so one teacher serves a grid over the form. */

/* Adds a copy of a member's hidden layer z (t's n rows, width). GNNKD_ENOMEM,
 * GNNKD_EINVAL past GKD_TEACHER_MAX_HIDDEN members. */
#define GKD_TEACHER_MAX_HIDDEN 64
int gkd_teacher_add_hidden(gnnkd_teacher *t, const float *z, int32_t width, char *msg);
/* Member j's hidden layer (n, *width), or NULL past the members that have one. */
const float *gkd_teacher_hidden(const gnnkd_teacher *t, int j, int32_t *width);

/* ---- the trainer (train.c) ---------------------------------------------------- */

/* gnnkd_train with the local-structure term lsp (NULL: none) of weight
 * lsp_weight on m's tapped hidden layer (gkd_model_set_tap), lsp's target
 * filled, and the similarity term rsd (NULL: none) of weight rsd_weight on
 * the same tap, its batches drawn from (o->seed, epoch). */
int gkd_train(gnnkd_model *m, gnnkd_train_result *r, const gnnkd_dataset *d, const gnnkd_graph *g,
              const gnnkd_train_options *o, const gnnkd_objective *obj, gkd_lsp *lsp,
              float lsp_weight, gkd_rsd *rsd, float rsd_weight, char *msg);

#endif /* GKD_DISTILL_LSP_H */
