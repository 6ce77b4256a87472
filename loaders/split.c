/* split.c — seeded train/validation/test splits, and the largest connected
 * component as a dataset of its own. */
#include "loaders/igraph_bridge.h"

#include <errno.h>
#include <string.h>

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The labelled nodes of d in an order shuffled by seed (Fisher-Yates with
 * counter-based draws, so the order depends on the seed alone). */
static int shuffled_labelled(int32_t **out, int32_t *nout, const gnnkd_dataset *d, uint64_t seed,
                             char *msg) {
    int32_t *l = NULL;
#define GKD_FREE_ALL free(l)
    GKD_CHECK(d->label != NULL && d->nclass > 0, GNNKD_EINVAL,
             "split: %s has no labels to split (a graph file needs --labels)", d->name);
    int32_t m = 0;
    for (int32_t i = 0; i < d->n; i++) m += d->label[i] >= 0;
    GKD_ALLOC(l, m);
    m = 0;
    for (int32_t i = 0; i < d->n; i++)
        if (d->label[i] >= 0) l[m++] = i;
    uint64_t key = gkd_key(seed, 0x5350u /* "SP" */, 0);
    for (int32_t i = m - 1; i > 0; i--) {
        int32_t j = (int32_t)(gkd_mix64(key ^ gkd_mix64((uint64_t)i)) % (uint64_t)(i + 1));
        int32_t t = l[i];
        l[i] = l[j];
        l[j] = t;
    }
    *out = l;
    *nout = m;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Sorts the three lists and gives them to d in place of its split. */
static void install_split(gnnkd_dataset *d, int32_t *s[3], const int32_t ns[3]) {
    for (int k = 0; k < 3; k++) {
        qsort(s[k], (size_t)ns[k], sizeof *s[k], cmp_i32);
        free(d->split[k]);
        d->split[k] = s[k];
        d->nsplit[k] = ns[k];
        s[k] = NULL;
    }
}

/* Shared by both splits: takes per-class quotas (train, then val) in
 * shuffled order; what is left goes to `rest` in shuffled order. */
static int take_per_class(int32_t *s[3], int32_t ns[3], int32_t *rest, int32_t *nrest,
                          const gnnkd_dataset *d, const int32_t *l, int32_t m, int32_t tpc,
                          int32_t vpc, char *msg) {
    int32_t *got = NULL;
#define GKD_FREE_ALL free(got)
    GKD_ALLOC(got, d->nclass);
    for (int32_t c = 0; c < d->nclass; c++) got[c] = 0;
    for (int32_t i = 0; i < m; i++) got[d->label[l[i]]]++;
    for (int32_t c = 0; c < d->nclass; c++)
        GKD_CHECK(got[c] >= (int64_t)tpc + vpc, GNNKD_EINVAL, // quotas near INT32_MAX each
                 "split: class %d has %d labelled nodes, fewer than the %lld asked for (%d train + "
                 "%d validation per class)", c, got[c], (long long)tpc + vpc, tpc, vpc);
    memset(got, 0, (size_t)d->nclass * sizeof *got);
    *nrest = 0;
    for (int32_t i = 0; i < m; i++) {
        int32_t c = d->label[l[i]], k = got[c]++;
        if (k < tpc) s[GNNKD_TRAIN][ns[GNNKD_TRAIN]++] = l[i];
        else if (k - tpc < vpc) s[GNNKD_VAL][ns[GNNKD_VAL]++] = l[i];
        else rest[(*nrest)++] = l[i];
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_split_random(gnnkd_dataset *d, int32_t train_per_class, int32_t nval,
                                        int32_t ntest, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    int32_t *l = NULL, *rest = NULL, *s[3] = {NULL, NULL, NULL};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(l);                                                                          \
        free(rest);                                                                       \
        for (int k_ = 0; k_ < 3; k_++) free(s[k_]);                                      \
    } while (0)
    GKD_CHECK(d != NULL && train_per_class >= 0 && nval >= 0 && ntest >= 0, GNNKD_EINVAL,
             "split random: sizes must be >= 0");
    int32_t m = 0, nrest = 0, ns[3] = {0, 0, 0};
    GKD_TRY(shuffled_labelled(&l, &m, d, seed, msg));
    // the sizes asked for are checked against the dataset before they size anything
    GKD_CHECK((int64_t)nval + ntest <= m, GNNKD_EINVAL,
              "split random: dataset %s has %d labelled nodes, fewer than the %lld asked for "
              "(%d validation + %d test)", d->name, m, (long long)nval + ntest, nval, ntest);
    GKD_ALLOC(s[GNNKD_TRAIN], m);
    GKD_ALLOC(s[GNNKD_VAL], (int64_t)nval);
    GKD_ALLOC(s[GNNKD_TEST], (int64_t)ntest);
    GKD_ALLOC(rest, m);
    GKD_TRY(take_per_class(s, ns, rest, &nrest, d, l, m, train_per_class, 0, msg));
    GKD_CHECK((int64_t)nval + ntest <= nrest, GNNKD_EINVAL,
             "split random: %d labelled nodes are left after training, fewer than the %lld "
             "asked for (%d validation + %d test)", nrest, (long long)nval + ntest, nval, ntest);
    memcpy(s[GNNKD_VAL], rest, (size_t)nval * sizeof *rest);
    memcpy(s[GNNKD_TEST], rest + nval, (size_t)ntest * sizeof *rest);
    ns[GNNKD_VAL] = nval;
    ns[GNNKD_TEST] = ntest;
    install_split(d, s, ns);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_split_per_class(gnnkd_dataset *d, int32_t train_per_class,
                                           int32_t val_per_class, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    int32_t *l = NULL, *s[3] = {NULL, NULL, NULL};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(l);                                                                          \
        for (int k_ = 0; k_ < 3; k_++) free(s[k_]);                                      \
    } while (0)
    GKD_CHECK(d != NULL && train_per_class >= 0 && val_per_class >= 0, GNNKD_EINVAL,
             "split per-class: sizes must be >= 0");
    int32_t m = 0, ns[3] = {0, 0, 0};
    GKD_TRY(shuffled_labelled(&l, &m, d, seed, msg));
    for (int k = 0; k < 3; k++) GKD_ALLOC(s[k], m);
    GKD_TRY(take_per_class(s, ns, s[GNNKD_TEST], &ns[GNNKD_TEST], d, l, m, train_per_class,
                          val_per_class, msg));
    install_split(d, s, ns);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Reads ":N" from *p as a whole number in [0, INT32_MAX]. */
static int split_number(const char **p, int32_t *v) {
    if (**p != ':') return 0;
    const char *s = *p + 1;
    if (*s < '0' || *s > '9') return 0;
    char *end;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (errno != 0 || x > INT32_MAX) return 0;
    *v = (int32_t)x;
    *p = end;
    return 1;
}

gnnkd_status gnnkd_dataset_split(gnnkd_dataset *d, const char *spec, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    if (d == NULL || spec == NULL) {
        gkd_msg(msg, "split: no dataset or specification");
        return GNNKD_EINVAL;
    }
    if (strcmp(spec, "planetoid") == 0) return GNNKD_OK;
    int32_t a, b, c;
    const char *p;
    if (strncmp(spec, "random", 6) == 0) {
        p = spec + 6;
        if (split_number(&p, &a) && split_number(&p, &b) && split_number(&p, &c) && *p == '\0')
            return gnnkd_dataset_split_random(d, a, b, c, seed, msg);
    } else if (strncmp(spec, "per-class", 9) == 0) {
        p = spec + 9;
        if (split_number(&p, &a) && split_number(&p, &b) && *p == '\0')
            return gnnkd_dataset_split_per_class(d, a, b, seed, msg);
    }
    gkd_msg(msg, "split '%s': expected planetoid, random:TRAIN_PER_CLASS:VAL:TEST or "
                "per-class:TRAIN_PER_CLASS:VAL_PER_CLASS", spec);
    return GNNKD_EINVAL;
}

gnnkd_status gnnkd_dataset_lcc(gnnkd_dataset *d, char *msg) {
    GKD_CLEAR_MSG;
    int32_t *memb = NULL, *csize = NULL;
    uint8_t *keep = NULL;
    gnnkd_dataset *sub = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(memb);                                                                       \
        free(csize);                                                                      \
        free(keep);                                                                       \
        gnnkd_dataset_free(&sub);                                                         \
    } while (0)
    GKD_CHECK(d != NULL && d->adj.rowptr != NULL, GNNKD_EINVAL, "lcc: no graph");
    int32_t ncomp = 0, n = d->n;
    if (n == 0) return GNNKD_OK;
    GKD_TRY(gkd_components(&memb, &csize, &ncomp, &d->adj, msg));
    /* igraph numbers components by their smallest node, so the first of the
     * largest holds the smallest node id among them. */
    int32_t best = 0;
    for (int32_t k = 1; k < ncomp; k++)
        if (csize[k] > csize[best]) best = k;
    if (csize[best] == n) {
        GKD_FREE_ALL;
        return GNNKD_OK;
    }
    GKD_ALLOC(keep, n);
    for (int32_t i = 0; i < n; i++) keep[i] = memb[i] == best;
    GKD_TRY(gnnkd_dataset_subgraph(&sub, NULL, d, keep, msg));
    /* swap the component in; sub takes d's old arrays to free them */
    gnnkd_dataset old = *d;
    *d = *sub;
    *sub = old;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
