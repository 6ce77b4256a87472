/* common.c — the data folders and random fixtures of the tests (see common.h). */
#include "tests/common.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/internal.h"

const char *test_citation_root(const char *dataset) {
    const char *root = getenv("GNNKD_DATA");
    char path[4096];
    struct stat st;
    cr_assert(root != NULL && root[0] != '\0',
              "GNNKD_DATA is not set: set GNNKD_DATA to the folder with cora/, citeseer/, pubmed/");
    snprintf(path, sizeof path, "%s/%s", root, dataset);
    cr_assert(stat(path, &st) == 0 && S_ISDIR(st.st_mode),
              "GNNKD_DATA=%s has no %s/: set GNNKD_DATA to the folder with cora/, citeseer/, pubmed/",
              root, dataset);
    return root;
}

const char *test_small_data(void) {
    const char *p = getenv("GNNKD_TEST_DATA");
    cr_assert(p != NULL && p[0] != '\0', "GNNKD_TEST_DATA is not set (ctest sets it to tests/data)");
    return p;
}

float *test_random_array(int64_t len, uint64_t seed, float scale) {
    float *x = malloc(sizeof *x * (size_t)(len > 0 ? len : 1));
    cr_assert(x != NULL);
    for (int64_t e = 0; e < len; e++) x[e] = scale * (2.0f * gkd_uniform(seed, (uint64_t)e) - 1.0f);
    return x;
}

void test_random_adj(gnnkd_csr *a, int32_t n, double density, uint64_t seed) {
    a->nrows = a->ncols = n;
    a->rowptr = calloc((size_t)n + 1, sizeof *a->rowptr);
    a->colidx = calloc((size_t)n * n + 1, sizeof *a->colidx);
    a->val = NULL;
    cr_assert(a->rowptr != NULL && a->colidx != NULL);
    for (int32_t r = 0; r < n; r++) {
        a->rowptr[r + 1] = a->rowptr[r];
        for (int32_t j = 0; j < n; j++) {
            int32_t lo = r < j ? r : j, hi = r < j ? j : r;
            if (r != j && r % 4 != 1 && j % 4 != 1 && gkd_uniform(seed, (uint64_t)lo * n + hi) < density)
                a->colidx[a->rowptr[r + 1]++] = j;
        }
    }
}

gnnkd_dataset *test_small_dataset(int32_t n, int32_t f, int32_t c, int sparse) {
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_new(&d, NULL), GNNKD_OK);
    d->n = n, d->nfeat = f, d->nclass = c;
    snprintf(d->name, sizeof d->name, "small");
    test_random_adj(&d->adj, n, 0.3, 11);
    if (sparse) {
        d->x.nrows = n, d->x.ncols = f;
        d->x.rowptr = calloc((size_t)n + 1, sizeof *d->x.rowptr);
        d->x.colidx = calloc((size_t)n * f + 1, sizeof *d->x.colidx);
        d->x.val = calloc((size_t)n * f + 1, sizeof *d->x.val);
        cr_assert(d->x.rowptr != NULL && d->x.colidx != NULL && d->x.val != NULL);
        for (int32_t r = 0; r < n; r++) {
            d->x.rowptr[r + 1] = d->x.rowptr[r];
            for (int32_t j = 0; j < f; j++)
                if (r != 2 && gkd_uniform(12, (uint64_t)r * f + j) < 0.5) {
                    d->x.val[d->x.rowptr[r + 1]] = gkd_uniform(13, (uint64_t)r * f + j);
                    d->x.colidx[d->x.rowptr[r + 1]++] = j;
                }
        }
    } else {
        d->xdense = test_random_array((int64_t)n * f, 14, 1.0f);
    }
    d->label = calloc((size_t)n, sizeof *d->label);
    cr_assert(d->label != NULL);
    for (int32_t i = 0; i < n; i++) d->label[i] = i % c;
    static const int32_t train[] = {0, 1, 5, 6};
    d->split[GNNKD_TRAIN] = malloc(sizeof train);
    cr_assert(d->split[GNNKD_TRAIN] != NULL);
    memcpy(d->split[GNNKD_TRAIN], train, sizeof train);
    d->nsplit[GNNKD_TRAIN] = 4;
    return d;
}

void test_assert_close(const float *a, const float *b, int64_t len, double tol, const char *what) {
    for (int64_t e = 0; e < len; e++)
        cr_assert(fabs((double)a[e] - b[e]) <= tol * (1.0 + fabs((double)b[e])),
                  "%s: element %lld: %g vs reference %g", what, (long long)e, a[e], b[e]);
}

double test_half_squared_error(const float *z, const float *target, int64_t len, float *dz) {
    double s = 0.0;
    for (int64_t e = 0; e < len; e++) {
        const double r = (double)z[e] - target[e];
        s += 0.5 * r * r;
        if (dz) dz[e] = (float)r;
    }
    return s;
}
