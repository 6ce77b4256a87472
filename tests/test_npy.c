/* test_npy.c — .npy files: round trip, the exact bytes numpy writes, float64
 * and version 2.0 input, and every malformed file refused with its name. */
#include <criterion/criterion.h>

#include "gnnkd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char DIR_[64];

static void make_dir(void) {
    strcpy(DIR_, "/tmp/gnnkd_npy_XXXXXX");
    cr_assert(mkdtemp(DIR_) != NULL);
}

static void remove_dir(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", DIR_);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(npy, .init = make_dir, .fini = remove_dir);

static void path_of(char *p, const char *name) { snprintf(p, 4096, "%s/%s", DIR_, name); }

static void write_bytes(const char *path, const void *b, size_t n) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(b, 1, n, f), n);
    fclose(f);
}

/* A .npy file with the given version and header text (padded with spaces
 * and '\n' to a multiple of 64 bytes, as numpy does) followed by data. */
static void write_npy(const char *path, int major, const char *dict, const void *data,
                      size_t ndata) {
    unsigned char buf[1024];
    size_t pre = major == 1 ? 10 : 12;
    size_t len = strlen(dict);
    size_t total = (pre + len + 1 + 63) / 64 * 64;
    size_t hlen = total - pre;
    memcpy(buf, "\x93NUMPY", 6);
    buf[6] = (unsigned char)major;
    buf[7] = 0;
    buf[8] = (unsigned char)(hlen & 0xff);
    buf[9] = (unsigned char)(hlen >> 8);
    if (major != 1) buf[10] = buf[11] = 0;
    memcpy(buf + pre, dict, len);
    memset(buf + pre + len, ' ', hlen - len - 1);
    buf[total - 1] = '\n';
    memcpy(buf + total, data, ndata);
    write_bytes(path, buf, total + ndata);
}

Test(npy, round_trip) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    path_of(p, "a.npy");
    float a[15];
    for (int k = 0; k < 15; k++) a[k] = (k - 7) * 0.1f + 1e-38f * (float)k;
    a[3] = -0.0f;
    cr_assert_eq(gnnkd_npy_write(p, a, 3, 5, msg), GNNKD_OK, "%s", msg);
    float *b = NULL;
    int64_t r = 0, c = 0;
    cr_assert_eq(gnnkd_npy_read(&b, &r, &c, p, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r, 3);
    cr_assert_eq(c, 5);
    cr_assert_arr_eq(a, b, sizeof a, "not bit-exact");
    free(b);
    /* Nothing left behind but the file itself. */
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", p, (long)getpid());
    cr_assert_neq(access(tmp, F_OK), 0);
}

Test(npy, empty_array) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    path_of(p, "e.npy");
    cr_assert_eq(gnnkd_npy_write(p, NULL, 0, 4, msg), GNNKD_OK, "%s", msg);
    float *b = NULL;
    int64_t r = -1, c = -1;
    cr_assert_eq(gnnkd_npy_read(&b, &r, &c, p, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r, 0);
    cr_assert_eq(c, 4);
    free(b);
}

/* The bytes numpy 1.24 writes for np.save(f, np.zeros((2, 3), np.float32)),
 * except the values: magic, version 1.0, header length 118 (0x76), the dict,
 * 58 spaces and '\n' so that the data starts at byte 128. */
Test(npy, exact_header_bytes) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    path_of(p, "h.npy");
    float a[6] = {1, 2, 3, 4, 5, 6};
    cr_assert_eq(gnnkd_npy_write(p, a, 2, 3, msg), GNNKD_OK, "%s", msg);
    unsigned char want[128];
    const char *dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    cr_assert_eq(strlen(dict), 59);
    memcpy(want, "\x93NUMPY\x01\x00\x76\x00", 10);
    memcpy(want + 10, dict, 59);
    memset(want + 69, ' ', 58);
    want[127] = '\n';
    unsigned char got[200];
    FILE *f = fopen(p, "rb");
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    cr_assert_eq(n, 128 + 6 * 4);
    cr_assert_arr_eq(got, want, 128);
    /* 1.0f little-endian is 00 00 80 3f. */
    unsigned char one[4] = {0x00, 0x00, 0x80, 0x3f};
    cr_assert_arr_eq(got + 128, one, 4);
}

Test(npy, read_f8_1d) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    path_of(p, "d.npy");
    double v[3] = {1.5, -2.25, 0.1};
    write_npy(p, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", v, sizeof v);
    float *b = NULL;
    int64_t r, c;
    cr_assert_eq(gnnkd_npy_read(&b, &r, &c, p, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r, 3);
    cr_assert_eq(c, 1);
    cr_assert_eq(b[0], 1.5f);
    cr_assert_eq(b[1], -2.25f);
    cr_assert_eq(b[2], 0.1f);
    free(b);
}

Test(npy, read_version2_and_key_order) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    path_of(p, "v2.npy");
    float v[4] = {1, 2, 3, 4};
    write_npy(p, 2, "{\"shape\": (2,2), \"fortran_order\": False, \"descr\": \"<f4\"}", v, sizeof v);
    float *b = NULL;
    int64_t r, c;
    cr_assert_eq(gnnkd_npy_read(&b, &r, &c, p, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r, 2);
    cr_assert_eq(c, 2);
    cr_assert_arr_eq(b, v, sizeof v);
    free(b);
}

typedef struct {
    const char *name, *dict;
    size_t ndata;
    const char *says; /* a word the message must contain */
} bad_npy;

Test(npy, malformed) {
    static const float data[8] = {0};
    const bad_npy cases[] = {
        {"fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", 16, "order"},
        {"int.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (2, 2), }", 16, "<i4"},
        {"big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 2), }", 16, ">f4"},
        {"short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 12, "bytes"},
        {"long.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 20, "bytes"},
        {"3d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 2, 2), }", 16, "3-D"},
        {"0d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (), }", 4, "0-D"},
        {"huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000), }",
         16, "bytes"},
        {"nokey.npy", "{'descr': '<f4', 'shape': (2, 2), }", 16, "fortran_order"},
        {"extra.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'x': 1}", 16,
         "header"},
        {"notdict.npy", "['<f4', False, (2, 2)]", 16, "header"},
        {"negshape.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 2), }", 16,
         "shape"},
        {"unclosed.npy", "{'descr': '<f4, 'fortran_order': False, 'shape': (2, 2), }", 16, "header"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        char p[4096], msg[GNNKD_MSG_LEN] = "";
        path_of(p, cases[k].name);
        write_npy(p, 1, cases[k].dict, data, cases[k].ndata);
        float *b = (float *)1;
        int64_t r, c;
        int rc = gnnkd_npy_read(&b, &r, &c, p, msg);
        cr_expect_eq(rc, GNNKD_EDATA, "%s: %s (%s)", cases[k].name, gnnkd_status_name(rc), msg);
        cr_expect_null(b, "%s", cases[k].name);
        cr_expect(strstr(msg, p) != NULL, "%s: message \"%s\" lacks the path", cases[k].name, msg);
        cr_expect(strstr(msg, cases[k].says) != NULL, "%s: message \"%s\" lacks \"%s\"",
                  cases[k].name, msg, cases[k].says);
    }
}

Test(npy, malformed_prefix) {
    char p[4096], msg[GNNKD_MSG_LEN] = "";
    float *b = NULL;
    int64_t r, c;
    struct {
        const char *name;
        const char *bytes;
        size_t n;
    } cases[] = {
        {"empty.npy", "", 0},
        {"magic.npy", "\x93NUMPZ\x01\x00\x10\x00{}              \n", 26},
        {"version.npy", "\x93NUMPY\x04\x00\x10\x00{}              \n", 26},
        {"hlen.npy", "\x93NUMPY\x01\x00\xff\x00{}", 12},
        {"v2cut.npy", "\x93NUMPY\x02\x00", 8},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        path_of(p, cases[k].name);
        write_bytes(p, cases[k].bytes, cases[k].n);
        int rc = gnnkd_npy_read(&b, &r, &c, p, msg);
        cr_expect_eq(rc, GNNKD_EDATA, "%s: %s (%s)", cases[k].name, gnnkd_status_name(rc), msg);
        cr_expect(strstr(msg, p) != NULL, "%s: %s", cases[k].name, msg);
        cr_expect_null(b);
    }
    path_of(p, "missing.npy");
    cr_expect_eq(gnnkd_npy_read(&b, &r, &c, p, msg), GNNKD_EIO);
    cr_expect(strstr(msg, p) != NULL, "%s", msg);
}

Test(npy, write_errors) {
    char msg[GNNKD_MSG_LEN] = "";
    float a[2] = {1, 2};
    cr_expect_eq(gnnkd_npy_write("/nonexistent/dir/a.npy", a, 1, 2, msg), GNNKD_EIO);
    cr_expect(strstr(msg, "/nonexistent/dir/a.npy") != NULL, "%s", msg);
    char p[4096];
    path_of(p, "neg.npy");
    cr_expect_eq(gnnkd_npy_write(p, a, -1, 2, msg), GNNKD_EINVAL);
    cr_expect_neq(access(p, F_OK), 0);
}
