/* synthetic.c — contextual stochastic block models (placeholder until the
 * generator lands). */
#include "gnnkd_internal.h"

int gnnkd_dataset_synthetic(gnnkd_dataset **d, const char *spec, char *msg) {
    (void)d;
    gk_msg(msg, "%s: synthetic graphs are not built yet", spec);
    return GNNKD_EINVAL;
}
