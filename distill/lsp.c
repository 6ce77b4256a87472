/* lsp.c — LSP's local-structure loss (Yang et al., CVPR 2020): the
 * neighbourhoods of a graph (its edges, or the nodes within a few hops, by
 * gnn/graph.c), each node's distribution over its neighbours
 * in an embedding space (rbf, linear, poly, or the L1 form of the authors'
 * code), and the KL divergence between the student's and the teacher's with
 * its gradient w.r.t. the student's embeddings: a per-edge pass over rows,
 * then a gather over rows (no atomics). The per-row passes
 * are hot kernels, one copy per ISA (gnn/kernels.c, through gnn.h); this
 * file builds the neighbourhoods, runs the passes over the rows, and keeps
 * the plain serial _ref that is their oracle. */
#include "distill/lsp.h"
#include "gnn/gnn.h"

#include <float.h>
#include <math.h>
#include <string.h>

gkd_lsp_form gkd_lsp_form_of(const gnnkd_distill_options *o) {
    gkd_lsp_form f = {o->lsp_kernel,         o->lsp_tau, o->lsp_sigma, o->lsp_self_loop != 0,
                      o->lsp_reverse != 0, o->lsp_hops};
    if (f.sigma == 0.0f) f.sigma = gnnkd_lsp_default_sigma(f.kernel);
    if (f.hops == 0) f.hops = 1;
    return f;
}

void gkd_lsp_free(gkd_lsp **l) {
    if (l == NULL || *l == NULL) return;
    free((*l)->s.rowptr);
    free((*l)->s.colidx);
    free((*l)->tq);
    free((*l)->tqt);
    free((*l)->r);
    free((*l)->p);
    free((*l)->f);
    free((*l)->lse);
    free((*l)->kl);
    free((*l)->qlq);
    GKD_FREE(*l);
}

/* dst[k] = src at the reverse of edge k = (i, j), that is (j, i) (dst NULL:
 * only find them), by a cursor per row: row j's columns ascend, so its
 * cursor meets (j, i) as i ascends. 0 if an edge has no reverse (s is not
 * symmetric). cursor: n entries of scratch. */
static int transpose_edges(float *dst, const float *src, const gnnkd_csr *s, int64_t *cursor) {
    for (int32_t j = 0; j < s->nrows; j++) cursor[j] = s->rowptr[j];
    for (int32_t i = 0; i < s->nrows; i++)
        for (int64_t k = s->rowptr[i]; k < s->rowptr[i + 1]; k++) {
            const int32_t j = s->colidx[k];
            const int64_t c = cursor[j]++;
            if (c >= s->rowptr[j + 1] || s->colidx[c] != i) return 0;
            if (dst) dst[k] = src[c];
        }
    return 1;
}

int gkd_lsp_new(gkd_lsp **l, const gnnkd_csr *adj, const gkd_lsp_form *form, char *msg) {
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        gkd_lsp_free(&out);                                                                \
        gnnkd_csr_clear(&wide);                                                            \
    } while (0)
    gkd_lsp *out = NULL;
    gnnkd_csr wide = {0};
    *l = NULL;
    GKD_CHECK((int)form->kernel >= GNNKD_LSP_RBF && form->kernel <= GNNKD_LSP_L1, GNNKD_EINVAL,
              "LSP: unknown kernel %d", (int)form->kernel);
    GKD_CHECK(form->tau > 0.0f && isfinite(form->tau), GNNKD_EINVAL,
              "LSP: tau must be positive, got %g", (double)form->tau);
    GKD_CHECK(form->sigma > 0.0f && isfinite(form->sigma), GNNKD_EINVAL,
              "LSP: sigma must be positive, got %g", (double)form->sigma);
    GKD_CHECK(form->hops >= 1 && form->hops <= GNNKD_LSP_MAX_HOPS, GNNKD_EINVAL,
              "LSP: hops must be in 1..%d, got %d", GNNKD_LSP_MAX_HOPS, form->hops);
    GKD_CHECK(adj != NULL && adj->rowptr != NULL && adj->nrows == adj->ncols, GNNKD_EINVAL,
              "LSP: the local structure needs the graph's (n, n) adjacency");
    if (form->hops > 1) { // the neighbourhoods are the nodes within hops edges
        GKD_TRY(gkd_graph_hops(&wide, adj, form->hops, GKD_LSP_MAX_PAIRS, msg));
        adj = &wide;
    }
    const int32_t n = adj->nrows;
    const int64_t nnz = gnnkd_csr_nnz(adj) + (form->self_loop ? n : 0);
    GKD_ALLOC(out, 1);
    out->form = *form;
    out->n = n;
    out->s.nrows = out->s.ncols = n;
    GKD_ALLOC(out->s.rowptr, (int64_t)n + 1);
    GKD_ALLOC(out->s.colidx, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->tq, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->tqt, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->r, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->p, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->f, nnz > 0 ? nnz : 1);
    GKD_ALLOC(out->lse, n > 0 ? n : 1);
    GKD_ALLOC(out->kl, n > 0 ? n : 1);
    GKD_ALLOC(out->qlq, n > 0 ? n : 1);
    int64_t e = 0;
    for (int32_t i = 0; i < n; i++) { // adj's columns ascend, without i: merge i in
        int self = !form->self_loop;
        for (int64_t k = adj->rowptr[i]; k < adj->rowptr[i + 1]; k++) {
            int32_t j = adj->colidx[k];
            if (j == i) continue;
            if (!self && j > i) out->s.colidx[e++] = i, self = 1;
            out->s.colidx[e++] = j;
        }
        if (!self) out->s.colidx[e++] = i;
        out->s.rowptr[i + 1] = e;
    }
    int64_t *cursor = NULL;
    GKD_ALLOC(cursor, n > 0 ? n : 1);
    const int symmetric = transpose_edges(NULL, NULL, &out->s, cursor);
    free(cursor);
    GKD_CHECK(symmetric, GNNKD_EINVAL, "LSP: the graph's adjacency is not symmetric");
    gnnkd_csr_clear(&wide);
    *l = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- driving the per-edge passes (gnn/kernels.c) ---------------------------------- */

int gkd_lsp_set_target(gkd_lsp *l, const float *q, char *msg) {
#define GKD_FREE_ALL free(cursor)
    int64_t *cursor = NULL;
    GKD_ALLOC(cursor, l->n > 0 ? l->n : 1);
    for (int32_t i = 0; i < l->n; i++) {
        double qlq = 0.0;
        for (int64_t k = l->s.rowptr[i]; k < l->s.rowptr[i + 1]; k++) {
            const float lq = logf(fmaxf(q[k], FLT_MIN)), qk = expf(lq);
            l->tq[k] = l->form.reverse ? qk : lq;
            qlq += (double)qk * lq;
        }
        l->qlq[i] = qlq;
    }
    (void)transpose_edges(l->tqt, l->tq, &l->s, cursor); // symmetric: checked by gkd_lsp_new
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* The passes take rows a block at a time, the blocks dealt out as threads
 * free up (rows differ in length by orders of magnitude over a few hops). */
#define GKD_LSP_ROWS 256
#define GKD_LSP_BLOCKS(n) (((n) + GKD_LSP_ROWS - 1) / GKD_LSP_ROWS)
#define GKD_LSP_END(b, n) ((b) + 1 < GKD_LSP_BLOCKS(n) ? ((b) + 1) * GKD_LSP_ROWS : (n))

void gkd_lsp_distribution(float *ls, const gkd_lsp *l, const float *z, int32_t D) {
    const int64_t nnz = gnnkd_csr_nnz(&l->s);
#pragma omp parallel for schedule(dynamic, 1) if (nnz * D > gkd_tuning.par_min)
    for (int32_t b = 0; b < GKD_LSP_BLOCKS(l->n); b++)
        gkd_lsp_rows_raw(ls, l, z, D, b * GKD_LSP_ROWS, GKD_LSP_END(b, l->n));
}

double gkd_lsp_loss(float *dz, gkd_lsp *l, const float *z, int32_t D, float weight) {
    const int64_t nnz = gnnkd_csr_nnz(&l->s);
    const float scale = weight / ((float)l->n * l->form.tau);
    const int par = nnz * D > gkd_tuning.par_min;
#pragma omp parallel if (par)
    {
#pragma omp for schedule(dynamic, 1)
        for (int32_t b = 0; b < GKD_LSP_BLOCKS(l->n); b++)
            gkd_lsp_rows_loss(l, z, D, b * GKD_LSP_ROWS, GKD_LSP_END(b, l->n));
        if (dz) {
#pragma omp for schedule(dynamic, 1)
            for (int32_t b = 0; b < GKD_LSP_BLOCKS(l->n); b++)
                gkd_lsp_rows_gather(dz, l, z, D, b * GKD_LSP_ROWS, GKD_LSP_END(b, l->n), scale);
        }
    }
    double sum = 0.0;
    for (int32_t i = 0; i < l->n; i++) sum += l->kl[i];
    return l->n > 0 ? sum / l->n : 0.0;
}

/* ---- the reference --------------------------------------------------------------- */

/* k(a, b) in double and dk/da into da (D). */
static double kernel_ref(double *da, const gkd_lsp_form *form, const float *a, const float *b,
                         int32_t D) {
    double acc = 0.0, s = form->sigma;
    if (form->kernel == GNNKD_LSP_RBF) {
        for (int32_t c = 0; c < D; c++) acc += ((double)a[c] - b[c]) * ((double)a[c] - b[c]);
        for (int32_t c = 0; c < D; c++) da[c] = -((double)a[c] - b[c]) / (s * s);
        return -acc / (2.0 * s * s);
    }
    if (form->kernel == GNNKD_LSP_L1) {
        for (int32_t c = 0; c < D; c++) acc += fabs((double)a[c] - b[c]);
        double k = exp(-acc / s);
        for (int32_t c = 0; c < D; c++) da[c] = -k / s * ((a[c] > b[c]) - (a[c] < b[c]));
        return k;
    }
    for (int32_t c = 0; c < D; c++) acc += (double)a[c] * b[c];
    double f = form->kernel == GNNKD_LSP_LINEAR ? 1.0 : 2.0 * (acc + GKD_LSP_POLY_C);
    for (int32_t c = 0; c < D; c++) da[c] = f * b[c];
    return form->kernel == GNNKD_LSP_LINEAR ? acc : (acc + GKD_LSP_POLY_C) * (acc + GKD_LSP_POLY_C);
}

/* log q of edge k from the target as its direction keeps it. */
static double target_log(const gkd_lsp *l, int64_t k) {
    return l->form.reverse ? log((double)l->tq[k]) : (double)l->tq[k];
}

double gkd_lsp_loss_ref(float *dz, const gkd_lsp *l, const float *z, int32_t D, float weight) {
    const gkd_lsp_form *form = &l->form;
    const int32_t n = l->n;
    int64_t maxdeg = 1;
    for (int32_t i = 0; i < n; i++)
        if (l->s.rowptr[i + 1] - l->s.rowptr[i] > maxdeg) maxdeg = l->s.rowptr[i + 1] - l->s.rowptr[i];
    double *s = calloc((size_t)maxdeg, sizeof *s), *g = calloc((size_t)maxdeg, sizeof *g);
    double *da = calloc((size_t)D, sizeof *da), *db = calloc((size_t)D, sizeof *db);
    double *acc = dz ? calloc((size_t)n * D + 1, sizeof *acc) : NULL;
    double total = NAN;
    if (s == NULL || g == NULL || da == NULL || db == NULL || (dz && acc == NULL)) goto done;
    total = 0.0;
    for (int32_t i = 0; i < n; i++) {
        const int64_t k0 = l->s.rowptr[i], deg = l->s.rowptr[i + 1] - k0;
        if (deg == 0) continue;
        double mx = -INFINITY, sum = 0.0, kl = 0.0;
        for (int64_t t = 0; t < deg; t++) {
            s[t] = kernel_ref(da, form, z + (int64_t)i * D, z + (int64_t)l->s.colidx[k0 + t] * D, D) /
                   form->tau;
            mx = fmax(mx, s[t]);
        }
        for (int64_t t = 0; t < deg; t++) sum += exp(s[t] - mx);
        for (int64_t t = 0; t < deg; t++) {
            double lp = s[t] - mx - log(sum), lq = target_log(l, k0 + t);
            kl += form->reverse ? exp(lq) * (lq - lp) : exp(lp) * (lp - lq);
        }
        total += kl;
        for (int64_t t = 0; t < deg; t++) {
            double lp = s[t] - mx - log(sum), lq = target_log(l, k0 + t);
            g[t] = form->reverse ? exp(lp) - exp(lq) : exp(lp) * (lp - lq - kl);
            g[t] *= weight / ((double)n * form->tau);
        }
        for (int64_t t = 0; t < deg && dz; t++) { // scatter to both ends
            int32_t j = l->s.colidx[k0 + t];
            kernel_ref(da, form, z + (int64_t)i * D, z + (int64_t)j * D, D);
            kernel_ref(db, form, z + (int64_t)j * D, z + (int64_t)i * D, D); // symmetric: dk/db
            for (int32_t c = 0; c < D; c++) {
                acc[(int64_t)i * D + c] += g[t] * da[c];
                acc[(int64_t)j * D + c] += g[t] * db[c];
            }
        }
    }
    total = n > 0 ? total / n : 0.0;
    for (int64_t e = 0; dz && e < (int64_t)n * D; e++) dz[e] = (float)acc[e];
done:
    free(s);
    free(g);
    free(da);
    free(db);
    free(acc);
    return total;
}
