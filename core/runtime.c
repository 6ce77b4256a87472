/* runtime.c — the lifetime of the libraries below gnnkd that keep
 * process-wide state: GraphBLAS is started once (lazily, or by gnnkd_init)
 * and released by gnnkd_finalize. igraph's settings are taken and put back
 * under a lock by loaders/igraph_bridge.c. */
#include "core/internal.h"

#include <GraphBLAS.h>
#include <pthread.h>

enum { GRB_NEW, GRB_RUNNING, GRB_FAILED, GRB_FINALIZED };

/* Readers: the users of GraphBLAS, several at a time; the writer: starting
 * and finalising it. */
static pthread_rwlock_t grb_lock = PTHREAD_RWLOCK_INITIALIZER;
static int grb_state = GRB_NEW;
static GrB_Info grb_init_info = GrB_SUCCESS;

/* Starts GraphBLAS if it is new; the caller holds grb_lock for writing. */
static int grb_start(char *msg) {
    if (grb_state == GRB_NEW) {
        grb_init_info = GrB_init(GrB_NONBLOCKING);
        grb_state = grb_init_info == GrB_SUCCESS ? GRB_RUNNING : GRB_FAILED;
    }
    switch (grb_state) {
    case GRB_RUNNING: return GNNKD_OK;
    case GRB_FINALIZED:
        gkd_msg(msg, "GraphBLAS: gnnkd_finalize was called; it cannot start again in this process");
        return GNNKD_EINVAL;
    default:
        gkd_msg(msg, "GrB_init: GraphBLAS failed to start (GrB_Info %d)", (int)grb_init_info);
        return GNNKD_EINTERNAL;
    }
}

gnnkd_status gnnkd_init(char *msg) {
    GKD_CLEAR_MSG;
    pthread_rwlock_wrlock(&grb_lock);
    int rc = grb_start(msg);
    pthread_rwlock_unlock(&grb_lock);
    return rc;
}

void gnnkd_finalize(void) {
    pthread_rwlock_wrlock(&grb_lock);
    if (grb_state == GRB_RUNNING) GrB_finalize();
    grb_state = GRB_FINALIZED;
    pthread_rwlock_unlock(&grb_lock);
}

int gkd_grb_begin(char *msg) {
    pthread_rwlock_rdlock(&grb_lock);
    if (grb_state == GRB_RUNNING) return GNNKD_OK;
    pthread_rwlock_unlock(&grb_lock);
    pthread_rwlock_wrlock(&grb_lock);
    int rc = grb_start(msg);
    pthread_rwlock_unlock(&grb_lock);
    if (rc != GNNKD_OK) return rc;
    /* started: take the reader's side (a finalize may have come between) */
    pthread_rwlock_rdlock(&grb_lock);
    if (grb_state == GRB_RUNNING) return GNNKD_OK;
    pthread_rwlock_unlock(&grb_lock);
    gkd_msg(msg, "GraphBLAS: gnnkd_finalize was called; it cannot start again in this process");
    return GNNKD_EINVAL;
}

void gkd_grb_end(void) { pthread_rwlock_unlock(&grb_lock); }
