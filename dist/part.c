/* part.c — reading one part of a partition folder, as a rank does: the
 * manifests first, each file's size and CRC-32 against its manifest, then
 * every array's contents, before anything uses them. */
#include "dist/dist.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void gnnkd_part_free(gnnkd_part **p) {
    if (p == NULL || *p == NULL) return;
    gnnkd_part *q = *p;
    free(q->global);
    free(q->halo_owner);
    free(q->send_count);
    free(q->send);
    gnnkd_csr_clear(&q->ahat);
    gnnkd_csr_clear(&q->x);
    free(q->xoff);
    free(q->xdense);
    free(q->label);
    for (int t = 0; t < 3; t++) free(q->split[t]);
    free(q);
    *p = NULL;
}

/* ---- manifests --------------------------------------------------------------- */

/* The next line's key, or NULL at the end of the file; *rest after it. */
static const char *next_key(gkd_text *t, const char **rest, char *key, size_t len) {
    char *s;
    while ((s = gkd_text_next(t)) != NULL && gkd_is_blank(s)) {}
    if (s == NULL) return NULL;
    while (*s == ' ' || *s == '\t') s++;
    size_t k = strcspn(s, " \t");
    if (k >= len) k = len - 1;
    memcpy(key, s, k);
    key[k] = '\0';
    *rest = s + k;
    return key;
}

/* count integers of *rest into v, each in [lo, hi], and nothing after. */
static int ints(int64_t *v, int count, const char *rest, int64_t lo, int64_t hi,
                const gkd_text *t, const char *key, char *msg) {
    char tok[48];
    for (int c = 0; c < count; c++) {
        const char *at = rest;
        if (!gkd_parse_int(&rest, &v[c]) || v[c] < lo || v[c] > hi) {
            gkd_msg(msg, "%s:%lld: %s: expected an integer in %lld..%lld, found '%s'", t->path,
                    (long long)t->line, key, (long long)lo, (long long)hi,
                    gkd_token(tok, sizeof tok, at));
            return GNNKD_EDATA;
        }
    }
    if (!gkd_is_blank(rest)) {
        gkd_msg(msg, "%s:%lld: %s: expected the end of the line, found '%s'", t->path,
                (long long)t->line, key, gkd_token(tok, sizeof tok, rest));
        return GNNKD_EDATA;
    }
    return GNNKD_OK;
}

/* One word of at most len - 1 characters, then the end of the line. */
static int word(char *out, size_t len, const char **rest, int last, const gkd_text *t,
                const char *key, char *msg) {
    const char *s = *rest;
    while (*s == ' ' || *s == '\t') s++;
    size_t k = strcspn(s, " \t");
    if (k == 0 || k >= len) {
        gkd_msg(msg, "%s:%lld: %s: expected a word of 1..%zu characters", t->path,
                (long long)t->line, key, len - 1);
        return GNNKD_EDATA;
    }
    memcpy(out, s, k);
    out[k] = '\0';
    *rest = s + k;
    if (last && !gkd_is_blank(*rest)) {
        char tok[48];
        gkd_msg(msg, "%s:%lld: %s: expected the end of the line, found '%s'", t->path,
                (long long)t->line, key, gkd_token(tok, sizeof tok, *rest));
        return GNNKD_EDATA;
    }
    return GNNKD_OK;
}

static int hex64(uint64_t *v, const char *rest, const gkd_text *t, char *msg) {
    char w[40];
    int rc = word(w, sizeof w, &rest, 1, t, "partitioning", msg);
    if (rc != GNNKD_OK) return rc;
    char *end = NULL;
    *v = strlen(w) == 16 ? strtoull(w, &end, 16) : 0;
    if (end == NULL || *end != '\0' || *v == 0) {
        gkd_msg(msg, "%s:%lld: partitioning: expected 16 hexadecimal digits, found '%s'",
                t->path, (long long)t->line, w);
        return GNNKD_EDATA;
    }
    return GNNKD_OK;
}

/* The first line: "MAGIC VERSION". */
static int header(gkd_text *t, const char *magic, char *msg) {
    char key[32];
    const char *rest = NULL;
    int64_t v = 0;
    if (next_key(t, &rest, key, sizeof key) == NULL || strcmp(key, magic) != 0) {
        gkd_msg(msg, "%s:%lld: expected '%s %d' first", t->path, (long long)t->line, magic,
                GKD_PART_VERSION);
        return GNNKD_EDATA;
    }
    int rc = ints(&v, 1, rest, 1, INT32_MAX, t, key, msg);
    if (rc == GNNKD_OK && v != GKD_PART_VERSION) {
        gkd_msg(msg, "%s:%lld: format version %lld, this gnnkd reads %d: run gnnkd partition "
                "again", t->path, (long long)t->line, (long long)v, GKD_PART_VERSION);
        return GNNKD_EDATA;
    }
    return rc;
}

enum { F_NODES, F_ADJ, F_FEAT, F_LABELS, NFILES };
static const char *FILE_NAME[NFILES] = {"nodes.bin", "adjacency.bin", "features.bin",
                                        "labels.bin"};

typedef struct {
    uint64_t id;
    int64_t part, parts, nodes, nfeat, nclass, split[3], cut, owned, halo, send, annz, fnnz;
    int sparse, method, norm;
    char name[128];
    int64_t bytes[NFILES];
    uint32_t crc[NFILES];
} manifest;

/* partition.txt: its id, part count and method. */
static int read_partition_txt(manifest *m, const char *path, char *msg) {
    gkd_text t;
    int rc = gkd_text_open(&t, path, msg);
    if (rc == GNNKD_OK) rc = header(&t, "gnnkd-partition", msg);
    char key[32], w[40];
    const char *rest;
    int seen = 0;
    while (rc == GNNKD_OK && next_key(&t, &rest, key, sizeof key) != NULL) {
        if (!strcmp(key, "partitioning")) {
            rc = hex64(&m->id, rest, &t, msg), seen |= 1;
        } else if (!strcmp(key, "parts")) {
            rc = ints(&m->parts, 1, rest, 1, INT32_MAX, &t, key, msg), seen |= 2;
        } else if (!strcmp(key, "method")) {
            rc = word(w, sizeof w, &rest, 1, &t, key, msg), seen |= 4;
            gnnkd_partition_method pm = GNNKD_PARTITION_METIS;
            if (rc == GNNKD_OK && gnnkd_partition_method_parse(&pm, w, NULL) != GNNKD_OK) {
                gkd_msg(msg, "%s:%lld: method: expected metis or contiguous, found '%s'", path,
                        (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            m->method = (int)pm;
        } // the other lines are statistics, for people
    }
    if (rc == GNNKD_OK && seen != 7) {
        gkd_msg(msg, "%s: expected the lines partitioning, parts and method", path);
        rc = GNNKD_EDATA;
    }
    gkd_text_close(&t);
    return rc;
}

static int read_manifest(manifest *m, const char *path, char *msg) {
    gkd_text t;
    int rc = gkd_text_open(&t, path, msg);
    if (rc == GNNKD_OK) rc = header(&t, "gnnkd-part", msg);
    char key[32], w[40];
    const char *rest;
    uint32_t seen = 0, files = 0;
    static const char *KEYS[] = {"partitioning", "part", "parts", "method", "dataset",
                                 "nodes", "features", "feature-norm", "classes", "split",
                                 "edge-cut", "owned", "halo", "send", "adjacency-nnz",
                                 "feature-nnz", "file"};
    const int NKEYS = (int)(sizeof KEYS / sizeof KEYS[0]);
    while (rc == GNNKD_OK && next_key(&t, &rest, key, sizeof key) != NULL) {
        int k = 0;
        while (k < NKEYS && strcmp(key, KEYS[k]) != 0) k++;
        if (k == NKEYS) {
            gkd_msg(msg, "%s:%lld: expected a manifest key, found '%s'", path,
                    (long long)t.line, key);
            rc = GNNKD_EDATA;
            break;
        }
        if (k != NKEYS - 1 && (seen >> k & 1)) {
            gkd_msg(msg, "%s:%lld: %s given twice", path, (long long)t.line, key);
            rc = GNNKD_EDATA;
            break;
        }
        seen |= 1u << k;
        int64_t v[3];
        switch (k) {
        case 0: rc = hex64(&m->id, rest, &t, msg); break;
        case 1: rc = ints(&m->part, 1, rest, 0, INT32_MAX - 1, &t, key, msg); break;
        case 2: rc = ints(&m->parts, 1, rest, 1, INT32_MAX, &t, key, msg); break;
        case 3: {
            gnnkd_partition_method pm = GNNKD_PARTITION_METIS;
            rc = word(w, sizeof w, &rest, 1, &t, key, msg);
            if (rc == GNNKD_OK && gnnkd_partition_method_parse(&pm, w, NULL) != GNNKD_OK) {
                gkd_msg(msg, "%s:%lld: method: expected metis or contiguous, found '%s'", path,
                        (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            m->method = (int)pm;
            break;
        }
        case 4: rc = word(m->name, sizeof m->name, &rest, 1, &t, key, msg); break;
        case 5: rc = ints(&m->nodes, 1, rest, 1, INT32_MAX, &t, key, msg); break;
        case 6: { // features WIDTH sparse|dense
            const char *at = rest;
            char tok[48];
            if (!gkd_parse_int(&rest, &m->nfeat) || m->nfeat < 1 || m->nfeat > INT32_MAX) {
                gkd_msg(msg, "%s:%lld: features: expected a width in 1..%d, found '%s'", path,
                        (long long)t.line, INT32_MAX, gkd_token(tok, sizeof tok, at));
                rc = GNNKD_EDATA;
                break;
            }
            rc = word(w, sizeof w, &rest, 1, &t, key, msg);
            if (rc == GNNKD_OK && strcmp(w, "sparse") != 0 && strcmp(w, "dense") != 0) {
                gkd_msg(msg, "%s:%lld: features: expected sparse or dense, found '%s'", path,
                        (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            m->sparse = !strcmp(w, "sparse");
            break;
        }
        case 7:
            rc = word(w, sizeof w, &rest, 1, &t, key, msg);
            m->norm = -1;
            for (int f = 0; f < 2; f++)
                if (rc == GNNKD_OK && !strcmp(w, gnnkd_feature_norm_name((gnnkd_feature_norm)f)))
                    m->norm = f;
            if (rc == GNNKD_OK && m->norm < 0) {
                gkd_msg(msg, "%s:%lld: feature-norm: expected raw or row-sum, found '%s'", path,
                        (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            break;
        case 8: rc = ints(&m->nclass, 1, rest, 1, INT32_MAX, &t, key, msg); break;
        case 9: rc = ints(m->split, 3, rest, 0, INT32_MAX, &t, key, msg); break;
        case 10: rc = ints(&m->cut, 1, rest, 0, INT64_MAX, &t, key, msg); break;
        case 11: rc = ints(&m->owned, 1, rest, 1, INT32_MAX, &t, key, msg); break;
        case 12: rc = ints(&m->halo, 1, rest, 0, INT32_MAX, &t, key, msg); break;
        case 13: rc = ints(&m->send, 1, rest, 0, INT32_MAX, &t, key, msg); break;
        case 14: rc = ints(&m->annz, 1, rest, 0, INT64_MAX, &t, key, msg); break;
        case 15: rc = ints(&m->fnnz, 1, rest, 0, INT64_MAX, &t, key, msg); break;
        default: { // file NAME BYTES CRC
            int f = 0;
            rc = word(w, sizeof w, &rest, 0, &t, key, msg);
            while (rc == GNNKD_OK && f < NFILES && strcmp(w, FILE_NAME[f]) != 0) f++;
            if (rc == GNNKD_OK && (f == NFILES || (files >> f & 1))) {
                gkd_msg(msg, "%s:%lld: file: expected one of nodes.bin, adjacency.bin, "
                        "features.bin, labels.bin once, found '%s'", path, (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            if (rc != GNNKD_OK) break;
            files |= 1u << f;
            const char *at = rest;
            char tok[48];
            if (!gkd_parse_int(&rest, &v[0]) || v[0] < 0) {
                gkd_msg(msg, "%s:%lld: file: expected a byte count, found '%s'", path,
                        (long long)t.line, gkd_token(tok, sizeof tok, at));
                rc = GNNKD_EDATA;
                break;
            }
            m->bytes[f] = v[0];
            rc = word(w, sizeof w, &rest, 1, &t, key, msg);
            char *end = NULL;
            unsigned long c = rc == GNNKD_OK && strlen(w) == 8 ? strtoul(w, &end, 16) : 0;
            if (rc == GNNKD_OK && (end == NULL || *end != '\0')) {
                gkd_msg(msg, "%s:%lld: file: expected a CRC-32 of 8 hexadecimal digits, found '%s'",
                        path, (long long)t.line, w);
                rc = GNNKD_EDATA;
            }
            m->crc[f] = (uint32_t)c;
        }
        }
    }
    if (rc == GNNKD_OK && (seen != (1u << NKEYS) - 1 || files != (1u << NFILES) - 1)) {
        int k = 0;
        while (k < NKEYS && (seen >> k & 1)) k++;
        gkd_msg(msg, "%s: expected a line '%s'%s", path, k < NKEYS ? KEYS[k] : "file",
                k < NKEYS ? "" : " for each of nodes.bin, adjacency.bin, features.bin, labels.bin");
        rc = GNNKD_EDATA;
    }
    gkd_text_close(&t);
    return rc;
}

/* ---- files ------------------------------------------------------------------ */

/* Reads path whole into *buf, which must hold exactly want bytes as the
 * manifest says, with the manifest's CRC. */
static int read_file(uint8_t **buf, const char *path, int64_t want, int64_t listed,
                     uint32_t crc, char *msg) {
    int64_t size = 0;
    int rc;
    *buf = NULL;
    if (want != listed) {
        gkd_msg(msg, "%s: the manifest lists %lld bytes; its sizes make %lld", path,
                (long long)listed, (long long)want);
        return GNNKD_EDATA;
    }
    FILE *f = gkd_open_regular(path, &size, &rc, msg);
    if (f == NULL) return rc;
    if (size != want) {
        fclose(f);
        gkd_msg(msg, "%s: %lld bytes; the manifest says %lld (truncated or replaced)", path,
                (long long)size, (long long)want);
        return GNNKD_EDATA;
    }
    *buf = gkd_calloc((size_t)(want > 0 ? want : 1), 1);
    if (*buf == NULL) {
        fclose(f);
        gkd_msg(msg, "%s: out of memory for %lld bytes", path, (long long)want);
        return GNNKD_ENOMEM;
    }
    size_t got = want > 0 ? fread(*buf, 1, (size_t)want, f) : 0;
    fclose(f);
    if ((int64_t)got != want) {
        GKD_FREE(*buf);
        gkd_msg(msg, "%s: read failed after %zu of %lld bytes", path, got, (long long)want);
        return GNNKD_EIO;
    }
    uint32_t c = gkd_crc32(0, *buf, want);
    if (c != crc) {
        GKD_FREE(*buf);
        gkd_msg(msg, "%s: CRC-32 %08x, the manifest says %08x: the file is corrupted", path,
                (unsigned)c, (unsigned)crc);
        return GNNKD_EDATA;
    }
    return GNNKD_OK;
}

/* Copies count elements of size bytes from *at into a new array. */
static void *take(const uint8_t **at, int64_t count, size_t size) {
    void *p = gkd_calloc((size_t)(count > 0 ? count : 1), size);
    if (p && count > 0) memcpy(p, *at, (size_t)count * size);
    *at += count * (int64_t)size;
    return p;
}

/* A CSR of nrows rows (rowptr, colidx, val: nnz) in [0, ncols), values
 * finite, columns ascending: by id[column] if id is not NULL. */
static int check_csr(const gnnkd_csr *a, const int32_t *id, int64_t nnz, const char *path,
                     char *msg) {
    if (a->rowptr[0] != 0 || a->rowptr[a->nrows] != nnz) {
        gkd_msg(msg, "%s: row offsets run %lld..%lld, expected 0..%lld", path,
                (long long)a->rowptr[0], (long long)a->rowptr[a->nrows], (long long)nnz);
        return GNNKD_EDATA;
    }
    for (int32_t r = 0; r < a->nrows; r++)
        if (a->rowptr[r + 1] < a->rowptr[r]) {
            gkd_msg(msg, "%s: row offsets decrease at row %d", path, r);
            return GNNKD_EDATA;
        }
    for (int32_t r = 0; r < a->nrows; r++)
        for (int64_t e = a->rowptr[r]; e < a->rowptr[r + 1]; e++) {
            int32_t c = a->colidx[e];
            int up = c >= 0 && c < a->ncols &&
                     (e == a->rowptr[r] || (id ? id[c] > id[a->colidx[e - 1]] : c > a->colidx[e - 1]));
            if (!up) {
                gkd_msg(msg, "%s: row %d: column %d out of range 0..%d or not ascending%s", path,
                        r, c, a->ncols - 1, id ? " by node id" : "");
                return GNNKD_EDATA;
            }
            if (!isfinite(a->val[e])) {
                gkd_msg(msg, "%s: row %d: a value that is not finite", path, r);
                return GNNKD_EDATA;
            }
        }
    return GNNKD_OK;
}

gnnkd_status gnnkd_part_load(gnnkd_part **out, const char *dir, int32_t k, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_part *p = NULL;
    uint8_t *buf = NULL;
    manifest top = {0}, m = {0};
    char path[GKD_PATH_LEN], pdir[GKD_PATH_LEN], mpath[GKD_PATH_LEN], name[32];
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(buf);                                                                         \
        gnnkd_part_free(&p);                                                               \
    } while (0)
    if (out == NULL || dir == NULL)
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_part_load: p and dir must not be NULL");
    *out = NULL;
    GKD_TRY(gkd_path_join(path, dir, "partition.txt", msg));
    GKD_TRY(read_partition_txt(&top, path, msg));
    GKD_CHECK(k >= 0 && k < top.parts, GNNKD_EINVAL, "%s: part %d asked for; it has parts 0..%lld",
              path, k, (long long)top.parts - 1);
    snprintf(name, sizeof name, "part-%d", k);
    GKD_TRY(gkd_path_join(pdir, dir, name, msg));
    GKD_TRY(gkd_path_join(mpath, pdir, "manifest.txt", msg));
    GKD_TRY(read_manifest(&m, mpath, msg));
    GKD_CHECK(m.id == top.id, GNNKD_EDATA,
              "%s: partitioning id %016" PRIx64 ", %s has %016" PRIx64
              ": the part belongs to another partitioning",
              mpath, m.id, path, top.id);
    GKD_CHECK(m.part == k && m.parts == top.parts && m.method == top.method, GNNKD_EDATA,
              "%s: part %lld of %lld (%s), expected part %d of %lld (%s)", mpath,
              (long long)m.part, (long long)m.parts,
              gnnkd_partition_method_name((gnnkd_partition_method)m.method), k,
              (long long)top.parts,
              gnnkd_partition_method_name((gnnkd_partition_method)top.method));
    GKD_CHECK(m.owned <= m.nodes && m.halo <= m.nodes - m.owned && m.parts <= m.nodes &&
                  m.split[0] + m.split[1] + m.split[2] <= m.nodes && m.nclass <= m.nodes,
              GNNKD_EDATA, "%s: sizes that do not fit %lld nodes", mpath, (long long)m.nodes);
    GKD_CHECK(m.annz >= m.owned && m.annz <= m.owned * (m.owned + m.halo) &&
                  m.fnnz <= m.owned * m.nfeat && (m.sparse || m.fnnz == 0),
              GNNKD_EDATA, "%s: nonzero counts that do not fit the sizes", mpath);
    GKD_CHECK(m.annz < ((int64_t)1 << 56) && m.fnnz < ((int64_t)1 << 56) &&
                  (double)m.owned * (double)m.nfeat < 1e17,
              GNNKD_EDATA, "%s: sizes too large", mpath);
    int64_t owned = m.owned, halo = m.halo, cols = owned + halo;
    int64_t want[NFILES] = {
        4 * (cols + halo + m.parts + m.send),
        8 * (owned + 1) + 8 * m.annz,
        m.sparse ? 8 * (owned + 1) + 8 * m.fnnz + 8 * owned : 4 * owned * m.nfeat,
        4 * owned + owned,
    };

    GKD_ALLOC(p, 1);
    p->id = m.id;
    p->part = k;
    p->parts = (int32_t)m.parts;
    p->method = (gnnkd_partition_method)m.method;
    snprintf(p->name, sizeof p->name, "%s", m.name);
    p->nodes = (int32_t)m.nodes;
    p->nfeat = (int32_t)m.nfeat;
    p->nclass = (int32_t)m.nclass;
    p->feature_norm = (gnnkd_feature_norm)m.norm;
    for (int t = 0; t < 3; t++) p->nsplit_total[t] = (int32_t)m.split[t];
    p->edge_cut = m.cut;
    p->owned = (int32_t)owned;
    p->halo = (int32_t)halo;
    const uint8_t *at;
#define READ(f)                                                                            \
    do {                                                                                   \
        GKD_FREE(buf);                                                                     \
        GKD_TRY(gkd_path_join(path, pdir, FILE_NAME[f], msg));                             \
        GKD_TRY(read_file(&buf, path, want[f], m.bytes[f], m.crc[f], msg));                \
        at = buf;                                                                          \
    } while (0)
#define TAKE(dst, count)                                                                   \
    do {                                                                                   \
        (dst) = take(&at, (count), sizeof *(dst));                                         \
        GKD_CHECK((dst) != NULL, GNNKD_ENOMEM, "%s: out of memory", path);                 \
    } while (0)

    // nodes.bin: ids, owners, what the others need of us
    READ(F_NODES);
    TAKE(p->global, cols);
    TAKE(p->halo_owner, halo);
    TAKE(p->send_count, m.parts);
    TAKE(p->send, m.send);
    for (int64_t r = 0; r < cols; r++)
        GKD_CHECK(p->global[r] >= 0 && p->global[r] < p->nodes &&
                      (r == 0 || r == owned || p->global[r] > p->global[r - 1] ||
                       (r > owned && p->halo_owner[r - owned] > p->halo_owner[r - owned - 1])),
                  GNNKD_EDATA,
                  "%s: node %lld: id %d out of range or out of order (owned ascending, "
                  "the halo by owner, then id)",
                  path, (long long)r, p->global[r]);
    for (int64_t h = 0; h < halo; h++)
        GKD_CHECK(p->halo_owner[h] >= 0 && p->halo_owner[h] < p->parts &&
                      p->halo_owner[h] != k && (h == 0 || p->halo_owner[h] >= p->halo_owner[h - 1]),
                  GNNKD_EDATA, "%s: halo node %lld: owner %d out of range, ours or out of order",
                  path, (long long)h, p->halo_owner[h]);
    {
        int64_t sum = 0;
        for (int32_t q = 0; q < p->parts; q++) {
            GKD_CHECK(p->send_count[q] >= 0 && p->send_count[q] <= owned &&
                          (q != k || p->send_count[q] == 0),
                      GNNKD_EDATA, "%s: %d rows to send to part %d", path, p->send_count[q], q);
            for (int64_t e = sum; e < sum + p->send_count[q]; e++)
                GKD_CHECK(e < m.send && p->send[e] >= 0 && p->send[e] < owned &&
                              (e == sum || p->send[e] > p->send[e - 1]),
                          GNNKD_EDATA, "%s: a row to send to part %d out of range or order",
                          path, q);
            sum += p->send_count[q];
        }
        GKD_CHECK(sum == m.send, GNNKD_EDATA, "%s: %lld rows to send; the manifest says %lld",
                  path, (long long)sum, (long long)m.send);
    }

    // adjacency.bin: Â's rows
    READ(F_ADJ);
    p->ahat.nrows = (int32_t)owned;
    p->ahat.ncols = (int32_t)cols;
    TAKE(p->ahat.rowptr, owned + 1);
    TAKE(p->ahat.colidx, m.annz);
    TAKE(p->ahat.val, m.annz);
    GKD_TRY(check_csr(&p->ahat, p->global, m.annz, path, msg));

    // features.bin
    READ(F_FEAT);
    if (m.sparse) {
        p->x.nrows = (int32_t)owned;
        p->x.ncols = p->nfeat;
        TAKE(p->x.rowptr, owned + 1);
        TAKE(p->x.colidx, m.fnnz);
        TAKE(p->x.val, m.fnnz);
        TAKE(p->xoff, owned);
        GKD_TRY(check_csr(&p->x, NULL, m.fnnz, path, msg));
        for (int64_t r = 0; r < owned; r++)
            GKD_CHECK(p->xoff[r] >= 0 && p->xoff[r] <= INT64_MAX / 2, GNNKD_EDATA,
                      "%s: row %lld: offset %lld in the whole feature matrix out of range", path,
                      (long long)r, (long long)p->xoff[r]);
    } else {
        TAKE(p->xdense, owned * m.nfeat);
        for (int64_t e = 0; e < owned * m.nfeat; e++)
            GKD_CHECK(isfinite(p->xdense[e]), GNNKD_EDATA,
                      "%s: row %lld: a value that is not finite", path, (long long)(e / m.nfeat));
    }

    // labels.bin: labels, then the split byte of each owned node
    READ(F_LABELS);
    TAKE(p->label, owned);
    for (int64_t r = 0; r < owned; r++) {
        GKD_CHECK(p->label[r] >= -1 && p->label[r] < p->nclass, GNNKD_EDATA,
                  "%s: node %lld: label %d outside -1..%d", path, (long long)r, p->label[r],
                  p->nclass - 1);
        uint8_t s = at[r];
        GKD_CHECK(s <= 3 && (s < 1 || p->label[r] >= 0), GNNKD_EDATA,
                  "%s: node %lld: split byte %d (0..3; a split node must be labelled)", path,
                  (long long)r, s);
        if (s) p->nsplit[s - 1]++;
    }
    for (int t = 0; t < 3; t++) {
        GKD_CHECK(p->nsplit[t] <= p->nsplit_total[t], GNNKD_EDATA,
                  "%s: %d nodes in set %d; the whole graph has %d", path, p->nsplit[t], t,
                  p->nsplit_total[t]);
        GKD_ALLOC(p->split[t], p->nsplit[t] > 0 ? p->nsplit[t] : 1);
        p->nsplit[t] = 0;
    }
    for (int64_t r = 0; r < owned; r++)
        if (at[r]) p->split[at[r] - 1][p->nsplit[at[r] - 1]++] = (int32_t)r;
#undef READ
#undef TAKE
    GKD_FREE(buf);
    *out = p;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
