/* test_threads.c — what gnnkd.h promises about threads and global state:
 * igraph users (graph files, synthetic graphs, statistics) called from
 * several threads at once, each getting its own result and its own message;
 * normalised adjacencies built and models trained in parallel;
 * gnnkd_init / gnnkd_finalize;
 * msg cleared on entry with the first error kept. */
#include <criterion/criterion.h>

#include "core/internal.h"
#include "gnnkd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NTHREADS 6
#define ROUNDS 40

static const char *test_data(void) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL, "GNNKD_TEST_DATA is not set (ctest sets it)");
    return p;
}

static int same_csr(const gnnkd_csr *a, const gnnkd_csr *b) {
    if (a->nrows != b->nrows || a->ncols != b->ncols) return 0;
    int64_t nnz = gnnkd_csr_nnz(a);
    if (nnz != gnnkd_csr_nnz(b)) return 0;
    if (memcmp(a->rowptr, b->rowptr, sizeof *a->rowptr * (size_t)(a->nrows + 1)) != 0) return 0;
    if (memcmp(a->colidx, b->colidx, sizeof *a->colidx * (size_t)nnz) != 0) return 0;
    if ((a->val == NULL) != (b->val == NULL)) return 0;
    return a->val == NULL || memcmp(a->val, b->val, sizeof *a->val * (size_t)nnz) == 0;
}

/* ---- igraph from several threads ----------------------------------------- */

#define SYNTH "synthetic:nodes=300,classes=3,degree=4,features=6,train-per-class=5,val=30,test=60,seed="

typedef struct {
    int id;
    char bad[256], good[256];
    const gnnkd_dataset *synth_ref; /* the same spec, generated before on one thread */
    char error[2 * GNNKD_MSG_LEN]; /* the first thing that went wrong, or "" */
} igraph_job;

#define JOB_FAIL(j, ...)                                                                   \
    do {                                                                                  \
        if ((j)->error[0] == '\0') snprintf((j)->error, sizeof (j)->error, __VA_ARGS__);   \
        goto done;                                                                        \
    } while (0)

/* Thread id's files: a GML whose parse error is on line 4 + id (id blank
 * lines in front of tests/data/graphs/bad.gml's three), and a path of
 * 10 + id nodes as an edge list. */
static void write_files(igraph_job *j, const char *dir) {
    snprintf(j->bad, sizeof j->bad, "%s/bad%d.gml", dir, j->id);
    snprintf(j->good, sizeof j->good, "%s/good%d.edges", dir, j->id);
    FILE *f = fopen(j->bad, "w");
    cr_assert_not_null(f);
    for (int k = 0; k < j->id; k++) fputc('\n', f);
    fputs("graph [\n  node [ id 1\n  edge [ source 1 target 2 ]\n", f);
    fclose(f);
    f = fopen(j->good, "w");
    cr_assert_not_null(f);
    for (int k = 0; k < 9 + j->id; k++) fprintf(f, "%d %d\n", k, k + 1);
    fclose(f);
}

static void *igraph_worker(void *arg) {
    igraph_job *j = arg;
    char msg[GNNKD_MSG_LEN], want[GNNKD_MSG_LEN], spec[128];
    gnnkd_dataset *d = NULL;
    gnnkd_stats s = {0};
    snprintf(want, sizeof want, "%s: Parse error in GML file, line %d", j->bad, 4 + j->id);
    snprintf(spec, sizeof spec, SYNTH "%d", j->id % 2);
    for (int r = 0; r < ROUNDS; r++) {
        /* a malformed file: our status, our file, our line */
        snprintf(msg, sizeof msg, "stale");
        int rc = gnnkd_dataset_load_graph(&d, NULL, j->bad, NULL, NULL, NULL, msg);
        if (rc != GNNKD_EDATA || d != NULL) JOB_FAIL(j, "bad file: %s (%s)", gnnkd_status_name(rc), msg);
        if (strstr(msg, want) == NULL) JOB_FAIL(j, "bad file: message '%s', expected '%s'", msg, want);

        /* a good one: our graph */
        gnnkd_graph_counts c;
        rc = gnnkd_dataset_load_graph(&d, &c, j->good, NULL, NULL, NULL, msg);
        if (rc != GNNKD_OK) JOB_FAIL(j, "good file: %s (%s)", gnnkd_status_name(rc), msg);
        if (msg[0] != '\0') JOB_FAIL(j, "good file: message '%s' after a success", msg);
        if (d->n != 10 + j->id || c.edges != 9 + j->id || gnnkd_csr_nnz(&d->adj) != 2 * (9 + j->id))
            JOB_FAIL(j, "good file: %d nodes, %lld edges", d->n, (long long)c.edges);
        rc = gnnkd_dataset_stats(&s, d, msg);
        if (rc != GNNKD_OK) JOB_FAIL(j, "stats: %s", msg);
        if (s.components != 1 || s.largest_component != d->n || s.clustering != 0.0)
            JOB_FAIL(j, "stats: %d components, largest %d", s.components, s.largest_component);
        gnnkd_stats_clear(&s);
        gnnkd_dataset_free(&d);

        /* igraph's default RNG is swapped for the generator's own */
        rc = gnnkd_dataset_synthetic(&d, spec, msg);
        if (rc != GNNKD_OK) JOB_FAIL(j, "%s: %s", spec, msg);
        if (!same_csr(&d->adj, &j->synth_ref->adj)) JOB_FAIL(j, "%s: another graph than on one thread", spec);
        gnnkd_dataset_free(&d);
    }
done:
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
    return NULL;
}

Test(threads, igraph_users_in_parallel_keep_their_own_results_and_messages) {
    char dir[] = "/tmp/gnnkd_threads_XXXXXX", msg[GNNKD_MSG_LEN] = "";
    cr_assert_not_null(mkdtemp(dir));
    gnnkd_dataset *ref[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++) {
        char spec[128];
        snprintf(spec, sizeof spec, SYNTH "%d", k);
        cr_assert_eq(gnnkd_dataset_synthetic(&ref[k], spec, msg), GNNKD_OK, "%s", msg);
    }
    cr_assert(!same_csr(&ref[0]->adj, &ref[1]->adj), "two seeds give two graphs");
    igraph_job job[NTHREADS];
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        memset(&job[t], 0, sizeof job[t]);
        job[t].id = t;
        job[t].synth_ref = ref[t % 2];
        write_files(&job[t], dir);
    }
    for (int t = 0; t < NTHREADS; t++)
        cr_assert_eq(pthread_create(&th[t], NULL, igraph_worker, &job[t]), 0);
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; t++) {
        cr_expect_eq(job[t].error[0], '\0', "thread %d: %s", t, job[t].error);
        remove(job[t].bad);
        remove(job[t].good);
    }
    rmdir(dir);
    gnnkd_dataset_free(&ref[0]);
    gnnkd_dataset_free(&ref[1]);
}

/* ---- graphs built in parallel -------------------------------------------- */

typedef struct {
    const gnnkd_dataset *d[2];
    const gnnkd_graph *ref[2];
    char error[2 * GNNKD_MSG_LEN];
} graph_job;

static void *graph_worker(void *arg) {
    graph_job *j = arg;
    char msg[GNNKD_MSG_LEN];
    gnnkd_graph *g = NULL;
    for (int r = 0; r < ROUNDS; r++) {
        int k = r % 2;
        int rc = gnnkd_graph_new(&g, &j->d[k]->adj, msg);
        if (rc != GNNKD_OK) JOB_FAIL(j, "round %d: %s", r, msg);
        if (!same_csr(gnnkd_graph_csr(g), gnnkd_graph_csr(j->ref[k])))
            JOB_FAIL(j, "round %d: another Â than on one thread", r);
        gnnkd_graph_free(&g);
    }
done:
    gnnkd_graph_free(&g);
    return NULL;
}

Test(threads, graphs_built_in_parallel_are_identical) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d[2] = {NULL, NULL};
    gnnkd_graph *ref[2] = {NULL, NULL};
    cr_assert_eq(gnnkd_dataset_load_dir(&d[0], tiny, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_synthetic(&d[1], SYNTH "3", msg), GNNKD_OK, "%s", msg);
    for (int k = 0; k < 2; k++) cr_assert_eq(gnnkd_graph_new(&ref[k], &d[k]->adj, msg), GNNKD_OK, "%s", msg);
    graph_job job[NTHREADS];
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        memset(&job[t], 0, sizeof job[t]);
        for (int k = 0; k < 2; k++) job[t].d[k] = d[k], job[t].ref[k] = ref[k];
        cr_assert_eq(pthread_create(&th[t], NULL, graph_worker, &job[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; t++) cr_expect_eq(job[t].error[0], '\0', "thread %d: %s", t, job[t].error);
    for (int k = 0; k < 2; k++) {
        gnnkd_graph_free(&ref[k]);
        gnnkd_dataset_free(&d[k]);
    }
}

/* ---- models trained in parallel ------------------------------------------- */

typedef struct {
    const gnnkd_dataset *d;
    const gnnkd_graph *g;
    uint64_t seed;
    float *logits; /* (n, C) after training */
    char error[2 * GNNKD_MSG_LEN];
} train_job;

/* Trains gcn:8 for 30 epochs on one OpenMP thread (OpenMP's count is the
 * calling thread's) and keeps the logits. */
static void *train_worker(void *arg) {
    train_job *j = arg;
    char msg[GNNKD_MSG_LEN];
    gnnkd_model *m = NULL;
    gnnkd_model_spec spec;
    gnnkd_train_options o;
    gnnkd_train_result r;
    gnnkd_set_threads(1);
    gnnkd_train_options_default(&o);
    o.epochs = 30;
    o.seed = j->seed;
    if (gnnkd_model_spec_parse(&spec, "gcn:8", msg) != GNNKD_OK) JOB_FAIL(j, "%s", msg);
    if (gnnkd_model_new(&m, &spec, j->d->nfeat, j->d->nclass, j->seed, msg) != GNNKD_OK)
        JOB_FAIL(j, "%s", msg);
    if (gnnkd_train(m, &r, j->d, j->g, &o, NULL, msg) != GNNKD_OK) JOB_FAIL(j, "%s", msg);
    if (gnnkd_evaluate(m, &r, j->logits, j->d, j->g, msg) != GNNKD_OK) JOB_FAIL(j, "%s", msg);
done:
    gnnkd_model_free(&m);
    return NULL;
}

Test(threads, models_trained_in_parallel_match_one_thread) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, SYNTH "5", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    size_t len = (size_t)d->n * (size_t)d->nclass;
    train_job ref = {d, g, 0, calloc(len, sizeof(float)), ""}, job[NTHREADS];
    train_worker(&ref);
    cr_assert_eq(ref.error[0], '\0', "%s", ref.error);
    pthread_t th[NTHREADS];
    for (int t = 0; t < NTHREADS; t++) {
        job[t] = (train_job){d, g, (uint64_t)(t % 2), calloc(len, sizeof(float)), ""};
        cr_assert_eq(pthread_create(&th[t], NULL, train_worker, &job[t]), 0);
    }
    for (int t = 0; t < NTHREADS; t++) pthread_join(th[t], NULL);
    for (int t = 0; t < NTHREADS; t++) {
        cr_expect_eq(job[t].error[0], '\0', "thread %d: %s", t, job[t].error);
        int same = memcmp(job[t].logits, ref.logits, len * sizeof(float)) == 0;
        cr_expect_eq(same, t % 2 == 0, "thread %d: seed %d gives %s logits", t, t % 2,
                     same ? "seed 0's" : "other");
        free(job[t].logits);
    }
    free(ref.logits);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* ---- gnnkd_init / gnnkd_finalize ------------------------------------------ */

Test(runtime, init_then_finalize) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "stale";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    cr_assert_eq(gnnkd_init(msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(msg[0], '\0', "msg cleared: %s", msg);
    cr_assert_eq(gnnkd_init(msg), GNNKD_OK, "a second init is fine: %s", msg);
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL, *g2 = NULL;
    gnnkd_model *m = NULL;
    gnnkd_model_spec spec;
    const float *z1 = NULL, *z2 = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "gcn:4", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &spec, d->nfeat, d->nclass, 3, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_forward(m, &z1, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    int64_t len = (int64_t)d->n * d->nclass;
    float *before = malloc(sizeof *before * (size_t)len);
    memcpy(before, z1, sizeof *before * (size_t)len);

    gnnkd_finalize();
    /* a graph built before is plain arrays: models still run on it */
    cr_assert_eq(gnnkd_model_forward(m, &z2, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(memcmp(before, z2, sizeof *before * (size_t)len), 0);
    /* GraphBLAS does not start again */
    cr_assert_eq(gnnkd_graph_new(&g2, &d->adj, msg), GNNKD_EINVAL);
    cr_assert_null(g2);
    cr_assert(strstr(msg, "gnnkd_finalize") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_init(msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "gnnkd_finalize") != NULL, "%s", msg);
    gnnkd_finalize(); /* a second call does nothing */
    /* what does not need GraphBLAS keeps working, igraph included */
    gnnkd_stats s;
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(s.nodes, d->n);
    gnnkd_stats_clear(&s);
    free(before);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

Test(runtime, starts_itself_without_init) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_graph_csr(g)->nrows, d->n);
    cr_assert_eq(gnnkd_init(msg), GNNKD_OK, "already started: %s", msg);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    gnnkd_finalize();
}

Test(runtime, finalize_before_any_use) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_finalize();
    cr_assert_eq(gnnkd_init(msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "gnnkd_finalize") != NULL, "%s", msg);
}

/* ---- messages ---------------------------------------------------------------- */

Test(messages, cleared_on_entry_and_first_error_kept) {
    char msg[GNNKD_MSG_LEN] = "";
    gkd_msg(msg, "first: %d", 1);
    gkd_msg(msg, "second: %d", 2);
    cr_assert_str_eq(msg, "first: 1");

    /* a failure, then a success with the same buffer: no stale message */
    gnnkd_model_spec spec;
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "gcn:0", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "gcn:0") != NULL || strstr(msg, "width") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "gcn:16", msg), GNNKD_OK);
    cr_assert_eq(msg[0], '\0', "%s", msg);
    /* and a failure after a failure reports the second call's error */
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "gcn:0", msg), GNNKD_EINVAL);
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "rnn:4", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "rnn") != NULL, "%s", msg);
}
