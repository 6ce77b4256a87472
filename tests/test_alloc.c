/* test_alloc.c — every allocation of the library fails once, on purpose
 * (LAGraph's brutal memory test): the calls must report GNNKD_ENOMEM (or
 * succeed), never crash, and — under the sanitizer build — leak nothing.
 * malloc, calloc and realloc are wrapped at link time (-Wl,--wrap), so only
 * gnnkd's own calls are counted, not those of libc, GraphBLAS or igraph. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gnnkd.h"

void *__real_malloc(size_t n);
void *__real_calloc(size_t c, size_t n);
void *__real_realloc(void *p, size_t n);

/* Which allocation fails: the countdown-th from now; -1: none. */
static long countdown = -1;
static int failed;

static int fail_now(void) {
    if (countdown < 0) return 0;
    if (countdown-- == 0) {
        failed = 1;
        return 1;
    }
    return 0;
}
void *__wrap_malloc(size_t n) { return fail_now() ? NULL : __real_malloc(n); }
void *__wrap_calloc(size_t c, size_t n) { return fail_now() ? NULL : __real_calloc(c, n); }
void *__wrap_realloc(void *p, size_t n) { return fail_now() ? NULL : __real_realloc(p, n); }

#define STEP(call)                                                                        \
    do {                                                                                  \
        rc = (call);                                                                      \
        if (rc != GNNKD_OK) goto done;                                                    \
    } while (0)

/* The life of a distillation on the tiny dataset; returns the first failure. */
static int scenario(const char *dir, const char *tmp) {
    char msg[GNNKD_MSG_LEN], path[512];
    int rc = GNNKD_OK;
    gnnkd_dataset *d = NULL, *d2 = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *t = NULL, *s = NULL, *loaded = NULL;
    gnnkd_teacher *te = NULL;
    float *target = NULL, *z = NULL;
    int32_t *tr = NULL, ntr = 0;
    int64_t rows, cols;
    gnnkd_model_spec spec;
    gnnkd_train_options o;
    gnnkd_train_result r;
    gnnkd_train_options_default(&o);
    o.epochs = 3;

    STEP(gnnkd_dataset_load_dir(&d, dir, msg));
    STEP(gnnkd_dataset_normalize_features(d, msg));
    STEP(gnnkd_graph_new(&g, &d->adj, msg));
    STEP(gnnkd_model_spec_parse(&spec, "gcn:8", msg));
    STEP(gnnkd_model_new(&t, &spec, d->nfeat, d->nclass, 1, msg));
    STEP(gnnkd_train(t, &r, d, g, &o, NULL, msg));
    snprintf(path, sizeof path, "%s/t.bin", tmp);
    STEP(gnnkd_model_save(t, path, msg));
    STEP(gnnkd_model_load(&loaded, path, msg));
    STEP(gnnkd_teacher_new(&te, d->n, d->nclass, msg));
    STEP(gnnkd_teacher_add_model(te, loaded, d, g, msg));
    STEP(gnnkd_teacher_add_file(te, path, d, g, msg));
    if ((target = malloc((size_t)d->n * d->nclass * sizeof *target)) == NULL) {
        rc = GNNKD_ENOMEM;
        goto done;
    }
    STEP(gnnkd_teacher_targets(target, te, GNNKD_METHOD_KD, 2.0f, 0, msg));
    snprintf(path, sizeof path, "%s/q.npy", tmp);
    STEP(gnnkd_npy_write(path, target, d->n, d->nclass, msg));
    STEP(gnnkd_npy_read(&z, &rows, &cols, path, msg));
    STEP(gnnkd_transfer_nodes(&tr, &ntr, d, GNNKD_TRANSFER_UNLABELED, NULL, msg));
    STEP(gnnkd_model_spec_parse(&spec, "mlp:8", msg));
    STEP(gnnkd_model_new(&s, &spec, d->nfeat, d->nclass, 2, msg));
    gnnkd_objective kd = {GNNKD_METHOD_KD, 0.5f, 2.0f, target, tr, ntr};
    STEP(gnnkd_train(s, &r, d, g, &o, &kd, msg));
    snprintf(path, sizeof path, "%s/ds", tmp);
    STEP(gnnkd_dataset_save_dir(d, path, msg));
    STEP(gnnkd_dataset_load_dir(&d2, path, msg));
done:
    free(tr);
    free(z);
    free(target);
    gnnkd_teacher_free(&te);
    gnnkd_model_free(&loaded);
    gnnkd_model_free(&s);
    gnnkd_model_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d2);
    gnnkd_dataset_free(&d);
    return rc;
}

Test(alloc, every_allocation_failure_is_reported, .timeout = 300) {
    char dir[512], tmp[] = "/tmp/gnnkd-alloc-XXXXXX";
    const char *data = getenv("GNNKD_TEST_DATA");
    cr_assert_not_null(data);
    snprintf(dir, sizeof dir, "%s/tiny", data);
    cr_assert_not_null(mkdtemp(tmp));
    cr_assert_eq(scenario(dir, tmp), GNNKD_OK, "the scenario must pass without failures");
    long n;
    for (n = 0;; n++) {
        countdown = n;
        failed = 0;
        int rc = scenario(dir, tmp);
        countdown = -1;
        if (!failed) {
            cr_assert_eq(rc, GNNKD_OK);
            break;
        }
        cr_assert(rc == GNNKD_ENOMEM, "allocation %ld failed: status %s, not GNNKD_ENOMEM", n,
                  gnnkd_status_name(rc));
    }
    cr_log_info("%ld allocations failed one at a time, each reported", n);
    cr_assert_gt(n, 20);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
    cr_assert_eq(system(cmd), 0);
}
