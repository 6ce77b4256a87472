/* common.h — what every Criterion test may share: where the data are. */
#ifndef GKD_TESTS_COMMON_H
#define GKD_TESTS_COMMON_H

/* The folder named by GNNKD_DATA, after checking that it holds dataset/
 * (e.g. "cora"). Fails the calling test (never skips it) with "set
 * GNNKD_DATA to the folder with cora/, citeseer/, pubmed/" when GNNKD_DATA
 * is unset, empty, or lacks that folder: the citation graphs are part of
 * the suite, and a test that silently skips cannot fail. */
const char *test_citation_root(const char *dataset);

/* The folder named by GNNKD_TEST_DATA (tests/data, set by ctest). */
const char *test_small_data(void);

#endif /* GKD_TESTS_COMMON_H */
