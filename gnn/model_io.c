/* model_io.c — model files. Little-endian, in order:
 *   char magic[8] = "GNNKDMDL"; uint32 version = 2; uint32 kind;
 *   uint32 nlayers; int32 dims[nlayers + 1]; float dropout;
 *   uint32 feature_norm (gnnkd_feature_norm); int32 heads[nlayers];
 *   float attn_dropout; int64 nparams; float params[nparams]
 *   (gkd_layer_shape's layout); uint32 crc32 (zlib) of every byte before it.
 * Version 1 (GCN and MLP only) is the same without feature_norm, heads and
 * attn_dropout; it is still read, as GNNKD_FEATURES_ROW_SUM (the program's
 * only choice without --raw-features when version 1 was written).
 * Version 3 (written for CPF models only; the other kinds stay version 2)
 * adds int32 steps after attn_dropout. Version 4 (written for models with
 * position rows only, of any kind) adds int32 pos_n, int32 pos_dim after
 * steps and float pos[pos_n * pos_dim] after params. */
#include "gnn/kernels.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <zlib.h>

#define GKD_MAGIC "GNNKDMDL"
#define GKD_MODEL_VERSION 4u

/* Bytes in a file of format version, nlayers layers, nparams parameters
 * and npos position values. */
static int64_t file_size(uint32_t version, int nlayers, int64_t nparams, int64_t npos) {
    return 8 + 4 + 4 + 4 + 4 * (int64_t)(nlayers + 1) + 4 +
           (version >= 2 ? 4 + 4 * (int64_t)nlayers + 4 : 0) + (version >= 3 ? 4 : 0) +
           (version >= 4 ? 8 + 4 * npos : 0) + 8 + 4 * nparams + 4;
}

gnnkd_feature_norm gnnkd_model_get_feature_norm(const gnnkd_model *m) { return m->feature_norm; }

void gnnkd_model_set_feature_norm(gnnkd_model *m, gnnkd_feature_norm f) {
    if (m && (f == GNNKD_FEATURES_RAW || f == GNNKD_FEATURES_ROW_SUM)) m->feature_norm = f;
}

const float *gnnkd_model_position(const gnnkd_model *m, int32_t *n, int32_t *dim) {
    const int has = m != NULL && m->pos != NULL;
    if (n) *n = has ? m->pos_n : 0;
    if (dim) *dim = has ? m->pos_dim : 0;
    return has ? m->pos : NULL;
}

gnnkd_status gnnkd_model_set_position(gnnkd_model *m, const float *rows, int32_t n, int32_t dim,
                                      char *msg) {
    GKD_CLEAR_MSG;
    float *copy = NULL;
#define GKD_FREE_ALL free(copy)
    GKD_CHECK(m != NULL, GNNKD_EINVAL, "gnnkd_model_set_position: m must not be NULL");
    if (rows != NULL) {
        GKD_CHECK(n >= 1 && dim >= 1 && dim < m->spec.dims[0], GNNKD_EINVAL,
                  "position rows: %d x %d; expected at least one row and 1..%d columns (the "
                  "model has %d inputs)", n, dim, m->spec.dims[0] - 1, m->spec.dims[0]);
        const int64_t len = (int64_t)n * dim;
        for (int64_t e = 0; e < len; e++)
            GKD_CHECK(isfinite(rows[e]), GNNKD_EINVAL, "position rows: row %lld, column %lld is "
                      "not finite", (long long)(e / dim), (long long)(e % dim));
        GKD_ALLOC(copy, len);
        memcpy(copy, rows, (size_t)len * sizeof *copy);
    }
    free(m->pos);
    m->pos = copy;
    m->pos_n = rows ? n : 0;
    m->pos_dim = rows ? dim : 0;
    copy = NULL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_model_position_rows(float *rows, const gnnkd_model *m, int32_t k,
                                       const int32_t *u, const int32_t *v, int64_t ne, char *msg) {
    GKD_CLEAR_MSG;
    int32_t *cnt = NULL;
#define GKD_FREE_ALL free(cnt)
    GKD_CHECK(m != NULL && m->pos != NULL, GNNKD_EINVAL,
              "gnnkd_model_position_rows: the model has no position rows");
    GKD_CHECK(k >= 0 && ne >= 0 && (k == 0 || rows != NULL) && (ne == 0 || (u && v)),
              GNNKD_EINVAL, "gnnkd_model_position_rows: %d nodes, %lld edges, and NULL arrays",
              k, (long long)ne);
    const int32_t D = m->pos_dim;
    GKD_ALLOC(cnt, k + 1);
    memset(rows, 0, (size_t)((int64_t)k * D) * sizeof *rows);
    for (int64_t e = 0; e < ne; e++) {
        GKD_CHECK(u[e] >= 0 && u[e] < k && v[e] >= 0 && v[e] < m->pos_n, GNNKD_EINVAL,
                  "edge %lld: %d -> %d; expected a new node 0..%d and a known node 0..%d",
                  (long long)e, u[e], v[e], k - 1, m->pos_n - 1);
        float *row = rows + (int64_t)u[e] * D;
        const float *src = m->pos + (int64_t)v[e] * D;
        for (int32_t c = 0; c < D; c++) row[c] += src[c];
        cnt[u[e]]++;
    }
    for (int32_t i = 0; i < k; i++)
        for (int32_t c = 0; cnt[i] > 0 && c < D; c++) rows[(int64_t)i * D + c] /= (float)cnt[i];
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

static uint8_t *put_u32(uint8_t *p, uint32_t v) {
    for (int b = 0; b < 4; b++) p[b] = (uint8_t)(v >> (8 * b));
    return p + 4;
}
static uint8_t *put_u64(uint8_t *p, uint64_t v) {
    for (int b = 0; b < 8; b++) p[b] = (uint8_t)(v >> (8 * b));
    return p + 8;
}
static uint8_t *put_f32(uint8_t *p, float f) {
    uint32_t v;
    memcpy(&v, &f, 4);
    return put_u32(p, v);
}
static uint32_t get_u32(const uint8_t *p) {
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get_u64(const uint8_t *p) { return get_u32(p) | (uint64_t)get_u32(p + 4) << 32; }
static float get_f32(const uint8_t *p) {
    uint32_t v = get_u32(p);
    float f;
    memcpy(&f, &v, 4);
    return f;
}

/* zlib's crc32 takes a uInt length; feed it in pieces. */
static uint32_t checksum(const uint8_t *p, int64_t len) {
    uLong crc = crc32(0L, Z_NULL, 0);
    while (len > 0) {
        uInt chunk = len > (1 << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, p, chunk);
        p += chunk;
        len -= chunk;
    }
    return (uint32_t)crc;
}

gnnkd_status gnnkd_model_save(const gnnkd_model *m, const char *path, char *msg) {
    GKD_CLEAR_MSG;
    uint8_t *buf = NULL;
#define GKD_FREE_ALL free(buf)
    if (m == NULL || path == NULL)
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_model_save: m and path must not be NULL");
    const gnnkd_model_spec *s = &m->spec;
    // the lowest version that holds the model: older readers keep the rest
    const uint32_t version = m->pos ? 4u : s->kind == GNNKD_MODEL_CPF ? 3u : 2u;
    const int64_t npos = m->pos ? (int64_t)m->pos_n * m->pos_dim : 0;
    int64_t size = file_size(version, s->nlayers, m->nparams, npos);
    GKD_ALLOC(buf, size);
    uint8_t *p = buf;
    memcpy(p, GKD_MAGIC, 8);
    p = put_u32(p + 8, version);
    p = put_u32(p, (uint32_t)s->kind);
    p = put_u32(p, (uint32_t)s->nlayers);
    for (int l = 0; l <= s->nlayers; l++) p = put_u32(p, (uint32_t)s->dims[l]);
    p = put_f32(p, s->dropout);
    p = put_u32(p, (uint32_t)m->feature_norm);
    for (int l = 0; l < s->nlayers; l++) p = put_u32(p, (uint32_t)s->heads[l]);
    p = put_f32(p, s->attn_dropout);
    if (version >= 3) p = put_u32(p, (uint32_t)s->steps);
    if (version >= 4) p = put_u32(put_u32(p, (uint32_t)m->pos_n), (uint32_t)m->pos_dim);
    p = put_u64(p, (uint64_t)m->nparams);
    for (int64_t e = 0; e < m->nparams; e++) p = put_f32(p, m->params[e]);
    for (int64_t e = 0; e < npos; e++) p = put_f32(p, m->pos[e]);
    put_u32(p, checksum(buf, size - 4));

    char tmp[GKD_PATH_LEN + 32];
    FILE *f = gkd_open_tmp(path, tmp, sizeof tmp, msg);
    GKD_CHECK(f != NULL, GNNKD_EIO, "%s: cannot write: %s", path, strerror(errno));
    int ok = fwrite(buf, 1, (size_t)size, f) == (size_t)size;
    int err = errno;
    int rc = gkd_commit_file(f, tmp, path, ok, msg); // removes the temporary file if !ok
    GKD_CHECK(ok, GNNKD_EIO, "%s: write failed: %s", path, strerror(err));
    GKD_FREE_ALL;
    return rc;
#undef GKD_FREE_ALL
}

/* Reads the whole file into a new buffer: a regular file only (a FIFO or
 * /dev/zero has no end to wait for), its magic checked before the rest is read,
 * the buffer sized by the file, not by anything it declares. */
static int slurp(uint8_t **out, int64_t *len, const char *path, char *msg) {
    int64_t size = 0;
    int rc;
    FILE *f = gkd_open_regular(path, &size, &rc, msg);
    if (f == NULL) return rc;
    uint8_t head[8];
    if (size < 8 || fread(head, 1, 8, f) != 8 || memcmp(head, GKD_MAGIC, 8) != 0) {
        fclose(f);
        gkd_msg(msg, "%s: not a gnnkd model file (bad magic)", path);
        return GNNKD_EDATA;
    }
    uint8_t *buf = malloc((size_t)size);
    if (buf == NULL) {
        fclose(f);
        gkd_msg(msg, "%s: out of memory reading its %lld bytes", path, (long long)size);
        return GNNKD_ENOMEM;
    }
    memcpy(buf, head, 8);
    int64_t got = 8 + (int64_t)fread(buf + 8, 1, (size_t)(size - 8), f);
    int err = ferror(f);
    fclose(f);
    if (err || got != size) {
        free(buf);
        gkd_msg(msg, "%s: read error after %lld of %lld bytes", path, (long long)got, (long long)size);
        return GNNKD_EIO;
    }
    *out = buf;
    *len = size;
    return GNNKD_OK;
}

gnnkd_status gnnkd_model_load(gnnkd_model **m, const char *path, char *msg) {
    GKD_CLEAR_MSG;
    uint8_t *buf = NULL;
    gnnkd_model *out = NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(buf);                                                                         \
        gnnkd_model_free(&out);                                                            \
    } while (0)
    if (m == NULL || path == NULL) GKD_FAIL(GNNKD_EINVAL, "gnnkd_model_load: m and path must not be NULL");
    *m = NULL;
    int64_t len = 0;
    GKD_TRY(slurp(&buf, &len, path, msg));
    const int64_t fixed = 8 + 4 + 4 + 4;
    GKD_CHECK(len >= fixed && !memcmp(buf, GKD_MAGIC, 8), GNNKD_EDATA,
             "%s: not a gnnkd model file (bad magic)", path);
    uint32_t version = get_u32(buf + 8), kind = get_u32(buf + 12), nlayers = get_u32(buf + 16);
    GKD_CHECK(version >= 1 && version <= GKD_MODEL_VERSION, GNNKD_EDATA,
             "%s: model file version %u; this gnnkd reads versions 1 to %u", path, version,
             GKD_MODEL_VERSION);
    GKD_CHECK(kind <= GNNKD_MODEL_CPF, GNNKD_EDATA, "%s: unknown model kind %u", path, kind);
    GKD_CHECK(version == 4 || (kind == GNNKD_MODEL_CPF) == (version == 3), GNNKD_EDATA,
             "%s: a %s model in a version %u file", path,
             gnnkd_model_kind_name((gnnkd_model_kind)kind), version);
    GKD_CHECK(version >= 2 || kind == GNNKD_MODEL_GCN || kind == GNNKD_MODEL_MLP, GNNKD_EDATA,
             "%s: a %s model in a version %u file", path,
             gnnkd_model_kind_name((gnnkd_model_kind)kind), version);
    GKD_CHECK(nlayers >= 2 && nlayers <= GNNKD_MAX_LAYERS, GNNKD_EDATA,
             "%s: %u layers; 2..%d are supported", path, nlayers, GNNKD_MAX_LAYERS);
    GKD_CHECK(len >= file_size(version, (int)nlayers, 0, 0), GNNKD_EDATA, "%s: truncated header",
              path);

    gnnkd_model_spec s;
    memset(&s, 0, sizeof s);
    s.kind = (gnnkd_model_kind)kind;
    s.nlayers = (int)nlayers;
    const uint8_t *p = buf + fixed;
    for (int l = 0; l <= s.nlayers; l++, p += 4) {
        s.dims[l] = (int32_t)get_u32(p);
        GKD_CHECK(s.dims[l] > 0, GNNKD_EDATA, "%s: dimension %d is %d", path, l, s.dims[l]);
    }
    s.dropout = get_f32(p);
    p += 4;
    uint32_t norm = GNNKD_FEATURES_ROW_SUM;
    if (version >= 2) {
        norm = get_u32(p);
        p += 4;
        GKD_CHECK(norm == GNNKD_FEATURES_RAW || norm == GNNKD_FEATURES_ROW_SUM, GNNKD_EDATA,
                 "%s: unknown feature normalisation %u", path, norm);
        for (int l = 0; l < s.nlayers; l++, p += 4) s.heads[l] = (int32_t)get_u32(p);
        s.attn_dropout = get_f32(p);
        p += 4;
    }
    if (version >= 3) {
        s.steps = (int32_t)get_u32(p);
        p += 4;
    }
    int32_t pos_n = 0, pos_dim = 0;
    if (version >= 4) {
        pos_n = (int32_t)get_u32(p);
        pos_dim = (int32_t)get_u32(p + 4);
        p += 8;
        GKD_CHECK(pos_n >= 1 && pos_dim >= 1 && pos_dim < s.dims[0], GNNKD_EDATA,
                  "%s: %d x %d position rows for a model of %d inputs", path, pos_n, pos_dim,
                  s.dims[0]);
    }
    const int64_t npos = (int64_t)pos_n * pos_dim;
    int64_t nparams = (int64_t)get_u64(p), expect = 0;
    p += 8;
    char why[GNNKD_MSG_LEN] = "";
    GKD_CHECK(gkd_model_spec_check(&expect, &s, why) == GNNKD_OK, GNNKD_EDATA, "%s: %s", path, why);
    GKD_CHECK(nparams == expect, GNNKD_EDATA, "%s: %lld parameters, but the shape has %lld",
             path, (long long)nparams, (long long)expect);
    GKD_CHECK(len == file_size(version, s.nlayers, nparams, npos), GNNKD_EDATA,
             "%s: %lld bytes, expected %lld (truncated or trailing data)", path, (long long)len,
             (long long)file_size(version, s.nlayers, nparams, npos));
    GKD_CHECK(checksum(buf, len - 4) == get_u32(buf + len - 4), GNNKD_EDATA,
             "%s: checksum mismatch (the file is corrupted)", path);

    GKD_TRY(gkd_model_alloc(&out, &s, msg));
    out->feature_norm = (gnnkd_feature_norm)norm;
    for (int64_t e = 0; e < nparams; e++, p += 4) {
        out->params[e] = get_f32(p);
        GKD_CHECK(isfinite(out->params[e]), GNNKD_EDATA,
                  "%s: parameter %lld is %g: the model is not usable", path, (long long)e,
                  (double)out->params[e]);
    }
    if (npos > 0) {
        GKD_ALLOC(out->pos, npos);
        for (int64_t e = 0; e < npos; e++, p += 4) {
            out->pos[e] = get_f32(p);
            GKD_CHECK(isfinite(out->pos[e]), GNNKD_EDATA, "%s: position row %lld, column %lld "
                      "is %g", path, (long long)(e / pos_dim), (long long)(e % pos_dim),
                      (double)out->pos[e]);
        }
        out->pos_n = pos_n;
        out->pos_dim = pos_dim;
    }
    *m = out;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
