/* graphio.c — graph structure from the formats igraph reads, with optional
 * features (.mtx, .npy) and labels (.txt, .npy); edge lists to a simple
 * undirected CSR adjacency. */
#include "graphs_internal.h"
#include "loaders_internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* ---- calling igraph ------------------------------------------------------- */

static char gk_igraph_last_reason[GNNKD_MSG_LEN];

static void gk_igraph_keep_error(const char *reason, const char *file, int line,
                                 igraph_error_t err) {
    (void)file;
    (void)line;
    (void)err;
    /* igraph calls the handler again at each level an error passes up,
     * often with an empty reason: keep the outermost reason first, then
     * the deeper cause. */
    if (reason != NULL && reason[0] != '\0') {
        char joined[sizeof gk_igraph_last_reason];
        size_t len = strlen(reason), cap = sizeof joined - 1;
        if (len > cap) len = cap;
        memcpy(joined, reason, len);
        if (gk_igraph_last_reason[0] && len + 2 < cap) {
            size_t more = strlen(gk_igraph_last_reason);
            if (more > cap - len - 2) more = cap - len - 2;
            memcpy(joined + len, ": ", 2);
            memcpy(joined + len + 2, gk_igraph_last_reason, more);
            len += 2 + more;
        }
        joined[len] = '\0';
        memcpy(gk_igraph_last_reason, joined, len + 1);
    }
    IGRAPH_FINALLY_FREE(); /* what igraph_error_handler_ignore does too */
}

void gk_igraph_begin(gk_igraph_scope *s, int attributes) {
    gk_igraph_last_reason[0] = '\0';
    s->error = igraph_set_error_handler(gk_igraph_keep_error);
    s->set_attributes = attributes;
    s->attributes = attributes ? igraph_set_attribute_table(&igraph_cattribute_table) : NULL;
}

void gk_igraph_end(gk_igraph_scope *s) {
    if (s->set_attributes) igraph_set_attribute_table(s->attributes);
    igraph_set_error_handler(s->error);
}

const char *gk_igraph_reason(igraph_error_t rc) {
    return gk_igraph_last_reason[0] ? gk_igraph_last_reason : igraph_strerror(rc);
}

int gk_igraph_from_adj(igraph_t *g, const gnnkd_csr *adj, char *msg) {
    int64_t m = gnnkd_csr_nnz(adj) / 2, k = 0;
    igraph_vector_int_t ev;
    if (igraph_vector_int_init(&ev, 2 * m) != IGRAPH_SUCCESS) {
        gk_msg(msg, "graph: out of memory for %lld edges", (long long)m);
        return GNNKD_ENOMEM;
    }
    for (int32_t i = 0; i < adj->nrows; i++)
        for (int64_t p = adj->rowptr[i]; p < adj->rowptr[i + 1]; p++)
            if (adj->colidx[p] > i && k < m) {
                VECTOR(ev)[2 * k] = i;
                VECTOR(ev)[2 * k + 1] = adj->colidx[p];
                k++;
            }
    igraph_error_t rc = k == m ? igraph_create(g, &ev, adj->nrows, IGRAPH_UNDIRECTED) : IGRAPH_EINVAL;
    igraph_vector_int_destroy(&ev);
    if (k != m) {
        gk_msg(msg, "graph: adjacency is not symmetric");
        return GNNKD_EINVAL;
    }
    if (rc != IGRAPH_SUCCESS) {
        gk_msg(msg, "graph: igraph_create: %s", gk_igraph_reason(rc));
        return GNNKD_EINTERNAL;
    }
    return GNNKD_OK;
}

/* ---- edge lists to CSR ----------------------------------------------------- */

/* LSD radix sort of a[0..n) by bytes, skipping bytes all keys share. tmp is
 * n long, count 8 x 256 zeros. */
static void sort_u64(uint64_t *a, uint64_t *tmp, int64_t (*count)[256], int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) count[b][(a[i] >> (8 * b)) & 255]++;
    for (int b = 0; b < 8; b++) {
        if (n == 0 || count[b][(a[0] >> (8 * b)) & 255] == n) continue;
        int64_t sum = 0;
        for (int c = 0; c < 256; c++) {
            int64_t t = count[b][c];
            count[b][c] = sum;
            sum += t;
        }
        for (int64_t i = 0; i < n; i++) tmp[count[b][(a[i] >> (8 * b)) & 255]++] = a[i];
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

int gnnkd_dataset_set_edges(gnnkd_dataset *d, gnnkd_graph_counts *counts, int32_t n,
                            const int32_t *u, const int32_t *v, int64_t m, int directed,
                            char *msg) {
    uint64_t *key = NULL, *tmp = NULL;
    gnnkd_csr adj = {0};
    int64_t *fill = NULL, (*count)[256] = NULL;
#define GK_FREE_ALL                                                                       \
    do {                                                                                  \
        free(key);                                                                        \
        free(tmp);                                                                        \
        free(fill);                                                                       \
        free(count);                                                                       \
        gnnkd_csr_clear(&adj);                                                            \
    } while (0)
    GK_CHECK(n >= 0 && m >= 0, GNNKD_EINVAL, "set_edges: negative size");
    gnnkd_graph_counts c = {.directed = directed != 0, .file_edges = m};
    GK_ALLOC(key, m);
    GK_ALLOC(tmp, m);
    GK_ALLOC(count, 8);
    /* key = lo << 33 | hi << 1 | (u > v): equal pairs sort together, the
     * direction bit last, so reciprocal arcs sit side by side. */
    int64_t nk = 0;
    for (int64_t e = 0; e < m; e++) {
        GK_CHECK(u[e] >= 0 && u[e] < n && v[e] >= 0 && v[e] < n, GNNKD_EINVAL,
                 "set_edges: edge %lld (%d, %d) is outside nodes 0..%d", (long long)e, u[e],
                 v[e], n - 1);
        if (u[e] == v[e]) {
            c.self_loops++;
            continue;
        }
        uint64_t lo = (uint64_t)(u[e] < v[e] ? u[e] : v[e]), hi = (uint64_t)(u[e] < v[e] ? v[e] : u[e]);
        key[nk++] = lo << 33 | hi << 1 | (uint64_t)(u[e] > v[e]);
    }
    sort_u64(key, tmp, count, nk);
    GK_FREE(tmp);

    /* Keep one key per pair, counting what goes. */
    int64_t ne = 0;
    for (int64_t i = 0; i < nk;) {
        int64_t j = i;
        while (j < nk && key[j] >> 1 == key[i] >> 1) j++;
        int64_t distinct = directed ? 1 + (int64_t)((key[i] & 1) != (key[j - 1] & 1)) : 1;
        c.duplicates += (j - i) - distinct;
        c.reciprocal += distinct - 1;
        key[ne++] = key[i] >> 1;
        i = j;
    }
    c.edges = ne;

    GK_ALLOC(adj.rowptr, (int64_t)n + 1);
    GK_ALLOC(adj.colidx, 2 * ne);
    GK_ALLOC(fill, (int64_t)n + 1);
    for (int64_t e = 0; e < ne; e++) {
        adj.rowptr[(key[e] >> 32) + 1]++;
        adj.rowptr[(key[e] & 0xffffffffu) + 1]++;
    }
    for (int32_t i = 0; i < n; i++) adj.rowptr[i + 1] += adj.rowptr[i];
    memcpy(fill, adj.rowptr, ((size_t)n + 1) * sizeof *fill);
    /* Pairs in (lo, hi) order append to each row in ascending column order:
     * a row's smaller neighbours (as hi) all come before its larger ones. */
    for (int64_t e = 0; e < ne; e++) {
        int32_t lo = (int32_t)(key[e] >> 32), hi = (int32_t)(key[e] & 0xffffffffu);
        adj.colidx[fill[lo]++] = hi;
        adj.colidx[fill[hi]++] = lo;
    }
    adj.nrows = adj.ncols = n;
    gnnkd_csr_clear(&d->adj);
    d->adj = adj;
    memset(&adj, 0, sizeof adj);
    d->n = n;
    if (counts) *counts = c;
    GK_FREE_ALL;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

/* ---- formats ------------------------------------------------------------- */

typedef enum { FMT_EDGELIST, FMT_NCOL, FMT_LGL, FMT_PAJEK, FMT_GRAPHML, FMT_GML, FMT_DIMACS } fmt_t;

static const struct {
    const char *name;
    fmt_t fmt;
} FORMATS[] = {{"edgelist", FMT_EDGELIST}, {"ncol", FMT_NCOL},       {"lgl", FMT_LGL},
               {"pajek", FMT_PAJEK},       {"graphml", FMT_GRAPHML}, {"gml", FMT_GML},
               {"dimacs", FMT_DIMACS}};

static const struct {
    const char *ext;
    fmt_t fmt;
} EXTENSIONS[] = {{".txt", FMT_EDGELIST}, {".edges", FMT_EDGELIST}, {".el", FMT_EDGELIST},
                  {".ncol", FMT_NCOL},    {".lgl", FMT_LGL},        {".net", FMT_PAJEK},
                  {".paj", FMT_PAJEK},    {".graphml", FMT_GRAPHML}, {".gml", FMT_GML},
                  {".dimacs", FMT_DIMACS}, {".max", FMT_DIMACS}};

static int ends_with(const char *s, const char *tail) {
    size_t ls = strlen(s), lt = strlen(tail);
    return ls >= lt && strcasecmp(s + ls - lt, tail) == 0;
}

static int find_format(fmt_t *f, const char *path, const char *format, char *msg) {
    if (format != NULL) {
        for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
            if (strcmp(format, FORMATS[i].name) == 0) {
                *f = FORMATS[i].fmt;
                return GNNKD_OK;
            }
        gk_msg(msg, "unknown graph format '%s' (expected edgelist, ncol, lgl, pajek, graphml, "
                    "gml or dimacs)", format);
        return GNNKD_EINVAL;
    }
    for (size_t i = 0; i < sizeof EXTENSIONS / sizeof EXTENSIONS[0]; i++)
        if (ends_with(path, EXTENSIONS[i].ext)) {
            *f = EXTENSIONS[i].fmt;
            return GNNKD_OK;
        }
    gk_msg(msg, "%s: cannot tell the graph format from the file name; give it (edgelist, ncol, "
                "lgl, pajek, graphml, gml, dimacs)", path);
    return GNNKD_EINVAL;
}

/* Parses a whole string as a decimal integer. */
static int name_integer(const char *s, long long *v) {
    if (s == NULL || *s == '\0') return 0;
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && *end == '\0' && !(*s == ' ' || *s == '\t' || *s == '+');
}

typedef struct {
    long long key;
    int32_t vertex;
} name_rank;

static int cmp_rank(const void *a, const void *b) {
    const name_rank *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return (x->vertex > y->vertex) - (x->vertex < y->vertex);
}

/* row[v] for each igraph vertex v of a format with names: ascending numeric
 * order when every name is a distinct integer, else igraph's order. */
static int rows_from_names(int32_t *row, const igraph_t *g, fmt_t fmt, char *msg) {
    int32_t n = (int32_t)igraph_vcount(g);
    name_rank *r = NULL;
    igraph_strvector_t sv;
    igraph_vector_t nv;
    int have_sv = 0, have_nv = 0, numeric = 1;
#define GK_FREE_ALL                                                                       \
    do {                                                                                  \
        free(r);                                                                          \
        if (have_sv) igraph_strvector_destroy(&sv);                                       \
        if (have_nv) igraph_vector_destroy(&nv);                                          \
    } while (0)
    for (int32_t i = 0; i < n; i++) row[i] = i;
    const char *attr = fmt == FMT_GRAPHML || fmt == FMT_GML ? "id" : "name";
    if (n == 0 || !igraph_cattribute_has_attr(g, IGRAPH_ATTRIBUTE_VERTEX, attr)) {
        GK_FREE_ALL;
        return GNNKD_OK;
    }
    GK_ALLOC(r, n);
    /* igraph keeps GML ids as numbers, the other names as strings. */
    if (fmt == FMT_GML) {
        GK_CHECK(igraph_vector_init(&nv, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "out of memory");
        have_nv = 1;
        GK_CHECK(igraph_cattribute_VANV(g, attr, igraph_vss_all(), &nv) == IGRAPH_SUCCESS,
                 GNNKD_EINTERNAL, "igraph: %s", gk_igraph_reason(IGRAPH_FAILURE));
        for (int32_t i = 0; i < n && numeric; i++) {
            double x = VECTOR(nv)[i];
            numeric = isfinite(x) && x == floor(x) && fabs(x) < 9e15;
            r[i] = (name_rank){numeric ? (long long)x : 0, i};
        }
    } else {
        GK_CHECK(igraph_strvector_init(&sv, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "out of memory");
        have_sv = 1;
        GK_CHECK(igraph_cattribute_VASV(g, attr, igraph_vss_all(), &sv) == IGRAPH_SUCCESS,
                 GNNKD_EINTERNAL, "igraph: %s", gk_igraph_reason(IGRAPH_FAILURE));
        for (int32_t i = 0; i < n && numeric; i++) {
            r[i].vertex = i;
            numeric = name_integer(igraph_strvector_get(&sv, i), &r[i].key);
        }
    }
    if (numeric) {
        qsort(r, (size_t)n, sizeof *r, cmp_rank);
        for (int32_t i = 1; i < n && numeric; i++) numeric = r[i].key != r[i - 1].key;
        /* "7" and "007" are two names with one value: keep igraph's order. */
        if (numeric)
            for (int32_t i = 0; i < n; i++) row[r[i].vertex] = i;
    }
    GK_FREE_ALL;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

/* Reads the graph file with igraph into d's adjacency (d->n set). */
static int read_structure(gnnkd_dataset *d, gnnkd_graph_counts *counts, const char *path,
                          fmt_t fmt, char *msg) {
    FILE *f = NULL;
    igraph_t g;
    int have_g = 0;
    int32_t *row = NULL, *u = NULL, *v = NULL;
    igraph_vector_int_t ev;
    int have_ev = 0;
    gk_igraph_scope scope;
    int named = fmt == FMT_NCOL || fmt == FMT_LGL || fmt == FMT_GRAPHML || fmt == FMT_GML ||
                fmt == FMT_PAJEK;
    gk_igraph_begin(&scope, named);
#define GK_FREE_ALL                                                                       \
    do {                                                                                  \
        if (f) fclose(f);                                                                 \
        if (have_g) igraph_destroy(&g);                                                   \
        if (have_ev) igraph_vector_int_destroy(&ev);                                      \
        free(row);                                                                        \
        free(u);                                                                          \
        free(v);                                                                          \
        gk_igraph_end(&scope);                                                            \
    } while (0)
    f = fopen(path, "r");
    GK_CHECK(f != NULL, GNNKD_EIO, "%s: cannot open: %s", path, strerror(errno));

    igraph_error_t rc = IGRAPH_SUCCESS;
    switch (fmt) {
    case FMT_EDGELIST: rc = igraph_read_graph_edgelist(&g, f, 0, IGRAPH_UNDIRECTED); break;
    case FMT_NCOL: rc = igraph_read_graph_ncol(&g, f, NULL, 1, IGRAPH_ADD_WEIGHTS_NO, 0); break;
    case FMT_LGL: rc = igraph_read_graph_lgl(&g, f, 1, IGRAPH_ADD_WEIGHTS_NO, 0); break;
    case FMT_PAJEK: rc = igraph_read_graph_pajek(&g, f); break;
    case FMT_GRAPHML: rc = igraph_read_graph_graphml(&g, f, 0); break;
    case FMT_GML: rc = igraph_read_graph_gml(&g, f); break;
    case FMT_DIMACS:
        rc = igraph_read_graph_dimacs_flow(&g, f, NULL, NULL, NULL, NULL, NULL, IGRAPH_DIRECTED);
        break;
    }
    GK_CHECK(rc == IGRAPH_SUCCESS, rc == IGRAPH_ENOMEM ? GNNKD_ENOMEM : GNNKD_EDATA, "%s: %s",
             path, gk_igraph_reason(rc));
    have_g = 1;
    fclose(f);
    f = NULL;

    igraph_integer_t n = igraph_vcount(&g), m = igraph_ecount(&g);
    GK_CHECK(n > 0, GNNKD_EDATA, "%s: the graph has no nodes", path);
    GK_CHECK(n < INT32_MAX, GNNKD_EDATA, "%s: %lld nodes is more than gnnkd handles", path,
             (long long)n);
    GK_ALLOC(row, n);
    /* Pajek vertices are numbered 1..n in the file already. */
    if (named && fmt != FMT_PAJEK) GK_TRY(rows_from_names(row, &g, fmt, msg));
    else
        for (int32_t i = 0; i < (int32_t)n; i++) row[i] = i;

    GK_CHECK(igraph_vector_int_init(&ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory", path);
    have_ev = 1;
    GK_CHECK(igraph_get_edgelist(&g, &ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory for %lld edges", path, (long long)m);
    int directed = igraph_is_directed(&g);
    igraph_destroy(&g);
    have_g = 0;
    GK_ALLOC(u, m);
    GK_ALLOC(v, m);
    for (igraph_integer_t e = 0; e < m; e++) {
        u[e] = row[VECTOR(ev)[2 * e]];
        v[e] = row[VECTOR(ev)[2 * e + 1]];
    }
    GK_TRY(gnnkd_dataset_set_edges(d, counts, (int32_t)n, u, v, m, directed, msg));
    GK_FREE_ALL;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

/* ---- features and labels ----------------------------------------------------- */

/* One-hot stand-ins when a graph comes without features (see the header). */
static int default_features(gnnkd_dataset *d, char *msg) {
    gnnkd_csr x = {0};
#define GK_FREE_ALL gnnkd_csr_clear(&x)
    int32_t n = d->n;
    GK_ALLOC(x.rowptr, (int64_t)n + 1);
    GK_ALLOC(x.colidx, n);
    GK_ALLOC(x.val, n);
    int32_t nfeat = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t col = i;
        if (n > 20000) {
            int64_t deg = d->adj.rowptr[i + 1] - d->adj.rowptr[i];
            col = 0;
            while ((deg + 1) >> (col + 1)) col++; /* floor(log2(deg + 1)) */
        }
        x.rowptr[i + 1] = i + 1;
        x.colidx[i] = col;
        x.val[i] = 1.0f;
        if (col + 1 > nfeat) nfeat = col + 1;
    }
    x.nrows = n;
    x.ncols = nfeat;
    d->x = x;
    d->nfeat = nfeat;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

static int read_features(gnnkd_dataset *d, const char *path, const char *graph, char *msg) {
    float *a = NULL;
    gnnkd_csr x = {0};
#define GK_FREE_ALL                                                                       \
    do {                                                                                  \
        free(a);                                                                          \
        gnnkd_csr_clear(&x);                                                              \
    } while (0)
    if (ends_with(path, ".npy")) {
        int64_t rows, cols;
        GK_TRY(gnnkd_npy_read(&a, &rows, &cols, path, msg));
        GK_CHECK(rows == d->n, GNNKD_EDATA, "%s: %lld feature rows for the %d nodes of %s", path,
                 (long long)rows, d->n, graph);
        GK_CHECK(cols > 0 && cols < INT32_MAX, GNNKD_EDATA, "%s: %lld feature columns", path,
                 (long long)cols);
        d->xdense = a;
        d->nfeat = (int32_t)cols;
        a = NULL;
    } else {
        GK_TRY(gk_mtx_load_matrix(&x, path, msg));
        GK_CHECK(x.nrows == d->n, GNNKD_EDATA, "%s: %d feature rows for the %d nodes of %s",
                 path, x.nrows, d->n, graph);
        d->x = x;
        d->nfeat = x.ncols;
        memset(&x, 0, sizeof x);
    }
    GK_FREE_ALL;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

/* Classes beyond this are taken for a malformed file, not a dataset. */
#define MAX_CLASSES 1000000

static int read_labels(gnnkd_dataset *d, const char *path, const char *graph, char *msg) {
    float *a = NULL;
    int32_t *label = NULL;
    gk_text t = {0};
#define GK_FREE_ALL                                                                       \
    do {                                                                                  \
        free(a);                                                                          \
        free(label);                                                                      \
        gk_text_close(&t);                                                                \
    } while (0)
    int32_t n = d->n, nclass = 0;
    GK_ALLOC(label, n);
    if (ends_with(path, ".npy")) {
        int64_t rows, cols;
        GK_TRY(gnnkd_npy_read(&a, &rows, &cols, path, msg));
        GK_CHECK(cols == 1, GNNKD_EDATA, "%s: labels need one column, found %lld", path,
                 (long long)cols);
        GK_CHECK(rows == n, GNNKD_EDATA, "%s: %lld labels for the %d nodes of %s", path,
                 (long long)rows, n, graph);
        for (int32_t i = 0; i < n; i++) {
            float y = a[i];
            GK_CHECK(y == floorf(y) && y >= -1 && y < MAX_CLASSES, GNNKD_EDATA,
                     "%s: row %d: expected a class id (0, 1, ...) or -1, found %g", path, i,
                     (double)y);
            label[i] = (int32_t)y;
        }
    } else {
        GK_TRY(gk_text_open(&t, path, msg));
        int32_t i = 0;
        for (char *line; (line = gk_text_next(&t)) != NULL;) {
            if (gk_is_blank(line)) continue;
            const char *s = line;
            int64_t y;
            char tok[48];
            GK_CHECK(gk_parse_int(&s, &y) && gk_is_blank(s) && y >= -1 && y < MAX_CLASSES,
                     GNNKD_EDATA, "%s:%lld: expected a class id (0, 1, ...) or -1, found %s",
                     path, (long long)t.line, gk_token(tok, sizeof tok, line));
            GK_CHECK(i < n, GNNKD_EDATA, "%s:%lld: more labels than the %d nodes of %s", path,
                     (long long)t.line, n, graph);
            label[i++] = (int32_t)y;
        }
        GK_CHECK(i == n, GNNKD_EDATA, "%s: %d labels for the %d nodes of %s", path, i, n, graph);
    }
    for (int32_t i = 0; i < n; i++)
        if (label[i] + 1 > nclass) nclass = label[i] + 1;
    free(d->label);
    d->label = label;
    d->nclass = nclass;
    label = NULL;
    GK_FREE_ALL;
    return GNNKD_OK;
#undef GK_FREE_ALL
}

int gnnkd_dataset_load_graph(gnnkd_dataset **d, gnnkd_graph_counts *counts,
                             const char *graph_path, const char *format,
                             const char *features_path, const char *labels_path, char *msg) {
    gnnkd_dataset *out = NULL;
#define GK_FREE_ALL gnnkd_dataset_free(&out)
    GK_CHECK(d != NULL && graph_path != NULL, GNNKD_EINVAL, "load_graph: no graph file given");
    *d = NULL;
    fmt_t fmt;
    GK_TRY(find_format(&fmt, graph_path, format, msg));
    GK_TRY(gnnkd_dataset_new(&out, msg));
    GK_TRY(read_structure(out, counts, graph_path, fmt, msg));

    const char *base = strrchr(graph_path, '/');
    snprintf(out->name, sizeof out->name, "%s", base ? base + 1 : graph_path);
    char *dot = strrchr(out->name, '.');
    if (dot && dot != out->name) *dot = '\0';

    if (features_path) GK_TRY(read_features(out, features_path, graph_path, msg));
    else GK_TRY(default_features(out, msg));
    if (labels_path) GK_TRY(read_labels(out, labels_path, graph_path, msg));
    else {
        GK_ALLOC(out->label, out->n);
        for (int32_t i = 0; i < out->n; i++) out->label[i] = -1;
    }
    *d = out;
    return GNNKD_OK;
#undef GK_FREE_ALL
}
