/* graphio.c — graph structure from the formats igraph reads, with optional
 * features (.mtx, .npy) and labels (.txt, .npy); edge lists to a simple
 * undirected CSR adjacency. */
#include "loaders/igraph_bridge.h"
#include "loaders/mtx.h"

#include <errno.h>
#include <math.h>
#include <string.h>

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

static int find_format(fmt_t *f, const char *path, const char *format, char *msg) {
    if (format != NULL) {
        for (size_t i = 0; i < sizeof FORMATS / sizeof FORMATS[0]; i++)
            if (strcmp(format, FORMATS[i].name) == 0) {
                *f = FORMATS[i].fmt;
                return GNNKD_OK;
            }
        gkd_msg(msg, "unknown graph format '%s' (expected edgelist, ncol, lgl, pajek, graphml, "
                    "gml or dimacs)", format);
        return GNNKD_EINVAL;
    }
    for (size_t i = 0; i < sizeof EXTENSIONS / sizeof EXTENSIONS[0]; i++)
        if (gkd_ends_with(path, EXTENSIONS[i].ext)) {
            *f = EXTENSIONS[i].fmt;
            return GNNKD_OK;
        }
    gkd_msg(msg, "%s: cannot tell the graph format from the file name; give it (edgelist, ncol, "
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
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(r);                                                                          \
        if (have_sv) igraph_strvector_destroy(&sv);                                       \
        if (have_nv) igraph_vector_destroy(&nv);                                          \
    } while (0)
    for (int32_t i = 0; i < n; i++) row[i] = i;
    const char *attr = fmt == FMT_GRAPHML || fmt == FMT_GML ? "id" : "name";
    if (n == 0 || !igraph_cattribute_has_attr(g, IGRAPH_ATTRIBUTE_VERTEX, attr)) {
        GKD_FREE_ALL;
        return GNNKD_OK;
    }
    GKD_ALLOC(r, n);
    /* igraph keeps GML ids as numbers, the other names as strings. */
    if (fmt == FMT_GML) {
        GKD_CHECK(igraph_vector_init(&nv, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "out of memory");
        have_nv = 1;
        GKD_CHECK(igraph_cattribute_VANV(g, attr, igraph_vss_all(), &nv) == IGRAPH_SUCCESS,
                 GNNKD_EINTERNAL, "igraph: %s", gkd_igraph_reason(IGRAPH_FAILURE));
        for (int32_t i = 0; i < n && numeric; i++) {
            double x = VECTOR(nv)[i];
            numeric = isfinite(x) && x == floor(x) && fabs(x) < 9e15;
            r[i] = (name_rank){numeric ? (long long)x : 0, i};
        }
    } else {
        GKD_CHECK(igraph_strvector_init(&sv, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "out of memory");
        have_sv = 1;
        GKD_CHECK(igraph_cattribute_VASV(g, attr, igraph_vss_all(), &sv) == IGRAPH_SUCCESS,
                 GNNKD_EINTERNAL, "igraph: %s", gkd_igraph_reason(IGRAPH_FAILURE));
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
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* An edge list numbers its nodes 0..n-1 with n = the largest id + 1, so one
 * large id makes every id below it a node. Ids beyond this many per edge
 * (plus a margin for small graphs) are taken for a malformed file. */
#define GKD_EDGELIST_IDS_PER_EDGE 16
#define GKD_EDGELIST_IDS_MARGIN 1024

/* Refuses an edge list whose largest id is beyond the bound above, before
 * igraph allocates a node for every id up to it. Tokens that are not ids
 * are left for igraph to report. */
static int check_edgelist_ids(const char *path, char *msg) {
    gkd_text t;
    int rc = gkd_text_open(&t, path, msg);
    int64_t ids = 0, top = -1, top_line = 0;
    for (char *line; rc == GNNKD_OK && (line = gkd_text_next(&t)) != NULL;) {
        const char *s = line;
        for (int64_t v; gkd_parse_int(&s, &v);) {
            ids++;
            if (v > top) top = v, top_line = t.line;
        }
    }
    int64_t edges = ids / 2, bound = GKD_EDGELIST_IDS_PER_EDGE * edges + GKD_EDGELIST_IDS_MARGIN;
    if (rc == GNNKD_OK && top >= bound) {
        gkd_msg(msg, "%s:%lld: node id %lld would make %lld nodes for %lld edges: ids must be below "
                     "%d per edge + %d (%lld here); number the nodes 0..n-1",
                path, (long long)top_line, (long long)top, (long long)top + 1, (long long)edges,
                GKD_EDGELIST_IDS_PER_EDGE, GKD_EDGELIST_IDS_MARGIN, (long long)bound);
        rc = GNNKD_EDATA;
    }
    gkd_text_close(&t);
    return rc;
}

/* Reads the graph file with igraph into d's adjacency (d->n set). */
/* Pajek's "*Vertices N" and DIMACS's "p max N M" declare the node count, and
 * igraph allocates for it; igraph's DIMACS reader also makes a node of every
 * id up to the largest of its "a U V", "e U V" and "n ID" lines, declared or
 * not.
 * Beyond 16 per line of the file + 1024 either is taken for a malformed file
 * (a graph that large would need more lines). */
static int check_declared_nodes(const char *path, fmt_t fmt, char *msg) {
    gkd_text t;
    int rc = gkd_text_open(&t, path, msg);
    int64_t declared = -1, at = 0, top = -1, top_line = 0, lines = 0;
    char word[16];
    for (char *line; rc == GNNKD_OK && (line = gkd_text_next(&t)) != NULL;) {
        if (gkd_is_blank(line)) continue;
        lines++;
        const char *s = line;
        while (*s == ' ' || *s == '\t') s++;
        long long n = -1, u = -1, v = -1;
        if (fmt == FMT_PAJEK && strncasecmp(s, "*vertices", 9) == 0) {
            s += 9;
            if (!gkd_parse_int(&s, &declared)) declared = -1;
            else at = t.line;
        } else if (fmt == FMT_DIMACS && s[0] == 'p' && sscanf(s, "p %15s %lld", word, &n) == 2) {
            declared = n, at = t.line;
        } else if (fmt == FMT_DIMACS &&
                   (((s[0] == 'a' || s[0] == 'e') && sscanf(s + 1, "%lld %lld", &u, &v) == 2) ||
                    (s[0] == 'n' && sscanf(s + 1, "%lld", &u) == 1))) {
            if (v > u) u = v;
            if (u > top) top = u, top_line = t.line;
        }
    }
    int64_t bound = GKD_EDGELIST_IDS_PER_EDGE * lines + GKD_EDGELIST_IDS_MARGIN;
    if (rc == GNNKD_OK && declared >= bound) {
        gkd_msg(msg, "%s:%lld: declares %lld nodes in a file of %lld lines: at most %d per line + %d "
                     "(%lld here)", path, (long long)at, (long long)declared, (long long)lines,
                GKD_EDGELIST_IDS_PER_EDGE, GKD_EDGELIST_IDS_MARGIN, (long long)bound);
        rc = GNNKD_EDATA;
    } else if (rc == GNNKD_OK && top >= bound) {
        gkd_msg(msg, "%s:%lld: node id %lld in a file of %lld lines: ids must be below %d per line "
                     "+ %d (%lld here)", path, (long long)top_line, (long long)top, (long long)lines,
                GKD_EDGELIST_IDS_PER_EDGE, GKD_EDGELIST_IDS_MARGIN, (long long)bound);
        rc = GNNKD_EDATA;
    }
    gkd_text_close(&t);
    return rc;
}

static int read_structure(gnnkd_dataset *d, gnnkd_graph_counts *counts, const char *path,
                          fmt_t fmt, char *msg) {
    FILE *f = NULL;
    igraph_t g;
    int have_g = 0;
    int32_t *row = NULL, *u = NULL, *v = NULL;
    igraph_vector_int_t ev;
    int have_ev = 0;
    gkd_igraph_scope scope;
    int named = fmt == FMT_NCOL || fmt == FMT_LGL || fmt == FMT_GRAPHML || fmt == FMT_GML ||
                fmt == FMT_PAJEK;
    gkd_igraph_begin(&scope, named);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (f) fclose(f);                                                                 \
        if (have_g) igraph_destroy(&g);                                                   \
        if (have_ev) igraph_vector_int_destroy(&ev);                                      \
        free(row);                                                                        \
        free(u);                                                                          \
        free(v);                                                                          \
        gkd_igraph_end(&scope);                                                            \
    } while (0)
    if (fmt == FMT_EDGELIST) GKD_TRY(check_edgelist_ids(path, msg));
    if (fmt == FMT_PAJEK || fmt == FMT_DIMACS) GKD_TRY(check_declared_nodes(path, fmt, msg));
    int64_t fsize;
    int orc;
    f = gkd_open_regular(path, &fsize, &orc, msg);
    if (f == NULL) {
        GKD_FREE_ALL;
        return orc;
    }

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
    GKD_CHECK(rc == IGRAPH_SUCCESS, rc == IGRAPH_ENOMEM ? GNNKD_ENOMEM : GNNKD_EDATA, "%s: %s",
             path, gkd_igraph_reason(rc));
    have_g = 1;
    fclose(f);
    f = NULL;

    igraph_integer_t n = igraph_vcount(&g), m = igraph_ecount(&g);
    GKD_CHECK(n > 0, GNNKD_EDATA, "%s: the graph has no nodes", path);
    GKD_CHECK(n < INT32_MAX, GNNKD_EDATA, "%s: %lld nodes is more than gnnkd handles", path,
             (long long)n);
    GKD_ALLOC(row, n);
    /* Pajek vertices are numbered 1..n in the file already. */
    if (named && fmt != FMT_PAJEK) GKD_TRY(rows_from_names(row, &g, fmt, msg));
    else
        for (int32_t i = 0; i < (int32_t)n; i++) row[i] = i;

    GKD_CHECK(igraph_vector_int_init(&ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory", path);
    have_ev = 1;
    GKD_CHECK(igraph_get_edgelist(&g, &ev, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM,
             "%s: out of memory for %lld edges", path, (long long)m);
    int directed = igraph_is_directed(&g);
    igraph_destroy(&g);
    have_g = 0;
    GKD_ALLOC(u, m);
    GKD_ALLOC(v, m);
    for (igraph_integer_t e = 0; e < m; e++) {
        u[e] = row[VECTOR(ev)[2 * e]];
        v[e] = row[VECTOR(ev)[2 * e + 1]];
    }
    GKD_TRY(gnnkd_dataset_set_edges(d, counts, (int32_t)n, u, v, m, directed, msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* ---- features and labels ----------------------------------------------------- */

/* One-hot stand-ins when a graph comes without features (see the header). */
static int default_features(gnnkd_dataset *d, char *msg) {
    gnnkd_csr x = {0};
#define GKD_FREE_ALL gnnkd_csr_clear(&x)
    int32_t n = d->n;
    GKD_ALLOC(x.rowptr, (int64_t)n + 1);
    GKD_ALLOC(x.colidx, n);
    GKD_ALLOC(x.val, n);
    int32_t nfeat = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t col = i;
        if (n > GNNKD_ONE_HOT_MAX_NODES) {
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
#undef GKD_FREE_ALL
}

static int read_features(gnnkd_dataset *d, const char *path, const char *graph, char *msg) {
    float *a = NULL;
    gnnkd_csr x = {0};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(a);                                                                          \
        gnnkd_csr_clear(&x);                                                              \
    } while (0)
    if (gkd_ends_with(path, ".npy")) {
        int64_t rows, cols;
        GKD_TRY(gnnkd_npy_read(&a, &rows, &cols, path, msg));
        GKD_CHECK(rows == d->n, GNNKD_EDATA, "%s: %lld feature rows for the %d nodes of %s", path,
                 (long long)rows, d->n, graph);
        GKD_CHECK(cols > 0 && cols < INT32_MAX, GNNKD_EDATA, "%s: %lld feature columns", path,
                 (long long)cols);
        d->xdense = a;
        d->nfeat = (int32_t)cols;
        a = NULL;
    } else {
        GKD_TRY(gkd_mtx_load_rows(&x, path, d->n, graph, msg));
        GKD_CHECK(x.nrows == d->n, GNNKD_EDATA, "%s: %d feature rows for the %d nodes of %s",
                 path, x.nrows, d->n, graph);
        d->x = x;
        d->nfeat = x.ncols;
        memset(&x, 0, sizeof x);
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Classes beyond this are taken for a malformed file, not a dataset. */
#define MAX_CLASSES 1000000

static int read_labels(gnnkd_dataset *d, const char *path, const char *graph, char *msg) {
    float *a = NULL;
    int32_t *label = NULL;
    gkd_text t = {0};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(a);                                                                          \
        free(label);                                                                      \
        gkd_text_close(&t);                                                                \
    } while (0)
    int32_t n = d->n, nclass = 0;
    GKD_ALLOC(label, n);
    if (gkd_ends_with(path, ".npy")) {
        int64_t rows, cols;
        GKD_TRY(gnnkd_npy_read(&a, &rows, &cols, path, msg));
        GKD_CHECK(cols == 1, GNNKD_EDATA, "%s: labels need one column, found %lld", path,
                 (long long)cols);
        GKD_CHECK(rows == n, GNNKD_EDATA, "%s: %lld labels for the %d nodes of %s", path,
                 (long long)rows, n, graph);
        for (int32_t i = 0; i < n; i++) {
            float y = a[i];
            GKD_CHECK(y == floorf(y) && y >= -1 && y < MAX_CLASSES, GNNKD_EDATA,
                     "%s: row %d: expected a class id (0, 1, ...) or -1, found %g", path, i,
                     (double)y);
            label[i] = (int32_t)y;
        }
    } else {
        GKD_TRY(gkd_text_open(&t, path, msg));
        int32_t i = 0;
        for (char *line; (line = gkd_text_next(&t)) != NULL;) {
            if (gkd_is_blank(line)) continue;
            const char *s = line;
            int64_t y;
            char tok[48];
            GKD_CHECK(gkd_parse_int(&s, &y) && gkd_is_blank(s) && y >= -1 && y < MAX_CLASSES,
                     GNNKD_EDATA, "%s:%lld: expected a class id (0, 1, ...) or -1, found %s",
                     path, (long long)t.line, gkd_token(tok, sizeof tok, line));
            GKD_CHECK(i < n, GNNKD_EDATA, "%s:%lld: more labels than the %d nodes of %s", path,
                     (long long)t.line, n, graph);
            label[i++] = (int32_t)y;
        }
        GKD_CHECK(i == n, GNNKD_EDATA, "%s: %d labels for the %d nodes of %s", path, i, n, graph);
    }
    int32_t top = 0;
    for (int32_t i = 0; i < n; i++)
        if (label[i] + 1 > nclass) nclass = label[i] + 1, top = i;
    // every class must be able to hold a node: the model's outputs are n x classes
    GKD_CHECK(nclass <= n, GNNKD_EDATA,
              "%s: row %d: class %d makes %d classes for the %d nodes of %s: at most one class "
              "per node", path, top, nclass - 1, nclass, n, graph);
    free(d->label);
    d->label = label;
    d->nclass = nclass;
    label = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_dataset_load_graph(gnnkd_dataset **d, gnnkd_graph_counts *counts,
                                      const char *graph_path, const char *format,
                                      const char *features_path, const char *labels_path, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_dataset *out = NULL;
#define GKD_FREE_ALL gnnkd_dataset_free(&out)
    GKD_CHECK(d != NULL && graph_path != NULL, GNNKD_EINVAL, "load_graph: no graph file given");
    *d = NULL;
    fmt_t fmt;
    GKD_TRY(find_format(&fmt, graph_path, format, msg));
    GKD_TRY(gnnkd_dataset_new(&out, msg));
    GKD_TRY(read_structure(out, counts, graph_path, fmt, msg));

    const char *base = strrchr(graph_path, '/');
    snprintf(out->name, sizeof out->name, "%s", base ? base + 1 : graph_path);
    char *dot = strrchr(out->name, '.');
    if (dot && dot != out->name) *dot = '\0';

    if (features_path) GKD_TRY(read_features(out, features_path, graph_path, msg));
    else GKD_TRY(default_features(out, msg));
    if (labels_path) GKD_TRY(read_labels(out, labels_path, graph_path, msg));
    else {
        GKD_ALLOC(out->label, out->n);
        for (int32_t i = 0; i < out->n; i++) out->label[i] = -1;
    }
    *d = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
