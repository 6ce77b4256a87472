/* synthetic.c — contextual stochastic block models: igraph's SBM for the
 * structure, Gaussian class-conditional features, a Planetoid-like split. */
#include "loaders/igraph_bridge.h"

#include <errno.h>
#include <math.h>
#include <string.h>

typedef struct {
    int64_t nodes;
    int64_t classes;
    double degree, homophily;
    int64_t features;
    double snr;
    uint64_t seed;
    int64_t train_per_class, val, test;
    int64_t preset_nodes; /* the preset's nodes, which its val and test fit */
    int val_set, test_set; /* given as keys */
} syn_params;

static const syn_params PRESET_CORA = {
    .nodes = 2708, .classes = 7, .degree = 3.9, .homophily = 0.81, .features = 256, .snr = 2,
    .seed = 0, .train_per_class = 20, .val = 500, .test = 1000, .preset_nodes = 2708};
static const syn_params PRESET_SCALE = {
    .nodes = 1000000, .classes = 10, .degree = 20, .homophily = 0.8, .features = 128, .snr = 2,
    .seed = 0, .train_per_class = 20, .val = 500, .test = 1000, .preset_nodes = 1000000};

static int parse_int(const char *s, int64_t *v) {
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0') return 0;
    *v = x;
    return 1;
}

static int parse_double(const char *s, double *v) {
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(x)) return 0;
    *v = x;
    return 1;
}

/* One KEY=VALUE (already split at '='). */
static int set_key(syn_params *p, const char *key, const char *val, const char *spec, char *msg) {
    int64_t i = 0;
    double x = 0;
    int ok = 1;
    if (strcmp(key, "preset") == 0) {
        if (strcmp(val, "cora") == 0) *p = PRESET_CORA;
        else if (strcmp(val, "scale") == 0) *p = PRESET_SCALE;
        else {
            gkd_msg(msg, "%s: unknown preset '%s' (expected cora or scale)", spec, val);
            return GNNKD_EINVAL;
        }
    } else if (strcmp(key, "nodes") == 0) ok = parse_int(val, &i) && i >= 1 && i < INT32_MAX, p->nodes = i;
    else if (strcmp(key, "classes") == 0) ok = parse_int(val, &i) && i >= 1 && i <= 100000, p->classes = i;
    else if (strcmp(key, "degree") == 0) ok = parse_double(val, &x) && x >= 0, p->degree = x;
    else if (strcmp(key, "homophily") == 0) ok = parse_double(val, &x) && x >= 0 && x <= 1, p->homophily = x;
    else if (strcmp(key, "features") == 0) ok = parse_int(val, &i) && i >= 1 && i < INT32_MAX, p->features = i;
    else if (strcmp(key, "snr") == 0) ok = parse_double(val, &x) && x >= 0, p->snr = x;
    else if (strcmp(key, "seed") == 0) ok = parse_int(val, &i) && i >= 0, p->seed = (uint64_t)i;
    else if (strcmp(key, "train-per-class") == 0) ok = parse_int(val, &i) && i >= 0 && i < INT32_MAX, p->train_per_class = i;
    else if (strcmp(key, "val") == 0) ok = parse_int(val, &i) && i >= 0 && i < INT32_MAX, p->val = i, p->val_set = 1;
    else if (strcmp(key, "test") == 0) ok = parse_int(val, &i) && i >= 0 && i < INT32_MAX, p->test = i, p->test_set = 1;
    else {
        gkd_msg(msg, "%s: unknown key '%s' (expected preset, nodes, classes, degree, homophily, "
                    "features, snr, seed, train-per-class, val, test)", spec, key);
        return GNNKD_EINVAL;
    }
    if (!ok) {
        gkd_msg(msg, "%s: bad value '%s' for %s", spec, val, key);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

static int parse_spec(syn_params *p, const char *spec, char *msg) {
    char buf[512];
    *p = PRESET_CORA;
    if (strncmp(spec, "synthetic", 9) != 0 || (spec[9] != '\0' && spec[9] != ':')) {
        gkd_msg(msg, "%s: a synthetic specification starts with 'synthetic'", spec);
        return GNNKD_EINVAL;
    }
    if (spec[9] == '\0') return GNNKD_OK;
    if (strlen(spec + 10) >= sizeof buf) {
        gkd_msg(msg, "synthetic: specification too long");
        return GNNKD_EINVAL;
    }
    strcpy(buf, spec + 10);
    for (char *item = buf, *next; item != NULL; item = next) {
        next = strchr(item, ',');
        if (next) *next++ = '\0';
        char *eq = strchr(item, '=');
        if (eq == NULL) {
            gkd_msg(msg, "%s: expected KEY=VALUE, found '%s'", spec, item);
            return GNNKD_EINVAL;
        }
        *eq = '\0';
        int rc = set_key(p, item, eq + 1, spec, msg);
        if (rc != GNNKD_OK) return rc;
    }
    // a smaller graph than the preset's gets a proportionally smaller default
    // val and test, so that synthetic:nodes=500 works without more keys
    if (p->nodes < p->preset_nodes) {
        if (!p->val_set) p->val = p->val * p->nodes / p->preset_nodes;
        if (!p->test_set) p->test = p->test * p->nodes / p->preset_nodes;
    }
    return GNNKD_OK;
}

/* Structure: an SBM from igraph, seeded through an RNG of our own that is
 * made igraph's default only for the call. */
static int sbm_edges(gnnkd_dataset *d, const syn_params *p, const char *spec, char *msg) {
    igraph_rng_t rng, *old_rng = NULL;
    igraph_matrix_t pref;
    igraph_vector_int_t sizes, ev;
    igraph_t g;
    int have_rng = 0, have_pref = 0, have_sizes = 0, have_ev = 0, have_g = 0;
    int32_t *u = NULL, *v = NULL;
    gkd_igraph_scope scope;
    gkd_igraph_begin(&scope, 0);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (have_g) igraph_destroy(&g);                                                   \
        if (have_ev) igraph_vector_int_destroy(&ev);                                      \
        if (have_sizes) igraph_vector_int_destroy(&sizes);                                \
        if (have_pref) igraph_matrix_destroy(&pref);                                      \
        if (old_rng) igraph_rng_set_default(old_rng);                                     \
        if (have_rng) igraph_rng_destroy(&rng);                                           \
        free(u);                                                                          \
        free(v);                                                                          \
        gkd_igraph_end(&scope);                                                            \
    } while (0)
    int64_t n = p->nodes, k = p->classes;
    /* Consecutive blocks, the first n % k one node larger. */
    double pairs_in = 0, pairs_all = (double)n * (double)(n - 1) / 2;
    GKD_CHECK(igraph_vector_int_init(&sizes, k) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "%s: out of memory", spec);
    have_sizes = 1;
    for (int64_t c = 0; c < k; c++) {
        int64_t s = n / k + (c < n % k);
        VECTOR(sizes)[c] = s;
        pairs_in += (double)s * (double)(s - 1) / 2;
    }
    double m = (double)n * p->degree / 2, pairs_out = pairs_all - pairs_in;
    double p_in = pairs_in > 0 ? m * p->homophily / pairs_in : 0;
    double p_out = pairs_out > 0 ? m * (1 - p->homophily) / pairs_out : 0;
    GKD_CHECK((pairs_in > 0 || p->homophily == 0 || m == 0) &&
             (pairs_out > 0 || p->homophily == 1 || m == 0), GNNKD_EINVAL,
             "%s: homophily %g is impossible with %lld classes of %lld nodes", spec,
             p->homophily, (long long)k, (long long)n);
    GKD_CHECK(p_in <= 1 && p_out <= 1, GNNKD_EINVAL,
             "%s: mean degree %g with homophily %g needs edge probabilities %.3g (within "
             "classes) and %.3g (between), above 1", spec, p->degree, p->homophily, p_in, p_out);

    GKD_CHECK(igraph_matrix_init(&pref, k, k) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "%s: out of memory", spec);
    have_pref = 1;
    for (int64_t a = 0; a < k; a++)
        for (int64_t b = 0; b < k; b++) MATRIX(pref, a, b) = a == b ? p_in : p_out;

    GKD_CHECK(igraph_rng_init(&rng, &igraph_rngtype_pcg32) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory", spec);
    have_rng = 1;
    igraph_rng_seed(&rng, (igraph_uint_t)p->seed);
    old_rng = igraph_rng_default();
    igraph_rng_set_default(&rng);
    igraph_error_t rc = igraph_sbm_game(&g, n, &pref, &sizes, IGRAPH_UNDIRECTED, 0);
    GKD_CHECK(rc == IGRAPH_SUCCESS, rc == IGRAPH_ENOMEM ? GNNKD_ENOMEM : GNNKD_EINTERNAL,
             "%s: igraph_sbm_game: %s", spec, gkd_igraph_reason(rc));
    have_g = 1;
    igraph_rng_set_default(old_rng);
    old_rng = NULL;

    int64_t ne = igraph_ecount(&g);
    GKD_CHECK(igraph_vector_int_init(&ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "%s: out of memory", spec);
    have_ev = 1;
    GKD_CHECK(igraph_get_edgelist(&g, &ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory for %lld edges", spec, (long long)ne);
    igraph_destroy(&g);
    have_g = 0;
    GKD_ALLOC(u, ne);
    GKD_ALLOC(v, ne);
    for (int64_t e = 0; e < ne; e++) {
        u[e] = (int32_t)VECTOR(ev)[2 * e];
        v[e] = (int32_t)VECTOR(ev)[2 * e + 1];
    }
    igraph_vector_int_destroy(&ev);
    have_ev = 0;
    GKD_TRY(gnnkd_dataset_set_edges(d, NULL, (int32_t)n, u, v, ne, 0, msg));

    GKD_ALLOC(d->label, n);
    int32_t i = 0;
    for (int64_t c = 0; c < k; c++)
        for (int64_t t = 0; t < VECTOR(sizes)[c]; t++) d->label[i++] = (int32_t)c;
    d->nclass = (int32_t)k;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_synthetic(gnnkd_dataset **d, const char *spec, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *out = NULL;
#define GKD_FREE_ALL gnnkd_dataset_free(&out)
    GKD_CHECK(d != NULL && spec != NULL, GNNKD_EINVAL, "synthetic: no specification");
    *d = NULL;
    syn_params p;
    GKD_TRY(parse_spec(&p, spec, msg));
    GKD_CHECK(p.classes <= p.nodes, GNNKD_EINVAL, "%s: %lld classes need at least as many nodes",
             spec, (long long)p.classes);
    GKD_CHECK(p.features >= p.classes, GNNKD_EINVAL,
             "%s: features (%lld) must be at least classes (%lld)", spec, (long long)p.features,
             (long long)p.classes);
    GKD_CHECK((double)p.nodes * (double)p.features <= 4e9, GNNKD_EINVAL,
             "%s: %lld x %lld dense features are too many", spec, (long long)p.nodes,
             (long long)p.features);

    GKD_TRY(gnnkd_dataset_new(&out, msg));
    snprintf(out->name, sizeof out->name, "%s", spec);
    GKD_TRY(sbm_edges(out, &p, spec, msg));

    /* Class c's mean is snr / sqrt(2b) on its own b coordinates: two means
     * are exactly snr apart. Counter-based noise: any thread count. */
    int64_t n = p.nodes, f = p.features, b = p.features / p.classes;
    float mu = (float)(p.snr / sqrt(2.0 * (double)b));
    GKD_ALLOC(out->xdense, n * f);
    out->nfeat = (int32_t)f;
    uint64_t key = gkd_key(p.seed, 0x464555u /* "FEU" */, 0);
    float *x = out->xdense;
    const int32_t *label = out->label;
#pragma omp parallel for schedule(static)
    for (int64_t i = 0; i < n; i++) {
        float *row = x + i * f;
        for (int64_t j = 0; j < f; j++) row[j] = (float)gkd_normal(key, (uint64_t)(i * f + j));
        int64_t c = label[i];
        for (int64_t j = c * b; j < (c + 1) * b; j++) row[j] += mu;
    }

    gnnkd_status rc = gnnkd_dataset_split_random(out, (int32_t)p.train_per_class,
                                                 (int32_t)p.val, (int32_t)p.test, p.seed, msg);
    if (rc == GNNKD_EINVAL) { // the split's reason, with the keys that set it
        char why[GNNKD_MSG_LEN];
        snprintf(why, sizeof why, "%s", msg ? msg : "");
        GKD_CLEAR_MSG;
        GKD_FAIL(GNNKD_EINVAL, "%s: %s; the split is train-per-class=%lld, val=%lld, test=%lld: "
                 "change these keys", spec, why, (long long)p.train_per_class, (long long)p.val,
                 (long long)p.test);
    }
    GKD_TRY(rc);
    *d = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
