/* test_hardening.c — inputs a hostile or careless user gives: a features
 * matrix without entries, empty evaluation sets, declared sizes a file cannot
 * hold, NaN in binary inputs, outputs at a symlink or a device. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "gnn/gnn.h"

static gnnkd_dataset *tiny(void) {
    char msg[GNNKD_MSG_LEN] = "", dir[4096];
    gnnkd_dataset *d = NULL;
    const char *root = getenv("GNNKD_TEST_DATA");
    cr_assert_not_null(root, "GNNKD_TEST_DATA is not set");
    snprintf(dir, sizeof dir, "%s/tiny", root);
    cr_assert_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_OK, "%s", msg);
    return d;
}

static gnnkd_model *model(const char *text, const gnnkd_dataset *d) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec s;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, text, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_model_new(&m, &s, d->nfeat, d->nclass, 1, msg), GNNKD_OK, "%s", msg);
    return m;
}

/* A valid features matrix with no entries (N F 0) trains with the default
 * dropout: the dropped-features buffer exists though it holds nothing. */
Test(hardening, features_without_entries_train_with_dropout) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = tiny();
    GKD_FREE(d->x.colidx);
    GKD_FREE(d->x.val);
    memset(d->x.rowptr, 0, ((size_t)d->n + 1) * sizeof *d->x.rowptr);
    cr_assert_eq(gnnkd_csr_nnz(&d->x), 0);
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    const char *kinds[] = {"gcn:4", "mlp:4"};
    for (int k = 0; k < 2; k++) {
        gnnkd_model *m = model(kinds[k], d);
        cr_assert_eq(gnnkd_model_get_spec(m)->dropout, 0.5f);
        gnnkd_train_options o;
        gnnkd_train_options_default(&o);
        o.epochs = 3;
        gnnkd_train_result r;
        cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_OK, "%s: %s", kinds[k], msg);
        cr_assert_eq(r.epochs, 3, "%s", kinds[k]);
        const float *z = NULL;
        cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 1, 7, 1, msg), GNNKD_OK, "%s", msg);
        for (int64_t e = 0; e < (int64_t)d->n * d->nclass; e++)
            cr_assert(isfinite(z[e]), "%s: logit %ld", kinds[k], (long)e);
        gnnkd_model_free(&m);
    }
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* ---- outputs ------------------------------------------------------------- */

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char scratch[64];

static void make_scratch(void) {
    strcpy(scratch, "/tmp/gnnkd-hardening-XXXXXX");
    cr_assert_not_null(mkdtemp(scratch));
}

static void remove_scratch(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    cr_assert_eq(system(cmd), 0);
}

/* The names in the scratch folder, one per line, sorted by the shell. */
static void listing(char *out, size_t len) {
    char cmd[160];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | tr '\\n' ' '", scratch);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t got = fread(out, 1, len - 1, p);
    out[got] = '\0';
    pclose(p);
}

static const float ROW[4] = {1.0f, 2.0f, 3.0f, 4.0f};

/* A symlink at the output path is followed: its target gets the data, the
 * link stays a link, and nothing else appears in the folder. */
Test(hardening, output_follows_a_symlink, .init = make_scratch, .fini = remove_scratch) {
    char msg[GNNKD_MSG_LEN] = "", link[128], target[128], names[256];
    snprintf(target, sizeof target, "%s/real.npy", scratch);
    snprintf(link, sizeof link, "%s/link.npy", scratch);
    cr_assert_eq(symlink("real.npy", link), 0); // dangling at first
    for (int round = 0; round < 2; round++) {
        cr_assert_eq(gnnkd_npy_write(link, ROW, 1, 4, msg), GNNKD_OK, "%s", msg);
        struct stat st;
        cr_assert_eq(lstat(link, &st), 0);
        cr_assert(S_ISLNK(st.st_mode), "round %d: the link was replaced", round);
        cr_assert_eq(lstat(target, &st), 0);
        cr_assert(S_ISREG(st.st_mode));
        cr_assert_eq(st.st_size, 128 + 16);
    }
    listing(names, sizeof names);
    cr_assert_str_eq(names, "link.npy real.npy ");
}

/* A FIFO at the output path is written through, not replaced by a file. */
Test(hardening, output_writes_through_a_fifo, .init = make_scratch, .fini = remove_scratch) {
    char msg[GNNKD_MSG_LEN] = "", fifo[128];
    snprintf(fifo, sizeof fifo, "%s/pipe", scratch);
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    int rd = open(fifo, O_RDONLY | O_NONBLOCK); // a reader, so that the writer does not block
    cr_assert_geq(rd, 0);
    cr_assert_eq(gnnkd_npy_write(fifo, ROW, 1, 4, msg), GNNKD_OK, "%s", msg);
    struct stat st;
    cr_assert_eq(lstat(fifo, &st), 0);
    cr_assert(S_ISFIFO(st.st_mode), "the FIFO was replaced");
    unsigned char buf[512];
    cr_assert_eq(read(rd, buf, sizeof buf), 128 + 16, "the data did not go through the FIFO");
    cr_assert_eq(memcmp(buf, "\x93NUMPY", 6), 0);
    close(rd);
}

/* /dev/null stays the character device it is. */
Test(hardening, output_to_dev_null_keeps_it) {
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_npy_write("/dev/null", ROW, 1, 4, msg), GNNKD_OK, "%s", msg);
    struct stat st;
    cr_assert_eq(stat("/dev/null", &st), 0);
    cr_assert(S_ISCHR(st.st_mode));
    cr_assert_eq(gnnkd_output_check("/dev/null", msg), GNNKD_OK, "%s", msg);
}

/* A failed write, and a process killed while writing, leave no temporary. */
Test(hardening, output_leaves_no_temporary, .init = make_scratch, .fini = remove_scratch) {
    char msg[GNNKD_MSG_LEN] = "", path[128], tmp[GKD_PATH_LEN + 32], names[256];
    snprintf(path, sizeof path, "%s/out.bin", scratch);
    char state[GNNKD_OUTPUT_STATE_LEN];
    FILE *f;
    cr_assert_eq(gnnkd_output_open(&f, state, path, msg), GNNKD_OK, "%s", msg);
    fputs("half", f);
    cr_assert_eq(gnnkd_output_close(f, state, path, 0, msg), GNNKD_OK); // dropped
    cr_assert_eq(gnnkd_output_open(&f, state, scratch, msg), GNNKD_EINVAL, "a directory");
    cr_assert_null(f);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) { // writes and dies before the commit
        FILE *g = gkd_open_tmp(path, tmp, sizeof tmp, NULL);
        if (g == NULL) _exit(3);
        fputs("half", g);
        fflush(g);
        kill(getpid(), SIGKILL);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFSIGNALED(status), "the child was not killed (status %d)", status);
    listing(names, sizeof names);
    cr_assert_str_eq(names, "", "left behind: %s", names);
    // a directory, an empty path and a missing folder are refused up front
    cr_assert_eq(gnnkd_output_check(scratch, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "directory") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_output_check("", msg), GNNKD_EINVAL);
    snprintf(path, sizeof path, "%s/no-dir/m.bin", scratch);
    cr_assert_eq(gnnkd_output_check(path, msg), GNNKD_EIO);
    cr_assert(strstr(msg, "no-dir") != NULL, "%s", msg);
}

/* ---- empty evaluation sets ------------------------------------------------ */

/* Selection by an empty validation set is refused, naming it; --select last
 * trains every epoch and keeps the last weights without one. */
Test(hardening, empty_validation_set) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = tiny();
    d->nsplit[GNNKD_VAL] = 0;
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m = model("gcn:4", d);
    gnnkd_train_options o;
    gnnkd_train_options_default(&o);
    o.epochs = 5;
    gnnkd_train_result r;
    gnnkd_select refused[] = {GNNKD_SELECT_VAL_ACC, GNNKD_SELECT_VAL_LOSS};
    for (int k = 0; k < 2; k++) {
        o.select = refused[k];
        cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_EINVAL);
        cr_assert(strstr(msg, "validation set is empty") != NULL, "%s", msg);
    }
    o.select = GNNKD_SELECT_LAST;
    o.patience = 1; // ignored: nothing to stop on
    cr_assert_eq(gnnkd_train(m, &r, d, g, &o, NULL, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r.epochs, 5);
    cr_assert_eq(r.best_epoch, 5);
    cr_assert(isnan(r.acc[GNNKD_VAL]), "an empty set has no accuracy, got %g", r.acc[GNNKD_VAL]);
    cr_assert(r.acc[GNNKD_TEST] >= 0.0 && r.acc[GNNKD_TEST] <= 1.0);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* ---- declared sizes -------------------------------------------------------- */

/* Split sizes are checked against the labelled nodes before they size an
 * allocation: 2e9 test nodes is a usage error, not out of memory. */
Test(hardening, split_sizes_checked_before_allocating) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = tiny();
    cr_assert_eq(gnnkd_dataset_split_random(d, 1, 1, 2000000000, 0, msg), GNNKD_EINVAL, "%s", msg);
    cr_assert(strstr(msg, "2000000000") != NULL && strstr(msg, "fewer than the 2000000001 asked for") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_split(d, "random:0:2000000000:1", 0, msg), GNNKD_EINVAL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_split(d, "random:1:1:1", 0, msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset_free(&d);
}

/* ---- thread pools ---------------------------------------------------------- */

#include <omp.h>
#include <sys/resource.h>

/* Under an address-space limit the thread count is capped to what fits
 * (OpenBLAS spins forever otherwise); a forked child takes the limit. */
Test(hardening, threads_fit_the_address_space) {
    cr_assert_eq(gnnkd_threads_fit(), INT32_MAX, "the test needs no ulimit -v");
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        long long pages = 0;
        FILE *f = fopen("/proc/self/statm", "r");
        if (f == NULL || fscanf(f, "%lld", &pages) != 1) _exit(10);
        fclose(f);
        struct rlimit rl = {0, 0};
        getrlimit(RLIMIT_AS, &rl);
        rl.rlim_cur = (rlim_t)(pages * sysconf(_SC_PAGESIZE) + (1LL << 30)); // 1 GB more
        if (setrlimit(RLIMIT_AS, &rl) != 0) _exit(11);
        int fit = gnnkd_threads_fit(); // half of 1 GB at 144 MB a thread: 3
        if (fit != 3) _exit(20 + (fit > 20 ? 20 : fit));
        gnnkd_set_threads(16);
        _exit(gnnkd_get_threads() == 3 ? 0 : 12);
    }
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", WEXITSTATUS(status));
}

/* The default thread count: one for small work, the idle cores for large. */
Test(hardening, default_threads_by_work) {
    gnnkd_dataset *d = tiny();
    gnnkd_model_spec s;
    char msg[GNNKD_MSG_LEN] = "";
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:16", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_threads_default(d, &s), 1);
    // a graph as large as PubMed's features with gcn:256: 1e6 nonzeros x 256
    gnnkd_dataset big = *d;
    int64_t rowptr[2] = {0, 1000000};
    big.n = 1;
    big.x.nrows = 1;
    big.x.rowptr = rowptr;
    big.adj.rowptr = NULL;
    cr_assert_eq(gnnkd_model_spec_parse(&s, "gcn:256", msg), GNNKD_OK, "%s", msg);
    int n = gnnkd_threads_default(&big, &s); // what the machine's load leaves
    cr_assert(n >= 1 && n <= omp_get_num_procs(), "%d threads", n);
    // the rule: small work one thread; large work the idle cores, at least
    // one; never more than fit the address space
    cr_assert_eq(gkd_threads_choose(1e6, 2e7, 8, 0, 100), 1);
    cr_assert_eq(gkd_threads_choose(1e9, 2e7, 8, 0, 100), 8);
    cr_assert_eq(gkd_threads_choose(1e9, 2e7, 8, 3, 100), 5);
    cr_assert_eq(gkd_threads_choose(1e9, 2e7, 2, 1, 100), 1);
    cr_assert_eq(gkd_threads_choose(1e9, 2e7, 2, 7, 100), 1);
    cr_assert_eq(gkd_threads_choose(1e9, 2e7, 8, 0, 3), 3);
    int busy = gkd_cpus_busy();
    cr_assert(busy >= 0 && busy < 100000, "busy %d", busy);
    setenv("GNNKD_THREADS_WORK", "1e12", 1);
    cr_assert_eq(gnnkd_threads_default(&big, &s), 1, "the threshold is a setting");
    unsetenv("GNNKD_THREADS_WORK");
    gnnkd_dataset_free(&d);
}

/* ---- NaN and Inf in binary inputs ----------------------------------------- */

/* A NaN or Inf in a .npy file (features, teacher logits) or a model file is
 * refused naming the file, not found epochs later as a NaN loss. */
Test(hardening, nan_in_npy_and_model_files, .init = make_scratch, .fini = remove_scratch) {
    char msg[GNNKD_MSG_LEN] = "", p[128];
    gnnkd_dataset *d = tiny();
    float *z = calloc((size_t)d->n * d->nclass, sizeof *z);
    z[2 * d->nclass + 1] = NAN;
    snprintf(p, sizeof p, "%s/teacher.npy", scratch);
    cr_assert_eq(gnnkd_npy_write(p, z, d->n, d->nclass, msg), GNNKD_OK, "%s", msg);
    float *back = NULL;
    int64_t r, c;
    cr_assert_eq(gnnkd_npy_read(&back, &r, &c, p, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "teacher.npy: row 2, column 1") != NULL, "%s", msg);
    cr_assert_null(back);
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_teacher_new(&t, d->n, d->nclass, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_teacher_add_file(t, p, d, NULL, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "teacher.npy") != NULL, "%s", msg);
    gnnkd_teacher_free(&t);
    z[2 * d->nclass + 1] = -INFINITY;
    cr_assert_eq(gnnkd_npy_write(p, z, d->n, d->nclass, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_npy_read(&back, &r, &c, p, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "-inf") != NULL, "%s", msg);

    gnnkd_model *m = model("mlp:4", d);
    gkd_model_params(m)[5] = NAN; // saved with a valid checksum
    snprintf(p, sizeof p, "%s/m.bin", scratch);
    cr_assert_eq(gnnkd_model_save(m, p, msg), GNNKD_OK, "%s", msg);
    gnnkd_model *m2 = NULL;
    cr_assert_eq(gnnkd_model_load(&m2, p, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "m.bin: parameter 5 is nan") != NULL, "%s", msg);
    cr_assert_null(m2);
    gnnkd_model_free(&m);
    free(z);
    gnnkd_dataset_free(&d);
}

/* ---- synthetic graphs smaller than their preset ------------------------------ */

/* synthetic:nodes=500 gets a split scaled to its size; a split that still
 * does not fit names the keys to change. */
Test(hardening, synthetic_split_scales_with_nodes) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=500", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 140);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 500 * 500 / 2708);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 1000 * 500 / 2708);
    gnnkd_dataset_free(&d);
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=100", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "train-per-class=20, val=18, test=36: change these keys") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=100,train-per-class=5", msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset_free(&d);
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic", msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 500, "the preset's own split is unchanged");
    cr_assert_eq(d->nsplit[GNNKD_TEST], 1000);
    gnnkd_dataset_free(&d);
}
