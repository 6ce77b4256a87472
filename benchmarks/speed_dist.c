/* speed_dist.c — `mpirun -np P gnnkd bench-speed --partitioned DIR`: the
 * distributed training epoch (gnnkd_train_part) timed on every rank, its
 * exchanges, bytes and the largest rank's peak memory, reported by rank 0.
 * No child processes: MPI does not survive a fork. */
#include "../app/cli.h"
#include "speed.h"

#include <cjson/cJSON.h>
#include <stdio.h>

int speed_dist_run(const char *dir, const gnnkd_model_spec *spec, int threads, int warmup,
                   int epochs, unsigned long long seed, int json) {
    char msg[GNNKD_MSG_LEN] = "", text[GNNKD_MSG_LEN + 40];
    int rank = 0, size = 1;
    gnnkd_part *p = NULL;
    gnnkd_model *m = NULL;
    int rc = gnnkd_mpi_init(&rank, &size, msg);
    if (rc != GNNKD_OK) return cli_fail("bench-speed", rc, msg);
    gnnkd_set_threads(threads > 0 ? threads : 1); // ranks share the machine's cores
    rc = gnnkd_part_load(&p, dir, rank, msg);
    if (rc == GNNKD_OK && p->parts != size) {
        snprintf(msg, sizeof msg, "%s has %d parts and the job %d ranks: run mpirun -np %d", dir,
                 p->parts, size, p->parts);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK) rc = gnnkd_model_new(&m, spec, p->nfeat, p->nclass, seed, msg);
    gnnkd_train_options o;
    gnnkd_train_options_for_model(&o, spec, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_LAST);
    o.epochs = warmup + epochs;
    o.patience = 0;
    o.seed = seed;
    gnnkd_train_result r;
    gnnkd_dist_stats ds = {0};
    if (rc == GNNKD_OK) rc = gnnkd_train_part(m, &r, &ds, NULL, NULL, p, &o, NULL, msg);
    if (rc != GNNKD_OK) {
        snprintf(text, sizeof text, "gnnkd bench-speed: %s", msg);
        gnnkd_mpi_abort(rc, text);
    }
    if (rank == 0) {
        char mtext[128];
        gnnkd_model_spec_format(mtext, sizeof mtext, spec);
        double xs = ds.exchange_seconds / ds.epochs;
        if (json) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "section", "distributed");
            cJSON_AddStringToObject(root, "dataset", p->name);
            cJSON_AddStringToObject(root, "model", mtext);
            cJSON_AddNumberToObject(root, "ranks", size);
            cJSON_AddNumberToObject(root, "threads", gnnkd_get_threads());
            cJSON_AddStringToObject(root, "partition", gnnkd_partition_method_name(p->method));
            cJSON_AddNumberToObject(root, "epochs", ds.epochs);
            cJSON_AddNumberToObject(root, "seconds_per_epoch", r.epoch_seconds_median);
            cJSON_AddNumberToObject(root, "seconds_per_epoch_min", r.epoch_seconds_min);
            cJSON_AddNumberToObject(root, "seconds_per_epoch_max", r.epoch_seconds_max);
            cJSON_AddNumberToObject(root, "exchange_seconds_per_epoch", xs);
            cJSON_AddNumberToObject(root, "exchange_bytes_per_epoch", ds.bytes_per_epoch);
            cJSON_AddNumberToObject(root, "peak_rss_mb_max_rank", ds.peak_rss_mb_max);
            cli_json_print(root);
        } else {
            printf("%s on %s, %d ranks x %d threads (%s parts), %d epochs\n", mtext, p->name,
                   size, gnnkd_get_threads(), gnnkd_partition_method_name(p->method), ds.epochs);
            printf("  seconds per epoch     %.4f median (%.4f .. %.4f), mean over ranks\n",
                   r.epoch_seconds_median, r.epoch_seconds_min, r.epoch_seconds_max);
            printf("  in exchanges          %.4f s per epoch (with the validation pass)\n", xs);
            printf("  bytes exchanged       %.3f MB per epoch, all ranks\n",
                   ds.bytes_per_epoch / 1e6);
            printf("  peak memory           %.0f MiB, the largest rank's\n", ds.peak_rss_mb_max);
        }
    }
    gnnkd_model_free(&m);
    gnnkd_part_free(&p);
    gnnkd_mpi_finalize();
    return 0;
}
