/* common.c — the data folders of the tests (see common.h). */
#include "tests/common.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

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
