/* transfer.c — which nodes the student learns the teacher's outputs on. */
#include "core/internal.h"

#include <string.h>

static int read_ids(int32_t **ids, int32_t *count, const char *path, int32_t n, char *msg) {
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gkd_text_close(&t);                                                                \
        free(seen);                                                                       \
        free(out);                                                                        \
    } while (0)
    gkd_text t = {0};
    uint8_t *seen = NULL;
    int32_t *out = NULL, k = 0;
    char tok[64];
    GKD_TRY(gkd_text_open(&t, path, msg));
    GKD_ALLOC(seen, n);
    char *line;
    while ((line = gkd_text_next(&t)) != NULL) {
        if (gkd_is_blank(line)) continue;
        const char *s = line;
        int64_t v;
        GKD_CHECK(gkd_parse_int(&s, &v) && gkd_is_blank(s), GNNKD_EDATA,
                 "%s:%lld: expected one node id, found '%s'", path, (long long)t.line,
                 gkd_token(tok, sizeof tok, line));
        GKD_CHECK(v >= 0 && v < n, GNNKD_EDATA, "%s:%lld: node id %lld is outside 0..%d", path,
                 (long long)t.line, (long long)v, n - 1);
        GKD_CHECK(!seen[v], GNNKD_EDATA, "%s:%lld: node id %lld appears twice", path,
                 (long long)t.line, (long long)v);
        seen[v] = 1;
        k++;
    }
    GKD_CHECK(k > 0, GNNKD_EDATA, "%s: no node ids", path);
    GKD_ALLOC(out, k);
    k = 0;
    for (int32_t i = 0; i < n; i++)
        if (seen[i]) out[k++] = i;
    *ids = out;
    *count = k;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_transfer_nodes(int32_t **ids, int32_t *n, const gnnkd_dataset *d,
                                  gnnkd_transfer kind, const char *path, char *msg) {
    GKD_CLEAR_MSG;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(in_train);                                                                   \
        free(out);                                                                        \
    } while (0)
    uint8_t *in_train = NULL;
    int32_t *out = NULL, k = 0;
    GKD_CHECK(ids != NULL && n != NULL && d != NULL, GNNKD_EINVAL,
             "transfer set: ids, n and d must not be NULL");
    *ids = NULL;
    *n = 0;
    if (kind == GNNKD_TRANSFER_FILE) {
        GKD_CHECK(path != NULL, GNNKD_EINVAL, "transfer set: no file given");
        return read_ids(ids, n, path, d->n, msg);
    }
    GKD_CHECK((kind >= GNNKD_TRANSFER_ALL && kind <= GNNKD_TRANSFER_UNLABELED) ||
                  kind == GNNKD_TRANSFER_NO_VAL,
              GNNKD_EINVAL, "transfer set: unknown kind %d", (int)kind);
    // in_train: 1 for the nodes of the split that decides membership
    const int sp = kind == GNNKD_TRANSFER_NO_VAL ? GNNKD_VAL : GNNKD_TRAIN;
    GKD_ALLOC(in_train, d->n);
    for (int32_t j = 0; j < d->nsplit[sp]; j++) in_train[d->split[sp][j]] = 1;
    GKD_ALLOC(out, d->n);
    for (int32_t i = 0; i < d->n; i++)
        if (kind == GNNKD_TRANSFER_ALL || (kind == GNNKD_TRANSFER_TRAIN) == (in_train[i] == 1))
            out[k++] = i;
    *ids = out;
    *n = k;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
