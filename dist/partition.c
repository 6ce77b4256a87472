/* partition.c — cutting a graph into parts for distributed training (METIS
 * or contiguous blocks), what the cut costs, and the part folders written
 * for the ranks (the layout is in gnnkd.h; dist/part.c reads them back). */
#include "dist/dist.h"

#include <errno.h>
#include <metis.h>
#include <string.h>
#include <sys/stat.h>

const char *gnnkd_partition_method_name(gnnkd_partition_method m) {
    switch (m) {
    case GNNKD_PARTITION_METIS: return "metis";
    case GNNKD_PARTITION_CONTIGUOUS: return "contiguous";
    }
    return "?";
}

gnnkd_status gnnkd_partition_method_parse(gnnkd_partition_method *m, const char *name,
                                          char *msg) {
    GKD_CLEAR_MSG;
    for (int k = 0; k < 2; k++)
        if (name && !strcmp(name, gnnkd_partition_method_name((gnnkd_partition_method)k))) {
            *m = (gnnkd_partition_method)k;
            return GNNKD_OK;
        }
    gkd_msg(msg, "unknown partitioning method '%s': expected metis or contiguous",
            name ? name : "(null)");
    return GNNKD_EINVAL;
}

static int check_graph(const gnnkd_dataset *d, int32_t parts, const char *where, char *msg) {
    if (d == NULL || d->n <= 0 || d->adj.rowptr == NULL || d->adj.nrows != d->n) {
        gkd_msg(msg, "%s: the dataset has no graph", where);
        return GNNKD_EINVAL;
    }
    if (parts < 1 || parts > d->n) {
        gkd_msg(msg, "%s: %d parts for %d nodes: expected 1..%d", where, parts, d->n, d->n);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

gnnkd_status gnnkd_partition_compute(int32_t **part, const gnnkd_dataset *d, int32_t parts,
                                     gnnkd_partition_method method, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    int32_t *out = NULL, *size = NULL;
    idx_t *xadj = NULL, *adjncy = NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(out);                                                                         \
        free(size);                                                                        \
        free(xadj);                                                                        \
        free(adjncy);                                                                      \
    } while (0)
    if (part == NULL) GKD_FAIL(GNNKD_EINVAL, "gnnkd_partition_compute: part is NULL");
    *part = NULL;
    GKD_TRY(check_graph(d, parts, "gnnkd_partition_compute", msg));
    int32_t n = d->n;
    int64_t nnz = gnnkd_csr_nnz(&d->adj);
    GKD_ALLOC(out, n);
    if (method == GNNKD_PARTITION_CONTIGUOUS || parts == 1) {
        for (int32_t i = 0; i < n; i++) out[i] = (int32_t)((int64_t)i * parts / n);
    } else if (method == GNNKD_PARTITION_METIS) {
        GKD_CHECK(nnz <= INT32_MAX, GNNKD_EINVAL,
                  "gnnkd_partition_compute: %lld adjacency entries; METIS (32-bit indices) "
                  "takes at most %d",
                  (long long)nnz, INT32_MAX);
        GKD_ALLOC(xadj, (int64_t)n + 1);
        GKD_ALLOC(adjncy, nnz > 0 ? nnz : 1);
        for (int32_t i = 0; i <= n; i++) xadj[i] = (idx_t)d->adj.rowptr[i];
        for (int64_t k = 0; k < nnz; k++) adjncy[k] = d->adj.colidx[k];
        idx_t nv = n, ncon = 1, np = parts, cut = 0, options[METIS_NOPTIONS];
        METIS_SetDefaultOptions(options);
        options[METIS_OPTION_SEED] = (idx_t)(seed & 0x7fffffff);
        int rc = METIS_PartGraphKway(&nv, &ncon, xadj, adjncy, NULL, NULL, NULL, &np, NULL,
                                     NULL, options, &cut, out);
        GKD_CHECK(rc == METIS_OK, rc == METIS_ERROR_MEMORY ? GNNKD_ENOMEM : GNNKD_EINTERNAL,
                  "gnnkd_partition_compute: METIS_PartGraphKway failed (%d)", rc);
    } else {
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_partition_compute: unknown method %d", (int)method);
    }
    GKD_ALLOC(size, parts);
    for (int32_t i = 0; i < n; i++) size[out[i]]++;
    for (int32_t k = 0; k < parts; k++)
        GKD_CHECK(size[k] > 0, GNNKD_EINTERNAL,
                  "gnnkd_partition_compute: %s left part %d of %d empty: use fewer parts",
                  gnnkd_partition_method_name(method), k, parts);
    *part = out;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- halos -------------------------------------------------------------- */

int gkd_partition_halos(gkd_halos *h, const gnnkd_dataset *d, const int32_t *part,
                        int32_t parts, char *msg) {
    int32_t n = d->n, *stamp = NULL;
    memset(h, 0, sizeof *h);
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(stamp);                                                                       \
        gkd_halos_clear(h);                                                                \
    } while (0)
    GKD_ALLOC(h->owned, parts);
    GKD_ALLOC(h->ptr, (int64_t)parts + 1);
    for (int32_t i = 0; i < n; i++) {
        GKD_CHECK(part[i] >= 0 && part[i] < parts, GNNKD_EINVAL,
                  "partition: node %d is in part %d, outside 0..%d", i, part[i], parts - 1);
        h->owned[part[i]]++;
    }
    for (int32_t k = 0; k < parts; k++)
        GKD_CHECK(h->owned[k] > 0, GNNKD_EINVAL, "partition: part %d of %d is empty", k, parts);
    // nodes in part order: each part's owned nodes ascending
    GKD_ALLOC(h->order, n);
    GKD_ALLOC(h->first, (int64_t)parts + 1);
    for (int32_t k = 0; k < parts; k++) h->first[k + 1] = h->first[k] + h->owned[k];
    {
        int64_t *at = NULL;
        at = gkd_calloc((size_t)parts, sizeof *at);
        GKD_CHECK(at != NULL, GNNKD_ENOMEM, "partition: out of memory");
        for (int32_t i = 0; i < n; i++) h->order[h->first[part[i]] + at[part[i]]++] = i;
        free(at);
    }
    // each part's halo: the distinct other-part neighbours of its nodes
    GKD_ALLOC(stamp, n);
    for (int32_t i = 0; i < n; i++) stamp[i] = -1;
    for (int pass = 0; pass < 2; pass++) {
        int64_t count = 0;
        for (int32_t k = 0; k < parts; k++) {
            h->ptr[k] = count;
            for (int64_t q = h->first[k]; q < h->first[k + 1]; q++) {
                int32_t i = h->order[q];
                for (int64_t e = d->adj.rowptr[i]; e < d->adj.rowptr[i + 1]; e++) {
                    int32_t j = d->adj.colidx[e];
                    if (part[j] == k || stamp[j] == k) continue;
                    stamp[j] = k;
                    if (pass == 1) h->node[count] = j;
                    count++;
                }
            }
            if (pass == 0) h->total = count;
        }
        h->ptr[parts] = count;
        if (pass == 0) {
            GKD_ALLOC(h->node, count > 0 ? count : 1);
            for (int32_t i = 0; i < n; i++) stamp[i] = -1;
        }
    }
    // the edge cut, counted once per undirected edge
    h->cut = 0;
    for (int32_t i = 0; i < n; i++)
        for (int64_t e = d->adj.rowptr[i]; e < d->adj.rowptr[i + 1]; e++)
            if (d->adj.colidx[e] > i && part[d->adj.colidx[e]] != part[i]) h->cut++;
    free(stamp);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gkd_halos_clear(gkd_halos *h) {
    free(h->owned);
    free(h->ptr);
    free(h->order);
    free(h->first);
    free(h->node);
    memset(h, 0, sizeof *h);
}

/* A hash of what makes a partitioning: d's size and adjacency, the method
 * and the parts. */
static uint64_t partition_id(const gnnkd_dataset *d, const int32_t *part, int32_t parts,
                             gnnkd_partition_method method) {
    uint64_t h = gkd_key((uint64_t)d->n, (uint64_t)parts, (uint64_t)method);
    h = gkd_mix64(h ^ (uint64_t)d->nfeat) ^ (uint64_t)d->nclass;
    for (int32_t i = 0; i < d->n; i++)
        h = gkd_mix64(h ^ ((uint64_t)part[i] << 32 | (uint64_t)(d->adj.rowptr[i + 1] - d->adj.rowptr[i])));
    for (int64_t e = 0; e < gnnkd_csr_nnz(&d->adj); e++) h = gkd_mix64(h ^ (uint64_t)d->adj.colidx[e]);
    return h ? h : 1; // 0 never names a partitioning
}

static int stats_fill(gnnkd_partition_stats *s, const gkd_halos *h, const gnnkd_dataset *d,
                      int32_t parts, gnnkd_partition_method method, uint64_t id, char *msg) {
    memset(s, 0, sizeof *s);
#define GKD_FREE_ALL gnnkd_partition_stats_clear(s)
    s->id = id;
    s->method = method;
    s->parts = parts;
    s->nodes = d->n;
    s->edges = gnnkd_csr_nnz(&d->adj) / 2;
    s->edge_cut = h->cut;
    s->halo_total = h->total;
    GKD_ALLOC(s->owned, parts);
    GKD_ALLOC(s->halo, parts);
    for (int32_t k = 0; k < parts; k++) {
        s->owned[k] = h->owned[k];
        s->halo[k] = (int32_t)(h->ptr[k + 1] - h->ptr[k]);
    }
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_partition_stats_of(gnnkd_partition_stats *s, const gnnkd_dataset *d,
                                      const int32_t *part, int32_t parts,
                                      gnnkd_partition_method method, char *msg) {
    GKD_CLEAR_MSG;
    gkd_halos h = {0};
#define GKD_FREE_ALL gkd_halos_clear(&h)
    if (s == NULL || part == NULL)
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_partition_stats_of: s and part must not be NULL");
    memset(s, 0, sizeof *s);
    GKD_TRY(check_graph(d, parts, "gnnkd_partition_stats_of", msg));
    GKD_TRY(gkd_partition_halos(&h, d, part, parts, msg));
    GKD_TRY(stats_fill(s, &h, d, parts, method, partition_id(d, part, parts, method), msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gnnkd_partition_stats_clear(gnnkd_partition_stats *s) {
    if (s == NULL) return;
    free(s->owned);
    free(s->halo);
    memset(s, 0, sizeof *s);
}

int64_t gnnkd_partition_epoch_bytes(const gnnkd_partition_stats *s,
                                    const gnnkd_model_spec *spec) {
    if (s == NULL || spec == NULL || spec->kind != GNNKD_MODEL_GCN) return 0;
    int64_t width = 0;
    for (int l = 1; l <= spec->nlayers; l++) width += spec->dims[l];
    return 2 * 4 * s->halo_total * width;
}

/* ---- writing the parts ---------------------------------------------------- */

/* One output file: its bytes go through gkd_open_tmp and into a CRC. */
typedef struct {
    FILE *f;
    char tmp[GKD_PATH_LEN + 32];
    char path[GKD_PATH_LEN];
    uint32_t crc;
    int64_t bytes;
    int ok;
} writer;

static int writer_open(writer *w, const char *dir, const char *file, char *msg) {
    memset(w, 0, sizeof *w);
    int rc = gkd_path_join(w->path, dir, file, msg);
    if (rc != GNNKD_OK) return rc;
    w->f = gkd_open_tmp(w->path, w->tmp, sizeof w->tmp, msg);
    if (w->f == NULL) return GNNKD_EIO;
    w->ok = 1;
    return GNNKD_OK;
}

static void put(writer *w, const void *p, int64_t bytes) {
    if (!w->ok || bytes == 0) return;
    if (fwrite(p, 1, (size_t)bytes, w->f) != (size_t)bytes) w->ok = 0;
    w->crc = gkd_crc32(w->crc, p, bytes);
    w->bytes += bytes;
}

/* Commits (ok) or drops the file. */
static int writer_close(writer *w, int ok, char *msg) {
    if (w->f == NULL) return GNNKD_OK;
    int rc = gkd_commit_file(w->f, w->tmp, w->path, ok && w->ok, msg);
    w->f = NULL;
    if (rc == GNNKD_OK && ok && !w->ok) {
        gkd_msg(msg, "%s: write failed", w->path);
        rc = GNNKD_EIO;
    }
    return rc;
}

static int make_dir(const char *dir, char *msg) {
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        gkd_msg(msg, "%s: cannot create the folder: %s", dir, strerror(errno));
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Part k's files, then its manifest. loc (n) is -1 on entry and on return;
 * flag (n) is each node's split byte. */
static int write_part(const char *pdir, const gnnkd_dataset *d, const gnnkd_csr *ahat,
                      const int32_t *part, const gkd_halos *h, int32_t k, int32_t parts,
                      gnnkd_partition_method method, uint64_t id, int32_t *loc,
                      const uint8_t *flag, char *msg) {
    writer w = {0};
    uint64_t *key = NULL;
    int32_t *ids = NULL, *send = NULL, *count = NULL, *lbl = NULL;
    int64_t *rp = NULL;
    int32_t *lcol = NULL;
    float *lval = NULL;
    int32_t owned = h->owned[k], halo = (int32_t)(h->ptr[k + 1] - h->ptr[k]);
    const int32_t *mine = h->order + h->first[k];
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        writer_close(&w, 0, NULL);                                                         \
        for (int32_t q = 0; q < owned; q++) loc[mine[q]] = -1;                             \
        for (int32_t q = 0; ids && q < halo; q++) loc[ids[owned + q]] = -1;                \
        free(key);                                                                         \
        free(ids);                                                                         \
        free(send);                                                                        \
        free(count);                                                                       \
        free(lbl);                                                                         \
        free(rp);                                                                          \
        free(lcol);                                                                        \
        free(lval);                                                                        \
    } while (0)
    struct { char name[16]; int64_t bytes; uint32_t crc; } files[4];
    int nfiles = 0;
#define DONE_FILE                                                                          \
    do {                                                                                   \
        snprintf(files[nfiles].name, sizeof files[0].name, "%s", strrchr(w.path, '/') + 1);                                     \
        files[nfiles].bytes = w.bytes;                                                     \
        files[nfiles++].crc = w.crc;                                                       \
        GKD_TRY(writer_close(&w, 1, msg));                                                 \
    } while (0)

    // nodes: owned ascending, halo by (owner, id)
    GKD_ALLOC(key, halo > 0 ? halo : 1);
    for (int32_t q = 0; q < halo; q++) {
        int32_t j = h->node[h->ptr[k] + q];
        key[q] = (uint64_t)part[j] << 32 | (uint32_t)j;
    }
    qsort(key, (size_t)halo, sizeof *key, cmp_u64);
    GKD_ALLOC(ids, (int64_t)owned + 2 * halo);
    for (int32_t q = 0; q < owned; q++) ids[q] = mine[q], loc[mine[q]] = q;
    for (int32_t q = 0; q < halo; q++) {
        ids[owned + q] = (int32_t)(key[q] & 0xffffffffu);
        ids[owned + halo + q] = (int32_t)(key[q] >> 32);
        loc[ids[owned + q]] = owned + q;
    }
    // what each other part's halo holds of ours: our nodes in its halo, in
    // ascending id (its halo's order within owner k)
    GKD_ALLOC(count, parts);
    int64_t nsend = 0;
    for (int32_t q = 0; q < parts; q++) {
        if (q == k) continue;
        for (int64_t e = h->ptr[q]; e < h->ptr[q + 1]; e++)
            if (part[h->node[e]] == k) count[q]++;
        nsend += count[q];
    }
    GKD_ALLOC(send, nsend > 0 ? nsend : 1);
    {
        int64_t at = 0;
        for (int32_t q = 0; q < parts; q++) {
            int64_t start = at;
            if (q == k) continue;
            for (int64_t e = h->ptr[q]; e < h->ptr[q + 1]; e++)
                if (part[h->node[e]] == k) send[at++] = loc[h->node[e]];
            // ascending local row = ascending global id (owned rows are ascending)
            qsort(send + start, (size_t)(at - start), sizeof *send, cmp_i32);
        }
    }
    GKD_TRY(writer_open(&w, pdir, "nodes.bin", msg));
    put(&w, ids, 4 * ((int64_t)owned + 2 * halo));
    put(&w, count, 4 * (int64_t)parts);
    put(&w, send, 4 * nsend);
    DONE_FILE;

    // Â's owned rows with local columns, in the global rows' order: each
    // row sums its terms in the single process's order
    GKD_ALLOC(rp, (int64_t)owned + 1);
    for (int32_t q = 0; q < owned; q++) {
        int32_t i = mine[q];
        rp[q + 1] = rp[q] + (ahat->rowptr[i + 1] - ahat->rowptr[i]);
    }
    int64_t annz = rp[owned];
    GKD_ALLOC(lcol, annz > 0 ? annz : 1);
    GKD_ALLOC(lval, annz > 0 ? annz : 1);
    for (int32_t q = 0; q < owned; q++) {
        int32_t i = mine[q];
        int64_t a = ahat->rowptr[i], o = rp[q];
        for (int64_t e = 0; e < rp[q + 1] - o; e++) {
            lcol[o + e] = loc[ahat->colidx[a + e]];
            lval[o + e] = ahat->val[a + e];
        }
    }
    GKD_TRY(writer_open(&w, pdir, "adjacency.bin", msg));
    put(&w, rp, 8 * ((int64_t)owned + 1));
    put(&w, lcol, 4 * annz);
    put(&w, lval, 4 * annz);
    DONE_FILE;

    // features: owned rows
    int sparse = d->x.rowptr != NULL;
    int64_t fnnz = 0;
    GKD_TRY(writer_open(&w, pdir, "features.bin", msg));
    if (sparse) {
        for (int32_t q = 0; q < owned; q++) {
            int32_t i = mine[q];
            rp[q + 1] = rp[q] + (d->x.rowptr[i + 1] - d->x.rowptr[i]);
        }
        fnnz = rp[owned];
        put(&w, rp, 8 * ((int64_t)owned + 1));
        for (int32_t q = 0; q < owned; q++) {
            int32_t i = mine[q];
            put(&w, d->x.colidx + d->x.rowptr[i], 4 * (d->x.rowptr[i + 1] - d->x.rowptr[i]));
        }
        const float one = 1.0f;
        for (int32_t q = 0; q < owned; q++) {
            int32_t i = mine[q];
            if (d->x.val)
                put(&w, d->x.val + d->x.rowptr[i], 4 * (d->x.rowptr[i + 1] - d->x.rowptr[i]));
            else
                for (int64_t e = d->x.rowptr[i]; e < d->x.rowptr[i + 1]; e++) put(&w, &one, 4);
        }
        for (int32_t q = 0; q < owned; q++) put(&w, d->x.rowptr + mine[q], 8);
    } else {
        for (int32_t q = 0; q < owned; q++)
            put(&w, d->xdense + (int64_t)mine[q] * d->nfeat, 4 * (int64_t)d->nfeat);
    }
    DONE_FILE;

    GKD_ALLOC(lbl, owned);
    for (int32_t q = 0; q < owned; q++) lbl[q] = d->label[mine[q]];
    GKD_TRY(writer_open(&w, pdir, "labels.bin", msg));
    put(&w, lbl, 4 * (int64_t)owned);
    for (int32_t q = 0; q < owned; q++) put(&w, flag + mine[q], 1);
    DONE_FILE;
#undef DONE_FILE

    // the manifest, last
    GKD_TRY(writer_open(&w, pdir, "manifest.txt", msg));
    FILE *f = w.f;
    fprintf(f, "gnnkd-part %d\n", GKD_PART_VERSION);
    fprintf(f, "partitioning %016llx\n", (unsigned long long)id);
    fprintf(f, "part %d\nparts %d\nmethod %s\n", k, parts, gnnkd_partition_method_name(method));
    fprintf(f, "dataset %s\n", d->name[0] ? d->name : "-");
    fprintf(f, "nodes %d\nfeatures %d %s\nfeature-norm %s\nclasses %d\n", d->n, d->nfeat,
            sparse ? "sparse" : "dense", gnnkd_feature_norm_name(d->feature_norm), d->nclass);
    fprintf(f, "split %d %d %d\n", d->nsplit[0], d->nsplit[1], d->nsplit[2]);
    fprintf(f, "edge-cut %lld\n", (long long)h->cut);
    fprintf(f, "owned %d\nhalo %d\nsend %lld\n", owned, halo, (long long)nsend);
    fprintf(f, "adjacency-nnz %lld\nfeature-nnz %lld\n", (long long)annz, (long long)fnnz);
    for (int q = 0; q < nfiles; q++)
        fprintf(f, "file %s %lld %08x\n", files[q].name, (long long)files[q].bytes,
                (unsigned)files[q].crc);
    GKD_TRY(writer_close(&w, !ferror(f), msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_partition_write(gnnkd_partition_stats *s, const char *dir,
                                   const gnnkd_dataset *d, const int32_t *part, int32_t parts,
                                   gnnkd_partition_method method, char *msg) {
    GKD_CLEAR_MSG;
    gkd_halos h = {0};
    gnnkd_graph *g = NULL;
    int32_t *loc = NULL;
    uint8_t *flag = NULL;
    writer w = {0};
    gnnkd_partition_stats st = {0};
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        writer_close(&w, 0, NULL);                                                         \
        gkd_halos_clear(&h);                                                               \
        gnnkd_graph_free(&g);                                                              \
        free(loc);                                                                         \
        free(flag);                                                                        \
        gnnkd_partition_stats_clear(&st);                                                  \
    } while (0)
    if (s) memset(s, 0, sizeof *s);
    if (dir == NULL || part == NULL)
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_partition_write: dir and part must not be NULL");
    GKD_TRY(check_graph(d, parts, "gnnkd_partition_write", msg));
    GKD_CHECK(d->label != NULL && (d->x.rowptr != NULL || d->xdense != NULL) &&
                  (d->x.rowptr == NULL || d->x.nrows == d->n),
              GNNKD_EINVAL, "gnnkd_partition_write: %s has no features or labels of %d nodes",
              d->name, d->n);
    GKD_TRY(gkd_partition_halos(&h, d, part, parts, msg));
    uint64_t id = partition_id(d, part, parts, method);
    GKD_TRY(stats_fill(&st, &h, d, parts, method, id, msg));
    GKD_TRY(gnnkd_graph_new(&g, &d->adj, msg));
    GKD_ALLOC(loc, d->n);
    for (int32_t i = 0; i < d->n; i++) loc[i] = -1;
    GKD_ALLOC(flag, d->n);
    for (int t = 0; t < 3; t++)
        for (int32_t q = 0; q < d->nsplit[t]; q++) {
            int32_t i = d->split[t][q];
            GKD_CHECK(i >= 0 && i < d->n, GNNKD_EINVAL,
                      "gnnkd_partition_write: split node %d outside 0..%d", i, d->n - 1);
            flag[i] = (uint8_t)(1 + t);
        }
    GKD_TRY(make_dir(dir, msg));
    for (int32_t k = 0; k < parts; k++) {
        char pdir[GKD_PATH_LEN], name[32];
        snprintf(name, sizeof name, "part-%d", k);
        GKD_TRY(gkd_path_join(pdir, dir, name, msg));
        GKD_TRY(make_dir(pdir, msg));
        GKD_TRY(write_part(pdir, d, gnnkd_graph_csr(g), part, &h, k, parts, method, id, loc,
                           flag, msg));
    }
    GKD_TRY(writer_open(&w, dir, "partition.txt", msg));
    FILE *f = w.f;
    fprintf(f, "gnnkd-partition %d\n", GKD_PART_VERSION);
    fprintf(f, "partitioning %016llx\n", (unsigned long long)id);
    fprintf(f, "parts %d\nmethod %s\n", parts, gnnkd_partition_method_name(method));
    fprintf(f, "dataset %s\n", d->name[0] ? d->name : "-");
    fprintf(f, "nodes %d\nedges %lld\nedge-cut %lld\nhalo-total %lld\n", d->n,
            (long long)st.edges, (long long)st.edge_cut, (long long)st.halo_total);
    for (int32_t k = 0; k < parts; k++)
        fprintf(f, "part %d owned %d halo %d\n", k, st.owned[k], st.halo[k]);
    GKD_TRY(writer_close(&w, !ferror(f), msg));
    if (s) *s = st, memset(&st, 0, sizeof st);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
