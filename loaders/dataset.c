/* dataset.c — dataset folders (adjacency.mtx, features.mtx, labels.txt,
 * train/val/test.txt, classes.txt): load with every malformed input named by
 * file and line, open by name or folder, normalise features, save. */
#include "loaders/mtx.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#define PATH_LEN GKD_PATH_LEN

static const char *SPLIT_FILE[3] = {"train.txt", "val.txt", "test.txt"};

gnnkd_status gnnkd_dataset_new(gnnkd_dataset **d, char *msg) {
    GKD_CLEAR_MSG;
    *d = gkd_calloc(1, sizeof **d);
    if (*d == NULL) {
        gkd_msg(msg, "gnnkd_dataset_new: out of memory");
        return GNNKD_ENOMEM;
    }
    return GNNKD_OK;
}

void gnnkd_dataset_free(gnnkd_dataset **d) {
    if (d == NULL || *d == NULL) return;
    gnnkd_csr_clear(&(*d)->adj);
    gnnkd_csr_clear(&(*d)->x);
    free((*d)->xdense);
    free((*d)->label);
    for (int s = 0; s < 3; s++) free((*d)->split[s]);
    free(*d);
    *d = NULL;
}

/* The last component of a path, trailing slashes ignored, into name. */
static void set_name(char *name, size_t len, const char *path) {
    size_t end = strlen(path);
    while (end > 1 && path[end - 1] == '/') end--;
    size_t start = end;
    while (start > 0 && path[start - 1] != '/') start--;
    snprintf(name, len, "%.*s", (int)(end - start), path + start);
}

/* ---- the text files ------------------------------------------------------ */

/* classes.txt: one positive integer. */
static int read_classes(int32_t *nclass, const char *path, char *msg) {
    gkd_text t;
    char tok[64];
#undef GKD_FREE_ALL
#define GKD_FREE_ALL gkd_text_close(&t)
    GKD_TRY(gkd_text_open(&t, path, msg));
    char *s;
    while ((s = gkd_text_next(&t)) != NULL && gkd_is_blank(s)) {}
    GKD_CHECK(s != NULL, GNNKD_EDATA,
             "%s:%lld: expected the number of classes (a positive integer), found an empty file",
             path, (long long)(t.line > 0 ? t.line : 1));
    const char *p = s;
    int64_t c;
    GKD_CHECK(gkd_parse_int(&p, &c) && c >= 1 && c <= INT32_MAX && gkd_is_blank(p), GNNKD_EDATA,
             "%s:%lld: expected the number of classes (a positive integer), found %s", path,
             (long long)t.line, gkd_token(tok, sizeof tok, s));
    while ((s = gkd_text_next(&t)) != NULL)
        GKD_CHECK(gkd_is_blank(s), GNNKD_EDATA,
                 "%s:%lld: expected only the number of classes, found %s", path,
                 (long long)t.line, gkd_token(tok, sizeof tok, s));
    gkd_text_close(&t);
    *nclass = (int32_t)c;
    return GNNKD_OK;
}

/* labels.txt: one integer in -1..nclass-1 a line; label k is on line k+1
 * (blank lines are allowed only at the end). *label is as long as the file
 * holds lines: at least *count. */
static int read_labels(int32_t **label, int64_t *count, int64_t *lastline, const char *path,
                       int32_t nclass, char *msg) {
    gkd_text t;
    int32_t *lab = NULL;
    char tok[64];
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gkd_text_close(&t);                                                                \
        free(lab);                                                                        \
    } while (0)
    GKD_TRY(gkd_text_open(&t, path, msg));
    int64_t cap = (int64_t)t.len / 2 + 1; /* each label but the last takes "0\n" or more */
    GKD_ALLOC(lab, cap);
    int64_t k = 0, blank = 0;
    char *s;
    while ((s = gkd_text_next(&t)) != NULL) {
        if (gkd_is_blank(s)) {
            if (blank == 0) blank = t.line;
            continue;
        }
        GKD_CHECK(blank == 0, GNNKD_EDATA,
                 "%s:%lld: expected the label of node %lld, found an empty line", path,
                 (long long)blank, (long long)(blank - 1));
        const char *p = s;
        int64_t v;
        GKD_CHECK(gkd_parse_int(&p, &v) && gkd_is_blank(p), GNNKD_EDATA,
                 "%s:%lld: expected a label (an integer), found %s", path, (long long)t.line,
                 gkd_token(tok, sizeof tok, s));
        GKD_CHECK(v >= -1 && v < nclass, GNNKD_EDATA,
                 "%s:%lld: expected a label in 0..%d (classes.txt) or -1 (none), found %lld",
                 path, (long long)t.line, nclass - 1, (long long)v);
        GKD_CHECK(k < INT32_MAX, GNNKD_EDATA, "%s:%lld: expected at most %d labels", path,
                 (long long)t.line, INT32_MAX);
        lab[k++] = (int32_t)v;
    }
    *lastline = k; /* the line of the last label */
    gkd_text_close(&t);
    *label = lab;
    *count = k;
    return GNNKD_OK;
}

/* train/val/test.txt: node ids (0-based) one a line, each in 0..n-1, labelled,
 * and in no other split. owner[i] is 1 + the split holding node i, line[i] the
 * line it came from. */
static int read_split(gnnkd_dataset *d, int s, const char *path, int8_t *owner, int64_t *line,
                      char *msg) {
    gkd_text t;
    char tok[64];
#undef GKD_FREE_ALL
#define GKD_FREE_ALL gkd_text_close(&t)
    GKD_TRY(gkd_text_open(&t, path, msg));
    GKD_ALLOC(d->split[s], d->n); /* at most n: no node comes twice */
    int32_t k = 0;
    char *str;
    while ((str = gkd_text_next(&t)) != NULL) {
        if (gkd_is_blank(str)) continue;
        long long ln = (long long)t.line;
        const char *p = str;
        int64_t v;
        GKD_CHECK(gkd_parse_int(&p, &v) && gkd_is_blank(p), GNNKD_EDATA,
                 "%s:%lld: expected a node id (an integer), found %s", path, ln,
                 gkd_token(tok, sizeof tok, str));
        GKD_CHECK(v >= 0 && v < d->n, GNNKD_EDATA,
                 "%s:%lld: expected a node id in 0..%d, found %lld", path, ln, d->n - 1,
                 (long long)v);
        GKD_CHECK(owner[v] != s + 1, GNNKD_EDATA,
                 "%s:%lld: expected each node once, found node %lld again (first on line %lld)",
                 path, ln, (long long)v, (long long)line[v]);
        GKD_CHECK(owner[v] == 0, GNNKD_EDATA,
                 "%s:%lld: expected splits without common nodes, found node %lld, already in "
                 "%s (line %lld)", path, ln, (long long)v, SPLIT_FILE[owner[v] - 1],
                 (long long)line[v]);
        GKD_CHECK(d->label[v] >= 0, GNNKD_EDATA,
                 "%s:%lld: expected a labelled node, found node %lld, whose label is -1 in "
                 "labels.txt", path, ln, (long long)v);
        owner[v] = (int8_t)(s + 1);
        line[v] = t.line;
        d->split[s][k++] = (int32_t)v;
    }
    d->nsplit[s] = k;
    gkd_text_close(&t);
    return GNNKD_OK;
}

/* ---- load ------------------------------------------------------------------ */

gnnkd_status gnnkd_dataset_load_dir(gnnkd_dataset **out, const char *dir, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *d = NULL;
    gkd_text t = {0};
    int8_t *owner = NULL;
    int64_t *line = NULL;
    char path[PATH_LEN], lpath[PATH_LEN];
#undef GKD_FREE_ALL
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&d);                                                           \
        gkd_text_close(&t);                                                                \
        free(owner);                                                                      \
        free(line);                                                                       \
    } while (0)
    *out = NULL;
    GKD_CHECK(dir != NULL && dir[0] != '\0', GNNKD_EINVAL,
             "gnnkd_dataset_load_dir: expected a folder, found an empty path");
    GKD_TRY(gnnkd_dataset_new(&d, msg));
    set_name(d->name, sizeof d->name, dir);

    GKD_TRY(gkd_path_join(path, dir, "classes.txt", msg));
    GKD_TRY(read_classes(&d->nclass, path, msg));

    /* Labels come before the graph: their count bounds n before the
     * adjacency's declared size can make us allocate. */
    int64_t nlabel, lastline;
    GKD_TRY(gkd_path_join(lpath, dir, "labels.txt", msg));
    GKD_TRY(read_labels(&d->label, &nlabel, &lastline, lpath, d->nclass, msg));
    // every class must be able to hold a node: the model's outputs are n x classes
    GKD_CHECK(d->nclass <= nlabel, GNNKD_EDATA,
              "%s:1: %d classes for the %lld nodes of %s: at most one class per node", path,
              d->nclass, (long long)nlabel, lpath);

    gkd_mtx_header h;
    GKD_TRY(gkd_path_join(path, dir, "adjacency.mtx", msg));
    GKD_TRY(gkd_text_open(&t, path, msg));
    GKD_TRY(gkd_mtx_read_header(&h, &t, msg));
    if (h.nrows == h.ncols && h.nrows != nlabel) {
        int64_t at = nlabel > h.nrows ? (int64_t)h.nrows + 1 : (lastline > 0 ? lastline : 1);
        GKD_FAIL(GNNKD_EDATA,
                "%s:%lld: expected %d labels, one per node, found %lld (%s:%lld: the size line "
                "declares %d nodes)", lpath, (long long)at, h.nrows, (long long)nlabel, path,
                (long long)h.size_line, h.nrows);
    }
    GKD_TRY(gkd_mtx_read_graph(&d->adj, NULL, &t, &h, msg));
    gkd_text_close(&t);
    d->n = d->adj.nrows;

    GKD_TRY(gkd_path_join(path, dir, "features.mtx", msg));
    GKD_TRY(gkd_text_open(&t, path, msg));
    GKD_TRY(gkd_mtx_read_header(&h, &t, msg));
    GKD_CHECK(h.nrows == d->n, GNNKD_EDATA,
             "%s:%lld: expected %d rows, one per node of adjacency.mtx, found %d", path,
             (long long)h.size_line, d->n, h.nrows);
    GKD_TRY(gkd_mtx_check_feature_columns(&h, path, msg));
    GKD_TRY(gkd_mtx_read_matrix(&d->x, &t, &h, msg));
    gkd_text_close(&t);
    d->nfeat = d->x.ncols;

    GKD_ALLOC(owner, d->n);
    GKD_ALLOC(line, d->n);
    for (int s = 0; s < 3; s++) {
        GKD_TRY(gkd_path_join(path, dir, SPLIT_FILE[s], msg));
        GKD_TRY(read_split(d, s, path, owner, line, msg));
    }
    free(owner);
    free(line);
    *out = d;
    return GNNKD_OK;
}

/* ---- features ------------------------------------------------------------- */

/* 1 if any feature is negative. */
static int has_negative_features(const gnnkd_dataset *d) {
    if (d->xdense) {
        for (int64_t k = 0; k < (int64_t)d->n * d->nfeat; k++)
            if (d->xdense[k] < 0) return 1;
    } else if (d->x.val) {
        for (int64_t k = 0; k < gnnkd_csr_nnz(&d->x); k++)
            if (d->x.val[k] < 0) return 1;
    }
    return 0;
}

const char *gnnkd_feature_norm_name(gnnkd_feature_norm f) {
    return f == GNNKD_FEATURES_RAW ? "raw" : f == GNNKD_FEATURES_ROW_SUM ? "row-sum" : "?";
}

int32_t gnnkd_dataset_feature_row(const gnnkd_dataset *d, int32_t i, float *x, int32_t *idx,
                                  float *val) {
    int32_t nnz = 0;
    if (d->xdense) {
        memcpy(x, d->xdense + (int64_t)i * d->nfeat, sizeof *x * (size_t)d->nfeat);
        for (int32_t j = 0; j < d->nfeat; j++)
            if (x[j] != 0.0f) idx[nnz] = j, val[nnz++] = x[j];
        return nnz;
    }
    memset(x, 0, sizeof *x * (size_t)d->nfeat);
    for (int64_t k = d->x.rowptr[i]; k < d->x.rowptr[i + 1]; k++) {
        const float v = d->x.val ? d->x.val[k] : 1.0f;
        x[d->x.colidx[k]] = v;
        idx[nnz] = d->x.colidx[k], val[nnz++] = v;
    }
    return nnz;
}

gnnkd_status gnnkd_dataset_normalize_features(gnnkd_dataset *d, char *msg) {
    GKD_CLEAR_MSG;
#undef GKD_FREE_ALL
#define GKD_FREE_ALL
    GKD_CHECK(d != NULL, GNNKD_EINVAL, "normalize features: no dataset");
    /* Row sums of signed features (such as the synthetic Gaussians) mean
     * nothing and can be near 0, blowing a row up. */
    if (has_negative_features(d)) return GNNKD_OK;
    if (d->xdense != NULL) {
        for (int32_t i = 0; i < d->n; i++) {
            float *r = d->xdense + (int64_t)i * d->nfeat;
            double sum = 0.0;
            for (int32_t j = 0; j < d->nfeat; j++) sum += r[j];
            if (sum == 0.0) continue;
            float inv = (float)(1.0 / sum);
            for (int32_t j = 0; j < d->nfeat; j++) r[j] *= inv;
        }
        d->feature_norm = GNNKD_FEATURES_ROW_SUM;
        return GNNKD_OK;
    }
    gnnkd_csr *x = &d->x;
    if (x->rowptr == NULL) return GNNKD_OK;
    if (x->val == NULL) {
        /* A pattern: the values are ones, which scaling needs written out. */
        int64_t nnz = gnnkd_csr_nnz(x);
        GKD_ALLOC(x->val, nnz);
        for (int64_t q = 0; q < nnz; q++) x->val[q] = 1.0f;
    }
    for (int32_t i = 0; i < x->nrows; i++) {
        double sum = 0.0;
        for (int64_t q = x->rowptr[i]; q < x->rowptr[i + 1]; q++) sum += x->val[q];
        if (sum == 0.0) continue;
        float inv = (float)(1.0 / sum);
        for (int64_t q = x->rowptr[i]; q < x->rowptr[i + 1]; q++) x->val[q] *= inv;
    }
    d->feature_norm = GNNKD_FEATURES_ROW_SUM;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- save ------------------------------------------------------------------ */

/* Writes values one a line to path (through a temporary file). */
static int write_ints(const char *path, const int32_t *v, int64_t count, char *msg) {
    char tmp[PATH_LEN + 32];
    FILE *f = gkd_open_tmp(path, tmp, sizeof tmp, msg);
    if (f == NULL) return GNNKD_EIO;
    for (int64_t k = 0; k < count; k++) fprintf(f, "%d\n", v[k]);
    return gkd_commit_file(f, tmp, path, 1, msg);
}

gnnkd_status gnnkd_dataset_save_dir(const gnnkd_dataset *d, const char *dir, char *msg) {
    GKD_CLEAR_MSG;
    char path[PATH_LEN], comment[256];
    if (d->adj.rowptr == NULL || d->adj.nrows != d->n || d->label == NULL ||
        (d->x.rowptr == NULL && d->xdense == NULL) ||
        (d->x.rowptr != NULL && d->x.nrows != d->n)) {
        gkd_msg(msg, "%s: expected a complete dataset (graph, features and labels of %d nodes)",
               dir, d->n);
        return GNNKD_EINVAL;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        gkd_msg(msg, "%s: cannot create the folder: %s", dir, strerror(errno));
        return GNNKD_EIO;
    }
    int rc;
#define SAVE(file, call)                                                                   \
    do {                                                                                   \
        if ((rc = gkd_path_join(path, dir, file, msg)) != GNNKD_OK) return rc;                      \
        if ((rc = (call)) != GNNKD_OK) return rc;                                          \
    } while (0)
    snprintf(comment, sizeof comment, "gnnkd dataset %s: undirected graph, lower triangle",
             d->name);
    SAVE("adjacency.mtx", gkd_mtx_save_graph(&d->adj, path, comment, msg));
    snprintf(comment, sizeof comment, "gnnkd dataset %s: node features", d->name);
    SAVE("features.mtx", gkd_mtx_save_matrix(d->x.rowptr ? &d->x : NULL, d->xdense, d->n,
                                            d->nfeat, path, comment, msg));
    SAVE("labels.txt", write_ints(path, d->label, d->n, msg));
    for (int s = 0; s < 3; s++)
        SAVE(SPLIT_FILE[s], write_ints(path, d->split[s], d->nsplit[s], msg));
    SAVE("classes.txt", write_ints(path, &d->nclass, 1, msg));
#undef SAVE
    return GNNKD_OK;
}
