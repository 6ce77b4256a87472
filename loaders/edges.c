/* edges.c — a dataset's adjacency from an edge list: symmetrised, self loops
 * and duplicates dropped and counted, radix-sorted into CSR. */
#include "core/internal.h"

#include <string.h>

/* ---- edge lists to CSR ----------------------------------------------------- */

/* LSD radix sort of a[0..n) by bytes, skipping bytes all keys share. tmp is
 * n long, count 8 x 256 zeros. */
static void sort_u64(uint64_t *a, uint64_t *tmp, int64_t (*count)[256], int64_t n) {
    for (int64_t i = 0; i < n; i++)
        for (int b = 0; b < 8; b++) count[b][(a[i] >> (8 * b)) & 255]++;
    for (int b = 0; b < 8; b++) {
        if (n == 0 || count[b][(a[0] >> (8 * b)) & 255] == n) continue;
        int64_t sum = 0;
        for (int c = 0; c < 256; c++) {
            int64_t t = count[b][c];
            count[b][c] = sum;
            sum += t;
        }
        for (int64_t i = 0; i < n; i++) tmp[count[b][(a[i] >> (8 * b)) & 255]++] = a[i];
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

gnnkd_status gnnkd_dataset_set_edges(gnnkd_dataset *d, gnnkd_graph_counts *counts, int32_t n,
                                     const int32_t *u, const int32_t *v, int64_t m, int directed,
                                     char *msg) {
    GKD_CLEAR_MSG;
    uint64_t *key = NULL, *tmp = NULL;
    gnnkd_csr adj = {0};
    int64_t *fill = NULL, (*count)[256] = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(key);                                                                        \
        free(tmp);                                                                        \
        free(fill);                                                                       \
        free(count);                                                                       \
        gnnkd_csr_clear(&adj);                                                            \
    } while (0)
    GKD_CHECK(n >= 0 && m >= 0, GNNKD_EINVAL, "set_edges: negative size");
    gnnkd_graph_counts c = {.directed = directed != 0, .file_edges = m};
    GKD_ALLOC(key, m);
    GKD_ALLOC(tmp, m);
    GKD_ALLOC(count, 8);
    /* key = lo << 33 | hi << 1 | (u > v): equal pairs sort together, the
     * direction bit last, so reciprocal arcs sit side by side. */
    int64_t nk = 0;
    for (int64_t e = 0; e < m; e++) {
        GKD_CHECK(u[e] >= 0 && u[e] < n && v[e] >= 0 && v[e] < n, GNNKD_EINVAL,
                 "set_edges: edge %lld (%d, %d) is outside nodes 0..%d", (long long)e, u[e],
                 v[e], n - 1);
        if (u[e] == v[e]) {
            c.self_loops++;
            continue;
        }
        uint64_t lo = (uint64_t)(u[e] < v[e] ? u[e] : v[e]), hi = (uint64_t)(u[e] < v[e] ? v[e] : u[e]);
        key[nk++] = lo << 33 | hi << 1 | (uint64_t)(u[e] > v[e]);
    }
    sort_u64(key, tmp, count, nk);
    GKD_FREE(tmp);

    /* Keep one key per pair, counting what goes. */
    int64_t ne = 0;
    for (int64_t i = 0; i < nk;) {
        int64_t j = i;
        while (j < nk && key[j] >> 1 == key[i] >> 1) j++;
        int64_t distinct = directed ? 1 + (int64_t)((key[i] & 1) != (key[j - 1] & 1)) : 1;
        c.duplicates += (j - i) - distinct;
        c.reciprocal += distinct - 1;
        key[ne++] = key[i] >> 1;
        i = j;
    }
    c.edges = ne;

    GKD_ALLOC(adj.rowptr, (int64_t)n + 1);
    GKD_ALLOC(adj.colidx, 2 * ne);
    GKD_ALLOC(fill, (int64_t)n + 1);
    for (int64_t e = 0; e < ne; e++) {
        adj.rowptr[(key[e] >> 32) + 1]++;
        adj.rowptr[(key[e] & 0xffffffffu) + 1]++;
    }
    for (int32_t i = 0; i < n; i++) adj.rowptr[i + 1] += adj.rowptr[i];
    memcpy(fill, adj.rowptr, ((size_t)n + 1) * sizeof *fill);
    /* Pairs in (lo, hi) order append to each row in ascending column order:
     * a row's smaller neighbours (as hi) all come before its larger ones. */
    for (int64_t e = 0; e < ne; e++) {
        int32_t lo = (int32_t)(key[e] >> 32), hi = (int32_t)(key[e] & 0xffffffffu);
        adj.colidx[fill[lo]++] = hi;
        adj.colidx[fill[hi]++] = lo;
    }
    adj.nrows = adj.ncols = n;
    gnnkd_csr_clear(&d->adj);
    d->adj = adj;
    memset(&adj, 0, sizeof adj);
    d->n = n;
    if (counts) *counts = c;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
