/* subgraph.c — the induced subgraph on a subset of the nodes, as a dataset
 * of its own (the observed graph of the inductive setting, the largest
 * connected component). */
#include "core/internal.h"

#include <string.h>

gnnkd_status gnnkd_dataset_subgraph(gnnkd_dataset **sub, int32_t **ids, const gnnkd_dataset *d,
                                    const uint8_t *keep, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *s = NULL;
    int32_t *id = NULL, *orig = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&s);                                                           \
        free(id);                                                                         \
        free(orig);                                                                       \
    } while (0)
    GKD_CHECK(sub != NULL && d != NULL && keep != NULL && d->adj.rowptr != NULL, GNNKD_EINVAL,
              "gnnkd_dataset_subgraph: sub, d (with a graph) and keep must not be NULL");
    *sub = NULL;
    if (ids) *ids = NULL;
    const int32_t n = d->n;
    GKD_ALLOC(id, n);
    int32_t nn = 0;
    for (int32_t i = 0; i < n; i++) id[i] = keep[i] ? nn++ : -1;
    GKD_ALLOC(orig, nn);
    for (int32_t i = 0; i < n; i++)
        if (id[i] >= 0) orig[id[i]] = i;
    GKD_TRY(gnnkd_dataset_new(&s, msg));
    memcpy(s->name, d->name, sizeof s->name);
    s->n = nn;
    s->nfeat = d->nfeat;
    s->nclass = d->nclass;
    s->feature_norm = d->feature_norm; // its rows are d's: a model trained on it records so

    /* id keeps order, so rows stay sorted; an edge to a dropped node goes */
    int64_t nnz = 0;
    for (int32_t k = 0; k < nn; k++)
        for (int64_t p = d->adj.rowptr[orig[k]]; p < d->adj.rowptr[orig[k] + 1]; p++)
            nnz += id[d->adj.colidx[p]] >= 0;
    GKD_ALLOC(s->adj.rowptr, (int64_t)nn + 1);
    GKD_ALLOC(s->adj.colidx, nnz);
    nnz = 0;
    for (int32_t k = 0; k < nn; k++) {
        for (int64_t p = d->adj.rowptr[orig[k]]; p < d->adj.rowptr[orig[k] + 1]; p++)
            if (id[d->adj.colidx[p]] >= 0) s->adj.colidx[nnz++] = id[d->adj.colidx[p]];
        s->adj.rowptr[k + 1] = nnz;
    }
    s->adj.nrows = s->adj.ncols = nn;

    if (d->xdense) {
        GKD_ALLOC(s->xdense, (int64_t)nn * d->nfeat);
        for (int32_t k = 0; k < nn; k++)
            memcpy(s->xdense + (int64_t)k * d->nfeat, d->xdense + (int64_t)orig[k] * d->nfeat,
                   (size_t)d->nfeat * sizeof *s->xdense);
    } else if (d->x.rowptr) {
        int64_t fnz = 0;
        for (int32_t k = 0; k < nn; k++) fnz += d->x.rowptr[orig[k] + 1] - d->x.rowptr[orig[k]];
        GKD_ALLOC(s->x.rowptr, (int64_t)nn + 1);
        GKD_ALLOC(s->x.colidx, fnz);
        if (d->x.val) GKD_ALLOC(s->x.val, fnz);
        fnz = 0;
        for (int32_t k = 0; k < nn; k++) {
            int64_t p0 = d->x.rowptr[orig[k]], len = d->x.rowptr[orig[k] + 1] - p0;
            memcpy(s->x.colidx + fnz, d->x.colidx + p0, (size_t)len * sizeof *s->x.colidx);
            if (d->x.val) memcpy(s->x.val + fnz, d->x.val + p0, (size_t)len * sizeof *s->x.val);
            fnz += len;
            s->x.rowptr[k + 1] = fnz;
        }
        s->x.nrows = nn;
        s->x.ncols = d->x.ncols;
    }
    if (d->label) {
        GKD_ALLOC(s->label, nn);
        for (int32_t k = 0; k < nn; k++) s->label[k] = d->label[orig[k]];
    }
    for (int c = 0; c < 3; c++) {
        GKD_ALLOC(s->split[c], d->nsplit[c]);
        for (int32_t t = 0; t < d->nsplit[c]; t++) {
            int32_t v = d->split[c][t];
            if (v >= 0 && v < n && id[v] >= 0) s->split[c][s->nsplit[c]++] = id[v];
        }
    }
    *sub = s;
    s = NULL;
    if (ids) *ids = orig, orig = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
