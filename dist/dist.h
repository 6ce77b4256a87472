/*
 * dist.h — what the files of dist/ share: each part's owned nodes and halo,
 * computed once for the statistics and the writer (partition.c), and the
 * part format's version (partition.c writes it, part.c reads it).
 */
#ifndef GKD_DIST_H
#define GKD_DIST_H

#include "core/internal.h"

#define GKD_PART_VERSION 2 /* 2: Â's rows in global column order */

/* The parts of a partition: part k owns order[first[k] .. first[k + 1])
 * (ascending node ids), owned[k] of them, and its halo is node[ptr[k] ..
 * ptr[k + 1]) (distinct, in the order its rows first reach them); cut is
 * the number of undirected edges between parts, total = ptr[parts]. */
typedef struct {
    int32_t *owned;
    int64_t *first;
    int32_t *order;
    int64_t *ptr;
    int32_t *node;
    int64_t total, cut;
} gkd_halos;

/* *h for part (d->n entries) with parts parts: GNNKD_EINVAL for an id out
 * of range or an empty part, GNNKD_ENOMEM. O(nnz + n). */
int gkd_partition_halos(gkd_halos *h, const gnnkd_dataset *d, const int32_t *part,
                        int32_t parts, char *msg);
void gkd_halos_clear(gkd_halos *h);

#endif /* GKD_DIST_H */
