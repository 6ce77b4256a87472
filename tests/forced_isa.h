/* forced_isa.h — the kernel, layer and model tests run once per copy of the
 * hot kernels, ctest setting GNNKD_ISA (tests/CMakeLists.txt). Before any
 * test, a run whose copy this CPU lacks exits 77, which ctest reports as
 * not run; and a test asserts that the copy running is the one asked for. */
#ifndef GNNKD_TESTS_FORCED_ISA_H
#define GNNKD_TESTS_FORCED_ISA_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gnn/kernels.h"

/* The level GNNKD_ISA names, the best one if unset, -1 if no level. */
static int forced_isa_wanted(void) {
    const char *want = getenv("GNNKD_ISA");
    if (want == NULL || *want == '\0') {
        gnnkd_tuning best;
        gnnkd_tuning_default(&best);
        return best.isa;
    }
    for (int l = 0; gnnkd_isa_name(l); l++)
        if (strcmp(gnnkd_isa_name(l), want) == 0) return l;
    return -1;
}

/* After the library's own constructor, which reads GNNKD_ISA. */
__attribute__((constructor)) static void forced_isa_skip(void) {
    gnnkd_tuning best;
    gnnkd_tuning_default(&best);
    int want = forced_isa_wanted();
    if (want > (int)best.isa) {
        printf("not run: GNNKD_ISA=%s, but this CPU or build runs at most %s\n",
               getenv("GNNKD_ISA"), gnnkd_isa_name(best.isa));
        exit(77);
    }
}

Test(forced_isa, the_copy_asked_for_runs) {
    int want = forced_isa_wanted();
    cr_assert_geq(want, 0, "GNNKD_ISA=%s names no copy", getenv("GNNKD_ISA"));
    gnnkd_tuning t;
    gnnkd_tuning_get(&t);
    cr_assert_eq(t.isa, want, "settings say %s, %s asked for", gnnkd_isa_name(t.isa),
                 gnnkd_isa_name(want));
    // the table's level was compiled into it (kernels.c checks -march)
    cr_assert_eq(gkd_active->level, want, "the %s copy runs, %s asked for",
                 gnnkd_isa_name(gkd_active->level), gnnkd_isa_name(want));
}

#endif /* GNNKD_TESTS_FORCED_ISA_H */
