/* test_ogb.c — the OGB node-property layout: the tests/data/ogb-tiny fixture
 * against its hand-counted figures, and malformed rows refused with
 * "file:line: expected ..., found ...". */
#include <criterion/criterion.h>

#include "gnnkd.h"
#include "tests/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char DIR_[64];

static void make_dir(void) {
    strcpy(DIR_, "/tmp/gnnkd_ogb_XXXXXX");
    cr_assert(mkdtemp(DIR_) != NULL);
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(ogb, .init = make_dir, .fini = remove_dir);

/* The fixture, file by file (tests/data/ogb-tiny holds these, gzipped):
 * 6 nodes, 3 features, labels 0 1 2 0 1 nan; arcs 0-1 twice, 1-0, 1-2,
 * 2-3, a loop 3-3 and 4-0: 4 edges; node 5 isolated. */
typedef struct {
    const char *file, *text;
} ogb_file;

static const ogb_file TINY[] = {
    {"raw/num-node-list.csv.gz", "6\n"},
    {"raw/node-feat.csv.gz", "1,0,0.5\n0,1,0\n0.25,0.25,0\n1,1,1\n-1,0,2\n0,0,0\n"},
    {"raw/node-label.csv.gz", "0\n1\n2\n0\n1\nnan\n"},
    {"raw/edge.csv.gz", "0,1\n1,0\n1,2\n2,3\n3,3\n0,1\n4,0\n"},
    {"split/random/train.csv.gz", "0\n1\n"},
    {"split/random/valid.csv.gz", "2\n"},
    {"split/random/test.csv.gz", "4\n3\n"},
};
#define NTINY (sizeof TINY / sizeof TINY[0])

static void check_tiny(const gnnkd_dataset *d, const gnnkd_graph_counts *c) {
    cr_expect_eq(d->n, 6);
    cr_expect_eq(d->nfeat, 3);
    cr_expect_eq(d->nclass, 3);
    cr_assert_not_null(d->xdense);
    cr_expect_null(d->x.rowptr);
    float x[18] = {1, 0, 0.5f, 0, 1, 0, 0.25f, 0.25f, 0, 1, 1, 1, -1, 0, 2, 0, 0, 0};
    cr_assert_arr_eq(d->xdense, x, sizeof x);
    int32_t label[6] = {0, 1, 2, 0, 1, -1};
    cr_assert_arr_eq(d->label, label, sizeof label);
    int64_t rowptr[7] = {0, 2, 4, 6, 7, 8, 8};
    int32_t colidx[8] = {1, 4, 0, 2, 1, 3, 2, 0};
    cr_assert_arr_eq(d->adj.rowptr, rowptr, sizeof rowptr);
    cr_assert_arr_eq(d->adj.colidx, colidx, sizeof colidx);
    if (c) {
        cr_expect_eq(c->file_edges, 7);
        cr_expect_eq(c->self_loops, 1);
        cr_expect_eq(c->duplicates, 1);
        cr_expect_eq(c->reciprocal, 1);
        cr_expect_eq(c->edges, 4);
    }
    int32_t train[2] = {0, 1}, val[1] = {2}, test[2] = {4, 3};
    cr_assert_eq(d->nsplit[GNNKD_TRAIN], 2);
    cr_assert_eq(d->nsplit[GNNKD_VAL], 1);
    cr_assert_eq(d->nsplit[GNNKD_TEST], 2);
    cr_assert_arr_eq(d->split[GNNKD_TRAIN], train, sizeof train);
    cr_assert_arr_eq(d->split[GNNKD_VAL], val, sizeof val);
    cr_assert_arr_eq(d->split[GNNKD_TEST], test, sizeof test, "kept in the file's order");
}

Test(ogb, fixture) {
    char dir[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(dir, sizeof dir, "%s/ogb-tiny", test_small_data());
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts c;
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, &c, dir, "random", msg), GNNKD_OK, "%s", msg);
    check_tiny(d, &c);
    cr_expect_str_eq(d->name, "ogb-tiny");
    gnnkd_stats s = {0};
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(s.edges, 4);
    cr_expect_eq(s.isolated, 1);
    cr_expect_eq(s.components, 2);
    cr_expect_eq(s.largest_component, 5);
    cr_expect_eq(s.labelled, 5);
    cr_expect_eq(s.feature_nnz, 10);
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
    /* gnnkd_dataset_open knows the layout, takes the only split, trailing '/' or not */
    strcat(dir, "/");
    cr_assert_eq(gnnkd_dataset_open(&d, dir, NULL, msg), GNNKD_OK, "%s", msg);
    check_tiny(d, NULL);
    cr_expect_str_eq(d->name, "ogb-tiny");
    gnnkd_dataset_free(&d);
    cr_assert_eq(gnnkd_dataset_open(&d, "ogb-tiny", test_small_data(), msg), GNNKD_OK, "%s", msg);
    check_tiny(d, NULL);
    gnnkd_dataset_free(&d);
}

/* ---- malformed copies ------------------------------------------------------------- */

static void write_gz(const char *path, const char *text) {
    char sub[4096];
    snprintf(sub, sizeof sub, "%s", path);
    for (char *p = sub + strlen(DIR_) + 1; (p = strchr(p, '/')) != NULL; p++) {
        *p = '\0';
        mkdir(sub, 0700);
        *p = '/';
    }
    gzFile f = gzopen(path, "wb");
    cr_assert_not_null(f, "gzopen %s", path);
    cr_assert_eq(gzputs(f, text), (int)strlen(text));
    cr_assert_eq(gzclose(f), Z_OK);
}

/* Writes DIR_/NAME: the fixture with file `file` replaced by text (NULL:
 * left out). */
static void write_ogb(char *dir, const char *name, const char *file, const char *text) {
    snprintf(dir, 4096, "%s/%s", DIR_, name);
    for (size_t k = 0; k < NTINY; k++) {
        int swap = file && strcmp(TINY[k].file, file) == 0;
        if (swap && text == NULL) continue;
        char p[4096];
        snprintf(p, sizeof p, "%s/%s", dir, TINY[k].file);
        write_gz(p, swap ? text : TINY[k].text);
    }
}

static void expect_error(const char *file, const char *text, const char *split, gnnkd_status st,
                         const char *frag1, const char *frag2) {
    static int count;
    char dir[4096], name[32], msg[GNNKD_MSG_LEN] = "";
    snprintf(name, sizeof name, "bad%d", count++);
    write_ogb(dir, name, file, text);
    gnnkd_dataset *d = (gnnkd_dataset *)dir; /* must be reset to NULL */
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, NULL, dir, split, msg), st, "%s: %s", file, msg);
    cr_expect_null(d);
    cr_expect(strstr(msg, frag1) != NULL, "'%s' not in: %s", frag1, msg);
    if (frag2) cr_expect(strstr(msg, frag2) != NULL, "'%s' not in: %s", frag2, msg);
}

Test(ogb, malformed_edges) {
    expect_error("raw/edge.csv.gz", "0,1\n0,x\n", NULL, GNNKD_EDATA,
                 "raw/edge.csv.gz:2: expected an edge 'u,v' of two node ids, found '0,x'", NULL);
    expect_error("raw/edge.csv.gz", "0,1,2\n", NULL, GNNKD_EDATA,
                 "raw/edge.csv.gz:1: expected an edge 'u,v'", "found '0,1,2'");
    expect_error("raw/edge.csv.gz", "0,1\n1,-2\n", NULL, GNNKD_EDATA, "raw/edge.csv.gz:2:", NULL);
    expect_error("raw/edge.csv.gz", "0,1\n1,2\n3,6\n", NULL, GNNKD_EDATA,
                 "raw/edge.csv.gz:3: expected node ids in 0..5 (node-feat.csv.gz), found 6", NULL);
    expect_error("raw/edge.csv.gz", "0,1\n\n1,2\n", NULL, GNNKD_EDATA,
                 "raw/edge.csv.gz:2: expected an edge", "found ''");
    expect_error("raw/edge.csv.gz", NULL, NULL, GNNKD_EIO, "raw/edge.csv.gz: cannot open: ", NULL);
}

Test(ogb, malformed_features_and_labels) {
    expect_error("raw/node-feat.csv.gz", "1,0,0.5\n0,1,0\n0.25,0.25\n", NULL, GNNKD_EDATA,
                 "raw/node-feat.csv.gz:3: expected 3 comma-separated numbers (as on line 1), "
                 "found 2", NULL);
    expect_error("raw/node-feat.csv.gz", "1,0,0.5\n0,inf,0\n", NULL, GNNKD_EDATA,
                 "raw/node-feat.csv.gz:2: expected a finite number in field 2, found 'inf'", NULL);
    expect_error("raw/node-feat.csv.gz", "1,0,0.5\n0,1e40,0\n", NULL, GNNKD_EDATA,
                 "raw/node-feat.csv.gz:2: expected a finite number in field 2", NULL);
    expect_error("raw/node-feat.csv.gz", "1,0,0.5\n0,,0\n", NULL, GNNKD_EDATA,
                 "raw/node-feat.csv.gz:2: expected a finite number in field 2, found ''", NULL);
    /* 5 feature rows but num-node-list says 6 */
    expect_error("raw/node-feat.csv.gz", "1,0,0\n0,1,0\n0,0,1\n1,1,1\n0,0,0\n", NULL, GNNKD_EDATA,
                 "raw/node-feat.csv.gz", "expected 6 lines, one per node (num-node-list.csv.gz), "
                 "found 5");
    expect_error("raw/node-label.csv.gz", "0\n1\n1.5\n0\n1\n2\n", NULL, GNNKD_EDATA,
                 "raw/node-label.csv.gz:3: expected one class id (0, 1, ...) or nan, found '1.5'",
                 NULL);
    expect_error("raw/node-label.csv.gz", "0\n1\n2,1\n0\n1\n2\n", NULL, GNNKD_EDATA,
                 "raw/node-label.csv.gz:3: expected one class id", "found '2,1'");
    expect_error("raw/node-label.csv.gz", "0\n1\n2\n0\n1\n", NULL, GNNKD_EDATA,
                 "raw/node-label.csv.gz:5: expected 6 labels, one per line of node-feat.csv.gz, "
                 "found 5", NULL);
    expect_error("raw/node-label.csv.gz", "0\n1\n2\n0\n1\n2\n0\n", NULL, GNNKD_EDATA,
                 "raw/node-label.csv.gz:7: expected 6 labels", "found more");
    expect_error("raw/num-node-list.csv.gz", "6\n6\n", NULL, GNNKD_EDATA,
                 "raw/num-node-list.csv.gz:2: expected one graph (one line)", NULL);
    expect_error("raw/num-node-list.csv.gz", "six\n", NULL, GNNKD_EDATA,
                 "raw/num-node-list.csv.gz:1: expected the node count", "found 'six'");
    expect_error("raw/node-label.csv.gz", NULL, NULL, GNNKD_EIO,
                 "raw/node-label.csv.gz: cannot open: ", NULL);
}

Test(ogb, malformed_splits) {
    expect_error("split/random/test.csv.gz", "4\n5\n", NULL, GNNKD_EDATA,
                 "split/random/test.csv.gz:2: expected a labelled node, found node 5", NULL);
    expect_error("split/random/test.csv.gz", "4\n1\n", NULL, GNNKD_EDATA,
                 "split/random/test.csv.gz:2: expected splits without common nodes, found node "
                 "1, already in train.csv.gz (line 2)", NULL);
    expect_error("split/random/valid.csv.gz", "2\n2\n", NULL, GNNKD_EDATA,
                 "split/random/valid.csv.gz:2: expected each node once, found node 2 again "
                 "(first on line 1)", NULL);
    expect_error("split/random/train.csv.gz", "0\n9\n", NULL, GNNKD_EDATA,
                 "split/random/train.csv.gz:2: expected a node id in 0..5, found 9", NULL);
    expect_error("split/random/valid.csv.gz", NULL, NULL, GNNKD_EIO,
                 "split/random/valid.csv.gz: cannot open: ", NULL);
    expect_error(NULL, NULL, "time", GNNKD_EIO, "split/time/train.csv.gz: cannot open: ", NULL);
    /* two split folders and none named */
    char dir[4096], p[4200], msg[GNNKD_MSG_LEN] = "";
    write_ogb(dir, "two", NULL, NULL);
    snprintf(p, sizeof p, "%s/split/other/train.csv.gz", dir);
    write_gz(p, "0\n");
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, NULL, dir, NULL, msg), GNNKD_EINVAL, "%s", msg);
    cr_expect(strstr(msg, "/split: expected one split folder, found several") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, NULL, dir, "random", msg), GNNKD_OK, "%s", msg);
    check_tiny(d, NULL);
    gnnkd_dataset_free(&d);
}

Test(ogb, no_split_folder_and_bad_gzip) {
    char dir[4096], p[4200], cmd[8600], msg[GNNKD_MSG_LEN] = "";
    write_ogb(dir, "nosplit", NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -r '%s/split'", dir);
    cr_assert_eq(system(cmd), 0);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, NULL, dir, NULL, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(d->n, 6);
    cr_expect_eq(d->nsplit[0] + d->nsplit[1] + d->nsplit[2], 0, "no split/: an empty split");
    gnnkd_dataset_free(&d);

    /* a gzip stream cut short */
    char text[4000] = "";
    for (int i = 0; i < 300; i++) strcat(text, i % 2 ? "0,1\n" : "1,2\n");
    snprintf(p, sizeof p, "%s/raw/edge.csv.gz", dir);
    write_gz(p, text);
    struct stat st;
    cr_assert_eq(stat(p, &st), 0);
    cr_assert_eq(truncate(p, st.st_size - 12), 0);
    cr_assert_eq(gnnkd_dataset_load_ogb(&d, NULL, dir, NULL, msg), GNNKD_EDATA, "%s", msg);
    cr_expect(strstr(msg, "raw/edge.csv.gz:") != NULL, "%s", msg);
    cr_expect(strstr(msg, "expected gzip-compressed text, found: ") != NULL, "%s", msg);
    cr_expect_null(d);
}
