/* sage.c — GraphSAGE's mean aggregator (Hamilton et al. 2017): the inverse
 * degrees its layers scale by. The layers themselves are X [W_self |
 * W_neigh] (layers.c's linear map) and the aggregation kernels of kernels.c,
 * put together in model.c. */
#include "gnn/kernels.h"

void gkd_sage_structure(gnnkd_model *m, const gnnkd_csr *adj) {
    for (int32_t i = 0; i < adj->nrows; i++) {
        int64_t deg = adj->rowptr[i + 1] - adj->rowptr[i];
        m->invdeg[i] = deg > 0 ? 1.0f / (float)deg : 0.0f;
    }
}
