/* ogb.c — the Open Graph Benchmark node-property layout as OGB unpacks it:
 * raw/{edge,node-feat,node-label,num-node-list}.csv.gz and
 * split/NAME/{train,valid,test}.csv.gz, read line by line through zlib. */
#include "core/internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <zlib.h>

/* A line longer than this is taken for a broken file, not a feature row. */
#define MAX_LINE ((size_t)1 << 26)
/* Classes beyond this are taken for a malformed file, not a dataset. */
#define MAX_CLASSES 1000000

/* ---- gzip-compressed lines --------------------------------------------------- */

typedef struct {
    gzFile f;
    char path[GKD_PATH_LEN];
    char *buf;
    size_t cap;
    int64_t line; /* 1-based number of the line last handed out */
} gz_lines;

static void gz_close(gz_lines *g) {
    if (g->f) gzclose(g->f);
    free(g->buf);
    g->f = NULL;
    g->buf = NULL;
    g->cap = 0;
}

/* Opens dir/rel. A missing file sets *present to 0 if present is not NULL,
 * and is GNNKD_EIO otherwise. */
static int gz_open(gz_lines *g, const char *dir, const char *rel, int *present, char *msg) {
    memset(g, 0, sizeof *g);
    int rc = gkd_path_join(g->path, dir, rel, msg);
    if (rc != GNNKD_OK) return rc;
    struct stat st;
    if (present) {
        *present = stat(g->path, &st) == 0;
        if (!*present) return GNNKD_OK;
    }
    errno = 0;
    g->f = gzopen(g->path, "rb");
    if (g->f == NULL) {
        gkd_msg(msg, "%s: cannot open: %s", g->path, errno ? strerror(errno) : "out of memory");
        return errno ? GNNKD_EIO : GNNKD_ENOMEM;
    }
    return GNNKD_OK;
}

/* The next line (without "\n" or "\r\n") in *out, or NULL at the end. */
static int gz_next(gz_lines *g, char **out, char *msg) {
    size_t len = 0;
    *out = NULL;
    for (;;) {
        if (g->cap - len < 2) {
            size_t cap = g->cap ? 2 * g->cap : 4096;
            if (cap > MAX_LINE) {
                gkd_msg(msg, "%s:%lld: expected a line of at most %zu bytes, found a longer one",
                       g->path, (long long)g->line + 1, MAX_LINE);
                return GNNKD_EDATA;
            }
            char *b = realloc(g->buf, cap);
            if (b == NULL) {
                gkd_msg(msg, "%s:%lld: out of memory for a line of %zu bytes", g->path,
                       (long long)g->line + 1, cap);
                return GNNKD_ENOMEM;
            }
            g->buf = b;
            g->cap = cap;
        }
        if (gzgets(g->f, g->buf + len, (int)(g->cap - len)) == NULL) {
            int err;
            const char *why = gzerror(g->f, &err);
            if (err != Z_OK) {
                gkd_msg(msg, "%s:%lld: expected gzip-compressed text, found: %s", g->path,
                       (long long)g->line + 1, why);
                return err == Z_MEM_ERROR ? GNNKD_ENOMEM : GNNKD_EDATA;
            }
            if (len == 0) return GNNKD_OK; /* the end */
            break;
        }
        len += strlen(g->buf + len);
        if (len > 0 && g->buf[len - 1] == '\n') break;
        if (len + 1 < g->cap) break; /* a last line without "\n" */
    }
    if (len > 0 && g->buf[len - 1] == '\n') g->buf[--len] = '\0';
    if (len > 0 && g->buf[len - 1] == '\r') g->buf[--len] = '\0';
    g->line++;
    *out = g->buf;
    return GNNKD_OK;
}

/* ---- comma-separated fields ------------------------------------------------- */

/* The field at *s (up to ',' or the end, blanks around it trimmed) into
 * buf; *s moves past the comma. 0 if there is no field left. */
static int next_field(const char **s, char *buf, size_t len) {
    if (*s == NULL) return 0;
    const char *start = *s, *comma = strchr(start, ',');
    const char *end = comma ? comma : start + strlen(start);
    *s = comma ? comma + 1 : NULL;
    while (start < end && (*start == ' ' || *start == '\t')) start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t')) end--;
    size_t n = (size_t)(end - start);
    if (n >= len) n = len - 1; /* too long for any number: fails to parse as one */
    memcpy(buf, start, n);
    buf[n] = '\0';
    return 1;
}

static int field_count(const char *s) {
    int n = 1;
    for (; *s; s++) n += *s == ',';
    return n;
}

/* A whole field as a finite float. */
static int field_float(const char *f, double *v) {
    char *end;
    if (*f == '\0') return 0;
    *v = strtod(f, &end);
    return *end == '\0' && isfinite(*v) && fabs(*v) <= 3.4028234663852886e38;
}

/* A whole field as a non-negative decimal integer. */
static int field_id(const char *f, int64_t *v) {
    if (*f < '0' || *f > '9') return 0;
    char *end;
    errno = 0;
    long long x = strtoll(f, &end, 10);
    *v = x;
    return errno == 0 && *end == '\0';
}

/* p grows to hold need elements of size bytes (doubling). */
static int grow(void **p, int64_t *cap, int64_t need, size_t size) {
    if (need <= *cap) return 1;
    int64_t c = *cap ? 2 * *cap : 1024;
    if (c < need) c = need;
    if ((uint64_t)c > SIZE_MAX / size) return 0;
    void *q = realloc(*p, (size_t)c * size);
    if (q == NULL) return 0;
    *p = q;
    *cap = c;
    return 1;
}

/* ---- the files --------------------------------------------------------------- */

/* raw/num-node-list.csv.gz: one line, the node count (-1 if no such file). */
static int read_num_nodes(int64_t *n, const char *dir, char *msg) {
    gz_lines g;
    int present;
    char *line, tok[64];
#define GKD_FREE_ALL gz_close(&g)
    *n = -1;
    GKD_TRY(gz_open(&g, dir, "raw/num-node-list.csv.gz", &present, msg));
    if (!present) return GNNKD_OK;
    GKD_TRY(gz_next(&g, &line, msg));
    GKD_CHECK(line != NULL, GNNKD_EDATA, "%s:1: expected the node count, found an empty file",
             g.path);
    const char *s = line;
    GKD_CHECK(next_field(&s, tok, sizeof tok) && s == NULL && field_id(tok, n) && *n > 0 &&
                 *n < INT32_MAX,
             GNNKD_EDATA, "%s:%lld: expected the node count (an integer in 1..%d), found '%.40s'",
             g.path, (long long)g.line, INT32_MAX - 1, line);
    GKD_TRY(gz_next(&g, &line, msg));
    GKD_CHECK(line == NULL, GNNKD_EDATA,
             "%s:%lld: expected one graph (one line), found another line: '%.40s'", g.path,
             (long long)g.line, line);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* raw/node-feat.csv.gz into d->xdense; sets d->n to the number of rows. */
static int read_features(gnnkd_dataset *d, const char *dir, char *msg) {
    gz_lines g;
    float *x = NULL;
    int64_t cap = 0, rows = 0, f = 0;
    char *line, tok[128];
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gz_close(&g);                                                                     \
        free(x);                                                                          \
    } while (0)
    GKD_TRY(gz_open(&g, dir, "raw/node-feat.csv.gz", NULL, msg));
    for (;;) {
        GKD_TRY(gz_next(&g, &line, msg));
        if (line == NULL) break;
        int k = field_count(line);
        if (rows == 0) f = k;
        GKD_CHECK(k == f, GNNKD_EDATA,
                 "%s:%lld: expected %lld comma-separated numbers (as on line 1), found %d",
                 g.path, (long long)g.line, (long long)f, k);
        GKD_CHECK(rows < INT32_MAX - 1, GNNKD_EDATA, "%s:%lld: expected at most %d nodes",
                 g.path, (long long)g.line, INT32_MAX - 1);
        GKD_CHECK(grow((void **)&x, &cap, (rows + 1) * f, sizeof *x), GNNKD_ENOMEM,
                 "%s:%lld: out of memory for %lld features", g.path, (long long)g.line,
                 (long long)((rows + 1) * f));
        const char *s = line;
        for (int64_t j = 0; j < f; j++) {
            double v;
            next_field(&s, tok, sizeof tok);
            GKD_CHECK(field_float(tok, &v), GNNKD_EDATA,
                     "%s:%lld: expected a finite number in field %lld, found '%.40s'", g.path,
                     (long long)g.line, (long long)j + 1, tok);
            x[rows * f + j] = (float)v;
        }
        rows++;
    }
    GKD_CHECK(rows > 0, GNNKD_EDATA, "%s:1: expected one line of features per node, found none",
             g.path);
    d->xdense = x;
    d->nfeat = (int32_t)f;
    d->n = (int32_t)rows;
    x = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* raw/node-label.csv.gz: d->n lines, a class id or nan (-1). */
static int read_labels(gnnkd_dataset *d, const char *dir, const char *feat, char *msg) {
    gz_lines g;
    char *line, tok[64];
#define GKD_FREE_ALL gz_close(&g)
    GKD_TRY(gz_open(&g, dir, "raw/node-label.csv.gz", NULL, msg));
    GKD_ALLOC(d->label, d->n);
    int64_t nclass = 0;
    for (;;) {
        GKD_TRY(gz_next(&g, &line, msg));
        if (line == NULL) break;
        GKD_CHECK(g.line <= d->n, GNNKD_EDATA,
                 "%s:%lld: expected %d labels, one per line of %s, found more", g.path,
                 (long long)g.line, d->n, feat);
        const char *s = line;
        double v;
        next_field(&s, tok, sizeof tok);
        int nan = strcasecmp(tok, "nan") == 0;
        GKD_CHECK(s == NULL && (nan || (field_float(tok, &v) && v == floor(v) && v >= -1 &&
                                        v < MAX_CLASSES)),
                 GNNKD_EDATA, "%s:%lld: expected one class id (0, 1, ...) or nan, found '%.40s'",
                 g.path, (long long)g.line, line);
        int32_t c = nan ? -1 : (int32_t)v;
        d->label[g.line - 1] = c;
        if (c + 1 > nclass) nclass = c + 1;
    }
    GKD_CHECK(g.line == d->n, GNNKD_EDATA,
             "%s:%lld: expected %d labels, one per line of %s, found %lld", g.path,
             (long long)g.line, d->n, feat, (long long)g.line);
    d->nclass = (int32_t)nclass;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* raw/edge.csv.gz: "u,v" lines into d->adj. */
static int read_edges(gnnkd_dataset *d, gnnkd_graph_counts *counts, const char *dir, char *msg) {
    gz_lines g;
    int32_t *u = NULL, *v = NULL;
    int64_t ucap = 0, vcap = 0, m = 0;
    char *line, a[64], b[64];
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gz_close(&g);                                                                     \
        free(u);                                                                          \
        free(v);                                                                          \
    } while (0)
    GKD_TRY(gz_open(&g, dir, "raw/edge.csv.gz", NULL, msg));
    for (;;) {
        GKD_TRY(gz_next(&g, &line, msg));
        if (line == NULL) break;
        const char *s = line;
        int64_t x, y;
        GKD_CHECK(next_field(&s, a, sizeof a) && next_field(&s, b, sizeof b) && s == NULL &&
                     field_id(a, &x) && field_id(b, &y),
                 GNNKD_EDATA, "%s:%lld: expected an edge 'u,v' of two node ids, found '%.60s'",
                 g.path, (long long)g.line, line);
        GKD_CHECK(x < d->n && y < d->n, GNNKD_EDATA,
                 "%s:%lld: expected node ids in 0..%d (node-feat.csv.gz), found %lld", g.path,
                 (long long)g.line, d->n - 1, (long long)(x < d->n ? y : x));
        GKD_CHECK(grow((void **)&u, &ucap, m + 1, sizeof *u) &&
                     grow((void **)&v, &vcap, m + 1, sizeof *v),
                 GNNKD_ENOMEM, "%s:%lld: out of memory for %lld edges", g.path,
                 (long long)g.line, (long long)m + 1);
        u[m] = (int32_t)x;
        v[m] = (int32_t)y;
        m++;
    }
    GKD_TRY(gnnkd_dataset_set_edges(d, counts, d->n, u, v, m, 1, msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

static const char *const SPLIT_FILE[3] = {"train.csv.gz", "valid.csv.gz", "test.csv.gz"};

/* split/NAME/{train,valid,test}.csv.gz: labelled node ids, each in one split
 * once. owner[i] is 1 + the split holding node i, line[i] its line. */
static int read_split(gnnkd_dataset *d, int s, const char *dir, int8_t *owner, int64_t *line,
                      char *msg) {
    gz_lines g;
    char *text, tok[64];
#define GKD_FREE_ALL gz_close(&g)
    GKD_TRY(gz_open(&g, dir, SPLIT_FILE[s], NULL, msg));
    GKD_ALLOC(d->split[s], d->n); /* at most n: no node comes twice */
    int32_t k = 0;
    for (;;) {
        GKD_TRY(gz_next(&g, &text, msg));
        if (text == NULL) break;
        const char *p = text;
        int64_t v;
        long long ln = (long long)g.line;
        GKD_CHECK(next_field(&p, tok, sizeof tok) && p == NULL && field_id(tok, &v), GNNKD_EDATA,
                 "%s:%lld: expected a node id, found '%.40s'", g.path, ln, text);
        GKD_CHECK(v < d->n, GNNKD_EDATA, "%s:%lld: expected a node id in 0..%d, found %lld",
                 g.path, ln, d->n - 1, (long long)v);
        GKD_CHECK(owner[v] != s + 1, GNNKD_EDATA,
                 "%s:%lld: expected each node once, found node %lld again (first on line %lld)",
                 g.path, ln, (long long)v, (long long)line[v]);
        GKD_CHECK(owner[v] == 0, GNNKD_EDATA,
                 "%s:%lld: expected splits without common nodes, found node %lld, already in %s "
                 "(line %lld)", g.path, ln, (long long)v, SPLIT_FILE[owner[v] - 1],
                 (long long)line[v]);
        GKD_CHECK(d->label[v] >= 0, GNNKD_EDATA,
                 "%s:%lld: expected a labelled node, found node %lld, whose label is nan", g.path,
                 ln, (long long)v);
        owner[v] = (int8_t)(s + 1);
        line[v] = g.line;
        d->split[s][k++] = (int32_t)v;
    }
    d->nsplit[s] = k;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* The folder of the split: dir/split/NAME, or the only folder under
 * dir/split when name is NULL; out is "" when there is none to read. */
static int find_split(char *out, const char *dir, const char *name, char *msg) {
    char root[GKD_PATH_LEN], first[256] = "";
    DIR *dd = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (dd) closedir(dd);                                                             \
    } while (0)
    out[0] = '\0';
    GKD_TRY(gkd_path_join(root, dir, "split", msg));
    if (name != NULL) {
        GKD_CHECK(name[0] != '\0' && strchr(name, '/') == NULL, GNNKD_EINVAL,
                 "%s: expected a split name (a folder under split/), found '%s'", dir, name);
        GKD_TRY(gkd_path_join(out, root, name, msg));
        return GNNKD_OK;
    }
    dd = opendir(root);
    if (dd == NULL && errno == ENOENT) return GNNKD_OK;
    GKD_CHECK(dd != NULL, GNNKD_EIO, "%s: cannot open: %s", root, strerror(errno));
    int found = 0;
    for (struct dirent *e; (e = readdir(dd)) != NULL;) {
        char sub[GKD_PATH_LEN];
        struct stat st;
        if (e->d_name[0] == '.') continue;
        GKD_TRY(gkd_path_join(sub, root, e->d_name, msg));
        if (stat(sub, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
        GKD_CHECK(found == 0, GNNKD_EINVAL,
                 "%s: expected one split folder, found several ('%s', '%s', ...): name one",
                 root, first, e->d_name);
        snprintf(first, sizeof first, "%s", e->d_name);
        snprintf(out, GKD_PATH_LEN, "%s", sub);
        found = 1;
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_load_ogb(gnnkd_dataset **d, gnnkd_graph_counts *counts,
                                    const char *dir, const char *split_name, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *out = NULL;
    int8_t *owner = NULL;
    int64_t *line = NULL;
    char split[GKD_PATH_LEN];
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&out);                                                         \
        free(owner);                                                                      \
        free(line);                                                                       \
    } while (0)
    GKD_CHECK(d != NULL && dir != NULL && dir[0] != '\0', GNNKD_EINVAL,
             "gnnkd_dataset_load_ogb: expected a folder, found an empty path");
    *d = NULL;
    GKD_TRY(gnnkd_dataset_new(&out, msg));
    size_t end = strlen(dir), start;
    while (end > 1 && dir[end - 1] == '/') end--;
    for (start = end; start > 0 && dir[start - 1] != '/'; start--) {}
    snprintf(out->name, sizeof out->name, "%.*s", (int)(end - start), dir + start);

    int64_t n;
    GKD_TRY(read_num_nodes(&n, dir, msg));
    GKD_TRY(read_features(out, dir, msg));
    GKD_CHECK(n < 0 || n == out->n, GNNKD_EDATA,
             "%s/raw/node-feat.csv.gz:%d: expected %lld lines, one per node (num-node-list.csv.gz), "
             "found %d", dir, out->n, (long long)n, out->n);
    GKD_TRY(read_labels(out, dir, "node-feat.csv.gz", msg));
    GKD_TRY(read_edges(out, counts, dir, msg));

    GKD_TRY(find_split(split, dir, split_name, msg));
    if (split[0] != '\0') {
        GKD_ALLOC(owner, out->n);
        GKD_ALLOC(line, out->n);
        for (int s = 0; s < 3; s++) GKD_TRY(read_split(out, s, split, owner, line, msg));
        free(owner);
        free(line);
    }
    *d = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
