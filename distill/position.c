/* position.c — NOSMOG's position features of a setting's nodes: DeepWalk
 * on the observed graph (or a saved block), the held-out nodes' rows from
 * their observed neighbours, and the columns standardised. */
#include "core/internal.h"

#include <math.h>
#include <string.h>

gnnkd_status gnnkd_position_features(float **pos, int32_t *k, const gnnkd_setting *s,
                                     const gnnkd_deepwalk_options *o, const char *path,
                                     int standardize, char *msg) {
    GKD_CLEAR_MSG;
    float *out = NULL, *obs_emb = NULL, *file = NULL;
    uint8_t *held = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(out);                                                                        \
        free(obs_emb);                                                                    \
        free(file);                                                                       \
        free(held);                                                                       \
    } while (0)
    GKD_CHECK(pos != NULL && k != NULL && s != NULL && (o != NULL || path != NULL), GNNKD_EINVAL,
              "gnnkd_position_features: pos, k, s and one of o or path must not be NULL");
    *pos = NULL;
    const gnnkd_dataset *full = gnnkd_setting_full(s), *obs = gnnkd_setting_observed(s);
    int32_t nobs = 0, nheld = 0;
    const int32_t *ids = gnnkd_setting_observed_ids(s, &nobs); // NULL: every node, in order
    const int32_t *hid = gnnkd_setting_held_out(s, &nheld);
    const int32_t n = full->n;
    int32_t dim = 0;
    if (path) {
        int64_t rows = 0, cols = 0;
        GKD_TRY(gnnkd_npy_read(&file, &rows, &cols, path, msg));
        GKD_CHECK(rows == n && cols >= 1 && cols <= 4096, GNNKD_EDATA,
                  "%s: %lld x %lld position features; expected %d rows (the dataset's nodes) and "
                  "1..4096 columns", path, (long long)rows, (long long)cols, n);
        for (int64_t e = 0; e < rows * cols; e++)
            GKD_CHECK(isfinite(file[e]), GNNKD_EDATA, "%s: row %lld, column %lld is not finite",
                      path, (long long)(e / cols), (long long)(e % cols));
        dim = (int32_t)cols;
    } else {
        GKD_TRY(gnnkd_deepwalk(&obs_emb, &obs->adj, o, msg));
        dim = o->dim;
    }
    GKD_ALLOC(out, (int64_t)n * dim);
    for (int32_t r = 0; r < nobs; r++) {
        int32_t i = ids ? ids[r] : r;
        const float *src = file ? file + (int64_t)i * dim : obs_emb + (int64_t)r * dim;
        memcpy(out + (int64_t)i * dim, src, (size_t)dim * sizeof *out);
    }
    // a held-out node: the mean of its observed neighbours; without one, the
    // observed nodes' mean (below), as gnnkd_model_position_rows serves it
    GKD_ALLOC(held, n);
    for (int32_t h = 0; h < nheld; h++) held[hid[h]] = 1;
    for (int32_t h = 0; h < nheld; h++) {
        const int32_t i = hid[h];
        float *row = out + (int64_t)i * dim;
        int32_t cnt = 0;
        memset(row, 0, (size_t)dim * sizeof *row);
        for (int64_t p = full->adj.rowptr[i]; p < full->adj.rowptr[i + 1]; p++) {
            const int32_t j = full->adj.colidx[p];
            if (held[j]) continue;
            cnt++;
            for (int32_t c = 0; c < dim; c++) row[c] += out[(int64_t)j * dim + c];
        }
        for (int32_t c = 0; cnt > 0 && c < dim; c++) row[c] /= (float)cnt;
        if (cnt == 0) held[i] = 2;
    }
    for (int32_t c = 0; c < dim; c++) {
        double sum = 0.0, sq = 0.0;
        for (int32_t i = 0; i < n; i++)
            if (!held[i]) sum += out[(int64_t)i * dim + c];
        const double mean = nobs > 0 ? sum / (double)nobs : 0.0;
        if (standardize) {
            for (int32_t i = 0; i < n; i++)
                if (!held[i]) {
                    double v = out[(int64_t)i * dim + c] - mean;
                    sq += v * v;
                }
            const double sd = sqrt(sq / (double)nobs);
            const double scale = sd > 0.0 ? 1.0 / sd : 1.0;
            for (int32_t i = 0; i < n; i++)
                out[(int64_t)i * dim + c] = (float)((out[(int64_t)i * dim + c] - mean) * scale);
        }
        for (int32_t h = 0; h < nheld; h++)
            if (held[hid[h]] == 2) out[(int64_t)hid[h] * dim + c] = standardize ? 0.0f : (float)mean;
    }
    *pos = out;
    *k = dim;
    out = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
