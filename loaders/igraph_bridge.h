/*
 * igraph_bridge.h — what the igraph users of loaders/ share (igraph_bridge.c):
 * calling igraph without letting it abort the process, and moving a graph
 * between gnnkd's CSR and igraph_t.
 */
#ifndef GKD_LOADERS_IGRAPH_BRIDGE_H
#define GKD_LOADERS_IGRAPH_BRIDGE_H

#include "core/internal.h"

#include <igraph.h>

/*
 * igraph keeps its error handler, attribute table, default RNG and cleanup
 * stack in process-wide variables (Debian's igraph is built without
 * thread-local storage). Every use of igraph sits in a scope: begin takes
 * the library's igraph lock (one scope at a time in the process; a scope
 * may nest inside another on the same thread), installs a handler that
 * returns instead of aborting (and keeps igraph's reason for our message)
 * and, if asked, the C attribute table that the readers need for node
 * names; gkd_igraph_end puts back what was there and releases the lock, so
 * the library leaves no igraph setting behind.
 */
typedef struct {
    igraph_error_handler_t *error;
    igraph_attribute_table_t *attributes;
    int set_attributes;
} gkd_igraph_scope;

void gkd_igraph_begin(gkd_igraph_scope *s, int attributes);
void gkd_igraph_end(gkd_igraph_scope *s);

/* igraph's reason for the last error it reported on this thread in the
 * current scope (thread-local: the handler takes no user pointer), or the
 * generic text of rc if none was kept. */
const char *gkd_igraph_reason(igraph_error_t rc);

/* Inside a scope: g = the undirected graph of a symmetric CSR pattern, each edge once.
 * g is left uninitialised on failure. O(edges). */
int gkd_igraph_from_adj(igraph_t *g, const gnnkd_csr *adj, char *msg);

/* Weak components of adj: memb (n, allocated here; component of each node,
 * numbered in the order of their smallest node) and their sizes csize
 * (*ncomp of them, allocated here). */
int gkd_components(int32_t **memb, int32_t **csize, int32_t *ncomp, const gnnkd_csr *adj,
                  char *msg);

#endif /* GKD_LOADERS_IGRAPH_BRIDGE_H */
