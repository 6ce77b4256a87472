/* test_alloc.c — every allocation of the library fails once, on purpose
 * (LAGraph's brutal memory test), on every path that allocates: each loader
 * and transform, models, files and distillation. For each injected failure
 * the call must return GNNKD_ENOMEM with a message saying "out of memory",
 * never crash, never report success, and leak nothing.
 *
 * Scope of the failures: malloc, calloc, realloc and free are wrapped at
 * link time (-Wl,--wrap), which redirects only the calls made from the
 * objects linked statically into this program: gnnkd's own code (the static
 * library) and this file. igraph, SuiteSparse:GraphBLAS, OpenBLAS, OpenMP and
 * libc itself (fopen, strdup) are shared libraries; their allocations go to
 * the real malloc and are never failed or counted: their out-of-memory paths
 * are theirs to test. This file's own buffers use __real_malloc.
 *
 * Leaks: every pointer a wrapped call returns is tracked until a wrapped
 * free releases it; after each run of a scenario none may be left (in every
 * build, not only under ASan, which checks the allocations below too). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnnkd.h"
#include "tests/common.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t c, size_t n);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);

/* ---- the failing allocator --------------------------------------------------- */

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long countdown = -1; /* which allocation fails: the countdown-th from now; -1 none */
static long reached;        /* wrapped allocations since the scenario began */
static int failed, tracking;
static void **live;          /* pointers returned by wrapped calls, not yet freed */
static long nlive, caplive;

static int fail_now(void) {
    reached++;
    if (countdown < 0) return 0;
    if (countdown-- == 0) {
        failed = 1;
        return 1;
    }
    return 0;
}
static void track(void *p) {
    if (!tracking || p == NULL) return;
    if (nlive == caplive) {
        caplive = caplive ? 2 * caplive : 1024;
        live = __real_realloc(live, (size_t)caplive * sizeof *live);
        if (live == NULL) abort();
    }
    live[nlive++] = p;
}
static void untrack(void *p) {
    for (long k = nlive - 1; k >= 0; k--)
        if (live[k] == p) {
            live[k] = live[--nlive];
            return;
        }
}
void *__wrap_malloc(size_t n) {
    pthread_mutex_lock(&lock);
    void *p = fail_now() ? NULL : __real_malloc(n);
    track(p);
    pthread_mutex_unlock(&lock);
    return p;
}
void *__wrap_calloc(size_t c, size_t n) {
    pthread_mutex_lock(&lock);
    void *p = fail_now() ? NULL : __real_calloc(c, n);
    track(p);
    pthread_mutex_unlock(&lock);
    return p;
}
void *__wrap_realloc(void *old, size_t n) {
    pthread_mutex_lock(&lock);
    void *p = fail_now() ? NULL : __real_realloc(old, n);
    if (p != NULL) {
        untrack(old);
        track(p);
    }
    pthread_mutex_unlock(&lock);
    return p;
}
void __wrap_free(void *p) {
    if (p == NULL) return;
    pthread_mutex_lock(&lock);
    untrack(p);
    __real_free(p);
    pthread_mutex_unlock(&lock);
}

/* ---- scenarios ----------------------------------------------------------------- */

/* What a scenario works with: the small test files, a scratch folder, and
 * where the failing call is reported. */
typedef struct {
    char data[2048], tmp[2048];
    char msg[GNNKD_MSG_LEN];
    const char *step; /* the call that failed */
} ctx;

/* Runs a library call; on failure records it and jumps to the cleanup. */
#define STEP(call)                                                                        \
    do {                                                                                  \
        c->step = #call;                                                                  \
        rc = (call);                                                                      \
        if (rc != GNNKD_OK) goto done;                                                    \
    } while (0)

static const char *at(char *buf, const char *dir, const char *file) {
    snprintf(buf, 4096, "%s/%s", dir, file);
    return buf;
}

/* A dataset folder: read, normalised (valued features), written, read back;
 * the same through gnnkd_dataset_open. */
static int sc_folder(ctx *c) {
    char *msg = c->msg, p[4096], q[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *d2 = NULL, *d3 = NULL;
    STEP(gnnkd_dataset_load_dir(&d, at(p, c->data, "tiny"), msg));
    STEP(gnnkd_dataset_normalize_features(d, msg));
    STEP(gnnkd_dataset_save_dir(d, at(q, c->tmp, "ds"), msg));
    STEP(gnnkd_dataset_load_dir(&d2, q, msg));
    STEP(gnnkd_dataset_open(&d3, "tiny", c->data, msg));
done:
    gnnkd_dataset_free(&d3);
    gnnkd_dataset_free(&d2);
    gnnkd_dataset_free(&d);
    return rc;
}

/* igraph's formats, each without features (the one-hot stand-in), and an
 * edge list with .mtx and text features and labels. */
static int sc_graph_files(ctx *c) {
    static const char *files[] = {"small.edges", "numeric.ncol", "names.ncol", "small.lgl", "small.net",
                                  "small.graphml", "names.graphml", "small.gml", "small.max"};
    char *msg = c->msg, g[4096], f[4096], l[4096], graphs[3000];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    snprintf(graphs, sizeof graphs, "%s/graphs", c->data);
    for (size_t k = 0; k < sizeof files / sizeof *files; k++) {
        STEP(gnnkd_dataset_load_graph(&d, &counts, at(g, graphs, files[k]), NULL, NULL, NULL, msg));
        STEP(gnnkd_dataset_normalize_features(d, msg));
        gnnkd_dataset_free(&d);
    }
    STEP(gnnkd_dataset_load_graph(&d, &counts, at(g, graphs, "small.edges"), "edgelist",
                                  at(f, graphs, "small.features.mtx"), at(l, graphs, "small.labels.txt"), msg));
    STEP(gnnkd_dataset_normalize_features(d, msg));
done:
    gnnkd_dataset_free(&d);
    return rc;
}

/* Normalising pattern features (x.val NULL, as a caller may build them; the
 * readers always write values out) allocates their values; when that fails,
 * d must be unchanged: still a pattern. */
static int sc_normalize_pattern(ctx *c) {
    char *msg = c->msg, g[4096], f[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    snprintf(g, sizeof g, "%s/graphs/small.edges", c->data);
    snprintf(f, sizeof f, "%s/graphs/small.pattern.mtx", c->data);
    STEP(gnnkd_dataset_load_graph(&d, NULL, g, NULL, f, NULL, msg));
    free(d->x.val);
    d->x.val = NULL;
    STEP(gnnkd_dataset_normalize_features(d, msg));
    if (d->x.val == NULL) {
        rc = GNNKD_EINTERNAL;
        snprintf(msg, GNNKD_MSG_LEN, "the pattern features got no values");
    }
done:
    if (rc == GNNKD_ENOMEM && d != NULL && d->x.val != NULL) {
        rc = GNNKD_EINTERNAL;
        snprintf(msg, GNNKD_MSG_LEN, "%s failed but changed the features", c->step);
    }
    gnnkd_dataset_free(&d);
    return rc;
}

/* .npy files: written, read, and read as dense features and labels. */
static int sc_npy(ctx *c) {
    static const float x[5 * 3] = {1, 0, 2, 0, 3, 0, 1, 1, 1, 0, 0, 0, 4, 0, 1}, y[5] = {0, 1, 1, 0, -1};
    char *msg = c->msg, g[4096], fx[4096], fy[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    float *back = NULL;
    int64_t rows, cols;
    STEP(gnnkd_npy_write(at(fx, c->tmp, "x.npy"), x, 5, 3, msg));
    STEP(gnnkd_npy_write(at(fy, c->tmp, "y.npy"), y, 5, 1, msg));
    STEP(gnnkd_npy_read(&back, &rows, &cols, fx, msg));
    snprintf(g, sizeof g, "%s/graphs/small.edges", c->data);
    STEP(gnnkd_dataset_load_graph(&d, NULL, g, NULL, fx, fy, msg));
    STEP(gnnkd_dataset_normalize_features(d, msg));
done:
    free(back);
    gnnkd_dataset_free(&d);
    return rc;
}

/* The generator, both splits, the largest component, statistics and an
 * adjacency from an edge list. */
static int sc_transforms(ctx *c) {
    static const char *spec = "synthetic:nodes=60,classes=3,features=6,degree=3,train-per-class=4,val=10,test=20";
    static const int32_t u[6] = {0, 1, 2, 2, 4, 5}, v[6] = {1, 2, 0, 0, 4, 3};
    char *msg = c->msg;
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *e = NULL, *f = NULL;
    gnnkd_stats s = {0};
    STEP(gnnkd_dataset_synthetic(&d, spec, msg));
    STEP(gnnkd_dataset_open(&e, spec, NULL, msg));
    STEP(gnnkd_dataset_split_random(d, 3, 8, 15, 1, msg));
    STEP(gnnkd_dataset_split_per_class(d, 3, 3, 2, msg));
    STEP(gnnkd_dataset_split(e, "random:2:5:5", 3, msg));
    STEP(gnnkd_dataset_split(e, "per-class:2:2", 4, msg));
    STEP(gnnkd_dataset_stats(&s, d, msg));
    gnnkd_stats_clear(&s);
    STEP(gnnkd_dataset_lcc(d, msg));
    STEP(gnnkd_dataset_new(&f, msg));
    STEP(gnnkd_dataset_set_edges(f, NULL, 6, u, v, 6, 1, msg));
done:
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&f);
    gnnkd_dataset_free(&e);
    gnnkd_dataset_free(&d);
    return rc;
}

/* Partitions: METIS and contiguous parts of a dense synthetic graph and of
 * tiny (sparse), their statistics, the part folders written and read back. */
static int sc_partition(ctx *c) {
    static const char *spec = "synthetic:nodes=60,classes=3,features=6,degree=3,train-per-class=4,val=10,test=20";
    char *msg = c->msg, p[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *t = NULL;
    int32_t *part = NULL, *tp = NULL;
    gnnkd_partition_stats s = {0};
    gnnkd_part *q = NULL;
    STEP(gnnkd_dataset_synthetic(&d, spec, msg));
    STEP(gnnkd_partition_compute(&part, d, 3, GNNKD_PARTITION_METIS, 1, msg));
    STEP(gnnkd_partition_stats_of(&s, d, part, 3, GNNKD_PARTITION_METIS, msg));
    gnnkd_partition_stats_clear(&s);
    STEP(gnnkd_partition_write(&s, at(p, c->tmp, "dense"), d, part, 3, GNNKD_PARTITION_METIS, msg));
    STEP(gnnkd_part_load(&q, p, 2, msg));
    gnnkd_part_free(&q);
    STEP(gnnkd_dataset_load_dir(&t, at(p, c->data, "tiny"), msg));
    STEP(gnnkd_partition_compute(&tp, t, 2, GNNKD_PARTITION_CONTIGUOUS, 1, msg));
    STEP(gnnkd_partition_write(NULL, at(p, c->tmp, "sparse"), t, tp, 2, GNNKD_PARTITION_CONTIGUOUS, msg));
    STEP(gnnkd_part_load(&q, p, 1, msg));
done:
    gnnkd_part_free(&q);
    gnnkd_partition_stats_clear(&s);
    free(part);
    free(tp);
    gnnkd_dataset_free(&t);
    gnnkd_dataset_free(&d);
    return rc;
}

/* Models: a GCN trained, evaluated, saved and loaded; an MLP's forward and
 * backward on dense features; a CPF student trained, saved, loaded and
 * served node by node. */
static int sc_models(ctx *c) {
    char *msg = c->msg, p[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *syn = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *t = NULL, *loaded = NULL, *mlp = NULL, *cpf = NULL, *cpf2 = NULL;
    gnnkd_infer *w = NULL;
    float *logits = NULL, *dl = NULL;
    int32_t node = 0;
    gnnkd_model_spec spec;
    gnnkd_train_options o;
    gnnkd_train_result r;
    const float *z = NULL;
    gnnkd_train_options_default(&o);
    o.epochs = 3;
    STEP(gnnkd_dataset_load_dir(&d, at(p, c->data, "tiny"), msg));
    logits = __real_malloc((size_t)d->n * d->nclass * sizeof *logits);
    STEP(gnnkd_graph_new(&g, &d->adj, msg));
    STEP(gnnkd_model_spec_parse(&spec, "gcn:8", msg));
    STEP(gnnkd_model_new(&t, &spec, d->nfeat, d->nclass, 1, msg));
    STEP(gnnkd_train(t, &r, d, g, &o, NULL, msg));
    STEP(gnnkd_evaluate(t, &r, logits, d, g, msg));
    STEP(gnnkd_model_save(t, at(p, c->tmp, "t.bin"), msg));
    STEP(gnnkd_model_load(&loaded, p, msg));
    STEP(gnnkd_dataset_synthetic(&syn, "synthetic:nodes=30,classes=2,features=4,train-per-class=3,val=5,test=5", msg));
    STEP(gnnkd_model_spec_parse(&spec, "mlp:4,4", msg));
    STEP(gnnkd_model_new(&mlp, &spec, syn->nfeat, syn->nclass, 2, msg));
    STEP(gnnkd_model_forward(mlp, &z, syn, NULL, 1, 3, 1, msg));
    dl = __real_calloc((size_t)syn->n * syn->nclass, sizeof *dl);
    dl[0] = 1.0f;
    STEP(gnnkd_model_backward(mlp, dl, syn, NULL, msg));
    // CPF: its propagation's buffers, its file, its node-level inference
    STEP(gnnkd_model_spec_parse(&spec, "cpf:3,4", msg));
    STEP(gnnkd_model_new(&cpf, &spec, d->nfeat, d->nclass, 3, msg));
    STEP(gnnkd_train(cpf, &r, d, g, &o, NULL, msg));
    STEP(gnnkd_model_save(cpf, at(p, c->tmp, "cpf.bin"), msg));
    STEP(gnnkd_model_load(&cpf2, p, msg));
    STEP(gnnkd_infer_new(&w, msg));
    STEP(gnnkd_model_forward_nodes(logits, NULL, w, cpf2, d, g, &node, 1, msg));
done:
    gnnkd_infer_free(&w);
    gnnkd_model_free(&cpf);
    gnnkd_model_free(&cpf2);
    __real_free(dl);
    __real_free(logits);
    gnnkd_model_free(&mlp);
    gnnkd_model_free(&loaded);
    gnnkd_model_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&syn);
    gnnkd_dataset_free(&d);
    return rc;
}

/* Distillation: an ensemble of a model, a model file, a logits file and
 * logits; its KD and compression targets; every kind of transfer set
 * (the file read too); a student trained on them. */
static int sc_distill(ctx *c) {
    char *msg = c->msg, p[4096], zf[4096], tf[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *t = NULL, *s = NULL;
    gnnkd_teacher *te = NULL;
    int32_t *tr = NULL, ntr = 0;
    float *target = NULL, *z = NULL;
    gnnkd_model_spec spec;
    gnnkd_train_options o;
    gnnkd_train_result r;
    gnnkd_train_options_default(&o);
    o.epochs = 3;
    STEP(gnnkd_dataset_load_dir(&d, at(p, c->data, "tiny"), msg));
    const size_t nc = (size_t)d->n * d->nclass;
    target = __real_malloc(nc * sizeof *target);
    z = __real_malloc(nc * sizeof *z);
    for (size_t k = 0; k < nc; k++) z[k] = (float)(k % 5) - 2.0f;
    STEP(gnnkd_graph_new(&g, &d->adj, msg));
    STEP(gnnkd_model_spec_parse(&spec, "gcn:8", msg));
    STEP(gnnkd_model_new(&t, &spec, d->nfeat, d->nclass, 1, msg));
    STEP(gnnkd_model_save(t, at(p, c->tmp, "teacher.bin"), msg));
    STEP(gnnkd_npy_write(at(zf, c->tmp, "z.npy"), z, d->n, d->nclass, msg));
    STEP(gnnkd_teacher_new(&te, d->n, d->nclass, msg));
    STEP(gnnkd_teacher_add_model(te, t, d, g, msg));
    STEP(gnnkd_teacher_add_file(te, p, d, g, msg));
    STEP(gnnkd_teacher_add_file(te, zf, d, g, msg));
    STEP(gnnkd_teacher_add_logits(te, z, msg));
    STEP(gnnkd_teacher_targets(target, te, GNNKD_METHOD_COMPRESS, 1.0f, 1, msg));
    STEP(gnnkd_teacher_targets(target, te, GNNKD_METHOD_KD, 2.0f, 0, msg));
    STEP(gnnkd_teacher_targets(target, te, GNNKD_METHOD_KD, 2.0f, GNNKD_TARGET_STANDARDISE, msg));
    const gnnkd_transfer kinds[3] = {GNNKD_TRANSFER_ALL, GNNKD_TRANSFER_TRAIN, GNNKD_TRANSFER_FILE};
    FILE *f = fopen(at(tf, c->tmp, "transfer.txt"), "w");
    if (f == NULL || fputs("0\n2\n5\n", f) < 0 || fclose(f) != 0) abort();
    for (int k = 0; k < 3; k++) {
        STEP(gnnkd_transfer_nodes(&tr, &ntr, d, kinds[k], tf, msg));
        free(tr);
        tr = NULL;
    }
    STEP(gnnkd_transfer_nodes(&tr, &ntr, d, GNNKD_TRANSFER_UNLABELED, NULL, msg));
    STEP(gnnkd_model_spec_parse(&spec, "mlp:8", msg));
    STEP(gnnkd_model_new(&s, &spec, d->nfeat, d->nclass, 2, msg));
    gnnkd_objective kd = {GNNKD_METHOD_KD, 0.5f, 2.0f, target, tr, ntr};
    STEP(gnnkd_train(s, &r, d, g, &o, &kd, msg));
done:
    free(tr);
    __real_free(z);
    __real_free(target);
    gnnkd_teacher_free(&te);
    gnnkd_model_free(&s);
    gnnkd_model_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    return rc;
}

/* The GLNN/CPF data files: a .npz (stored and deflated members) and the
 * OGB layout (gzip lines, growing arrays, a split), directly and by open. */
static int sc_npz_ogb(ctx *c) {
    char *msg = c->msg, p[4096];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts counts;
    STEP(gnnkd_dataset_load_npz(&d, &counts, at(p, c->data, "npz/tiny.npz"), msg));
    gnnkd_dataset_free(&d);
    STEP(gnnkd_dataset_open(&d, p, NULL, msg));
    gnnkd_dataset_free(&d);
    STEP(gnnkd_dataset_load_ogb(&d, &counts, at(p, c->data, "ogb-tiny"), "random", msg));
    gnnkd_dataset_free(&d);
    STEP(gnnkd_dataset_open(&d, "ogb-tiny", c->data, msg));
done:
    gnnkd_dataset_free(&d);
    return rc;
}

/* The inductive setting and MUNGE: a setting, pseudo-nodes, a distillation
 * with both, and an evaluation. */
static int sc_setting(ctx *c) {
    static const char *spec = "synthetic:nodes=60,classes=3,features=6,degree=3,train-per-class=4,val=10,test=20";
    char *msg = c->msg;
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *a = NULL;
    gnnkd_setting *s = NULL;
    gnnkd_model *m = NULL;
    int32_t *src = NULL;
    gnnkd_distill_options o;
    gnnkd_distill_setting_result r;
    gnnkd_setting_acc acc;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    o.munge = 10;
    STEP(gnnkd_dataset_synthetic(&d, spec, msg));
    STEP(gnnkd_munge(&a, &src, d, 12, 0.5f, 1.0f, 1, msg));
    STEP(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, 0.3, 1, msg));
    STEP(gnnkd_distill_in(&r, &m, &o, 1, s, msg));
    STEP(gnnkd_setting_evaluate(&acc, m, s, msg));
done:
    free(src);
    gnnkd_model_free(&m);
    gnnkd_setting_free(&s);
    gnnkd_dataset_free(&a);
    gnnkd_dataset_free(&d);
    return rc;
}

/* LSP: an ensemble of two trained teachers and a model file, their local
 * structures (the graph's edges, then two hops), and a kd+lsp student on
 * its hidden-layer tap. */
static int sc_lsp(ctx *c) {
    char *msg = c->msg, p[4096];
    const char *files[1];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    gnnkd_distill_options o;
    gnnkd_distill_result r;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD_LSP, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    o.ensemble = 2;
    o.lsp_self_loop = 1;
    STEP(gnnkd_dataset_load_dir(&d, at(p, c->data, "tiny"), msg));
    STEP(gnnkd_graph_new(&g, &d->adj, msg));
    STEP(gnnkd_model_spec_parse(&o.student, "gcn:4", msg));
    STEP(gnnkd_distill(&r, &m, &o, 1, d, g, msg));
    STEP(gnnkd_model_save(m, at(p, c->tmp, "lsp-teacher.bin"), msg));
    gnnkd_model_free(&m);
    files[0] = p;
    o.teacher_files = files;
    o.nteacher_files = 1;
    o.method = GNNKD_METHOD_LSP;
    o.lsp_hops = 2; // the neighbourhoods of two hops too
    STEP(gnnkd_distill(&r, NULL, &o, 2, d, g, msg));
done:
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    return rc;
}

/* NOSMOG's student inputs: DeepWalk position features (saved and read
 * back) and adversarial augmentation, in the inductive setting; the
 * student exported as C with its rows (float, int8). */
static int sc_nosmog(ctx *c) {
    static const char *spec = "synthetic:nodes=60,classes=3,features=6,degree=3,train-per-class=4,val=10,test=20";
    char *msg = c->msg, path[4200];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_setting *s = NULL;
    gnnkd_model *m = NULL;
    gnnkd_distill_options o;
    gnnkd_distill_setting_result r;
    float row[4];
    const int32_t edge[2] = {0, 7}; // new node 0 -- known node 7
    snprintf(path, sizeof path, "%s/pos.npy", c->tmp);
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    o.position.dim = 4;
    o.position.walks = 1;
    o.position.length = 5;
    o.position_save = path;
    o.adv_eps = 0.01f;
    o.adv_steps = 1;
    STEP(gnnkd_dataset_synthetic(&d, spec, msg));
    STEP(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, 0.3, 1, msg));
    STEP(gnnkd_distill_in(&r, &m, &o, 1, s, msg));
    // the student ships with its rows: a model file, and a new node's row
    snprintf(path, sizeof path, "%s/pos.model", c->tmp);
    STEP(gnnkd_model_save(m, path, msg));
    gnnkd_model_free(&m);
    STEP(gnnkd_model_load(&m, path, msg));
    STEP(gnnkd_model_position_rows(row, m, 1, edge, edge + 1, 1, msg));
    // and as standalone C, its rows a table (int8: quantised per column)
    gnnkd_export_options eo;
    gnnkd_export_options_default(&eo);
    snprintf(path, sizeof path, "%s/pos.c", c->tmp);
    STEP(gnnkd_model_export_c(NULL, m, path, &eo, msg));
    eo.int8 = 1;
    STEP(gnnkd_model_export_c(NULL, m, path, &eo, msg));
done:
    gnnkd_model_free(&m);
    gnnkd_setting_free(&s);
    gnnkd_dataset_free(&d);
    return rc;
}

/* NOSMOG's similarity distillation: an ensemble of two trained teachers
 * and a model file, their hidden layers, a student on its tap in batches. */
static int sc_rsd(ctx *c) {
    char *msg = c->msg, p[4096];
    const char *files[1];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    gnnkd_distill_options o;
    gnnkd_distill_result r;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    o.ensemble = 2;
    o.rsd_weight = 1.0f;
    o.rsd_batch = 4;
    STEP(gnnkd_dataset_load_dir(&d, at(p, c->data, "tiny"), msg));
    STEP(gnnkd_graph_new(&g, &d->adj, msg));
    STEP(gnnkd_distill(&r, &m, &o, 1, d, g, msg));
    STEP(gnnkd_model_save(m, at(p, c->tmp, "rsd-teacher.bin"), msg));
    gnnkd_model_free(&m);
    files[0] = p;
    o.teacher_files = files;
    o.nteacher_files = 1;
    o.rsd_dot = o.rsd_projector = 1; // NOSMOG's form, with the projector's buffers
    STEP(gnnkd_distill(&r, NULL, &o, 2, d, g, msg));
done:
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    return rc;
}

/* ---- the brutal loop ------------------------------------------------------------ */

/* Runs scenario once without failures, then once failing its k-th wrapped
 * allocation for k = 0, 1, ... until a run reaches no failure; returns how
 * many allocations a clean run reaches. */
static long every_failure(const char *name, int (*scenario)(ctx *)) {
    ctx c = {0};
    snprintf(c.data, sizeof c.data, "%s", test_small_data());
    snprintf(c.tmp, sizeof c.tmp, "/tmp/gnnkd-alloc-XXXXXX");
    cr_assert_not_null(mkdtemp(c.tmp));
    long clean = -1;
    for (long k = -1;; k++) {
        pthread_mutex_lock(&lock);
        countdown = k, reached = 0, failed = 0, tracking = 1, nlive = 0;
        pthread_mutex_unlock(&lock);
        c.step = "(none)";
        strcpy(c.msg, "(stale)");
        int rc = scenario(&c);
        pthread_mutex_lock(&lock);
        tracking = 0, countdown = -1;
        long left = nlive, got = reached;
        int hit = failed;
        pthread_mutex_unlock(&lock);
        cr_assert_eq(left, 0, "%s, allocation %ld failed: %ld blocks left allocated (last failing call %s)",
                     name, k, left, c.step);
        if (k < 0) {
            cr_assert_eq(rc, GNNKD_OK, "%s: without failures %s returned %s: %s", name, c.step,
                         gnnkd_status_name(rc), c.msg);
            clean = got;
            continue;
        }
        if (!hit) {
            cr_assert_eq(rc, GNNKD_OK, "%s: %s", name, c.msg);
            cr_assert_eq(k, clean, "%s: %ld allocations failed, a clean run reaches %ld", name, k, clean);
            break;
        }
        cr_assert_eq(rc, GNNKD_ENOMEM, "%s, allocation %ld of %ld failed: %s returned %s: '%s'", name, k, clean,
                     c.step, gnnkd_status_name(rc), rc == GNNKD_OK ? "(the failure was hidden)" : c.msg);
        cr_assert(strstr(c.msg, "out of memory") != NULL,
                  "%s, allocation %ld failed: %s's message does not say so: '%s'", name, k, c.step, c.msg);
    }
    char cmd[2100];
    snprintf(cmd, sizeof cmd, "rm -rf %s", c.tmp);
    cr_assert_eq(system(cmd), 0);
    cr_log_info("%s: %ld allocations, each failed once and reported", name, clean);
    return clean;
}

/* The least each scenario must reach (about half of what it reaches today),
 * so that a scenario cut short, or a build where the library's allocations
 * no longer go through the wrapped functions, is seen. */
Test(alloc, dataset_folder, .timeout = 300) { cr_assert_geq(every_failure("folder", sc_folder), 40); }
Test(alloc, graph_files, .timeout = 300) { cr_assert_geq(every_failure("graph files", sc_graph_files), 70); }
Test(alloc, normalize_pattern, .timeout = 300) {
    cr_assert_geq(every_failure("normalize a pattern", sc_normalize_pattern), 10);
}
Test(alloc, npy_files, .timeout = 300) { cr_assert_geq(every_failure("npy", sc_npy), 8); }
Test(alloc, transforms, .timeout = 300) { cr_assert_geq(every_failure("transforms", sc_transforms), 30); }
Test(alloc, models, .timeout = 300) { cr_assert_geq(every_failure("models", sc_models), 40); }
Test(alloc, distillation, .timeout = 300) { cr_assert_geq(every_failure("distillation", sc_distill), 45); }
Test(alloc, npz_ogb_files, .timeout = 300) { cr_assert_geq(every_failure("npz and ogb", sc_npz_ogb), 55); }
Test(alloc, lsp, .timeout = 300) { cr_assert_geq(every_failure("lsp", sc_lsp), 90); }
Test(alloc, partitions, .timeout = 300) { cr_assert_geq(every_failure("partitions", sc_partition), 30); }
Test(alloc, setting_and_munge, .timeout = 300) { cr_assert_geq(every_failure("setting", sc_setting), 40); }
Test(alloc, nosmog_inputs, .timeout = 300) { cr_assert_geq(every_failure("nosmog", sc_nosmog), 40); }
Test(alloc, rsd, .timeout = 300) { cr_assert_geq(every_failure("rsd", sc_rsd), 60); }
