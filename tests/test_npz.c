/* test_npz.c — gnn-benchmark .npz files: Cora's and CiteSeer's known figures,
 * a small file built here member by member (stored and deflated), and every
 * malformed member refused with "file:member: expected ..., found ...". */
#include <criterion/criterion.h>

#include "gnnkd.h"
#include "tests/common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zip.h>

static char DIR_[64];

static void make_dir(void) {
    strcpy(DIR_, "/tmp/gnnkd_npz_XXXXXX");
    cr_assert(mkdtemp(DIR_) != NULL);
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(npz, .init = make_dir, .fini = remove_dir);

/* ---- the data sets of the GLNN/CPF line ------------------------------------- */

static void check_file(const char *name, int32_t n, int64_t edges, int64_t self_loops,
                       int32_t nfeat, int64_t nnz, int32_t nclass, int32_t components,
                       int32_t largest) {
    char path[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(path, sizeof path, "%s/npz/%s", test_citation_root("npz"), name);
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts c;
    cr_assert_eq(gnnkd_dataset_load_npz(&d, &c, path, msg), GNNKD_OK, "%s", msg);
    gnnkd_stats s = {0};
    cr_assert_eq(gnnkd_dataset_stats(&s, d, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(s.nodes, n, "%s: %d nodes", name, s.nodes);
    cr_expect_eq(s.edges, edges, "%s: %lld edges", name, (long long)s.edges);
    cr_expect_eq(c.edges, edges);
    cr_expect_eq(c.self_loops, self_loops, "%s: %lld self loops", name, (long long)c.self_loops);
    cr_expect_eq(c.duplicates, 0);
    cr_expect(c.directed);
    /* every arc is an edge, a reciprocal pair's second arc, or a loop */
    cr_expect_eq(c.file_edges, c.edges + c.reciprocal + c.self_loops);
    cr_expect_eq(s.nfeat, nfeat);
    cr_expect_eq(s.feature_nnz, nnz);
    cr_expect_not(s.dense_features);
    cr_expect_eq(s.nclass, nclass);
    cr_expect_eq(s.labelled, n);
    cr_expect_eq(s.components, components, "%s: %d components", name, s.components);
    cr_expect_eq(s.largest_component, largest);
    cr_expect_eq(s.nsplit[0] + s.nsplit[1] + s.nsplit[2], 0, "the file holds no split");
    cr_expect_str_eq(d->name, name[0] == 'c' && name[1] == 'o' ? "cora" : "citeseer");
    /* the library's CSR invariants: sorted, symmetric, no loops */
    for (int32_t i = 0; i < d->n; i++) {
        for (int64_t e = d->adj.rowptr[i]; e < d->adj.rowptr[i + 1]; e++) {
            cr_assert_neq(d->adj.colidx[e], i);
            if (e > d->adj.rowptr[i]) cr_assert_lt(d->adj.colidx[e - 1], d->adj.colidx[e]);
        }
        for (int64_t e = d->x.rowptr[i] + 1; e < d->x.rowptr[i + 1]; e++)
            cr_assert_lt(d->x.colidx[e - 1], d->x.colidx[e]);
    }
    gnnkd_stats_clear(&s);
    gnnkd_dataset_free(&d);
}

Test(npz, cora) { check_file("cora.npz", 2708, 5278, 0, 1433, 49216, 7, 78, 2485); }

Test(npz, citeseer) { check_file("citeseer.npz", 3312, 4536, 124, 3703, 105165, 6, 438, 2110); }

Test(npz, open_and_lcc) {
    char path[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(path, sizeof path, "%s/npz/cora.npz", test_citation_root("npz"));
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, path, NULL, msg), GNNKD_OK, "%s", msg);
    cr_expect_str_eq(d->name, "cora");
    cr_assert_eq(gnnkd_dataset_lcc(d, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(d->n, 2485);
    cr_assert_eq(gnnkd_dataset_split(d, "per-class:20:30", 1, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(d->nsplit[0], 140);
    cr_expect_eq(d->nsplit[1], 210);
    cr_expect_eq(d->nsplit[2], 2485 - 350);
    gnnkd_dataset_free(&d);
    /* by NAME in a data folder */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/npz", test_citation_root("npz"));
    cr_assert_eq(gnnkd_dataset_open(&d, "citeseer.npz", dir, msg), GNNKD_OK, "%s", msg);
    cr_expect_str_eq(d->name, "citeseer");
    cr_expect_eq(d->n, 3312);
    gnnkd_dataset_free(&d);
}

/* ---- a small file, member by member -------------------------------------------- */

/* One .npy member: dtype, shape text and raw little-endian data. */
typedef struct {
    const char *name; /* without .npy */
    const char *descr;
    const char *shape; /* "(5,)" */
    const void *data;
    size_t ndata;
    int fortran;
} member;

static const int64_t ADJ_SHAPE[2] = {4, 4};
static const int32_t ADJ_INDPTR[5] = {0, 2, 3, 4, 5};
static const int32_t ADJ_INDICES[5] = {1, 2, 0, 3, 3}; /* 0->1 1->0 0->2 2->3, loop 3->3 */
static const float ADJ_DATA[5] = {1, 1, 1, 1, 1};
static const int64_t ATTR_SHAPE[2] = {4, 3};
static const int64_t ATTR_INDPTR[5] = {0, 2, 3, 3, 5};
static const int32_t ATTR_INDICES[5] = {2, 0, 1, 0, 2}; /* row 0 unsorted, row 2 empty */
static const float ATTR_DATA[5] = {0.5f, 1, 2, 3, 4};
static const int8_t LABELS[4] = {0, 1, 1, 2};
static const char NAMES[4 * 2 * 4] = "a\0\0\0b\0\0\0c\0\0\0d\0\0\0e\0\0\0f\0\0\0g\0\0\0h\0\0";

#define M(n, d, s, a) {n, d, s, a, sizeof a, 0}
static const member BASE[] = {
    M("adj_shape", "<i8", "(2,)", ADJ_SHAPE),       M("adj_indptr", "<i4", "(5,)", ADJ_INDPTR),
    M("adj_indices", "<i4", "(5,)", ADJ_INDICES),   M("adj_data", "<f4", "(5,)", ADJ_DATA),
    M("attr_shape", "<i8", "(2,)", ATTR_SHAPE),     M("attr_indptr", "<i8", "(5,)", ATTR_INDPTR),
    M("attr_indices", "<i4", "(5,)", ATTR_INDICES), M("attr_data", "<f4", "(5,)", ATTR_DATA),
    M("labels", "|i1", "(4,)", LABELS),             M("node_names", "<U2", "(4,)", NAMES),
};
#define NBASE (sizeof BASE / sizeof BASE[0])

/* Writes DIR_/name: the base members, with `change` replacing the member of
 * the same name (or dropping it if change->descr is NULL) or added, and
 * every member deflated if deflate is set. */
static void write_npz(char *path, const char *name, const member *change, int nchange,
                      int deflate) {
    snprintf(path, 4096, "%s/%s", DIR_, name);
    int err = 0;
    zip_t *z = zip_open(path, ZIP_CREATE | ZIP_TRUNCATE, &err);
    cr_assert_not_null(z, "zip_open %s: %d", path, err);
    member all[32];
    int n = 0;
    for (size_t k = 0; k < NBASE; k++) all[n++] = BASE[k];
    for (int c = 0; c < nchange; c++) {
        int k = 0;
        while (k < n && strcmp(all[k].name, change[c].name) != 0) k++;
        if (k == n) n++;
        all[k] = change[c];
    }
    for (int k = 0; k < n; k++) {
        if (all[k].descr == NULL) continue;
        char dict[256], fname[128];
        snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }",
                 all[k].descr, all[k].fortran ? "True" : "False", all[k].shape);
        size_t len = strlen(dict), total = (10 + len + 1 + 63) / 64 * 64, hlen = total - 10;
        unsigned char *buf = malloc(total + all[k].ndata);
        memcpy(buf, "\x93NUMPY\x01\x00", 8);
        buf[8] = (unsigned char)(hlen & 0xff);
        buf[9] = (unsigned char)(hlen >> 8);
        memcpy(buf + 10, dict, len);
        memset(buf + 10 + len, ' ', hlen - len - 1);
        buf[total - 1] = '\n';
        memcpy(buf + total, all[k].data, all[k].ndata);
        zip_source_t *src = zip_source_buffer(z, buf, total + all[k].ndata, 1);
        cr_assert_not_null(src);
        snprintf(fname, sizeof fname, "%s.npy", all[k].name);
        zip_int64_t idx = zip_file_add(z, fname, src, ZIP_FL_OVERWRITE);
        cr_assert_geq(idx, 0, "%s", zip_strerror(z));
        cr_assert_eq(zip_set_file_compression(z, (zip_uint64_t)idx,
                                              deflate ? ZIP_CM_DEFLATE : ZIP_CM_STORE, 0), 0);
    }
    cr_assert_eq(zip_close(z), 0, "zip_close: %s", zip_strerror(z));
}

static void check_small(const char *path) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    gnnkd_graph_counts c;
    cr_assert_eq(gnnkd_dataset_load_npz(&d, &c, path, msg), GNNKD_OK, "%s", msg);
    cr_expect_eq(d->n, 4);
    cr_expect_eq(c.file_edges, 5);
    cr_expect_eq(c.self_loops, 1);
    cr_expect_eq(c.reciprocal, 1);
    cr_expect_eq(c.edges, 3);
    int64_t rowptr[5] = {0, 2, 3, 5, 6};
    int32_t colidx[6] = {1, 2, 0, 0, 3, 2};
    cr_assert_arr_eq(d->adj.rowptr, rowptr, sizeof rowptr);
    cr_assert_arr_eq(d->adj.colidx, colidx, sizeof colidx);
    cr_expect_eq(d->nfeat, 3);
    int64_t xptr[5] = {0, 2, 3, 3, 5};
    int32_t xcol[5] = {0, 2, 1, 0, 2};
    float xval[5] = {1, 0.5f, 2, 3, 4};
    cr_assert_arr_eq(d->x.rowptr, xptr, sizeof xptr);
    cr_assert_arr_eq(d->x.colidx, xcol, sizeof xcol);
    cr_assert_arr_eq(d->x.val, xval, sizeof xval);
    cr_expect_null(d->xdense);
    int32_t label[4] = {0, 1, 1, 2};
    cr_assert_arr_eq(d->label, label, sizeof label);
    cr_expect_eq(d->nclass, 3);
    gnnkd_dataset_free(&d);
}

Test(npz, stored_members) {
    char p[4096];
    write_npz(p, "small.npz", NULL, 0, 0);
    check_small(p);
}

Test(npz, deflated_members) {
    char p[4096];
    write_npz(p, "small.npz", NULL, 0, 1);
    check_small(p);
}

Test(npz, dense_features_and_onehot_labels) {
    static const double X[4 * 2] = {1, 2, 3, 4, 5, 6, 7, 8};
    static const int64_t LSHAPE[2] = {4, 5};
    static const int32_t LPTR[5] = {0, 1, 2, 2, 3}, LIND[3] = {4, 1, 0};
    static const uint8_t LDATA[3] = {1, 1, 1};
    const member ch[] = {
        M("attr_matrix", "<f8", "(4, 2)", X),
        {"labels", NULL, NULL, NULL, 0, 0},
        M("labels_shape", "<i8", "(2,)", LSHAPE),
        M("labels_indptr", "<i4", "(5,)", LPTR),
        M("labels_indices", "<i4", "(3,)", LIND),
        M("labels_data", "|b1", "(3,)", LDATA),
    };
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    write_npz(p, "dense.npz", ch, 6, 1);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_npz(&d, NULL, p, msg), GNNKD_OK, "%s", msg);
    cr_expect_null(d->x.rowptr);
    cr_assert_not_null(d->xdense);
    cr_expect_eq(d->nfeat, 2);
    float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    cr_assert_arr_eq(d->xdense, x, sizeof x);
    int32_t label[4] = {4, 1, -1, 0};
    cr_assert_arr_eq(d->label, label, sizeof label);
    cr_expect_eq(d->nclass, 5);
    gnnkd_dataset_free(&d);
}

/* Loading the file with `change` fails with status and a message holding
 * each of the fragments. */
static void expect_error(const member *change, int nchange, gnnkd_status status,
                         const char *frag1, const char *frag2) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    write_npz(p, "bad.npz", change, nchange, 0);
    gnnkd_dataset *d = (gnnkd_dataset *)p; /* must be reset to NULL */
    cr_assert_eq(gnnkd_dataset_load_npz(&d, NULL, p, msg), status, "%s", msg);
    cr_expect_null(d);
    cr_expect(strstr(msg, p) == msg, "message should start with the file: %s", msg);
    cr_expect(strstr(msg, frag1) != NULL, "'%s' not in: %s", frag1, msg);
    if (frag2) cr_expect(strstr(msg, frag2) != NULL, "'%s' not in: %s", frag2, msg);
}

Test(npz, wrong_dtype) {
    const member ch[] = {M("adj_indices", "<f4", "(5,)", ADJ_DATA)};
    expect_error(ch, 1, GNNKD_EDATA, "bad.npz:adj_indices.npy: expected an integer dtype",
                 "found dtype '<f4'");
    const member be[] = {M("adj_indptr", ">i4", "(5,)", ADJ_INDPTR)};
    expect_error(be, 1, GNNKD_EDATA, ":adj_indptr.npy: expected an integer dtype",
                 "little-endian, found dtype '>i4'");
    const member u[] = {M("labels", "<U1", "(4,)", ADJ_INDICES)};
    expect_error(u, 1, GNNKD_EDATA, ":labels.npy: expected an integer dtype", "'<U1'");
}

Test(npz, wrong_shape) {
    const member two_d[] = {M("adj_indices", "<i4", "(5, 1)", ADJ_INDICES)};
    expect_error(two_d, 1, GNNKD_EDATA, ":adj_indices.npy: expected a 1-D array, found a 2-D one",
                 NULL);
    static const int64_t RECT[2] = {4, 5};
    const member rect[] = {M("adj_shape", "<i8", "(2,)", RECT)};
    expect_error(rect, 1, GNNKD_EDATA, ":adj_shape.npy: expected a square (n, n) adjacency",
                 "found (4, 5)");
    static const int64_t THREE[3] = {4, 4, 4};
    const member three[] = {M("adj_shape", "<i8", "(3,)", THREE)};
    expect_error(three, 1, GNNKD_EDATA, ":adj_shape.npy: expected 2 values (rows, cols), found 3",
                 NULL);
    const member lab[] = {{"labels", "<i4", "(3,)", ADJ_INDICES, 12, 0}};
    expect_error(lab, 1, GNNKD_EDATA, ":labels.npy: expected 4 labels, one per node", "found 3");
    static const int64_t ATTR5[2] = {5, 3};
    const member attr[] = {M("attr_shape", "<i8", "(2,)", ATTR5)};
    expect_error(attr, 1, GNNKD_EDATA, ":attr_indptr.npy: expected 6 offsets (rows + 1", "found 5");
    const member data[] = {{"adj_data", "<f4", "(4,)", ADJ_DATA, 16, 0}};
    expect_error(data, 1, GNNKD_EDATA,
                 ":adj_data.npy: expected 5 values, one per entry of adj_indices.npy, found 4", NULL);
    const member fo[] = {{"adj_indptr", "<i4", "(5,)", ADJ_INDPTR, sizeof ADJ_INDPTR, 1}};
    expect_error(fo, 1, GNNKD_EDATA, ":adj_indptr.npy: expected C order, found fortran_order True",
                 NULL);
}

Test(npz, truncated_member) {
    const member ch[] = {{"adj_indices", "<i4", "(5,)", ADJ_INDICES, 16, 0}};
    expect_error(ch, 1, GNNKD_EDATA,
                 ":adj_indices.npy: expected 20 bytes of data (5 values of 4 bytes), found 16",
                 NULL);
    /* a shape far beyond the member is refused before anything is allocated */
    const member huge[] = {M("attr_indices", "<i4", "(1000000000000000,)", ATTR_INDICES)};
    expect_error(huge, 1, GNNKD_EDATA,
                 ":attr_indices.npy: expected 4000000000000000 bytes of data", "found 20");
    const member over[] = {M("adj_data", "<f4", "(4611686018427387904,)", ADJ_DATA)};
    expect_error(over, 1, GNNKD_EDATA, ":adj_data.npy: expected a shape of at most 20 bytes",
                 "found one beyond 64 bits");
    const member no_header[] = {{"labels", "|i1", "(4,", LABELS, 4, 0}};
    expect_error(no_header, 1, GNNKD_EDATA, ":labels.npy: expected in the header", NULL);
}

Test(npz, indptr_not_monotone) {
    static const int32_t P[5] = {0, 2, 1, 4, 5};
    const member ch[] = {M("adj_indptr", "<i4", "(5,)", P)};
    expect_error(ch, 1, GNNKD_EDATA,
                 ":adj_indptr.npy: expected non-decreasing offsets, found 1 after 2 (row 1)", NULL);
    static const int64_t Q[5] = {1, 2, 3, 3, 5};
    const member first[] = {M("attr_indptr", "<i8", "(5,)", Q)};
    expect_error(first, 1, GNNKD_EDATA, ":attr_indptr.npy: expected offset 0 first, found 1",
                 NULL);
    static const int32_t R[5] = {0, 2, 3, 4, 4};
    const member last[] = {M("adj_indptr", "<i4", "(5,)", R)};
    expect_error(last, 1, GNNKD_EDATA,
                 ":adj_indptr.npy: expected the last offset to be 5 (the length of "
                 "adj_indices.npy), found 4", NULL);
}

Test(npz, index_out_of_range) {
    static const int32_t I[5] = {1, 2, 0, 3, 4};
    const member ch[] = {M("adj_indices", "<i4", "(5,)", I)};
    expect_error(ch, 1, GNNKD_EDATA,
                 ":adj_indices.npy: expected column indices in 0..3 (adj_shape.npy), found 4 at "
                 "entry 4", NULL);
    static const int32_t J[5] = {2, 0, 1, -1, 2};
    const member neg[] = {M("attr_indices", "<i4", "(5,)", J)};
    expect_error(neg, 1, GNNKD_EDATA, ":attr_indices.npy: expected column indices in 0..2",
                 "found -1 at entry 3");
    static const int32_t K[5] = {2, 2, 1, 0, 2};
    const member dup[] = {M("attr_indices", "<i4", "(5,)", K)};
    expect_error(dup, 1, GNNKD_EDATA,
                 ":attr_indices.npy: expected each column once in a row, found column 2 twice "
                 "in row 0", NULL);
    static const int8_t L[4] = {0, 1, -2, 2};
    const member lab[] = {M("labels", "|i1", "(4,)", L)};
    expect_error(lab, 1, GNNKD_EDATA, ":labels.npy: expected a class id (0, 1, ...) or -1",
                 "found -2 at node 2");
    static const float NANS[5] = {0.5f, 1, NAN, 3, 4};
    const member nan[] = {M("attr_data", "<f4", "(5,)", NANS)};
    expect_error(nan, 1, GNNKD_EDATA, ":attr_data.npy: expected finite float32 values",
                 "at entry 2");
}

Test(npz, missing_member) {
    const member no_ptr[] = {{"attr_indptr", NULL, NULL, NULL, 0, 0}};
    expect_error(no_ptr, 1, GNNKD_EDATA,
                 ":attr_indptr.npy: expected this member, found no member of that name", NULL);
    const member no_labels[] = {{"labels", NULL, NULL, NULL, 0, 0}};
    expect_error(no_labels, 1, GNNKD_EDATA, ":labels.npy: expected this member", "found neither");
    const member no_adj[] = {{"adj_shape", NULL, NULL, NULL, 0, 0}};
    expect_error(no_adj, 1, GNNKD_EDATA, ":adj_shape.npy: expected this member", NULL);
}

Test(npz, not_a_zip_and_missing_file) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    snprintf(p, sizeof p, "%s/text.npz", DIR_);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs("not a zip file at all\n", f);
    fclose(f);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_npz(&d, NULL, p, msg), GNNKD_EDATA, "%s", msg);
    cr_expect(strstr(msg, "text.npz: expected a zip file (.npz), found: ") != NULL, "%s", msg);
    snprintf(p, sizeof p, "%s/absent.npz", DIR_);
    cr_assert_eq(gnnkd_dataset_load_npz(&d, NULL, p, msg), GNNKD_EIO, "%s", msg);
    cr_expect(strstr(msg, "absent.npz: cannot open: ") != NULL, "%s", msg);
    cr_assert_eq(gnnkd_dataset_open(&d, p, NULL, msg), GNNKD_EIO, "%s", msg);
    cr_expect_null(d);
}

/* A stored member whose bytes were changed after zipping fails libzip's CRC. */
Test(npz, corrupted_member) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    static const int8_t MARK[4] = {0x5a, 0x5b, 0x5c, 0x5d};
    const member ch[] = {M("labels", "|i1", "(4,)", MARK)};
    write_npz(p, "crc.npz", ch, 1, 0);
    FILE *f = fopen(p, "r+b");
    cr_assert_not_null(f);
    unsigned char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    unsigned char *at = memmem(buf, n, MARK, 4);
    cr_assert_not_null(at);
    at[0] = 3;
    fseek(f, 0, SEEK_SET);
    cr_assert_eq(fwrite(buf, 1, n, f), n);
    fclose(f);
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_load_npz(&d, NULL, p, msg), GNNKD_EDATA, "%s", msg);
    cr_expect(strstr(msg, "crc.npz:labels.npy: cannot read the data: ") != NULL, "%s", msg);
}
