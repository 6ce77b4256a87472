/* common.h — what every Criterion test may share: where the data are, and
 * the random fixtures of the kernel and gradient tests. */
#ifndef GKD_TESTS_COMMON_H
#define GKD_TESTS_COMMON_H

#include <stdint.h>

#include "gnnkd.h"

/* The folder named by GNNKD_DATA, after checking that it holds dataset/
 * (e.g. "cora"). Fails the calling test (never skips it) with "set
 * GNNKD_DATA to the folder with cora/, citeseer/, pubmed/" when GNNKD_DATA
 * is unset, empty, or lacks that folder: the citation graphs are part of
 * the suite, and a test that silently skips cannot fail. */
const char *test_citation_root(const char *dataset);

/* The folder named by GNNKD_TEST_DATA (tests/data, set by ctest). */
const char *test_small_data(void);

/* len floats uniform in [-scale, scale], a counter stream of seed (the
 * same array for the same arguments); the caller frees. */
float *test_random_array(int64_t len, uint64_t seed, float scale);

/* A random symmetric (n, n) pattern of the given density, no self loops,
 * columns ascending, val NULL; every fourth node (from 1) is isolated.
 * Released with gnnkd_csr_clear. */
void test_random_adj(gnnkd_csr *a, int32_t n, double density, uint64_t seed);

/* A small dataset of the whole-model gradient checks: n nodes, f features
 * (dense, or sparse with row 2 empty), c classes with labels i % c,
 * test_random_adj's graph at density 0.3 (isolated nodes included), and
 * training nodes 0, 1 (isolated), 5 and 6 (n >= 7). Released with
 * gnnkd_dataset_free. */
gnnkd_dataset *test_small_dataset(int32_t n, int32_t f, int32_t c, int sparse);

/* Fails the calling test at the first element with |a - b| > tol (1 + |b|),
 * naming what and the element. */
void test_assert_close(const float *a, const float *b, int64_t len, double tol, const char *what);

/* 0.5 |z - target|^2 over len floats, in double: the loss of the
 * finite-difference checks; its gradient z - target into dz if not NULL. */
double test_half_squared_error(const float *z, const float *target, int64_t len, float *dz);

#endif /* GKD_TESTS_COMMON_H */
