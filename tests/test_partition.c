/* test_partition.c — graph partitions (dist/): METIS and contiguous parts,
 * their statistics, the part folders round-trip against the whole graph,
 * and damaged or foreign parts refused with a message naming the file. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "gnnkd.h"

static const char *SPEC = "synthetic:nodes=400,classes=4,features=16,degree=6,"
                          "train-per-class=10,val=40,test=80";

static gnnkd_dataset *open_synthetic(void) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, SPEC, msg), GNNKD_OK, "%s", msg);
    return d;
}

static void tmpdir(char *dir) {
    strcpy(dir, "/tmp/gnnkd_part_XXXXXX");
    cr_assert(mkdtemp(dir) != NULL);
}

static void rmdir_all(const char *dir) {
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

Test(partition, contiguous_blocks_and_cut) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic();
    int32_t *part = NULL;
    cr_assert_eq(gnnkd_partition_compute(&part, d, 3, GNNKD_PARTITION_CONTIGUOUS, 1, msg), GNNKD_OK,
                 "%s", msg);
    for (int32_t i = 0; i < d->n; i++) cr_assert_eq(part[i], (int32_t)((int64_t)i * 3 / d->n));
    gnnkd_partition_stats s = {0};
    cr_assert_eq(gnnkd_partition_stats_of(&s, d, part, 3, GNNKD_PARTITION_CONTIGUOUS, msg),
                 GNNKD_OK, "%s", msg);
    // the cut and halos counted the slow way
    int64_t cut = 0, halo = 0;
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t e = d->adj.rowptr[i]; e < d->adj.rowptr[i + 1]; e++)
            cut += d->adj.colidx[e] > i && part[d->adj.colidx[e]] != part[i];
    for (int32_t k = 0; k < 3; k++) {
        int32_t count = 0;
        for (int32_t j = 0; j < d->n; j++) {
            if (part[j] == k) continue;
            int reached = 0;
            for (int64_t e = d->adj.rowptr[j]; e < d->adj.rowptr[j + 1] && !reached; e++)
                reached = part[d->adj.colidx[e]] == k;
            count += reached;
        }
        cr_assert_eq(s.halo[k], count, "part %d", k);
        halo += count;
        int32_t own = 0;
        for (int32_t i = 0; i < d->n; i++) own += part[i] == k;
        cr_assert_eq(s.owned[k], own);
    }
    cr_assert_eq(s.edge_cut, cut);
    cr_assert_eq(s.halo_total, halo);
    cr_assert_eq(s.edges, gnnkd_csr_nnz(&d->adj) / 2);
    gnnkd_model_spec gcn = {.kind = GNNKD_MODEL_GCN, .nlayers = 2, .dims = {16, 64, 4}};
    gnnkd_model_spec mlp = {.kind = GNNKD_MODEL_MLP, .nlayers = 2, .dims = {16, 64, 4}};
    cr_assert_eq(gnnkd_partition_epoch_bytes(&s, &gcn), 8 * halo * 68);
    cr_assert_eq(gnnkd_partition_epoch_bytes(&s, &mlp), 0);
    gnnkd_partition_stats_clear(&s);
    free(part);
    gnnkd_dataset_free(&d);
}

Test(partition, metis_cuts_less_than_random_blocks) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic();
    int32_t *pm = NULL, *pm2 = NULL;
    cr_assert_eq(gnnkd_partition_compute(&pm, d, 4, GNNKD_PARTITION_METIS, 7, msg), GNNKD_OK, "%s",
                 msg);
    cr_assert_eq(gnnkd_partition_compute(&pm2, d, 4, GNNKD_PARTITION_METIS, 7, msg), GNNKD_OK);
    cr_assert_arr_eq(pm, pm2, sizeof *pm * (size_t)d->n, "the same seed, the same parts");
    int32_t size[4] = {0};
    for (int32_t i = 0; i < d->n; i++) {
        cr_assert(pm[i] >= 0 && pm[i] < 4);
        size[pm[i]]++;
    }
    for (int k = 0; k < 4; k++) cr_assert(size[k] >= d->n / 4 * 9 / 10, "part %d: %d", k, size[k]);
    // the synthetic blocks are consecutive ids, so contiguous parts follow
    // the classes; a scattered cut must cost METIS no more than a random one
    int32_t *rnd = malloc(sizeof *rnd * (size_t)d->n);
    for (int32_t i = 0; i < d->n; i++) rnd[i] = (int32_t)((uint32_t)(i * 2654435761u) % 4);
    gnnkd_partition_stats sm = {0}, sr = {0};
    cr_assert_eq(gnnkd_partition_stats_of(&sm, d, pm, 4, GNNKD_PARTITION_METIS, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_partition_stats_of(&sr, d, rnd, 4, GNNKD_PARTITION_CONTIGUOUS, msg), GNNKD_OK);
    cr_assert_lt(sm.edge_cut, sr.edge_cut / 2, "metis %lld, random %lld", (long long)sm.edge_cut,
                 (long long)sr.edge_cut);
    gnnkd_partition_stats_clear(&sm);
    gnnkd_partition_stats_clear(&sr);
    free(rnd);
    free(pm);
    free(pm2);
    gnnkd_dataset_free(&d);
}

Test(partition, bad_arguments) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic();
    int32_t *part = (int32_t *)1;
    cr_assert_eq(gnnkd_partition_compute(&part, d, 0, GNNKD_PARTITION_METIS, 1, msg), GNNKD_EINVAL);
    cr_assert_null(part);
    cr_assert(strstr(msg, "0 parts for 400 nodes"), "%s", msg);
    cr_assert_eq(gnnkd_partition_compute(&part, d, 401, GNNKD_PARTITION_METIS, 1, msg), GNNKD_EINVAL);
    gnnkd_partition_method m;
    cr_assert_eq(gnnkd_partition_method_parse(&m, "kway", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "'kway'"), "%s", msg);
    cr_assert_eq(gnnkd_partition_method_parse(&m, "contiguous", msg), GNNKD_OK);
    cr_assert_eq(m, GNNKD_PARTITION_CONTIGUOUS);
    gnnkd_dataset_free(&d);
}

/* Writes d's METIS partition into dir and checks every part against d and Â. */
static void round_trip(gnnkd_dataset *d, int32_t P, const char *dir) {
    char msg[GNNKD_MSG_LEN] = "";
    int32_t *part = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_partition_stats s = {0};
    cr_assert_eq(gnnkd_partition_compute(&part, d, P, GNNKD_PARTITION_METIS, 3, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_partition_write(&s, dir, d, part, P, GNNKD_PARTITION_METIS, msg), GNNKD_OK,
                 "%s", msg);
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK);
    const gnnkd_csr *a = gnnkd_graph_csr(g);
    int32_t *seen = calloc((size_t)d->n, sizeof *seen);
    int32_t nsplit[3] = {0};
    gnnkd_part *p[8] = {0};
    for (int32_t k = 0; k < P; k++) {
        cr_assert_eq(gnnkd_part_load(&p[k], dir, k, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(p[k]->id, s.id);
        cr_assert_eq(p[k]->owned, s.owned[k]);
        cr_assert_eq(p[k]->halo, s.halo[k]);
        cr_assert_eq(p[k]->nodes, d->n);
        cr_assert_eq(p[k]->edge_cut, s.edge_cut);
    }
    for (int32_t k = 0; k < P; k++) {
        const gnnkd_part *q = p[k];
        for (int t = 0; t < 3; t++) {
            nsplit[t] += q->nsplit[t];
            cr_assert_eq(q->nsplit_total[t], d->nsplit[t]);
        }
        for (int32_t r = 0; r < q->owned; r++) {
            int32_t i = q->global[r];
            cr_assert_eq(part[i], k);
            seen[i]++;
            cr_assert_eq(q->label[r], d->label[i]);
            // Â's row, bit for bit, through the local numbering
            cr_assert_eq(q->ahat.rowptr[r + 1] - q->ahat.rowptr[r], a->rowptr[i + 1] - a->rowptr[i]);
            for (int64_t e = q->ahat.rowptr[r]; e < q->ahat.rowptr[r + 1]; e++) {
                int32_t j = q->global[q->ahat.colidx[e]];
                int64_t f = a->rowptr[i];
                while (f < a->rowptr[i + 1] && a->colidx[f] != j) f++;
                cr_assert_lt(f, a->rowptr[i + 1], "node %d: column %d not in Â", i, j);
                cr_assert_eq(q->ahat.val[e], a->val[f]);
                if (q->ahat.colidx[e] >= q->owned)
                    cr_assert_eq(q->halo_owner[q->ahat.colidx[e] - q->owned], part[j]);
            }
            if (d->xdense)
                cr_assert_arr_eq(q->xdense + (int64_t)r * d->nfeat, d->xdense + (int64_t)i * d->nfeat,
                                 sizeof(float) * (size_t)d->nfeat);
        }
        // what k sends to each part is exactly that part's halo from k
        int64_t at = 0;
        for (int32_t o = 0; o < P; o++) {
            const gnnkd_part *r = p[o];
            int32_t c = 0;
            for (int32_t h = 0; h < r->halo; h++)
                if (r->halo_owner[h] == k) {
                    cr_assert_lt(c, q->send_count[o]);
                    cr_assert_eq(q->global[q->send[at + c]], r->global[r->owned + h]);
                    c++;
                }
            cr_assert_eq(c, q->send_count[o], "part %d sends %d to %d", k, q->send_count[o], o);
            at += c;
        }
    }
    for (int32_t i = 0; i < d->n; i++) cr_assert_eq(seen[i], 1, "node %d owned %d times", i, seen[i]);
    for (int t = 0; t < 3; t++) cr_assert_eq(nsplit[t], d->nsplit[t]);
    for (int32_t k = 0; k < P; k++) gnnkd_part_free(&p[k]);
    cr_assert_null(p[0]);
    free(seen);
    gnnkd_graph_free(&g);
    gnnkd_partition_stats_clear(&s);
    free(part);
}

Test(partition, round_trip_dense) {
    char dir[64];
    tmpdir(dir);
    gnnkd_dataset *d = open_synthetic();
    round_trip(d, 3, dir);
    gnnkd_dataset_free(&d);
    rmdir_all(dir);
}

Test(partition, round_trip_cora) {
    char msg[GNNKD_MSG_LEN] = "", dir[64];
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_open(&d, "cora", test_citation_root("cora"), msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_dataset_normalize_features(d, msg), GNNKD_OK);
    tmpdir(dir);
    round_trip(d, 2, dir);
    // sparse feature rows
    gnnkd_part *p = NULL;
    cr_assert_eq(gnnkd_part_load(&p, dir, 1, msg), GNNKD_OK, "%s", msg);
    cr_assert_not_null(p->x.rowptr);
    cr_assert_eq(p->feature_norm, GNNKD_FEATURES_ROW_SUM);
    for (int32_t r = 0; r < p->owned; r++) {
        int32_t i = p->global[r];
        cr_assert_eq(p->x.rowptr[r + 1] - p->x.rowptr[r], d->x.rowptr[i + 1] - d->x.rowptr[i]);
        cr_assert_arr_eq(p->x.colidx + p->x.rowptr[r], d->x.colidx + d->x.rowptr[i],
                         sizeof(int32_t) * (size_t)(d->x.rowptr[i + 1] - d->x.rowptr[i]));
        cr_assert_arr_eq(p->x.val + p->x.rowptr[r], d->x.val + d->x.rowptr[i],
                         sizeof(float) * (size_t)(d->x.rowptr[i + 1] - d->x.rowptr[i]));
    }
    gnnkd_part_free(&p);
    gnnkd_dataset_free(&d);
    rmdir_all(dir);
}

static void flip_byte(const char *path, long at) {
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f, "%s", path);
    cr_assert_eq(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    cr_assert_eq(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ 0x40, f);
    fclose(f);
}

Test(partition, damaged_and_foreign_parts_refused) {
    char msg[GNNKD_MSG_LEN] = "", dir[64], other[64], path[256], cmd[512];
    gnnkd_dataset *d = open_synthetic();
    int32_t *part = NULL;
    tmpdir(dir);
    tmpdir(other);
    cr_assert_eq(gnnkd_partition_compute(&part, d, 3, GNNKD_PARTITION_METIS, 1, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_partition_write(NULL, dir, d, part, 3, GNNKD_PARTITION_METIS, msg), GNNKD_OK,
                 "%s", msg);
    free(part);
    cr_assert_eq(gnnkd_partition_compute(&part, d, 3, GNNKD_PARTITION_CONTIGUOUS, 1, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_partition_write(NULL, other, d, part, 3, GNNKD_PARTITION_CONTIGUOUS, msg),
                 GNNKD_OK);
    gnnkd_part *p = NULL;
    cr_assert_eq(gnnkd_part_load(&p, dir, 3, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "parts 0..2"), "%s", msg);

    // a part of the other partitioning, put in place of part 1
    snprintf(cmd, sizeof cmd, "rm -rf %s/part-1 && cp -r %s/part-1 %s/", dir, other, dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(gnnkd_part_load(&p, dir, 1, msg), GNNKD_EDATA);
    cr_assert_null(p);
    cr_assert(strstr(msg, "part-1/manifest.txt: partitioning id") &&
                  strstr(msg, "another partitioning"), "%s", msg);
    cr_assert_eq(gnnkd_part_load(&p, dir, 0, msg), GNNKD_OK, "%s", msg);
    gnnkd_part_free(&p);

    // one flipped byte in the adjacency
    snprintf(path, sizeof path, "%s/part-2/adjacency.bin", dir);
    flip_byte(path, 100);
    cr_assert_eq(gnnkd_part_load(&p, dir, 2, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "part-2/adjacency.bin: CRC-32") && strstr(msg, "corrupted"), "%s", msg);
    // a truncated feature file
    snprintf(path, sizeof path, "%s/part-0/features.bin", dir);
    cr_assert_eq(truncate(path, 64), 0);
    cr_assert_eq(gnnkd_part_load(&p, dir, 0, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "part-0/features.bin: 64 bytes; the manifest says"), "%s", msg);
    // a manifest edited by hand
    snprintf(cmd, sizeof cmd, "sed -i 's/^owned .*/owned 12x/' %s/part-1/manifest.txt", other);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(gnnkd_part_load(&p, other, 1, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "part-1/manifest.txt:") && strstr(msg, "owned: expected an integer"),
              "%s", msg);
    // a part written by an older gnnkd (format 1: Â's rows in local column order)
    snprintf(cmd, sizeof cmd, "sed -i '1s/^gnnkd-part .*/gnnkd-part 1/' %s/part-0/manifest.txt",
             other);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(gnnkd_part_load(&p, other, 0, msg), GNNKD_EDATA);
    cr_assert(strstr(msg, "part-0/manifest.txt:1: format version 1, this gnnkd reads 2: run "
                          "gnnkd partition again"), "%s", msg);
    // a missing part
    snprintf(cmd, sizeof cmd, "rm -rf %s/part-2", other);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(gnnkd_part_load(&p, other, 2, msg), GNNKD_EIO);
    cr_assert(strstr(msg, "part-2/manifest.txt: cannot open"), "%s", msg);
    free(part);
    gnnkd_dataset_free(&d);
    rmdir_all(dir);
    rmdir_all(other);
}
