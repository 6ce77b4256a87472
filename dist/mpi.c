/* mpi.c — synchronous full-graph training over MPI, one rank per part: the
 * halo rows exchanged with MPI_Neighbor_alltoallv on a distributed graph
 * communicator (gnn/part.c's exchange), the gradients summed across ranks,
 * the same Adam step on every rank. Sums go to rank 0 and are broadcast
 * from there, so every rank holds the same bits (an all-reduce may add in a
 * different order on different ranks, and the ranks' weights would drift).
 * Without MPI (GNNKD_MPI off) the functions are stubs that say so. */
#include "dist/dist.h"
#include "distill/loss.h"
#include "gnn/gnn.h"

#include <math.h>
#include <string.h>

#ifdef GKD_HAVE_MPI
#include <mpi.h>

int gnnkd_mpi_built(void) { return 1; }

gnnkd_status gnnkd_mpi_init(int *rank, int *size, char *msg) {
    GKD_CLEAR_MSG;
    int ready = 0, provided = 0;
    MPI_Initialized(&ready);
    // FUNNELED: OpenMP threads inside a rank never call MPI
    if (!ready && MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        gkd_msg(msg, "MPI_Init_thread failed");
        return GNNKD_EINTERNAL;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return GNNKD_OK;
}

void gnnkd_mpi_finalize(void) {
    int ready = 0, done = 0;
    MPI_Initialized(&ready);
    MPI_Finalized(&done);
    if (ready && !done) MPI_Finalize();
}

void gnnkd_mpi_abort(int status, const char *msg) {
    int ready = 0, rank = -1;
    MPI_Initialized(&ready);
    if (ready) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    fprintf(stderr, "rank %d: %s\n", rank, msg && msg[0] ? msg : gnnkd_status_name(status));
    fflush(stderr);
    if (ready) MPI_Abort(MPI_COMM_WORLD, gnnkd_exit_code(status) ? gnnkd_exit_code(status) : 1);
    exit(gnnkd_exit_code(status) ? gnnkd_exit_code(status) : 1);
}

/* ---- the halo exchange ------------------------------------------------------ */

typedef struct {
    const gnnkd_part *p;
    MPI_Comm comm;            /* the distributed graph: parts we send to, receive from */
    int nsrc, ndst;
    int *src_rows, *dst_rows; /* rows from / to each neighbour */
    int *counts;              /* 4 x max(nsrc, ndst): counts and displacements in floats */
    int64_t nsend;            /* rows we send, all neighbours together */
    float *sendbuf;           /* (nsend, max width) when nsend > owned, else the caller's scratch */
    double seconds;           /* in exchanges */
    int64_t bytes;            /* sent */
} gkd_comm;

static void comm_free(gkd_comm *c) {
    if (c->comm != MPI_COMM_NULL) MPI_Comm_free(&c->comm);
    free(c->src_rows);
    free(c->dst_rows);
    free(c->counts);
    free(c->sendbuf);
    memset(c, 0, sizeof *c);
    c->comm = MPI_COMM_NULL;
}

static int comm_new(gkd_comm *c, const gnnkd_part *p, int32_t maxw, char *msg) {
    int *src = NULL, *dst = NULL;
    memset(c, 0, sizeof *c);
    c->comm = MPI_COMM_NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(src);                                                                         \
        free(dst);                                                                         \
        comm_free(c);                                                                      \
    } while (0)
    c->p = p;
    GKD_ALLOC(src, p->parts);
    GKD_ALLOC(dst, p->parts);
    GKD_ALLOC(c->src_rows, p->parts);
    GKD_ALLOC(c->dst_rows, p->parts);
    GKD_ALLOC(c->counts, 4 * (int64_t)p->parts);
    int64_t nsend = 0;
    for (int32_t h = 0; h < p->halo; h++) {
        int q = p->halo_owner[h];
        if (c->nsrc == 0 || src[c->nsrc - 1] != q) src[c->nsrc++] = q;
        c->src_rows[c->nsrc - 1]++;
    }
    for (int32_t q = 0; q < p->parts; q++)
        if (p->send_count[q] > 0) {
            dst[c->ndst] = q;
            c->dst_rows[c->ndst++] = p->send_count[q];
            nsend += p->send_count[q];
        }
    GKD_CHECK(((int64_t)p->halo > nsend ? p->halo : nsend) * maxw <= INT32_MAX, GNNKD_EINVAL,
              "part %d: %lld halo floats in one exchange; MPI counts stop at %d", p->part,
              (long long)p->halo * maxw, INT32_MAX);
    c->nsend = nsend;
    if (nsend > p->owned) GKD_ALLOC(c->sendbuf, nsend * maxw);
    // the rows each way as the edges' weights: a hint for the MPI library
    int rc = MPI_Dist_graph_create_adjacent(MPI_COMM_WORLD, c->nsrc, src, c->src_rows, c->ndst,
                                            dst, c->dst_rows, MPI_INFO_NULL, 0, &c->comm);
    GKD_CHECK(rc == MPI_SUCCESS, GNNKD_EINTERNAL, "MPI_Dist_graph_create_adjacent failed (%d)",
              rc);
    free(src);
    free(dst);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* gkd_part_input's exchange: rows n .. n + halo - 1 of rows (n + halo,
 * width) from their owners; ours to the parts whose halo holds them, packed
 * in scratch (owned, width) when they fit. */
static int exchange(void *ctx, float *rows, int32_t width, float *scratch, char *msg) {
    gkd_comm *c = ctx;
    const gnnkd_part *p = c->p;
    double t0 = MPI_Wtime();
    float *sendbuf = c->sendbuf ? c->sendbuf : scratch;
    for (int64_t at = 0; at < c->nsend; at++)
        memcpy(sendbuf + at * width, rows + (int64_t)p->send[at] * width,
               sizeof *rows * (size_t)width);
    int *sc = c->counts, *sd = sc + p->parts, *rcv = sd + p->parts, *rd = rcv + p->parts;
    for (int j = 0, off = 0; j < c->ndst; j++) {
        sc[j] = c->dst_rows[j] * width;
        sd[j] = off;
        off += sc[j];
    }
    for (int j = 0, off = 0; j < c->nsrc; j++) {
        rcv[j] = c->src_rows[j] * width;
        rd[j] = off;
        off += rcv[j];
    }
    int rc = MPI_Neighbor_alltoallv(sendbuf, sc, sd, MPI_FLOAT, rows + (int64_t)p->owned * width,
                                    rcv, rd, MPI_FLOAT, c->comm);
    c->seconds += MPI_Wtime() - t0;
    c->bytes += 4 * c->nsend * width;
    if (rc != MPI_SUCCESS) {
        gkd_msg(msg, "MPI_Neighbor_alltoallv failed (%d)", rc);
        return GNNKD_EINTERNAL;
    }
    return GNNKD_OK;
}

/* buf (count) = op over every rank's buf, the same bits on every rank. */
static int reduce_all(void *buf, int count, MPI_Datatype t, MPI_Op op, char *msg) {
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    int rc = MPI_Reduce(rank == 0 ? MPI_IN_PLACE : buf, rank == 0 ? buf : NULL, count, t, op, 0,
                        MPI_COMM_WORLD);
    if (rc == MPI_SUCCESS) rc = MPI_Bcast(buf, count, t, 0, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) {
        gkd_msg(msg, "MPI reduction of %d values failed (%d)", count, rc);
        return GNNKD_EINTERNAL;
    }
    return GNNKD_OK;
}

static int sum_all(void *buf, int count, MPI_Datatype t, char *msg) {
    return reduce_all(buf, count, t, MPI_SUM, msg);
}

/* MPI's op for gkd_exact integers, each two 64-bit words (low first):
 * integer adds, whatever order the reduction takes. */
static void exact_add(void *in, void *inout, int *len, MPI_Datatype *t) {
    (void)t;
    for (int k = 0; k < *len; k++) {
        uint64_t a[2], b[2];
        memcpy(a, (const char *)in + 16 * (size_t)k, sizeof a);
        memcpy(b, (char *)inout + 16 * (size_t)k, sizeof b);
        b[0] += a[0];
        b[1] += a[1] + (b[0] < a[0]); // the carry
        memcpy((char *)inout + 16 * (size_t)k, b, sizeof b);
    }
}

/* buf (count) = the exact sum of every rank's buf. */
static int sum_exact(gkd_exact *buf, int count, char *msg) {
    _Static_assert(sizeof(gkd_exact) == 16, "gkd_exact is two 64-bit words");
    MPI_Datatype t;
    MPI_Op op;
    MPI_Type_contiguous(2, MPI_UINT64_T, &t);
    MPI_Type_commit(&t);
    MPI_Op_create(exact_add, 1, &op);
    int rc = reduce_all(buf, count, t, op, msg);
    MPI_Op_free(&op);
    MPI_Type_free(&t);
    return rc;
}

/* ---- training ------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct {
    gkd_comm comm;
    gkd_part_input in;
    gkd_part_ws *ws;
    float *dlogits, *best, *all;
} gkd_dist;

static void dist_free(gkd_dist *t) {
    comm_free(&t->comm);
    gkd_part_ws_free(&t->ws);
    free(t->dlogits);
    free(t->best);
    free(t->all);
}

static int dist_new(gkd_dist *t, gnnkd_model *m, const gnnkd_part *p, char *msg) {
    memset(t, 0, sizeof *t);
    t->comm.comm = MPI_COMM_NULL;
#define GKD_FREE_ALL dist_free(t)
    const gnnkd_model_spec *s = gnnkd_model_get_spec(m);
    GKD_CHECK(s->dims[0] == p->nfeat && s->dims[s->nlayers] == p->nclass, GNNKD_EINVAL,
              "the model maps %d features to %d classes, the part %d and %d", s->dims[0],
              s->dims[s->nlayers], p->nfeat, p->nclass);
    int size = 0;
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    GKD_CHECK(size == p->parts, GNNKD_EINVAL,
              "the partition has %d parts and the job %d ranks: run mpirun -np %d", p->parts,
              size, p->parts);
    int32_t maxw = 0;
    for (int l = 1; l <= s->nlayers; l++) maxw = s->dims[l] > maxw ? s->dims[l] : maxw;
    GKD_TRY(comm_new(&t->comm, p, maxw, msg));
    t->in = (gkd_part_input){p->owned, p->halo, p->global, p->xoff,
                             p->x.rowptr ? &p->x : NULL, p->xdense, &p->ahat, exchange, &t->comm};
    GKD_TRY(gkd_part_ws_new(&t->ws, m, &t->in, msg));
    GKD_ALLOC(t->dlogits, (int64_t)p->owned * p->nclass);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Eval-mode accuracies and losses over every rank's rows into r. */
static int evaluate(gkd_dist *t, gnnkd_model *m, const gnnkd_part *p, gnnkd_train_result *r,
                    char *msg) {
    const float *z = NULL;
    int rc = gkd_part_forward(&z, t->ws, m, &t->in, 0, 0, 0, msg);
    if (rc != GNNKD_OK) return rc;
    double v[6] = {0};
    for (int sp = 0; sp < 3; sp++) {
        int32_t k = p->nsplit[sp];
        if (k == 0) continue;
        v[2 * sp] = round(gnnkd_accuracy(z, p->label, p->split[sp], k, p->nclass) * k);
        v[2 * sp + 1] = gnnkd_loss_ce(NULL, z, p->label, p->split[sp], k, p->nclass, 1.0f) * k;
    }
    if ((rc = sum_all(v, 6, MPI_DOUBLE, msg)) != GNNKD_OK) return rc;
    for (int sp = 0; sp < 3; sp++) {
        double k = p->nsplit_total[sp];
        r->acc[sp] = k > 0 ? v[2 * sp] / k : NAN;
        r->loss[sp] = k > 0 ? v[2 * sp + 1] / k : NAN;
    }
    return GNNKD_OK;
}

/* Rank 0's all (nodes, C) = every rank's logits of its owned rows. */
static int gather_logits(float *all, const float *z, const gnnkd_part *p, char *msg) {
    int rank = 0, size = 0, rc;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int *cnt = NULL, *dsp = NULL, *ids = NULL;
    float *rows = NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        free(cnt);                                                                         \
        free(dsp);                                                                         \
        free(ids);                                                                         \
        free(rows);                                                                        \
    } while (0)
    const int C = p->nclass;
    GKD_CHECK((int64_t)p->nodes * C <= INT32_MAX, GNNKD_EINVAL,
              "gathering %lld logits: MPI counts stop at %d", (long long)p->nodes * C, INT32_MAX);
    GKD_ALLOC(cnt, size);
    GKD_ALLOC(dsp, size);
    int mine = p->owned;
    rc = MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD);
    GKD_CHECK(rc == MPI_SUCCESS, GNNKD_EINTERNAL, "MPI_Gather failed (%d)", rc);
    if (rank == 0) {
        for (int q = 1; q < size; q++) dsp[q] = dsp[q - 1] + cnt[q - 1];
        GKD_ALLOC(ids, p->nodes);
        GKD_ALLOC(rows, (int64_t)p->nodes * C);
    }
    rc = MPI_Gatherv(p->global, mine, MPI_INT, ids, cnt, dsp, MPI_INT, 0, MPI_COMM_WORLD);
    GKD_CHECK(rc == MPI_SUCCESS, GNNKD_EINTERNAL, "MPI_Gatherv failed (%d)", rc);
    if (rank == 0)
        for (int q = 0; q < size; q++) cnt[q] *= C, dsp[q] *= C;
    rc = MPI_Gatherv(z, mine * C, MPI_FLOAT, rows, cnt, dsp, MPI_FLOAT, 0, MPI_COMM_WORLD);
    GKD_CHECK(rc == MPI_SUCCESS, GNNKD_EINTERNAL, "MPI_Gatherv failed (%d)", rc);
    if (rank == 0)
        for (int32_t k = 0; k < p->nodes; k++)
            memcpy(all + (int64_t)ids[k] * C, rows + (int64_t)k * C, sizeof *all * (size_t)C);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* The step's loss summed over this rank's rows (each term a mean over all
 * ranks' rows), its gradient in dlogits: the single process's bits, row by
 * row (gkd_loss_*_of with the whole count as the denominator). */
static double step_loss(float *dlogits, const float *z, const gnnkd_part *p,
                        const gnnkd_objective *obj, int64_t ntransfer_total) {
    const int32_t C = p->nclass, ntrain = p->nsplit[GNNKD_TRAIN];
    const gnnkd_method method = obj ? obj->method : GNNKD_METHOD_SCRATCH;
    const float soft_w = method == GNNKD_METHOD_SCRATCH ? 0.0f : obj->alpha;
    const float hard_w = 1.0f - soft_w;
    double loss = 0.0;
    memset(dlogits, 0, sizeof *dlogits * (size_t)p->owned * (size_t)C);
    if (hard_w > 0.0f)
        loss += hard_w * gkd_loss_ce_of(dlogits, z, p->label, p->split[GNNKD_TRAIN], ntrain,
                                        p->nsplit_total[GNNKD_TRAIN], C, hard_w);
    if (method == GNNKD_METHOD_KD)
        loss += soft_w * gkd_loss_kd_of(dlogits, NULL, z, obj->target, obj->transfer,
                                        obj->ntransfer, ntransfer_total, C, obj->temperature,
                                        soft_w);
    else if (method == GNNKD_METHOD_COMPRESS)
        loss += soft_w * gkd_loss_compress_of(dlogits, z, obj->target, obj->transfer,
                                              obj->ntransfer, ntransfer_total, C, soft_w);
    return loss;
}

gnnkd_status gnnkd_train_part(gnnkd_model *m, gnnkd_train_result *r, gnnkd_dist_stats *ds,
                              float *logits, float *mine, const gnnkd_part *p,
                              const gnnkd_train_options *o, const gnnkd_objective *obj,
                              char *msg) {
    GKD_CLEAR_MSG;
    gkd_dist t;
    double *step_seconds = NULL;
    memset(&t, 0, sizeof t);
    t.comm.comm = MPI_COMM_NULL;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        dist_free(&t);                                                                     \
        free(step_seconds);                                                                \
        if (m) (void)gkd_model_set_exact(m, 0, NULL);                                      \
    } while (0)
    if (m == NULL || r == NULL || p == NULL || o == NULL)
        GKD_FAIL(GNNKD_EINVAL, "gnnkd_train_part: m, r, p and o must not be NULL");
    int rank = 0;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    GKD_CHECK(p->part == rank, GNNKD_EINVAL, "rank %d was given part %d", rank, p->part);
    GKD_CHECK(p->nsplit_total[GNNKD_TRAIN] > 0, GNNKD_EINVAL, "%s has no training nodes", p->name);
    GKD_CHECK(p->nsplit_total[GNNKD_VAL] > 0 || o->select == GNNKD_SELECT_LAST, GNNKD_EINVAL,
              "%s: the validation set is empty; model selection by validation needs it "
              "(--select last keeps the last epoch)", p->name);
    GKD_CHECK(o->epochs > 0 && o->lr > 0.0f && o->patience >= 0, GNNKD_EINVAL,
              "training options: epochs and lr must be positive, patience non-negative");
    // every rank must hold the same partitioning: rank 0's id, compared
    uint64_t id = p->id;
    MPI_Bcast(&id, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    GKD_CHECK(id == p->id, GNNKD_EDATA,
              "part %d: partitioning id %016llx, rank 0's is %016llx: the parts come from "
              "different partitionings", p->part, (unsigned long long)p->id,
              (unsigned long long)id);
    const int soft = obj && obj->method != GNNKD_METHOD_SCRATCH;
    GKD_CHECK(!soft || obj->method == GNNKD_METHOD_KD || obj->method == GNNKD_METHOD_COMPRESS,
              GNNKD_EINVAL, "gnnkd_train_part: method %s: scratch, kd or compress",
              gnnkd_method_name(obj->method));
    GKD_CHECK(!soft || (obj->target && (obj->transfer || obj->ntransfer == 0) &&
                        obj->ntransfer >= 0 && obj->alpha >= 0.0f && obj->alpha <= 1.0f &&
                        (obj->method != GNNKD_METHOD_KD || obj->temperature > 0.0f)),
              GNNKD_EINVAL, "gnnkd_train_part: a bad objective (target, transfer rows, alpha "
              "in [0, 1], a positive temperature)");
    for (int32_t k = 0; soft && k < obj->ntransfer; k++)
        GKD_CHECK(obj->transfer[k] >= 0 && obj->transfer[k] < p->owned, GNNKD_EINVAL,
                  "transfer row %d is outside this part's 0..%d", obj->transfer[k], p->owned - 1);
    int64_t ntransfer_total = soft ? obj->ntransfer : 0;
    GKD_TRY(sum_all(&ntransfer_total, 1, MPI_INT64_T, msg));
    GKD_CHECK(!soft || ntransfer_total > 0, GNNKD_EINVAL, "the transfer set is empty");
    GKD_TRY(dist_new(&t, m, p, msg));
    const int32_t C = p->nclass;
    const int64_t nparams = gnnkd_model_num_params(m);
    GKD_CHECK(nparams <= INT32_MAX, GNNKD_EINVAL, "%lld parameters: MPI counts stop at %d",
              (long long)nparams, INT32_MAX);
    GKD_ALLOC(step_seconds, o->epochs);
    if (o->select == GNNKD_SELECT_VAL_ACC) GKD_ALLOC(t.best, nparams);
    double *val_loss = NULL; // Kipf's rule reads the validation losses so far
    if (o->select == GNNKD_SELECT_VAL_LOSS) {
        val_loss = gkd_calloc((size_t)o->epochs, sizeof *val_loss);
        GKD_CHECK(val_loss != NULL, GNNKD_ENOMEM, "out of memory");
    }
    GKD_CHECK(o->batch == 0 && !o->hidden_dropout_only, GNNKD_EINVAL,
              "partitioned training takes full-batch steps with dropout on the input too: "
              "batch %d and hidden_dropout_only %d are not supported", o->batch,
              o->hidden_dropout_only);
    gnnkd_model_set_feature_norm(m, p->feature_norm);
    GKD_TRY(gkd_model_set_exact(m, o->reproducible, msg));
    gkd_model_reset_adam(m);
    gkd_model_zero_grad(m);
    double l2 = gkd_model_l2(m, o);

    double t_start = MPI_Wtime();
    gkd_selection sel_state = GKD_SELECTION_INIT(val_loss);
    int epoch = 0, rc = GNNKD_OK;
    while (rc == GNNKD_OK && epoch < o->epochs) {
        epoch++;
        double t0 = MPI_Wtime();
        const float *z = NULL;
        if ((rc = gkd_part_forward(&z, t.ws, m, &t.in, 1, o->seed, (uint64_t)epoch, msg)) != GNNKD_OK)
            break;
        double loss = step_loss(t.dlogits, z, p, soft ? obj : NULL, ntransfer_total);
        if ((rc = gkd_part_backward(t.ws, m, &t.in, t.dlogits, msg)) != GNNKD_OK) break;
        // the loss rides along with the gradients: one reduction a step
        gkd_exact *gx = gkd_model_exact(m); // exact sums: the integers, rounded by Adam
        rc = gx ? sum_exact(gx, (int)nparams, msg)
                : sum_all(gkd_model_grads(m), (int)nparams, MPI_FLOAT, msg);
        if (rc != GNNKD_OK) break;
        if ((rc = sum_all(&loss, 1, MPI_DOUBLE, msg)) != GNNKD_OK) break;
        loss += l2;
        if (!isfinite(loss)) {
            gkd_msg(msg, "epoch %d: the training loss is %g (try a smaller learning rate)", epoch,
                    loss);
            rc = GNNKD_ENUMERIC;
            break;
        }

        l2 = gkd_model_adam_step(m, o, epoch);
        step_seconds[epoch - 1] = MPI_Wtime() - t0;

        gnnkd_train_result now;
        if ((rc = evaluate(&t, m, p, &now, msg)) != GNNKD_OK) break;
        if (o->progress) { // its answer is not read: stopping must be every rank's decision
            gnnkd_epoch_info e = {epoch, loss, now.loss[GNNKD_VAL], now.acc[GNNKD_VAL],
                                  now.acc[GNNKD_TRAIN], MPI_Wtime() - t_start};
            (void)o->progress(o->progress_ctx, &e);
        }
        const int sel = gkd_select_epoch(&sel_state, o, epoch, now.acc[GNNKD_VAL], now.loss[GNNKD_VAL]);
        if (sel & GKD_SELECT_KEEP) memcpy(t.best, gkd_model_params(m), sizeof *t.best * (size_t)nparams);
        if (sel & GKD_SELECT_STOP) break;
    }
    free(val_loss);
    if (rc != GNNKD_OK) {
        GKD_FREE_ALL;
        return rc;
    }
    if (t.best) memcpy(gkd_model_params(m), t.best, sizeof *t.best * (size_t)nparams);
    memset(r, 0, sizeof *r);
    GKD_TRY(evaluate(&t, m, p, r, msg));
    r->epochs = epoch;
    r->best_epoch = sel_state.best_epoch;
    r->val_acc_cross = NAN; // the ranks' logits are never gathered
    r->train_seconds = MPI_Wtime() - t_start;
    // each step averaged over the ranks (its collectives end it together on all)
    GKD_TRY(sum_all(step_seconds, epoch, MPI_DOUBLE, msg));
    for (int k = 0; k < epoch; k++) step_seconds[k] /= p->parts;
    qsort(step_seconds, (size_t)epoch, sizeof *step_seconds, cmp_double);
    r->epoch_seconds_median = step_seconds[epoch / 2];
    r->epoch_seconds_min = step_seconds[0];
    r->epoch_seconds_max = step_seconds[epoch - 1];
    if (ds) {
        memset(ds, 0, sizeof *ds);
        double v[2] = {t.comm.seconds, (double)t.comm.bytes};
        GKD_TRY(sum_all(v, 2, MPI_DOUBLE, msg));
        ds->exchange_seconds = v[0] / p->parts;
        ds->bytes_per_epoch = v[1] / epoch; // the evaluations' forwards count too
        ds->epochs = epoch;
        double rss = gkd_peak_rss_mb(), top = 0.0;
        MPI_Reduce(&rss, &top, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
        MPI_Bcast(&top, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
        ds->peak_rss_mb_max = top;
    }
    // the logits of the selected weights, gathered if rank 0 asks
    int want = logits != NULL;
    MPI_Bcast(&want, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (want) GKD_TRY(gather_logits(logits, gkd_part_logits(t.ws), p, msg));
    if (mine)
        memcpy(mine, gkd_part_logits(t.ws), sizeof *mine * (size_t)p->owned * (size_t)C);
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* The ensemble's accuracy over every rank's rows of each split. */
static int teacher_acc(double acc[3], const gnnkd_teacher *t, const gnnkd_part *p, char *msg) {
    double v[3] = {0};
    for (int sp = 0; sp < 3; sp++) {
        double a = 0.0;
        if (p->nsplit[sp] == 0) continue;
        int rc = gnnkd_teacher_accuracy(&a, t, p->label, p->split[sp], p->nsplit[sp], msg);
        if (rc != GNNKD_OK) return rc;
        v[sp] = round(a * p->nsplit[sp]);
    }
    int rc = sum_all(v, 3, MPI_DOUBLE, msg);
    for (int sp = 0; sp < 3; sp++)
        acc[sp] = p->nsplit_total[sp] > 0 ? v[sp] / p->nsplit_total[sp] : NAN;
    return rc;
}

gnnkd_status gnnkd_distill_part(gnnkd_distill_result *r, gnnkd_model **student,
                                gnnkd_dist_stats *ds, float *logits,
                                const gnnkd_distill_options *o, uint64_t seed,
                                const gnnkd_part *p, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_teacher *t = NULL;
    gnnkd_model *m = NULL;
    float *z = NULL, *target = NULL;
    int32_t *rows = NULL, nrows = 0;
#define GKD_FREE_ALL                                                                        \
    do {                                                                                   \
        gnnkd_teacher_free(&t);                                                            \
        gnnkd_model_free(&m);                                                              \
        free(z);                                                                           \
        free(target);                                                                      \
        free(rows);                                                                        \
    } while (0)
    if (student) *student = NULL;
    GKD_CHECK(r != NULL && o != NULL && p != NULL, GNNKD_EINVAL,
              "gnnkd_distill_part: r, o and p must not be NULL");
    GKD_CHECK(o->teacher_files == NULL && o->munge == 0 && o->ensemble >= 1, GNNKD_EINVAL,
              "gnnkd_distill_part: teacher files and MUNGE pseudo-nodes are not distributed: "
              "a trained teacher (an ensemble of 1 or more) only");
    GKD_CHECK(o->transfer == GNNKD_TRANSFER_ALL || o->transfer == GNNKD_TRANSFER_TRAIN ||
                  o->transfer == GNNKD_TRANSFER_UNLABELED,
              GNNKD_EINVAL, "gnnkd_distill_part: transfer set %s: all, train or unlabeled",
              gnnkd_transfer_name(o->transfer));
    GKD_CHECK(o->method == GNNKD_METHOD_SCRATCH || o->method == GNNKD_METHOD_KD ||
                  o->method == GNNKD_METHOD_COMPRESS,
              GNNKD_EINVAL, "gnnkd_distill_part: method %s: scratch, kd or compress",
              gnnkd_method_name(o->method));
    GKD_CHECK(o->adv_eps == 0.0f && o->position.dim == 0 && o->position_file == NULL &&
                  o->rsd_weight == 0.0f && o->generations == 1 && o->assistant == NULL,
              GNNKD_EINVAL, "gnnkd_distill_part: position features, adversarial augmentation, "
              "similarity distillation, generations and an assistant are not distributed");
    memset(r, 0, sizeof *r);
    const int32_t C = p->nclass;
    const int soft = o->method != GNNKD_METHOD_SCRATCH;
    gnnkd_objective obj = {o->method, o->alpha, o->temperature, NULL, NULL, 0, 0.0f, 0, 0.0f};
    if (soft) { // the teacher's logits and targets stay on the rank that owns their rows
        GKD_TRY(gnnkd_teacher_new(&t, p->owned, C, msg));
        GKD_ALLOC(z, (int64_t)p->owned * C);
        for (int j = 0; j < o->ensemble; j++) {
            gnnkd_train_options to = o->teacher_train;
            gnnkd_train_result res;
            to.seed = gnnkd_distill_member_seed(seed, j);
            GKD_TRY(gnnkd_model_new(&m, &o->teacher, p->nfeat, C, to.seed, msg));
            GKD_TRY(gnnkd_train_part(m, &res, NULL, NULL, z, p, &to, NULL, msg));
            GKD_TRY(gnnkd_teacher_add_logits(t, z, msg));
            if (o->member_trained) GKD_TRY(o->member_trained(o->member_ctx, m, j, to.seed, msg));
            r->teacher_params += gnnkd_model_num_params(m);
            gnnkd_model_free(&m);
        }
        r->teacher_members = o->ensemble;
        GKD_TRY(teacher_acc(r->teacher_acc, t, p, msg));
        GKD_ALLOC(target, (int64_t)p->owned * C);
        GKD_TRY(gnnkd_teacher_targets(target, t, o->method, o->temperature, gkd_target_flags(o), msg));
        GKD_ALLOC(rows, p->owned);
        uint8_t *train = (uint8_t *)z; // scratch: owned bytes fit in owned x C floats
        memset(train, 0, (size_t)p->owned);
        for (int32_t k = 0; k < p->nsplit[GNNKD_TRAIN]; k++) train[p->split[GNNKD_TRAIN][k]] = 1;
        for (int32_t q = 0; q < p->owned; q++)
            if (o->transfer == GNNKD_TRANSFER_ALL || (o->transfer == GNNKD_TRANSFER_TRAIN) == train[q])
                rows[nrows++] = q;
        obj.target = target;
        obj.transfer = rows;
        obj.ntransfer = nrows;
    }
    gnnkd_train_options so = o->student_train;
    so.seed = seed;
    GKD_TRY(gnnkd_model_new(&m, &o->student, p->nfeat, C, seed, msg));
    GKD_TRY(gnnkd_train_part(m, &r->student, ds, logits, NULL, p, &so, soft ? &obj : NULL, msg));
    r->student_params = gnnkd_model_num_params(m);
    if (student) *student = m, m = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

#else /* without MPI */

int gnnkd_mpi_built(void) { return 0; }

gnnkd_status gnnkd_mpi_init(int *rank, int *size, char *msg) {
    GKD_CLEAR_MSG;
    *rank = 0;
    *size = 1;
    gkd_msg(msg, "gnnkd was built without MPI (install libopenmpi-dev and build with -DGNNKD_MPI=ON)");
    return GNNKD_EINVAL;
}

void gnnkd_mpi_finalize(void) {}

void gnnkd_mpi_abort(int status, const char *msg) {
    fprintf(stderr, "rank 0: %s\n", msg && msg[0] ? msg : gnnkd_status_name(status));
    exit(gnnkd_exit_code(status) ? gnnkd_exit_code(status) : 1);
}

gnnkd_status gnnkd_train_part(gnnkd_model *m, gnnkd_train_result *r, gnnkd_dist_stats *ds,
                              float *logits, float *mine, const gnnkd_part *p,
                              const gnnkd_train_options *o, const gnnkd_objective *obj,
                              char *msg) {
    GKD_CLEAR_MSG;
    gkd_msg(msg, "gnnkd_train_part: gnnkd was built without MPI");
    return GNNKD_EINVAL;
}

gnnkd_status gnnkd_distill_part(gnnkd_distill_result *r, gnnkd_model **student,
                                gnnkd_dist_stats *ds, float *logits,
                                const gnnkd_distill_options *o, uint64_t seed,
                                const gnnkd_part *p, char *msg) {
    GKD_CLEAR_MSG;
    gkd_msg(msg, "gnnkd_distill_part: gnnkd was built without MPI");
    return GNNKD_EINVAL;
}

#endif
