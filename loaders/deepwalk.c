/* deepwalk.c — DeepWalk node embeddings (Perozzi, Al-Rfou, Skiena 2014):
 * uniform random walks drawn by igraph, then skip-gram with negative
 * sampling (Mikolov et al. 2013) trained by Hogwild SGD; and the option text
 * deepwalk:D[,key=value...]. It lives in loaders/ because igraph is called
 * through loaders/igraph_bridge.h (its lock and error handler), which is
 * private to this folder. */
#include "loaders/igraph_bridge.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

void gnnkd_deepwalk_options_default(gnnkd_deepwalk_options *o) {
    memset(o, 0, sizeof *o);
    // NOSMOG's Cora configuration (walk length 50, 5 walks, window 5, one
    // epoch, 64 dimensions); word2vec's 5 negatives and step 0.025
    o->dim = 64;
    o->walks = 5;
    o->length = 50;
    o->window = 5;
    o->epochs = 1;
    o->negatives = 5;
    o->lr = 0.025f;
    o->seed = 0;
}

/* ---- the option text ------------------------------------------------------------ */

static int parse_long(long *v, const char *s, const char **end, long lo, long hi) {
    char *e;
    errno = 0;
    if (*s < '0' || *s > '9') return 0;
    long x = strtol(s, &e, 10);
    *end = e;
    if (errno != 0 || x < lo || x > hi) return 0;
    *v = x;
    return 1;
}

gnnkd_status gnnkd_deepwalk_options_parse(gnnkd_deepwalk_options *o, const char *text, char *msg) {
    GKD_CLEAR_MSG;
    static const char *const usage =
        "expected deepwalk:D[,walks=W][,length=L][,window=K][,epochs=E][,negatives=N][,lr=R]"
        "[,seed=S] with D, W, E in 1..4096, L in 2..10000, K in 1..100, N in 1..100, 0 < R <= 1";
    if (o == NULL || text == NULL || strncmp(text, "deepwalk:", 9) != 0) {
        gkd_msg(msg, "position '%s': %s", text ? text : "(null)", usage);
        return GNNKD_EINVAL;
    }
    gnnkd_deepwalk_options w;
    gnnkd_deepwalk_options_default(&w);
    const char *p = text + 9;
    long v = 0;
    if (!parse_long(&v, p, &p, 1, 4096)) {
        gkd_msg(msg, "position '%s': the dimension must be 1..4096; %s", text, usage);
        return GNNKD_EINVAL;
    }
    w.dim = (int32_t)v;
    while (*p == ',') {
        p++;
        size_t klen = strcspn(p, ",=");
        const char *eq = p[klen] == '=' ? p + klen : NULL;
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(klen < 31 ? klen : 31), p);
        const char *val = eq ? eq + 1 : p + klen;
        int ok = eq != NULL;
        if (ok && !strcmp(key, "walks")) ok = parse_long(&v, val, &p, 1, 4096), w.walks = (int32_t)v;
        else if (ok && !strcmp(key, "length")) ok = parse_long(&v, val, &p, 2, 10000), w.length = (int32_t)v;
        else if (ok && !strcmp(key, "window")) ok = parse_long(&v, val, &p, 1, 100), w.window = (int32_t)v;
        else if (ok && !strcmp(key, "epochs")) ok = parse_long(&v, val, &p, 1, 4096), w.epochs = (int32_t)v;
        else if (ok && !strcmp(key, "negatives")) ok = parse_long(&v, val, &p, 1, 100), w.negatives = (int32_t)v;
        else if (ok && !strcmp(key, "seed")) ok = parse_long(&v, val, &p, 0, LONG_MAX), w.seed = (uint64_t)v;
        else if (ok && !strcmp(key, "lr")) {
            char *e;
            errno = 0;
            double r = strtod(val, &e);
            ok = errno == 0 && e != val && r > 0 && r <= 1;
            w.lr = (float)r;
            p = e;
        } else {
            gkd_msg(msg, "position '%s': unknown key '%s'; %s", text, key, usage);
            return GNNKD_EINVAL;
        }
        if (!ok || (*p != ',' && *p != '\0')) {
            gkd_msg(msg, "position '%s': bad value of %s; %s", text, key, usage);
            return GNNKD_EINVAL;
        }
    }
    if (*p != '\0') {
        gkd_msg(msg, "position '%s': %s", text, usage);
        return GNNKD_EINVAL;
    }
    *o = w;
    return GNNKD_OK;
}

/* ---- walks ------------------------------------------------------------------------ */

/* The walks of g: walks rounds, each starting one walk at every node in
 * order; walk k is tok[k * length .. + len[k]) (a walk stuck at an isolated
 * node stops early). igraph's default RNG is ours for the scope, seeded. */
static int draw_walks(int32_t *tok, int32_t *len, const gnnkd_csr *adj,
                      const gnnkd_deepwalk_options *o, char *msg) {
    gkd_igraph_scope scope;
    igraph_t g;
    igraph_rng_t rng;
    igraph_vector_int_t vs;
    int rc = GNNKD_OK, have_g = 0, have_rng = 0, have_vs = 0;
    gkd_igraph_begin(&scope, 0);
    igraph_rng_t *before = igraph_rng_default();
    rc = gkd_igraph_from_adj(&g, adj, msg);
    have_g = rc == GNNKD_OK;
    if (rc == GNNKD_OK && igraph_rng_init(&rng, &igraph_rngtype_pcg32) == IGRAPH_SUCCESS) {
        have_rng = 1;
        igraph_rng_seed(&rng, (igraph_uint_t)o->seed);
        igraph_rng_set_default(&rng);
    } else if (rc == GNNKD_OK) {
        gkd_msg(msg, "deepwalk: out of memory for a random number generator");
        rc = GNNKD_ENOMEM;
    }
    if (rc == GNNKD_OK && igraph_vector_int_init(&vs, o->length) == IGRAPH_SUCCESS) have_vs = 1;
    else if (rc == GNNKD_OK) gkd_msg(msg, "deepwalk: out of memory"), rc = GNNKD_ENOMEM;
    const int32_t n = adj->nrows;
    for (int64_t k = 0; rc == GNNKD_OK && k < (int64_t)o->walks * n; k++) {
        igraph_error_t e = igraph_random_walk(&g, NULL, &vs, NULL, (igraph_integer_t)(k % n),
                                              IGRAPH_ALL, o->length - 1,
                                              IGRAPH_RANDOM_WALK_STUCK_RETURN);
        if (e != IGRAPH_SUCCESS) {
            gkd_msg(msg, "deepwalk: random walk from node %lld: %s", (long long)(k % n),
                    gkd_igraph_reason(e));
            rc = e == IGRAPH_ENOMEM ? GNNKD_ENOMEM : GNNKD_EINVAL;
            break;
        }
        igraph_integer_t m = igraph_vector_int_size(&vs);
        len[k] = (int32_t)(m < o->length ? m : o->length);
        for (int32_t j = 0; j < len[k]; j++) tok[k * o->length + j] = (int32_t)VECTOR(vs)[j];
    }
    if (have_vs) igraph_vector_int_destroy(&vs);
    if (have_rng) {
        igraph_rng_set_default(before);
        igraph_rng_destroy(&rng);
    }
    if (have_g) igraph_destroy(&g);
    gkd_igraph_end(&scope);
    return rc;
}

/* ---- skip-gram with negative sampling ------------------------------------------- */

/* The node whose cumulative weight first exceeds u * total (cum ascending). */
static int32_t draw_negative(const double *cum, int32_t n, double u) {
    double x = u * cum[n - 1];
    int32_t lo = 0, hi = n - 1;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (cum[mid] > x) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

/* One (context, centre) pair: word2vec's update of syn0[ctx] and the
 * output vectors of centre and its negatives, at step alpha. */
static void sgns_pair(float *syn0, float *syn1, float *restrict neu, int32_t ctx, int32_t centre,
                      const double *cum, int32_t n, int32_t dim, int negatives, float alpha,
                      uint64_t key, uint64_t ctr) {
    float *restrict in = syn0 + (int64_t)ctx * dim;
    for (int32_t c = 0; c < dim; c++) neu[c] = 0.0f;
    for (int d = 0; d <= negatives; d++) {
        int32_t target = centre;
        float label = 1.0f;
        if (d > 0) {
            target = draw_negative(cum, n, gkd_uniform(key, ctr * 128u + (uint64_t)d));
            if (target == centre) continue;
            label = 0.0f;
        }
        float *restrict out = syn1 + (int64_t)target * dim;
        float f = 0.0f;
        // vector lanes: a fixed summation order, the same on every run
#pragma omp simd reduction(+ : f)
        for (int32_t c = 0; c < dim; c++) f += in[c] * out[c];
        float sig = f > 6.0f ? 1.0f : f < -6.0f ? 0.0f : 1.0f / (1.0f + expf(-f));
        float g = (label - sig) * alpha;
#pragma omp simd
        for (int32_t c = 0; c < dim; c++) {
            neu[c] += g * out[c];
            out[c] += g * in[c];
        }
    }
#pragma omp simd
    for (int32_t c = 0; c < dim; c++) in[c] += neu[c];
}

gnnkd_status gnnkd_deepwalk(float **emb, const gnnkd_csr *adj, const gnnkd_deepwalk_options *o,
                            char *msg) {
    GKD_CLEAR_MSG;
    int32_t *tok = NULL, *len = NULL;
    float *syn0 = NULL, *syn1 = NULL, *neu = NULL;
    double *cum = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(tok);                                                                        \
        free(len);                                                                        \
        free(syn0);                                                                       \
        free(syn1);                                                                       \
        free(neu);                                                                        \
        free(cum);                                                                        \
    } while (0)
    GKD_CHECK(emb != NULL && adj != NULL && o != NULL, GNNKD_EINVAL,
              "gnnkd_deepwalk: emb, adj and o must not be NULL");
    *emb = NULL;
    GKD_CHECK(adj->nrows > 0 && adj->nrows == adj->ncols && adj->rowptr != NULL, GNNKD_EINVAL,
              "gnnkd_deepwalk: the adjacency must be a square (n, n) CSR with n > 0");
    GKD_CHECK(o->dim >= 1 && o->walks >= 1 && o->length >= 2 && o->window >= 1 &&
                  o->epochs >= 1 && o->negatives >= 1 && o->lr > 0.0f,
              GNNKD_EINVAL, "gnnkd_deepwalk: dim %d, walks %d, length %d, window %d, epochs %d, "
              "negatives %d, lr %g: each must be positive (length at least 2)", o->dim, o->walks,
              o->length, o->window, o->epochs, o->negatives, (double)o->lr);
    const int32_t n = adj->nrows, dim = o->dim, L = o->length;
    const int64_t nwalks = (int64_t)o->walks * n;
    GKD_ALLOC(tok, nwalks * L);
    GKD_ALLOC(len, nwalks);
    GKD_TRY(draw_walks(tok, len, adj, o, msg));

    // negatives from the walks' unigram distribution to the power 0.75
    GKD_ALLOC(cum, n);
    for (int64_t k = 0; k < nwalks; k++) {
        for (int32_t j = 0; j < len[k]; j++) cum[tok[k * L + j]] += 1.0;
    }
    for (int32_t i = 0; i < n; i++) cum[i] = pow(cum[i], 0.75) + (i > 0 ? cum[i - 1] : 0.0);

    // word2vec's initialisation: input vectors uniform in +-0.5/dim, output zero
    GKD_ALLOC(syn0, (int64_t)n * dim);
    GKD_ALLOC(syn1, (int64_t)n * dim);
    const int threads = omp_get_max_threads();
    GKD_ALLOC(neu, (int64_t)threads * dim);
    const uint64_t key = gkd_key(o->seed, 0x4457u /* "DW" */, 0);
    for (int64_t e = 0; e < (int64_t)n * dim; e++)
        syn0[e] = (gkd_uniform(key, (uint64_t)e) - 0.5f) / (float)dim;

    // the step decays linearly to 1e-4 of lr over all tokens, as in word2vec;
    // each walk's step comes from its own position in the schedule, so the
    // schedule does not depend on the threads' interleaving
    const double all = (double)o->epochs * (double)nwalks;
    for (int ep = 0; ep < o->epochs; ep++) {
        const uint64_t ekey = gkd_key(o->seed, 0x4457u, (uint64_t)ep + 1);
        // Hogwild: threads update shared rows without locks
#pragma omp parallel for schedule(static)
        for (int64_t k = 0; k < nwalks; k++) {
            float *nb = neu + (int64_t)omp_get_thread_num() * dim;
            float alpha = o->lr * (float)(1.0 - ((double)ep * nwalks + (double)k) / all);
            if (alpha < o->lr * 1e-4f) alpha = o->lr * 1e-4f;
            const int32_t *w = tok + k * L;
            for (int32_t i = 0; i < len[k]; i++) {
                uint64_t ctr = (uint64_t)(k * L + i) * 4096u;
                int32_t b = (int32_t)(gkd_mix64(ekey ^ gkd_mix64(ctr)) % (uint64_t)o->window);
                for (int32_t j = i - o->window + b; j <= i + o->window - b; j++) {
                    if (j < 0 || j >= len[k] || j == i) continue;
                    sgns_pair(syn0, syn1, nb, w[j], w[i], cum, n, dim, o->negatives, alpha, ekey,
                              ctr + 1u + (uint64_t)(j - i + o->window));
                }
            }
        }
    }
    *emb = syn0;
    syn0 = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- position columns --------------------------------------------------------- */

gnnkd_status gnnkd_dataset_append_columns(gnnkd_dataset **out, const gnnkd_dataset *d,
                                          const float *cols, int32_t k, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *c = NULL;
    uint8_t *keep = NULL;
    float *dense = NULL, *val = NULL;
    int64_t *rowptr = NULL;
    int32_t *colidx = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&c);                                                           \
        free(keep);                                                                       \
        free(dense);                                                                      \
        free(val);                                                                        \
        free(rowptr);                                                                     \
        free(colidx);                                                                     \
    } while (0)
    GKD_CHECK(out != NULL && d != NULL && cols != NULL && k >= 1, GNNKD_EINVAL,
              "gnnkd_dataset_append_columns: out, d and cols must not be NULL, k (%d) positive", k);
    *out = NULL;
    const int32_t n = d->n, f = d->nfeat;
    GKD_CHECK(f <= INT32_MAX - k, GNNKD_EINVAL, "gnnkd_dataset_append_columns: %d + %d columns", f, k);
    GKD_ALLOC(keep, n);
    memset(keep, 1, (size_t)n);
    GKD_TRY(gnnkd_dataset_subgraph(&c, NULL, d, keep, msg)); // a copy: every node kept
    c->feature_norm = d->feature_norm;
    const int32_t w = f + k;
    if (d->x.rowptr != NULL) {
        const int64_t nnz = gnnkd_csr_nnz(&d->x) + (int64_t)n * k;
        GKD_ALLOC(rowptr, (int64_t)n + 1);
        GKD_ALLOC(colidx, nnz);
        GKD_ALLOC(val, nnz);
        int64_t q = 0;
        for (int32_t i = 0; i < n; i++) {
            for (int64_t p = d->x.rowptr[i]; p < d->x.rowptr[i + 1]; p++, q++) {
                colidx[q] = d->x.colidx[p];
                val[q] = d->x.val ? d->x.val[p] : 1.0f;
            }
            for (int32_t j = 0; j < k; j++, q++) {
                colidx[q] = f + j;
                val[q] = cols[(int64_t)i * k + j];
            }
            rowptr[i + 1] = q;
        }
        free(c->x.rowptr);
        free(c->x.colidx);
        free(c->x.val);
        c->x.rowptr = rowptr, c->x.colidx = colidx, c->x.val = val;
        rowptr = NULL, colidx = NULL, val = NULL;
        c->x.nrows = n;
        c->x.ncols = w;
    } else {
        GKD_ALLOC(dense, (int64_t)n * w);
        for (int32_t i = 0; i < n; i++) {
            memcpy(dense + (int64_t)i * w, d->xdense + (int64_t)i * f, (size_t)f * sizeof *dense);
            memcpy(dense + (int64_t)i * w + f, cols + (int64_t)i * k, (size_t)k * sizeof *dense);
        }
        free(c->xdense);
        c->xdense = dense;
        dense = NULL;
    }
    c->nfeat = w;
    *out = c;
    c = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
