/* graph.c — the normalised adjacency Â = D^-1/2 (A + I) D^-1/2 of Kipf &
 * Welling, built with SuiteSparse:GraphBLAS and exported as sorted CSR for
 * the kernels. Only the CSR is kept: holding the GraphBLAS matrix too cost
 * the 1M-node scale graph another copy of Â (11M entries); the reference
 * product rebuilds it. */
#include "gnn/kernels.h"

#include <GraphBLAS.h>
#include <math.h>
#include <string.h>

struct gnnkd_graph {
    gnnkd_csr csr; /* Â (n, n), for gkd_spmm */
};

/* Runs a GraphBLAS call; on failure cleans up and returns GNNKD_EINTERNAL
 * naming the call. */
#define GRB_TRY(call)                                                                      \
    do {                                                                                   \
        GrB_Info grb_info_ = (call);                                                       \
        if (grb_info_ != GrB_SUCCESS)                                                      \
            GKD_FAIL(grb_info_ == GrB_OUT_OF_MEMORY ? GNNKD_ENOMEM : GNNKD_EINTERNAL,       \
                    "%s: GraphBLAS error %d in %s", __func__, (int)grb_info_, #call);      \
    } while (0)

static int check_square_csr(const gnnkd_csr *a, const char *who, char *msg) {
    if (a == NULL || a->nrows < 0 || a->nrows != a->ncols || (a->nrows > 0 && !a->rowptr)) {
        gkd_msg(msg, "%s: the adjacency must be a square CSR matrix", who);
        return GNNKD_EINVAL;
    }
    if (a->nrows == 0) return GNNKD_OK;
    if (a->rowptr[0] != 0) {
        gkd_msg(msg, "%s: rowptr[0] is %lld, not 0", who, (long long)a->rowptr[0]);
        return GNNKD_EINVAL;
    }
    // rowptr first: only a monotone rowptr bounds every row by rowptr[n]
    for (int32_t r = 0; r < a->nrows; r++)
        if (a->rowptr[r + 1] < a->rowptr[r]) {
            gkd_msg(msg, "%s: rowptr decreases at row %d", who, r);
            return GNNKD_EINVAL;
        }
    for (int32_t r = 0; r < a->nrows; r++)
        for (int64_t k = a->rowptr[r]; k < a->rowptr[r + 1]; k++)
            if (a->colidx[k] < 0 || a->colidx[k] >= a->ncols) {
                gkd_msg(msg, "%s: row %d has column %d outside 0..%d", who, r, a->colidx[k],
                       a->ncols - 1);
                return GNNKD_EINVAL;
            }
    return GNNKD_OK;
}

/* GraphBLAS does not promise sorted rows on export; the kernels and the
 * header do. Rows are already sorted in practice: an insertion sort costs
 * one pass then. val may be NULL (a pattern). */
static void sort_rows(gnnkd_csr *a) {
    for (int32_t r = 0; r < a->nrows; r++)
        for (int64_t k = a->rowptr[r] + 1; k < a->rowptr[r + 1]; k++) {
            int32_t c = a->colidx[k];
            float v = a->val ? a->val[k] : 0.0f;
            int64_t j = k;
            for (; j > a->rowptr[r] && a->colidx[j - 1] > c; j--) {
                a->colidx[j] = a->colidx[j - 1];
                if (a->val) a->val[j] = a->val[j - 1];
            }
            a->colidx[j] = c;
            if (a->val) a->val[j] = v;
        }
}

/* m (square) as sorted CSR in *out, GraphBLAS's 64-bit indices converted:
 * FP32 values, or a pattern (out->val NULL) when m is BOOL. m is left as
 * it was; on failure *out is cleared. */
static int export_csr(gnnkd_csr *out, GrB_Matrix m, int pattern, char *msg) {
    GrB_Index *ap = NULL, *ai = NULL, n = 0, np = 0, ni = 0, nx = 0;
    bool *bx = NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(ap);                                                                          \
        free(ai);                                                                          \
        free(bx);                                                                          \
        gnnkd_csr_clear(out);                                                              \
    } while (0)
    memset(out, 0, sizeof *out);
    GRB_TRY(GrB_Matrix_wait(m, GrB_MATERIALIZE));
    GRB_TRY(GrB_Matrix_nrows(&n, m));
    GRB_TRY(GrB_Matrix_exportSize(&np, &ni, &nx, GrB_CSR_FORMAT, m));
    GKD_ALLOC(ap, np);
    GKD_ALLOC(ai, ni + 1);
    if (pattern) {
        GKD_ALLOC(bx, nx + 1);
        GRB_TRY(GrB_Matrix_export_BOOL(ap, ai, bx, &np, &ni, &nx, GrB_CSR_FORMAT, m));
    } else {
        GKD_ALLOC(out->val, nx + 1);
        GRB_TRY(GrB_Matrix_export_FP32(ap, ai, out->val, &np, &ni, &nx, GrB_CSR_FORMAT, m));
    }
    GKD_CHECK(np == n + 1 && ap[n] == ni && (pattern || ni == nx), GNNKD_EINTERNAL,
              "GraphBLAS exported an inconsistent CSR matrix");
    out->nrows = out->ncols = (int32_t)n;
    GKD_ALLOC(out->rowptr, n + 1);
    GKD_ALLOC(out->colidx, ni + 1);
    for (GrB_Index r = 0; r <= n; r++) out->rowptr[r] = (int64_t)ap[r];
    for (GrB_Index k = 0; k < ni; k++) out->colidx[k] = (int32_t)ai[k];
    sort_rows(out);
    free(ap);
    free(ai);
    free(bx);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_graph_new(gnnkd_graph **g, const gnnkd_csr *adj, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_graph *out = NULL;
    GrB_Index *ti = NULL, *tj = NULL;
    float *tx = NULL;
    GrB_Matrix a = NULL, d = NULL, ad = NULL, ahat = NULL;
    GrB_Vector deg = NULL;
    int grb = 0; /* between gkd_grb_begin and gkd_grb_end */
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(ti);                                                                          \
        free(tj);                                                                          \
        free(tx);                                                                          \
        GrB_free(&a);                                                                      \
        GrB_free(&d);                                                                      \
        GrB_free(&ad);                                                                     \
        GrB_free(&ahat);                                                                   \
        GrB_free(&deg);                                                                    \
        if (grb) gkd_grb_end();                                                            \
        gnnkd_graph_free(&out);                                                            \
    } while (0)
    if (g == NULL) GKD_FAIL(GNNKD_EINVAL, "gnnkd_graph_new: g is NULL");
    *g = NULL;
    GKD_TRY(check_square_csr(adj, "gnnkd_graph_new", msg));
    GKD_TRY(gkd_grb_begin(msg));
    grb = 1;
    GrB_Index n = (GrB_Index)adj->nrows;
    int64_t nnz = gnnkd_csr_nnz(adj);

    // A + I as tuples: every off-diagonal entry of adj, then the diagonal
    GKD_ALLOC(ti, nnz + (int64_t)n);
    GKD_ALLOC(tj, nnz + (int64_t)n);
    GKD_ALLOC(tx, nnz + (int64_t)n);
    GrB_Index nt = 0;
    for (GrB_Index r = 0; r < n; r++)
        for (int64_t k = adj->rowptr[r]; k < adj->rowptr[r + 1]; k++)
            if ((GrB_Index)adj->colidx[k] != r) {
                ti[nt] = r;
                tj[nt] = (GrB_Index)adj->colidx[k];
                tx[nt++] = 1.0f;
            }
    for (GrB_Index r = 0; r < n; r++) {
        ti[nt] = r;
        tj[nt] = r;
        tx[nt++] = 1.0f;
    }
    GRB_TRY(GrB_Matrix_new(&a, GrB_FP32, n, n));
    // FIRST: a duplicated edge is still one edge of weight 1
    GRB_TRY(GrB_Matrix_build_FP32(a, ti, tj, tx, nt, GrB_FIRST_FP32));
    GKD_FREE(ti);
    GKD_FREE(tj);
    GKD_FREE(tx);

    // deg = row sums of A + I (>= 1), then deg^-1/2 in place
    GRB_TRY(GrB_Vector_new(&deg, GrB_FP32, n));
    GRB_TRY(GrB_Matrix_reduce_Monoid(deg, NULL, NULL, GrB_PLUS_MONOID_FP32, a, NULL));
    GRB_TRY(GrB_Vector_apply(deg, NULL, NULL, GrB_MINV_FP32, deg, NULL));
    GRB_TRY(GrB_Vector_apply(deg, NULL, NULL, GxB_SQRT_FP32, deg, NULL));
    GRB_TRY(GrB_Matrix_diag(&d, deg, 0));

    GKD_ALLOC(out, 1);
    GRB_TRY(GrB_Matrix_new(&ad, GrB_FP32, n, n));
    GRB_TRY(GrB_mxm(ad, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, a, d, NULL));
    GrB_free(&a);
    GRB_TRY(GrB_Matrix_new(&ahat, GrB_FP32, n, n));
    GRB_TRY(GrB_mxm(ahat, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, d, ad, NULL));
    GrB_free(&ad);
    GKD_TRY(export_csr(&out->csr, ahat, 0, msg));
    GrB_free(&ahat);

    *g = out;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

int gkd_graph_hops(gnnkd_csr *out, const gnnkd_csr *adj, int hops, int64_t max_pairs, char *msg) {
    GrB_Index *ti = NULL, *ai = NULL;
    bool *ax = NULL;
    GrB_Matrix b = NULL, p = NULL, q = NULL;
    GrB_Vector deg = NULL, w = NULL;
    int grb = 0;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(ti);                                                                          \
        free(ai);                                                                          \
        free(ax);                                                                          \
        GrB_free(&b);                                                                      \
        GrB_free(&p);                                                                      \
        GrB_free(&q);                                                                      \
        GrB_free(&deg);                                                                    \
        GrB_free(&w);                                                                      \
        if (grb) gkd_grb_end();                                                            \
        gnnkd_csr_clear(out);                                                              \
    } while (0)
    memset(out, 0, sizeof *out);
    GKD_TRY(check_square_csr(adj, "gkd_graph_hops", msg));
    GKD_CHECK(hops >= 1, GNNKD_EINVAL, "gkd_graph_hops: %d hops (at least 1)", hops);
    GKD_TRY(gkd_grb_begin(msg));
    grb = 1;
    const GrB_Index n = (GrB_Index)adj->nrows, nnz = (GrB_Index)gnnkd_csr_nnz(adj);

    // B = the pattern of A + I; row i of P = B^r holds the nodes within r edges of i
    GKD_ALLOC(ti, nnz + n + 1);
    GKD_ALLOC(ai, nnz + n + 1);
    GKD_ALLOC(ax, nnz + n + 1);
    for (GrB_Index r = 0, k = 0; r < n; r++) {
        for (int64_t e = adj->rowptr[r]; e < adj->rowptr[r + 1]; e++, k++)
            ti[k] = r, ai[k] = (GrB_Index)adj->colidx[e], ax[k] = true;
        ti[nnz + r] = ai[nnz + r] = r, ax[nnz + r] = true;
    }
    GRB_TRY(GrB_Matrix_new(&b, GrB_BOOL, n, n));
    GRB_TRY(GrB_Matrix_build_BOOL(b, ti, ai, ax, nnz + n, GrB_LOR));
    GKD_FREE(ti);
    GKD_FREE(ai);
    GKD_FREE(ax);
    GRB_TRY(GrB_Matrix_dup(&p, b));
    GRB_TRY(GrB_Vector_new(&deg, GrB_INT64, n));
    GRB_TRY(GrB_Vector_new(&w, GrB_INT64, n));
    GRB_TRY(GrB_Matrix_reduce_Monoid(deg, NULL, NULL, GrB_PLUS_MONOID_INT64, b, NULL));
    for (int r = 1; r < hops; r++) {
        // nnz(P B) <= min(work, n^2), work = sum_i sum_{k in P_i} deg(k). The product's pattern
        // costs about 8 bytes a pair against gkd_lsp's 24, so it is formed while that bound is
        // within 3 max_pairs, and refused after if its actual pairs pass max_pairs.
        int64_t work = 0;
        GrB_Index before = 0, after = 0;
        GRB_TRY(GrB_mxv(w, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_INT64, p, deg, NULL));
        GRB_TRY(GrB_Vector_reduce_INT64(&work, NULL, GrB_PLUS_MONOID_INT64, w, NULL));
        const double bound = fmin((double)work, (double)n * n);
        GKD_CHECK(bound <= 3.0 * (double)max_pairs, GNNKD_EINVAL,
                  "%d hops: their neighbourhoods could hold up to %.0f pairs of nodes on this "
                  "graph, over 3 times the limit of %lld: ask for fewer hops", hops, bound,
                  (long long)max_pairs);
        GRB_TRY(GrB_Matrix_nvals(&before, p));
        GRB_TRY(GrB_Matrix_new(&q, GrB_BOOL, n, n));
        GRB_TRY(GrB_mxm(q, NULL, NULL, GxB_ANY_PAIR_BOOL, p, b, NULL));
        GrB_free(&p);
        p = q, q = NULL;
        GRB_TRY(GrB_Matrix_nvals(&after, p));
        GKD_CHECK((double)after <= (double)max_pairs, GNNKD_EINVAL,
                  "%d hops: their neighbourhoods hold %llu pairs of nodes on this graph, over "
                  "the limit of %lld: ask for fewer hops", hops, (unsigned long long)after,
                  (long long)max_pairs);
        if (after == before) break; // every component is reached
    }
    GRB_TRY(GrB_Matrix_select_INT64(p, NULL, NULL, GrB_OFFDIAG, p, 0, NULL));
    GKD_TRY(export_csr(out, p, 1, msg));
    GrB_free(&b);
    GrB_free(&p);
    GrB_free(&deg);
    GrB_free(&w);
    gkd_grb_end();
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gnnkd_graph_free(gnnkd_graph **g) {
    if (g == NULL || *g == NULL) return;
    gnnkd_csr_clear(&(*g)->csr);
    free(*g);
    *g = NULL;
}

const gnnkd_csr *gnnkd_graph_csr(const gnnkd_graph *g) { return g ? &g->csr : NULL; }

/* Â as a GraphBLAS matrix, built from the CSR (for the reference only). */
static int graph_grb(GrB_Matrix *ahat, const gnnkd_graph *g, char *msg) {
    const gnnkd_csr *c = &g->csr;
    GrB_Index n = (GrB_Index)c->nrows, nnz = (GrB_Index)gnnkd_csr_nnz(c);
    GrB_Index *ti = NULL, *tj = NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(ti);                                                                          \
        free(tj);                                                                          \
    } while (0)
    GKD_ALLOC(ti, nnz);
    GKD_ALLOC(tj, nnz);
    for (GrB_Index r = 0; r < n; r++)
        for (int64_t k = c->rowptr[r]; k < c->rowptr[r + 1]; k++) {
            ti[k] = r;
            tj[k] = (GrB_Index)c->colidx[k];
        }
    GRB_TRY(GrB_Matrix_new(ahat, GrB_FP32, n, n));
    GRB_TRY(GrB_Matrix_build_FP32(*ahat, ti, tj, c->val, nnz, GrB_PLUS_FP32));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

int gkd_graph_spmm_ref(float *y, const gnnkd_graph *g, const float *x, int32_t h, char *msg) {
    GrB_Index *ti = NULL, *tj = NULL;
    float *tx = NULL;
    GrB_Matrix ahat = NULL, xm = NULL, ym = NULL;
    int grb = 0;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(ti);                                                                          \
        free(tj);                                                                          \
        free(tx);                                                                          \
        GrB_free(&ahat);                                                                   \
        GrB_free(&xm);                                                                     \
        GrB_free(&ym);                                                                     \
        if (grb) gkd_grb_end();                                                            \
    } while (0)
    GrB_Index n = (GrB_Index)g->csr.nrows, len = n * (GrB_Index)h, got = len;
    GKD_TRY(gkd_grb_begin(msg));
    grb = 1;
    GKD_TRY(graph_grb(&ahat, g, msg));
    GKD_ALLOC(ti, len);
    GKD_ALLOC(tj, len);
    GKD_ALLOC(tx, len);
    for (GrB_Index e = 0; e < len; e++) {
        ti[e] = e / (GrB_Index)h;
        tj[e] = e % (GrB_Index)h;
        tx[e] = x[e];
    }
    GRB_TRY(GrB_Matrix_new(&xm, GrB_FP32, n, (GrB_Index)h));
    GRB_TRY(GrB_Matrix_build_FP32(xm, ti, tj, tx, len, GrB_PLUS_FP32));
    GRB_TRY(GrB_Matrix_new(&ym, GrB_FP32, n, (GrB_Index)h));
    GRB_TRY(GrB_mxm(ym, NULL, NULL, GrB_PLUS_TIMES_SEMIRING_FP32, ahat, xm, NULL));
    GRB_TRY(GrB_Matrix_extractTuples_FP32(ti, tj, tx, &got, ym));
    memset(y, 0, sizeof *y * (size_t)len);
    for (GrB_Index e = 0; e < got; e++) y[ti[e] * (GrB_Index)h + tj[e]] = tx[e];
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
