/* speed_kernels.c — one training epoch taken apart: the list of kernel calls
 * that gnn/model.c makes for a model on a dataset, with each call's FLOPs and
 * minimal memory traffic, and each timed alone on buffers of its shapes. */
#include "speed.h"

#include <stdio.h>
#include <string.h>

#include "gnn/kernels.h"

/* The calls of an epoch, in the order gnnkd_model_forward / _backward and
 * the trainer make them: speed_plan_epoch mirrors gnn/model.c and must follow
 * it (the JSON's kernel_seconds against the epoch's median shows a drift). */
enum {
    OP_DROPOUT_XS,   /* the kept entries of X into a CSR (nnz -> about (1 - p) nnz),
                        times W (F, o), in one pass */
    OP_DROPOUT_XD,   /* dropout of the dense features, block by block into a buffer;
                        drawn again in backward (gkd_dropout_matmul_*) */
    OP_SPMM_X,       /* X (n, F) sparse (after dropout: its kept entries) times W (F, o) */
    OP_SPMM_XT,      /* dW (F, o) += X^T G (n, o), sparse X (kept entries) */
    OP_AHAT,         /* Â (n, n) times a dense (n, h) */
    OP_GEMM_X,       /* X (n, F) dense times W (F, o) */
    OP_GEMM_XT,      /* dW (F, o) += X^T G, dense X, no input gradient */
    OP_GEMM_FWD,     /* H (n, i) times W (i, o) */
    OP_GEMM_BWD,     /* dH = G W^T (ReLU and dropout gated) and dW += H^T G */
    OP_EPILOGUE,     /* bias, ReLU and dropout of a dense product, in one pass */
    OP_BIAS_BWD,
    OP_LOSS,         /* zeroing of dlogits, cross-entropy (Adam sums the L2) */
    OP_ADAM
};

/* A call's epilogue (kept in its `in`): what gkd_epilogue does after it. */
enum { EPI_NONE, EPI_BIAS, EPI_RELU, EPI_RELU_DROP };
static const char *epi_name[] = {"", "+bias", "+bias,relu", "+bias,relu,dropout"};

const char *speed_group_name(speed_group g) {
    static const char *names[SPEED_NGROUPS] = {"sparse features", "adjacency", "gemm",
                                               "elementwise"};
    return g >= 0 && g < SPEED_NGROUPS ? names[g] : "?";
}

static double csr_bytes(const gnnkd_csr *a, int with_values) {
    int64_t nnz = gnnkd_csr_nnz(a);
    return 8.0 * (a->nrows + 1) + 4.0 * nnz + (with_values ? 4.0 * nnz : 0.0);
}

/* Appends a call, or counts one more of an identical call. */
static void add(speed_plan *p, int op, speed_group group, int64_t rows, int64_t in, int64_t out,
                double flops, double bytes, const char *fmt, ...)
    __attribute__((format(printf, 9, 10)));

static void add(speed_plan *p, int op, speed_group group, int64_t rows, int64_t in, int64_t out,
                double flops, double bytes, const char *fmt, ...) {
    for (int k = 0; k < p->nkernels; k++) {
        speed_kernel *e = &p->k[k];
        if (e->op == op && e->rows == rows && e->in == in && e->out == out) {
            e->calls++;
            return;
        }
    }
    if (p->nkernels == (int)(sizeof p->k / sizeof p->k[0])) return; // 8 layers fit
    speed_kernel *e = &p->k[p->nkernels++];
    memset(e, 0, sizeof *e);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->name, sizeof e->name, fmt, ap);
    va_end(ap);
    e->op = op;
    e->group = group;
    e->rows = rows;
    e->in = in;
    e->out = out;
    e->calls = 1;
    e->flops = flops;
    e->bytes = bytes;
}

void speed_plan_epoch(speed_plan *p, const gnnkd_model_spec *s, const gnnkd_dataset *d,
                      const gnnkd_graph *g) {
    memset(p, 0, sizeof *p);
    const int gcn = s->kind == GNNKD_MODEL_GCN, L = s->nlayers;
    const int drop = s->dropout > 0.0f, sparse = d->x.rowptr != NULL;
    const int64_t n = d->n, F = s->dims[0], C = s->dims[L];
    const int64_t nnzx = sparse ? gnnkd_csr_nnz(&d->x) : 0;
    // the entries X w and X^T g see: dropout drops about p of them
    const int64_t kept = drop ? (int64_t)((1.0 - s->dropout) * (double)nnzx + 0.5) : nnzx;
    const gnnkd_csr *ahat = gcn ? gnnkd_graph_csr(g) : NULL;
    const double nnza = ahat ? (double)gnnkd_csr_nnz(ahat) : 0.0;
    const double xb = sparse ? 8.0 * (n + 1) + 8.0 * kept : 0.0, ab = ahat ? csr_bytes(ahat, 1) : 0.0;
    int64_t nparams = 0;
    for (int l = 0; l < L; l++) nparams += (int64_t)s->dims[l] * s->dims[l + 1] + s->dims[l + 1];
    const double w0 = (double)F * s->dims[1];

    // forward
    if (drop && !sparse)
        add(p, OP_DROPOUT_XD, SPEED_ELEMENTWISE, n * F, 0, 0, (double)(n * F), 8.0 * n * F,
            "dropout X (n,%lld)", (long long)F);
    for (int l = 0; l < L; l++) {
        int64_t i = s->dims[l], o = s->dims[l + 1];
        // the layer's epilogue: the bias, and for a hidden layer ReLU and dropout
        const int epi = l < L - 1 ? (drop ? EPI_RELU_DROP : EPI_RELU) : EPI_BIAS;
        const int xepi = gcn ? EPI_NONE : epi; // who ends with it: X W, or Â T
        if (l == 0 && sparse && drop)
            add(p, OP_DROPOUT_XS, SPEED_SPARSE_FEATURES, n, xepi, o, 2.0 * kept * o,
                csr_bytes(&d->x, d->x.val != NULL) + 8.0 * (n + 1) + 8.0 * kept +
                    4.0 * F * o + 4.0 * n * o,
                "X*W sparse+dropout%s (nnz %lld)->(n,%lld)", epi_name[xepi], (long long)nnzx,
                (long long)o);
        else if (l == 0 && sparse)
            add(p, OP_SPMM_X, SPEED_SPARSE_FEATURES, n, xepi, o, 2.0 * kept * o,
                xb + 4.0 * F * o + 4.0 * n * o, "X*W sparse%s (n,%lld)->(n,%lld)",
                epi_name[xepi], (long long)F, (long long)o);
        else {
            add(p, l == 0 ? OP_GEMM_X : OP_GEMM_FWD, SPEED_GEMM, n, i, o, 2.0 * n * i * o,
                4.0 * (n * i + i * o + n * o), "%s*W (n,%lld)x(%lld,%lld)", l == 0 ? "X" : "H",
                (long long)i, (long long)i, (long long)o);
            if (!gcn)
                add(p, OP_EPILOGUE, SPEED_ELEMENTWISE, n, epi, o, (double)(n * o),
                    8.0 * n * o + 4.0 * o, "%s (n,%lld)", epi_name[epi] + 1, (long long)o);
        }
        if (gcn)
            add(p, OP_AHAT, SPEED_ADJACENCY, n, epi, o, 2.0 * nnza * o, ab + 8.0 * n * o,
                "A*T%s (n,%lld)", epi_name[epi], (long long)o);
    }
    add(p, OP_LOSS, SPEED_ELEMENTWISE, n, 0, C, 4.0 * d->nsplit[GNNKD_TRAIN] * C,
        4.0 * n * C + 8.0 * d->nsplit[GNNKD_TRAIN] * C, "loss, zero dlogits (n,%lld)",
        (long long)C);

    // backward
    for (int l = L - 1; l >= 0; l--) {
        int64_t i = s->dims[l], o = s->dims[l + 1];
        if (l == L - 1) // the others come with the layer above's dH
            add(p, OP_BIAS_BWD, SPEED_ELEMENTWISE, n, 0, o, (double)(n * o), 4.0 * n * o + 8.0 * o,
                "bias grad (n,%lld)", (long long)o);
        if (gcn)
            add(p, OP_AHAT, SPEED_ADJACENCY, n, EPI_NONE, o, 2.0 * nnza * o, ab + 8.0 * n * o,
                "A*T (n,%lld)", (long long)o);
        if (l > 0) // with the ReLU, dropout and bias gradients of the layer before
            add(p, OP_GEMM_BWD, SPEED_GEMM, n, i, o, 4.0 * n * i * o + 2.0 * n * i,
                4.0 * (n * o + i * o + 2 * n * i) + 4.0 * (n * i + n * o + 2 * i * o),
                "dH,dW+relu,dropout,bias grad (n,%lld)x(%lld,%lld)", (long long)o, (long long)o,
                (long long)i);
        else if (sparse)
            add(p, OP_SPMM_XT, SPEED_SPARSE_FEATURES, n, F, o, 2.0 * kept * o,
                xb + 4.0 * n * o + 8.0 * F * o, "X^T*G sparse ->(%lld,%lld)", (long long)F,
                (long long)o);
        else if (drop)
            add(p, OP_DROPOUT_XD, SPEED_ELEMENTWISE, n * F, 0, 0, (double)(n * F), 8.0 * n * F,
                "dropout X (n,%lld)", (long long)F);
        if (l == 0 && !sparse)
            add(p, OP_GEMM_XT, SPEED_GEMM, n, F, o, 2.0 * n * F * o,
                4.0 * (n * F + n * o + 2 * F * o), "X^T*G (%lld,n)x(n,%lld)", (long long)F,
                (long long)o);
    }
    add(p, OP_ADAM, SPEED_ELEMENTWISE, nparams, 0, 0, 12.0 * nparams + 4.0 * w0,
        32.0 * nparams + 12.0 * w0, "adam (%lld params)", (long long)nparams);
}

/* ---- timing ---------------------------------------------------------------- */

/* What the calls run on: buffers of the largest shapes, the model for the
 * loss and Adam, and the sparse matrices themselves. */
typedef struct {
    const gnnkd_dataset *d;
    const gnnkd_csr *ahat;
    gnnkd_csr xd;       /* X after dropout: rowptr, colidx, val as for X */
    uint8_t *keep;      /* (nnz) its mask */
    float *partial;     /* gkd_spmm_t's scratch */
    int nparts;
    gnnkd_model *m;
    gnnkd_train_options o;
    const gnnkd_csr *xs; /* what X w sees: xd with dropout, else X */
    float *a, *b, *c;   /* (n, widest) each; a also holds a dense input */
    float *w, *dw, *bias, *dbias;
    float p;            /* dropout */
    int adam_t;
} bench_bufs;

static void run_once(bench_bufs *B, const speed_kernel *k, uint64_t rep) {
    const gnnkd_dataset *d = B->d;
    int32_t rows = (int32_t)k->rows, in = (int32_t)k->in, out = (int32_t)k->out;
    uint64_t key = gkd_key(7, rep, (uint64_t)k->op);
    // the epilogue of the forward calls that have one (their `in`)
    gkd_epilogue epi = {B->bias, in >= EPI_RELU, in == EPI_RELU_DROP ? B->p : 0.0f, key};
    const gkd_epilogue *ep = in == EPI_NONE ? NULL : &epi;
    switch (k->op) {
    case OP_DROPOUT_XS: gkd_dropout_spmm(B->b, &B->xd, B->keep, &d->x, B->w, out, B->p, key, ep); break;
    case OP_DROPOUT_XD: gkd_dropout_forward(B->a, d->xdense, k->rows, B->p, key); break;
    case OP_SPMM_X: gkd_spmm(B->b, B->xs, B->xs->val, B->w, out, ep); break;
    case OP_SPMM_XT: gkd_spmm_t(B->dw, B->partial, B->nparts, B->xs, B->xs->val, B->b, out); break;
    case OP_AHAT: gkd_spmm(B->c, B->ahat, B->ahat->val, B->b, out, ep); break;
    case OP_GEMM_X: gkd_matmul_forward(B->b, d->xdense, B->w, rows, in, out); break;
    case OP_GEMM_XT: gkd_matmul_backward(NULL, B->dw, B->b, d->xdense, B->w, rows, in, out, NULL); break;
    case OP_GEMM_FWD: gkd_matmul_forward(B->b, B->a, B->w, rows, in, out); break;
    case OP_GEMM_BWD: {
        gkd_gate gate = {1.0f / (1.0f - B->p), B->dbias};
        gkd_matmul_backward(B->a, B->dw, B->b, B->c, B->w, rows, in, out, &gate);
        break;
    }
    case OP_EPILOGUE: gkd_epilogue_forward(B->b, rows, out, ep); break;
    case OP_BIAS_BWD: gkd_bias_backward(B->dbias, B->b, rows, out); break;
    case OP_LOSS: {
        memset(B->b, 0, sizeof *B->b * (size_t)rows * (size_t)out);
        volatile double loss = gnnkd_loss_ce(B->b, B->c, d->label, d->split[GNNKD_TRAIN],
                                             d->nsplit[GNNKD_TRAIN], out, 1.0f);
        (void)loss;
        break;
    }
    case OP_ADAM: gkd_model_adam_step(B->m, &B->o, ++B->adam_t); break;
    }
}

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void fill(float *x, int64_t len, uint64_t key) {
    for (int64_t e = 0; e < len; e++) x[e] = gkd_uniform(key, (uint64_t)e) - 0.5f;
}

#define SPEED_MAX_REPS 1000

int speed_plan_time(speed_plan *p, const gnnkd_model_spec *s, const gnnkd_dataset *d,
                    const gnnkd_graph *g, double min_seconds, char *msg) {
    bench_bufs B = {0};
    double *times = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_model_free(&B.m);                                                           \
        free(B.xd.rowptr);                                                                \
        free(B.xd.colidx);                                                                \
        free(B.xd.val);                                                                   \
        free(B.keep);                                                                     \
        free(B.partial);                                                                  \
        free(B.a);                                                                        \
        free(B.b);                                                                        \
        free(B.c);                                                                        \
        free(B.w);                                                                        \
        free(B.dw);                                                                       \
        free(B.bias);                                                                     \
        free(B.dbias);                                                                    \
        free(times);                                                                      \
    } while (0)
    const int L = s->nlayers, sparse = d->x.rowptr != NULL;
    const int64_t n = d->n;
    int64_t wide = 0, wmax = 0;
    for (int l = 0; l <= L; l++)
        if ((l > 0 || !sparse) && s->dims[l] > wide) wide = s->dims[l];
    for (int l = 0; l < L; l++) {
        int64_t nw = (int64_t)s->dims[l] * s->dims[l + 1];
        if (nw > wmax) wmax = nw;
    }
    B.d = d;
    B.ahat = s->kind == GNNKD_MODEL_GCN ? gnnkd_graph_csr(g) : NULL;
    B.p = s->dropout;
    gnnkd_train_options_default(&B.o);
    GKD_TRY(gnnkd_model_new(&B.m, s, d->nfeat, d->nclass, 1, msg));
    GKD_ALLOC(B.xd.rowptr, sparse ? n + 1 : 1);
    GKD_ALLOC(B.xd.colidx, sparse ? gnnkd_csr_nnz(&d->x) : 1);
    GKD_ALLOC(B.xd.val, sparse ? gnnkd_csr_nnz(&d->x) : 1);
    GKD_ALLOC(B.keep, sparse ? gnnkd_csr_nnz(&d->x) : 1);
    B.nparts = sparse && gkd_spmm_t_partials(n, s->dims[0]) ? gnnkd_get_threads() - 1 : 0;
    GKD_ALLOC(B.partial, (int64_t)B.nparts * s->dims[0] * s->dims[1]);
    GKD_ALLOC(B.a, n * wide);
    GKD_ALLOC(B.b, n * wide);
    GKD_ALLOC(B.c, n * wide);
    GKD_ALLOC(B.w, wmax);
    GKD_ALLOC(B.dw, wmax);
    GKD_ALLOC(B.bias, wide);
    GKD_ALLOC(B.dbias, wide);
    GKD_ALLOC(times, SPEED_MAX_REPS);
    B.xs = &d->x;
    if (sparse && B.p > 0.0f) { // the model's first dropout, for X w and X^T g
        gkd_dropout_spmm(B.b, &B.xd, B.keep, &d->x, B.w, s->dims[1], B.p, gkd_key(7, 0, 0), NULL);
        B.xs = &B.xd;
    }
    fill(B.a, n * wide, 1);
    fill(B.b, n * wide, 2);
    fill(B.c, n * wide, 3);
    fill(B.w, wmax, 4);
    fill(B.bias, wide, 5);

    for (int k = 0; k < p->nkernels; k++) {
        speed_kernel *e = &p->k[k];
        run_once(&B, e, 0); // warm: caches, page faults, OpenBLAS's threads
        double total = 0.0;
        int reps = 0;
        while (reps < SPEED_MAX_REPS && (reps < 3 || total < min_seconds)) {
            double t0 = gkd_now();
            run_once(&B, e, (uint64_t)reps + 1);
            times[reps] = gkd_now() - t0;
            total += times[reps++];
        }
        qsort(times, (size_t)reps, sizeof *times, cmp_double);
        e->seconds = reps % 2 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
        e->seconds_min = times[0];
        // at least a clock tick: no infinite rates
        if (e->seconds < 1e-9) e->seconds = 1e-9;
        if (e->seconds_min < 1e-9) e->seconds_min = 1e-9;
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
