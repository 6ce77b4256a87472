/* igraph_bridge.c — calling igraph from the library: errors kept instead of
 * aborting, gnnkd's CSR to igraph_t, connected components. */
#include "loaders/igraph_bridge.h"

#include <pthread.h>
#include <string.h>

/* ---- calling igraph ------------------------------------------------------- */

/* One scope at a time in the process: igraph's handler, attribute table,
 * default RNG and FINALLY stack are process-wide. Recursive, so that a
 * scope may call a function that opens its own. */
static pthread_mutex_t gkd_igraph_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* The handler takes no user pointer; igraph calls it on the thread that
 * made the failing call, so each thread keeps its own reason. */
static _Thread_local char gkd_igraph_last_reason[GNNKD_MSG_LEN];

static void gkd_igraph_keep_error(const char *reason, const char *file, int line,
                                 igraph_error_t err) {
    (void)file;
    (void)line;
    (void)err;
    /* igraph calls the handler again at each level an error passes up,
     * often with an empty reason: keep the outermost reason first, then
     * the deeper cause. */
    if (reason != NULL && reason[0] != '\0') {
        char joined[sizeof gkd_igraph_last_reason];
        size_t len = strlen(reason), cap = sizeof joined - 1;
        if (len > cap) len = cap;
        memcpy(joined, reason, len);
        if (gkd_igraph_last_reason[0] && len + 2 < cap) {
            size_t more = strlen(gkd_igraph_last_reason);
            if (more > cap - len - 2) more = cap - len - 2;
            memcpy(joined + len, ": ", 2);
            memcpy(joined + len + 2, gkd_igraph_last_reason, more);
            len += 2 + more;
        }
        joined[len] = '\0';
        memcpy(gkd_igraph_last_reason, joined, len + 1);
    }
    IGRAPH_FINALLY_FREE(); /* what igraph_error_handler_ignore does too */
}

void gkd_igraph_begin(gkd_igraph_scope *s, int attributes) {
    pthread_mutex_lock(&gkd_igraph_lock);
    gkd_igraph_last_reason[0] = '\0';
    s->error = igraph_set_error_handler(gkd_igraph_keep_error);
    s->set_attributes = attributes;
    s->attributes = attributes ? igraph_set_attribute_table(&igraph_cattribute_table) : NULL;
}

void gkd_igraph_end(gkd_igraph_scope *s) {
    if (s->set_attributes) igraph_set_attribute_table(s->attributes);
    igraph_set_error_handler(s->error);
    pthread_mutex_unlock(&gkd_igraph_lock);
}

const char *gkd_igraph_reason(igraph_error_t rc) {
    return gkd_igraph_last_reason[0] ? gkd_igraph_last_reason : igraph_strerror(rc);
}

int gkd_igraph_from_adj(igraph_t *g, const gnnkd_csr *adj, char *msg) {
    int64_t m = gnnkd_csr_nnz(adj) / 2, k = 0;
    igraph_vector_int_t ev;
    if (igraph_vector_int_init(&ev, 2 * m) != IGRAPH_SUCCESS) {
        gkd_msg(msg, "graph: out of memory for %lld edges", (long long)m);
        return GNNKD_ENOMEM;
    }
    for (int32_t i = 0; i < adj->nrows; i++)
        for (int64_t p = adj->rowptr[i]; p < adj->rowptr[i + 1]; p++)
            if (adj->colidx[p] > i && k < m) {
                VECTOR(ev)[2 * k] = i;
                VECTOR(ev)[2 * k + 1] = adj->colidx[p];
                k++;
            }
    igraph_error_t rc = k == m ? igraph_create(g, &ev, adj->nrows, IGRAPH_UNDIRECTED) : IGRAPH_EINVAL;
    igraph_vector_int_destroy(&ev);
    if (k != m) {
        gkd_msg(msg, "graph: adjacency is not symmetric");
        return GNNKD_EINVAL;
    }
    if (rc != IGRAPH_SUCCESS) {
        gkd_msg(msg, "graph: igraph_create: %s", gkd_igraph_reason(rc));
        return GNNKD_EINTERNAL;
    }
    return GNNKD_OK;
}

/* ---- components ------------------------------------------------------------ */

int gkd_components(int32_t **memb, int32_t **csize, int32_t *ncomp, const gnnkd_csr *adj,
                  char *msg) {
    igraph_t g;
    int have_g = 0, have_m = 0, have_c = 0;
    igraph_vector_int_t m, c;
    int32_t *om = NULL, *oc = NULL;
    gkd_igraph_scope scope;
    gkd_igraph_begin(&scope, 0);
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (have_g) igraph_destroy(&g);                                                   \
        if (have_m) igraph_vector_int_destroy(&m);                                        \
        if (have_c) igraph_vector_int_destroy(&c);                                        \
        free(om);                                                                         \
        free(oc);                                                                         \
        gkd_igraph_end(&scope);                                                            \
    } while (0)
    GKD_TRY(gkd_igraph_from_adj(&g, adj, msg));
    have_g = 1;
    GKD_CHECK(igraph_vector_int_init(&m, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "components: out of memory");
    have_m = 1;
    GKD_CHECK(igraph_vector_int_init(&c, 0) == IGRAPH_SUCCESS, GNNKD_ENOMEM, "components: out of memory");
    have_c = 1;
    igraph_integer_t no = 0;
    igraph_error_t rc = igraph_connected_components(&g, &m, &c, &no, IGRAPH_WEAK);
    GKD_CHECK(rc == IGRAPH_SUCCESS, GNNKD_EINTERNAL, "igraph_connected_components: %s",
             gkd_igraph_reason(rc));
    int32_t n = adj->nrows;
    GKD_ALLOC(om, n);
    GKD_ALLOC(oc, no);
    for (int32_t i = 0; i < n; i++) om[i] = (int32_t)VECTOR(m)[i];
    for (igraph_integer_t k = 0; k < no; k++) oc[k] = (int32_t)VECTOR(c)[k];
    *memb = om;
    *csize = oc;
    *ncomp = (int32_t)no;
    om = oc = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
