/* test_loader.c — dataset folders: the citation graphs against their known
 * figures, the tiny test dataset against hand-written arrays, every malformed
 * input of tests/data/bad, accepted MatrixMarket variants, round trips,
 * normalisation and dataset specifications. */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "loaders/mtx.h"
#include "tests/common.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ---------------------------------------------------------------- */

static const char *test_data(void) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL, "GNNKD_TEST_DATA is not set (ctest sets it)");
    return p;
}


static void write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    cr_assert(f != NULL, "cannot write %s", path);
    fputs(text, f);
    fclose(f);
}

static void copy_file(const char *to, const char *from) {
    FILE *in = fopen(from, "rb");
    cr_assert(in != NULL, "cannot read %s", from);
    FILE *out = fopen(to, "wb");
    cr_assert(out != NULL, "cannot write %s", to);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, in)) > 0) fwrite(buf, 1, n, out);
    fclose(in);
    fclose(out);
}

static const char *FILES[7] = {"adjacency.mtx", "features.mtx", "labels.txt", "train.txt",
                               "val.txt", "test.txt", "classes.txt"};

/* A fresh temporary folder holding a copy of tests/data/tiny. */
static void tiny_copy(char *dir) {
    strcpy(dir, "/tmp/gnnkd_loader_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    char from[4096], to[4096];
    for (int k = 0; k < 7; k++) {
        snprintf(from, sizeof from, "%s/tiny/%s", test_data(), FILES[k]);
        snprintf(to, sizeof to, "%s/%s", dir, FILES[k]);
        copy_file(to, from);
    }
}

/* Removes a temporary folder and the files in it. */
static void remove_dir(const char *dir) {
    DIR *dp = opendir(dir);
    if (dp == NULL) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(dp)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        remove(p);
    }
    closedir(dp);
    rmdir(dir);
}

static int64_t csr_find(const gnnkd_csr *a, int32_t i, int32_t j) {
    for (int64_t q = a->rowptr[i]; q < a->rowptr[i + 1]; q++)
        if (a->colidx[q] == j) return q;
    return -1;
}

/* The invariants every loaded graph must have. */
static void check_graph(const gnnkd_csr *adj) {
    cr_assert_eq(adj->nrows, adj->ncols);
    cr_assert_null(adj->val, "the adjacency is a pattern");
    cr_assert_eq(adj->rowptr[0], 0);
    for (int32_t i = 0; i < adj->nrows; i++) {
        cr_assert_leq(adj->rowptr[i], adj->rowptr[i + 1]);
        for (int64_t q = adj->rowptr[i]; q < adj->rowptr[i + 1]; q++) {
            int32_t j = adj->colidx[q];
            cr_assert(j >= 0 && j < adj->ncols);
            cr_assert_neq(j, i, "self loop at node %d", i);
            if (q > adj->rowptr[i]) cr_assert_gt(j, adj->colidx[q - 1], "row %d unsorted", i);
            cr_assert_geq(csr_find(adj, j, i), 0, "(%d, %d) without its mirror", i, j);
        }
    }
}

static void check_equal(const gnnkd_dataset *a, const gnnkd_dataset *b) {
    cr_assert_eq(a->n, b->n);
    cr_assert_eq(a->nfeat, b->nfeat);
    cr_assert_eq(a->nclass, b->nclass);
    const gnnkd_csr *m[2][2] = {{&a->adj, &b->adj}, {&a->x, &b->x}};
    for (int k = 0; k < 2; k++) {
        const gnnkd_csr *p = m[k][0], *q = m[k][1];
        cr_assert_eq(p->nrows, q->nrows);
        cr_assert_eq(p->ncols, q->ncols);
        int64_t nnz = gnnkd_csr_nnz(p);
        cr_assert_eq(nnz, gnnkd_csr_nnz(q));
        cr_assert_arr_eq(p->rowptr, q->rowptr, ((size_t)p->nrows + 1) * sizeof *p->rowptr);
        cr_assert_arr_eq(p->colidx, q->colidx, (size_t)nnz * sizeof *p->colidx);
        cr_assert_eq(p->val == NULL, q->val == NULL);
        if (p->val) cr_assert_arr_eq(p->val, q->val, (size_t)nnz * sizeof *p->val,
                                     "values differ (not bit-exact)");
    }
    cr_assert_arr_eq(a->label, b->label, (size_t)a->n * sizeof *a->label);
    for (int s = 0; s < 3; s++) {
        cr_assert_eq(a->nsplit[s], b->nsplit[s]);
        cr_assert_arr_eq(a->split[s], b->split[s], (size_t)a->nsplit[s] * sizeof(int32_t));
    }
}

/* ---- the tiny dataset, by hand ------------------------------------------------ */

Test(loader, tiny_exact) {
    char dir[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(dir, sizeof dir, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    int rc = gnnkd_dataset_load_dir(&d, dir, msg);
    cr_assert_eq(rc, GNNKD_OK, "%s", msg);
    cr_assert_str_eq(d->name, "tiny");
    cr_assert_eq(d->n, 6);
    cr_assert_eq(d->nfeat, 4);
    cr_assert_eq(d->nclass, 3);
    check_graph(&d->adj);
    /* Edges 1-2 1-3 2-3 3-4 4-5 5-6 (1-based in the file). */
    int64_t rowptr[7] = {0, 2, 4, 7, 9, 11, 12};
    int32_t colidx[12] = {1, 2, 0, 2, 0, 1, 3, 2, 4, 3, 5, 4};
    cr_assert_arr_eq(d->adj.rowptr, rowptr, sizeof rowptr);
    cr_assert_arr_eq(d->adj.colidx, colidx, sizeof colidx);
    int64_t xptr[7] = {0, 2, 4, 7, 8, 10, 10};
    int32_t xcol[10] = {0, 2, 1, 3, 0, 1, 2, 3, 0, 1};
    float xval[10] = {1, 3, 2, 2, 0.5f, 0.25f, 0.25f, 7, 1, 0.375f};
    cr_assert_null(d->xdense);
    cr_assert_arr_eq(d->x.rowptr, xptr, sizeof xptr);
    cr_assert_arr_eq(d->x.colidx, xcol, sizeof xcol);
    cr_assert_arr_eq(d->x.val, xval, sizeof xval);
    int32_t label[6] = {0, 1, 2, 0, 1, -1};
    cr_assert_arr_eq(d->label, label, sizeof label);
    int32_t train[3] = {0, 1, 2};
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 3);
    cr_assert_arr_eq(d->split[GNNKD_TRAIN], train, sizeof train);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 1);
    cr_assert_eq(d->split[GNNKD_VAL][0], 3);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 1);
    cr_assert_eq(d->split[GNNKD_TEST][0], 4);
    gnnkd_dataset_free(&d);
    cr_assert_null(d);
    gnnkd_dataset_free(&d); /* NULL is fine */
}

/* ---- the citation graphs ------------------------------------------------------ */

typedef struct {
    const char *name;
    int32_t n, nfeat;
    int64_t feat_nnz, edges;
    int32_t nclass, train, val, test, unlabelled;
} figures;

/* From /work/shared/datasets/README.md. */
static const figures KNOWN[3] = {
    {"cora", 2708, 1433, 49216, 5278, 7, 140, 500, 1000, 0},
    {"citeseer", 3327, 3703, 105165, 4552, 6, 120, 500, 1000, 15},
    {"pubmed", 19717, 500, 988031, 44324, 3, 60, 500, 1000, 0},
};

static void check_known(const figures *k) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    double t0 = gkd_now();
    int rc = gnnkd_dataset_open(&d, k->name, test_citation_root(k->name), msg);
    double dt = gkd_now() - t0;
    cr_assert_eq(rc, GNNKD_OK, "%s", msg);
    cr_log_info("%s loaded in %.3f s", k->name, dt);
    cr_assert_str_eq(d->name, k->name);
    cr_assert_eq(d->n, k->n);
    cr_assert_eq(d->nfeat, k->nfeat);
    cr_assert_eq(gnnkd_csr_nnz(&d->x), k->feat_nnz);
    cr_assert_eq(gnnkd_csr_nnz(&d->adj), 2 * k->edges);
    cr_assert_eq(d->nclass, k->nclass);
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], k->train);
    cr_assert_eq(d->nsplit[GNNKD_VAL], k->val);
    cr_assert_eq(d->nsplit[GNNKD_TEST], k->test);
    int32_t unlabelled = 0;
    for (int32_t i = 0; i < d->n; i++) unlabelled += d->label[i] < 0;
    cr_assert_eq(unlabelled, k->unlabelled);
    check_graph(&d->adj);
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t q = d->x.rowptr[i] + 1; q < d->x.rowptr[i + 1]; q++)
            cr_assert_gt(d->x.colidx[q], d->x.colidx[q - 1]);
    gnnkd_dataset_free(&d);
}

Test(loader, cora_figures) { check_known(&KNOWN[0]); }
Test(loader, citeseer_figures) { check_known(&KNOWN[1]); }
Test(loader, pubmed_figures) { check_known(&KNOWN[2]); }

/* ---- malformed inputs --------------------------------------------------------- */

/* tests/data/bad/<file>.<case>.<ext> replaces <file>.<ext> of tiny; the
 * message must contain "<that file>:<line>:". */
typedef struct {
    const char *bad;    /* in tests/data/bad */
    const char *target; /* the tiny file it replaces */
    int status;
    const char *where;  /* the file named in the message, if not target */
    int line;
} bad_case;

static const bad_case BAD[] = {
    {"adjacency.banner.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 1},
    {"adjacency.array.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 1},
    {"adjacency.complex.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 1},
    {"adjacency.sizeline.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 3},
    {"adjacency.square.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 2},
    {"adjacency.fewer.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 9},
    {"adjacency.more.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 8},
    {"adjacency.range.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 6},
    {"adjacency.zero.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 4},
    {"adjacency.nonnumeric.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 5},
    {"adjacency.trailing.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 6},
    {"adjacency.duplicate.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 6},
    {"adjacency.duplicate_general.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 6},
    {"adjacency.asymmetric.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 6},
    {"adjacency.huge_nnz.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 2},
    {"adjacency.huge_rows.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 2},
    /* Refused before allocating: labels.txt cannot hold 2^31-1 labels. */
    {"adjacency.many_nodes.mtx", "adjacency.mtx", GNNKD_EDATA, NULL, 2},
    {"adjacency.many_nodes.mtx", "adjacency.mtx", GNNKD_EDATA, "labels.txt", 6},
    {"features.nan.mtx", "features.mtx", GNNKD_EDATA, NULL, 4},
    {"features.inf.mtx", "features.mtx", GNNKD_EDATA, NULL, 5},
    {"features.overflow.mtx", "features.mtx", GNNKD_EDATA, NULL, 3},
    {"features.value.mtx", "features.mtx", GNNKD_EDATA, NULL, 4},
    {"features.range.mtx", "features.mtx", GNNKD_EDATA, NULL, 6},
    {"features.duplicate.mtx", "features.mtx", GNNKD_EDATA, NULL, 5},
    {"features.rows.mtx", "features.mtx", GNNKD_EDATA, NULL, 2},
    {"features.trailing.mtx", "features.mtx", GNNKD_EDATA, NULL, 3},
    {"features.nnz_eof.mtx", "features.mtx", GNNKD_EDATA, NULL, 2},
    {"labels.fewer.txt", "labels.txt", GNNKD_EDATA, NULL, 5},
    {"labels.more.txt", "labels.txt", GNNKD_EDATA, NULL, 7},
    {"labels.range.txt", "labels.txt", GNNKD_EDATA, NULL, 3},
    {"labels.negative.txt", "labels.txt", GNNKD_EDATA, NULL, 4},
    {"labels.noninteger.txt", "labels.txt", GNNKD_EDATA, NULL, 5},
    {"labels.gap.txt", "labels.txt", GNNKD_EDATA, NULL, 3},
    {"classes.zero.txt", "classes.txt", GNNKD_EDATA, NULL, 1},
    {"classes.text.txt", "classes.txt", GNNKD_EDATA, NULL, 2},
    {"classes.extra.txt", "classes.txt", GNNKD_EDATA, NULL, 2},
    {"train.range.txt", "train.txt", GNNKD_EDATA, NULL, 3},
    {"train.noninteger.txt", "train.txt", GNNKD_EDATA, NULL, 2},
    {"train.negative.txt", "train.txt", GNNKD_EDATA, NULL, 2},
    {"train.duplicate.txt", "train.txt", GNNKD_EDATA, NULL, 4},
    {"train.unlabelled.txt", "train.txt", GNNKD_EDATA, NULL, 4},
    {"val.overlap.txt", "val.txt", GNNKD_EDATA, NULL, 2},
    {"test.overlap.txt", "test.txt", GNNKD_EDATA, NULL, 3},
};

Test(loader, malformed_files) {
    size_t ncase = sizeof BAD / sizeof BAD[0];
    for (size_t k = 0; k < ncase; k++) {
        const bad_case *b = &BAD[k];
        char dir[64], from[4096], to[4096], want[4200], msg[GNNKD_MSG_LEN] = "";
        tiny_copy(dir);
        snprintf(from, sizeof from, "%s/bad/%s", test_data(), b->bad);
        snprintf(to, sizeof to, "%s/%s", dir, b->target);
        copy_file(to, from);
        gnnkd_dataset *d = NULL;
        int rc = gnnkd_dataset_load_dir(&d, dir, msg);
        snprintf(want, sizeof want, "%s/%s:%d:", dir, b->where ? b->where : b->target, b->line);
        cr_expect_eq(rc, b->status, "%s: status %s, expected %s (%s)", b->bad,
                     gnnkd_status_name(rc), gnnkd_status_name(b->status), msg);
        cr_expect_null(d, "%s: no dataset on failure", b->bad);
        cr_expect(strstr(msg, want) != NULL, "%s: message \"%s\" lacks \"%s\"", b->bad, msg, want);
        gnnkd_dataset_free(&d);
        remove_dir(dir);
    }
}

Test(loader, every_bad_file_is_tested) {
    /* A file added to tests/data/bad without a case would test nothing. */
    char path[4096];
    snprintf(path, sizeof path, "%s/bad", test_data());
    DIR *dp = opendir(path);
    cr_assert_not_null(dp);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.') continue;
        files++;
        int found = 0;
        for (size_t k = 0; k < sizeof BAD / sizeof BAD[0]; k++) found |= !strcmp(BAD[k].bad, e->d_name);
        cr_expect(found, "tests/data/bad/%s has no case in BAD", e->d_name);
    }
    closedir(dp);
    cr_assert_geq(files, 40);
}

Test(loader, missing_files) {
    for (int k = 0; k < 7; k++) {
        char dir[64], p[4096], msg[GNNKD_MSG_LEN] = "";
        tiny_copy(dir);
        snprintf(p, sizeof p, "%s/%s", dir, FILES[k]);
        remove(p);
        gnnkd_dataset *d = NULL;
        int rc = gnnkd_dataset_load_dir(&d, dir, msg);
        cr_expect_eq(rc, GNNKD_EIO, "%s missing: %s (%s)", FILES[k], gnnkd_status_name(rc), msg);
        cr_expect(strstr(msg, p) != NULL, "message \"%s\" lacks \"%s\"", msg, p);
        cr_expect_null(d);
        remove_dir(dir);
    }
}

Test(loader, nul_byte_and_empty_file) {
    char dir[64], p[4096], msg[GNNKD_MSG_LEN] = "";
    tiny_copy(dir);
    snprintf(p, sizeof p, "%s/labels.txt", dir);
    FILE *f = fopen(p, "wb");
    fwrite("0\n1\n2\0\n0\n1\n-1\n", 1, 14, f);
    fclose(f);
    gnnkd_dataset *d = NULL;
    cr_expect_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_EDATA, "%s", msg);
    cr_expect(strstr(msg, "labels.txt:3:") != NULL, "%s", msg);
    snprintf(p, sizeof p, "%s/adjacency.mtx", dir);
    write_text(p, "");
    cr_expect_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_EDATA, "%s", msg);
    snprintf(p, sizeof p, "%s/labels.txt", dir);
    write_text(p, "0\n1\n2\n0\n1\n-1\n");
    cr_expect_eq(gnnkd_dataset_load_dir(&d, dir, msg), GNNKD_EDATA, "%s", msg);
    cr_expect(strstr(msg, "adjacency.mtx:1:") != NULL, "%s", msg);
    cr_expect_null(d);
    remove_dir(dir);
}

/* ---- accepted variants -------------------------------------------------------- */

/* The same graph and features as tiny, written differently: symmetric integer
 * and general real, entries shuffled, comments and blank lines between them,
 * CRLF line ends, a self loop that is dropped. */
Test(loader, accepted_variants) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *want = NULL, *got = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&want, tiny, msg), GNNKD_OK, "%s", msg);

    const char *adjacency[2] = {
        "%%MatrixMarket matrix coordinate integer symmetric\n"
        "% upper and lower triangle mixed, any order\n"
        "\n"
        "6 6 7\n"
        "4 5 2\n"
        "1 3 1\n"
        "% a comment between entries\n"
        "6 5 -3\r\n"
        "  3\t2   7  \n"
        "5 5 1\n"
        "\n"
        "3 4 +1\n"
        "2 1 9\n",
        "%%MatrixMarket matrix coordinate real general\n"
        "6 6 12\n"
        "6 5 1.5\n3 4 0.5\n5 6 1e0\n1 2 2\n5 4 -1\n4 5 3\n"
        "% halfway\n"
        "2 3 1\n3 1 .25\n4 3 1\n1 3 1\n2 1 2\n3 2 1\n",
    };
    const char *features =
        "%%MatrixMarket matrix coordinate real general\n"
        "% shuffled\n"
        "6 4 10\n"
        "5 2 3.75e-1\n4 4 7.0\n1 3 3\n3 3 0.25\n2 4 2\n3 1 5e-1\n1 1 1\n5 1 1\n"
        "2 2 2\n3 2 .25\n";
    for (int v = 0; v < 2; v++) {
        char dir[64], p[4096];
        tiny_copy(dir);
        snprintf(p, sizeof p, "%s/adjacency.mtx", dir);
        write_text(p, adjacency[v]);
        snprintf(p, sizeof p, "%s/features.mtx", dir);
        write_text(p, features);
        int rc = gnnkd_dataset_load_dir(&got, dir, msg);
        cr_assert_eq(rc, GNNKD_OK, "variant %d: %s", v, msg);
        check_equal(got, want);
        gnnkd_dataset_free(&got);
        remove_dir(dir);
    }
    gnnkd_dataset_free(&want);
}

Test(loader, self_loops_counted) {
    char dir[64], p[4096], msg[GNNKD_MSG_LEN] = "";
    tiny_copy(dir);
    snprintf(p, sizeof p, "%s/loops.mtx", dir);
    write_text(p, "%%MatrixMarket matrix coordinate pattern general\n3 3 5\n1 1\n2 1\n1 2\n3 3\n2 2\n");
    gnnkd_csr a = {0};
    int64_t nself = -1;
    cr_assert_eq(gkd_mtx_load_graph(&a, &nself, p, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(nself, 3);
    cr_assert_eq(gnnkd_csr_nnz(&a), 2);
    check_graph(&a);
    gnnkd_csr_clear(&a);
    remove_dir(dir);
}

Test(loader, symmetric_matrix_mirrored) {
    char dir[64], p[4096], msg[GNNKD_MSG_LEN] = "";
    tiny_copy(dir);
    snprintf(p, sizeof p, "%s/sym.mtx", dir);
    write_text(p, "%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n3 1 2.5\n2 2 4\n3 2 -1\n");
    gnnkd_csr a = {0};
    cr_assert_eq(gkd_mtx_load_matrix(&a, p, msg), GNNKD_OK, "%s", msg);
    int64_t rowptr[4] = {0, 1, 3, 5};
    int32_t colidx[5] = {2, 1, 2, 0, 1};
    float val[5] = {2.5f, 4, -1, 2.5f, -1};
    cr_assert_arr_eq(a.rowptr, rowptr, sizeof rowptr);
    cr_assert_arr_eq(a.colidx, colidx, sizeof colidx);
    cr_assert_arr_eq(a.val, val, sizeof val);
    gnnkd_csr_clear(&a);
    remove_dir(dir);
}

Test(loader, strict_numbers) {
    int64_t v;
    float f;
    const char *ok[] = {"0", "-1", "+7", "  42\t", "9223372036854775807", "-9223372036854775808"};
    int64_t want[] = {0, -1, 7, 42, INT64_MAX, INT64_MIN};
    for (int k = 0; k < 6; k++) {
        const char *p = ok[k];
        cr_expect(gkd_parse_int(&p, &v), "%s", ok[k]);
        cr_expect_eq(v, want[k], "%s", ok[k]);
    }
    const char *bad[] = {"", "-", "x", "1x", "1.0", "9223372036854775808", "0x10"};
    for (int k = 0; k < 7; k++) {
        const char *p = bad[k];
        cr_expect(!gkd_parse_int(&p, &v), "'%s' accepted", bad[k]);
        cr_expect_eq(p, bad[k]);
    }
    const char *fbad[] = {"nan", "inf", "-Infinity", "1e39", "1.5.", "", "1,5"};
    for (int k = 0; k < 7; k++) {
        const char *p = fbad[k];
        cr_expect(!gkd_parse_float(&p, &f), "'%s' accepted", fbad[k]);
    }
    const char *p = " 0.1 ";
    cr_expect(gkd_parse_float(&p, &f));
    cr_expect_eq(f, 0.1f);
}

/* ---- round trips ------------------------------------------------------------ */

static void round_trip(gnnkd_dataset *d) {
    char dir[64], msg[GNNKD_MSG_LEN] = "";
    strcpy(dir, "/tmp/gnnkd_save_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    char sub[128];
    snprintf(sub, sizeof sub, "%s/out", dir); /* save_dir creates it */
    cr_assert_eq(gnnkd_dataset_save_dir(d, sub, msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset *e = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&e, sub, msg), GNNKD_OK, "%s", msg);
    check_equal(e, d);
    gnnkd_dataset_free(&e);
    remove_dir(sub);
    remove_dir(dir);
}

Test(loader, round_trip_tiny) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    round_trip(d);
    /* Normalised features (values like 1/3) must come back bit for bit too. */
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    round_trip(d);
    gnnkd_dataset_free(&d);
}

Test(loader, round_trip_cora) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", test_citation_root("cora"), msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    round_trip(d);
    gnnkd_dataset_free(&d);
}

Test(loader, save_dense_features) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    gnnkd_csr sparse = d->x; /* kept to compare with */
    memset(&d->x, 0, sizeof d->x);
    d->xdense = calloc((size_t)d->n * d->nfeat, sizeof(float));
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t q = sparse.rowptr[i]; q < sparse.rowptr[i + 1]; q++)
            d->xdense[(int64_t)i * d->nfeat + sparse.colidx[q]] = sparse.val[q];
    char dir[64];
    strcpy(dir, "/tmp/gnnkd_dense_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    cr_assert_eq(gnnkd_dataset_save_dir(d, dir, msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset *e = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&e, dir, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_csr_nnz(&e->x), gnnkd_csr_nnz(&sparse));
    cr_assert_arr_eq(e->x.rowptr, sparse.rowptr, 7 * sizeof(int64_t));
    cr_assert_arr_eq(e->x.colidx, sparse.colidx, 10 * sizeof(int32_t));
    cr_assert_arr_eq(e->x.val, sparse.val, 10 * sizeof(float));
    gnnkd_csr_clear(&sparse);
    gnnkd_dataset_free(&e);
    gnnkd_dataset_free(&d);
    remove_dir(dir);
}

Test(loader, save_rejects_asymmetric_graph) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    d->adj.colidx[0] = 3; /* row 0 now holds (0, 3) but row 3 lacks (3, 0) */
    char dir[64];
    strcpy(dir, "/tmp/gnnkd_asym_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    cr_expect_eq(gnnkd_dataset_save_dir(d, dir, msg), GNNKD_EINVAL, "%s", msg);
    cr_expect(strstr(msg, "(1, 4)") != NULL, "%s", msg);
    gnnkd_dataset_free(&d);
    remove_dir(dir);
}

/* ---- normalisation ------------------------------------------------------------ */

Test(loader, normalize_rows) {
    char tiny[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(tiny, sizeof tiny, "%s/tiny", test_data());
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_dir(&d, tiny, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    /* Rows (1, 3), (2, 2), (0.5, 0.25, 0.25), (7), (1, 0.375), () by hand. */
    float want[10] = {0.25f, 0.75f, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 1, 1 / 1.375f, 0.375f / 1.375f};
    for (int q = 0; q < 10; q++) cr_expect_float_eq(d->x.val[q], want[q], 1e-7f, "value %d", q);
    cr_expect_eq(d->x.rowptr[6] - d->x.rowptr[5], 0, "the empty row stays empty");

    /* Dense features: the same rows, and a zero row left at zero. */
    float *x = calloc(6 * 4, sizeof *x);
    float raw[6][4] = {{1, 0, 3, 0}, {0, 2, 0, 2}, {0.5f, 0.25f, 0.25f, 0}, {0, 0, 0, 7},
                       {1, 0.375f, 0, 0}, {0, 0, 0, 0}};
    memcpy(x, raw, sizeof raw);
    gnnkd_csr_clear(&d->x);
    d->xdense = x;
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK, "%s", msg);
    for (int i = 0; i < 6; i++) {
        double s = 0;
        for (int j = 0; j < 4; j++) s += x[i * 4 + j];
        cr_expect_float_eq(s, i == 5 ? 0.0 : 1.0, 1e-6, "row %d sums to %g", i, s);
    }
    cr_expect_float_eq(x[0 * 4 + 2], 0.75f, 1e-7f);
    gnnkd_dataset_free(&d);
}

/* Pattern features (no values) get values written out, 1 / row length; an
 * empty row stays empty; msg is cleared. */
Test(loader, normalize_pattern) {
    char g[4096], f[4096], msg[GNNKD_MSG_LEN] = "stale";
    snprintf(g, sizeof g, "%s/graphs/small.edges", test_data());
    snprintf(f, sizeof f, "%s/graphs/small.pattern.mtx", test_data());
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_graph(&d, NULL, g, NULL, f, NULL, msg), GNNKD_OK, "%s", msg);
    /* the reader writes a pattern's ones out; the one-hot stand-in of a graph
     * without features has none, as these rows now */
    free(d->x.val);
    d->x.val = NULL;
    const float want[7] = {0.5f, 0.5f, 1.0f, 1 / 3.0f, 1 / 3.0f, 1 / 3.0f, 1.0f};
    strcpy(msg, "stale");
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK);
    cr_expect_str_eq(msg, "");
    cr_assert_not_null(d->x.val);
    cr_assert_eq(gnnkd_csr_nnz(&d->x), 7);
    for (int q = 0; q < 7; q++) cr_expect_float_eq(d->x.val[q], want[q], 1e-7f, "value %d", q);
    gnnkd_dataset_free(&d);
}

/* ---- dataset specifications --------------------------------------------------- */

Test(loader, open_by_name_and_folder) {
    char msg[GNNKD_MSG_LEN] = "", folder[4096];
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "tiny", test_data(), msg), GNNKD_OK, "%s", msg);
    cr_expect_str_eq(d->name, "tiny");
    cr_expect_eq(d->n, 6);
    gnnkd_dataset_free(&d);

    setenv("GNNKD_DATA", test_data(), 1);
    cr_assert_eq(gnnkd_dataset_open(&d, "tiny", NULL, msg), GNNKD_OK, "%s", msg);
    gnnkd_dataset_free(&d);

    snprintf(folder, sizeof folder, "%s/tiny/", test_data()); /* a '/' means a folder */
    cr_assert_eq(gnnkd_dataset_open(&d, folder, "/nonexistent", msg), GNNKD_OK, "%s", msg);
    cr_expect_str_eq(d->name, "tiny");
    gnnkd_dataset_free(&d);

    int rc = gnnkd_dataset_open(&d, "no_such_dataset", NULL, msg);
    cr_expect_eq(rc, GNNKD_EIO, "%s", msg);
    cr_expect(strstr(msg, "no_such_dataset") != NULL, "%s", msg);
    cr_expect_null(d);
}

Test(loader, open_without_data_dir) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    unsetenv("GNNKD_DATA");
    int rc = gnnkd_dataset_open(&d, "cora", NULL, msg);
    cr_expect_eq(rc, GNNKD_EINVAL, "%s", msg);
    cr_expect(strstr(msg, "GNNKD_DATA") && strstr(msg, "--data-dir"), "%s", msg);
    cr_expect_null(d);
    cr_expect_eq(gnnkd_dataset_open(&d, "", NULL, msg), GNNKD_EINVAL);
}

Test(loader, open_synthetic_dispatches) {
    /* "synthetic..." goes to the generator, never to a folder. */
    const char *specs[2] = {"synthetic", "synthetic:seed=3"};
    unsetenv("GNNKD_DATA");
    for (int k = 0; k < 2; k++) {
        char m1[GNNKD_MSG_LEN] = "", m2[GNNKD_MSG_LEN] = "";
        gnnkd_dataset *a = NULL, *b = NULL;
        int r1 = gnnkd_dataset_open(&a, specs[k], NULL, m1);
        int r2 = gnnkd_dataset_synthetic(&b, specs[k], m2);
        cr_expect_eq(r1, r2, "%s: %s / %s", specs[k], m1, m2);
        if (r1 == GNNKD_OK && r2 == GNNKD_OK) {
            cr_expect_eq(a->n, b->n);
            cr_expect_eq(gnnkd_csr_nnz(&a->adj), gnnkd_csr_nnz(&b->adj));
            cr_expect_neq(a->name[0], '\0');
        } else {
            cr_expect_str_eq(m1, m2);
        }
        gnnkd_dataset_free(&a);
        gnnkd_dataset_free(&b);
    }
}

/* Reads a whole file, skipping its line number skip (1-based; 0 skips none). */
static char *slurp(const char *path, int skip) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = calloc((size_t)n + 1, 1), *out = calloc((size_t)n + 1, 1);
    cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    int line = 1;
    size_t k = 0;
    for (long q = 0; q < n; q++) {
        if (line != skip) out[k++] = b[q];
        if (b[q] == '\n') line++;
    }
    free(b);
    return out;
}

Test(loader, save_matches_shared_cora) {
    /* The shared folders' layout, byte for byte but for the comment line. */
    char msg[GNNKD_MSG_LEN] = "", dir[64], a[4200], b[4200];
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", test_citation_root("cora"), msg), GNNKD_OK, "%s", msg);
    strcpy(dir, "/tmp/gnnkd_same_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
    cr_assert_eq(gnnkd_dataset_save_dir(d, dir, msg), GNNKD_OK, "%s", msg);
    for (int k = 0; k < 7; k++) {
        snprintf(a, sizeof a, "%s/%s", dir, FILES[k]);
        snprintf(b, sizeof b, "%s/cora/%s", test_citation_root("cora"), FILES[k]);
        int skip = k < 2 ? 2 : 0;
        char *x = slurp(a, skip), *y = slurp(b, skip);
        cr_expect_str_eq(x, y, "%s differs from %s", a, b);
        free(x);
        free(y);
    }
    gnnkd_dataset_free(&d);
    remove_dir(dir);
}
