/* speed.c — `gnnkd bench-speed`: seconds per training epoch, inference
 * milliseconds, peak memory and a per-kernel roofline of GCN and MLP
 * training, plus the per-node inference latency of a GCN teacher against an
 * MLP student.
 *
 * Every measurement runs in a child process (fork): the machine ceilings,
 * whose STREAM arrays would otherwise dominate the peak memory, and each
 * (dataset, model, threads) configuration, so that each reports its own peak
 * RSS. The parent never starts an OpenMP team itself, which keeps fork safe
 * with libgomp. */
#include "../app/cli.h"
#include "speed.h"
#include "../app/util.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <stdlib.h>
#include <unistd.h>


#define MAX_ITEMS 32

typedef struct {
    cli_data data;
    const char *datasets[MAX_ITEMS];
    int ndatasets;
    gnnkd_model_spec models[MAX_ITEMS];
    int nmodels;
    int threads[MAX_ITEMS];
    int nthreads;
    int warmup, epochs, infer_repeats;
    unsigned long long seed;
    int latency;      /* 0: none, 1: also, 2: only */
    int latency_nodes;
    gnnkd_model_spec student, teacher;
    const char *student_file; /* --student-model: a trained student instead of fresh weights */
    int json, quiet;
    const char *out;
    const char *partitioned; /* --partitioned DIR: the distributed epoch (speed_dist.c) */
    roofline_machine machine[MAX_ITEMS]; /* one per thread count */
    int nmachine;
} speed_opts;

static void speed_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd bench-speed [options]\n\n"
            "Times GCN and MLP training and inference: seconds per epoch (forward with\n"
            "dropout, loss, backward, Adam; median and min-max after a warm-up), full-graph\n"
            "inference milliseconds (eval mode), peak resident memory, and each kernel call\n"
            "of the model's own epochs (its profile): time share, GFLOP/s, GB/s and the\n"
            "fraction of its roofline bound max(flops / SGEMM rate, bytes / STREAM triad),\n"
            "both ceilings measured in the same run (above 100%%: the data fit in cache).\n"
            "Each configuration runs in its own process, so its peak RSS is its own; its\n"
            "cpu share below 100%% says other processes held the cores.\n\n"
            "What to run (each option may be repeated or take a comma-separated list):\n"
            "  --dataset D             datasets (cora,citeseer,pubmed); synthetic[:K=V,...] too;\n"
            "                          or one --graph FILE (see the dataset options below)\n"
            "  --model M               models (gcn:16,gcn:256); e.g. mlp:64, gcn:64,64\n"
            "  --threads N             thread counts (1 and all cores); 0 = all cores\n\n"
            "Timing:\n"
            "  --epochs N              timed epochs (50), after --warmup N untimed ones (5)\n"
            "  --infer-repeats N       timed full-graph inference passes (20, after 3 untimed)\n"
            "  --seed N                seed of weights and dropout (0)\n\n"
            "Per-node latency (GLNN's comparison; fresh weights: latency does not depend on\n"
            "training; one thread):\n"
            "  --latency               also time single-node inference on each dataset\n"
            "  --latency-only          only that\n"
            "  --latency-nodes N       random query nodes (1000)\n"
            "  --student M, --teacher M  the two models (mlp:64, gcn:256)\n"
            "  --student-model PATH    a trained MLP student (e.g. gnnkd distill --save) instead\n"
            "                          of --student; an MLP student is also exported as C\n"
            "                          (float and int8), compiled with cc -O2 (CC), checked\n"
            "                          on every node and timed on the same queries; a\n"
            "                          student with position rows (distill --position) is\n"
            "                          timed with them, and its one hop for a new node (the\n"
            "                          mean of its neighbours' rows) apart; its export also\n"
            "                          serving each query as a new node from its edges\n\n"
            "Distributed (a build with MPI; one model, one thread count, 1 by default):\n"
            "  --partitioned DIR       mpirun -np P gnnkd bench-speed --partitioned DIR: the\n"
            "                          training epoch over the parts of DIR (gnnkd partition),\n"
            "                          time in halo exchanges, bytes exchanged per epoch and\n"
            "                          the largest rank's peak memory\n\n"
            "Output:\n"
            "  --json                  one JSON object per line (one per configuration)\n"
            "  --out DIR               also write DIR/bench-speed.json and .md\n"
            "  --quiet                 no progress lines on stderr\n\n"
            "%s\n"
            "Example: gnnkd bench-speed --dataset pubmed --model gcn:256 --threads 2 --json\n",
            CLI_DATA_HELP);
}

/* ---- options ------------------------------------------------------------------ */

/* Splits a comma-separated list into items, where a piece that continues the
 * previous item stays with it: KEY=VALUE after a synthetic spec, a width after
 * a model spec ("gcn:64,64"). Items point into text, which is modified. */
static int split_list(char **items, int *nitems, char *text, int is_model) {
    for (char *p = strtok(text, ","); p; p = strtok(NULL, ",")) {
        int cont = *nitems > 0 &&
                   (is_model ? (*p >= '0' && *p <= '9')
                             : (strchr(p, '=') && !strchr(p, ':') && !strchr(p, '/')));
        if (cont) {
            p[-1] = ','; // rejoin with the previous item: strtok left a NUL here
            continue;
        }
        if (*nitems == MAX_ITEMS) return 0;
        items[(*nitems)++] = p;
    }
    return 1;
}

static int model_list(speed_opts *o, char *text) {
    char *items[MAX_ITEMS];
    int n = 0;
    if (!split_list(items, &n, text, 1)) {
        fprintf(stderr, "gnnkd bench-speed: at most %d models\n", MAX_ITEMS);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        char msg[GNNKD_MSG_LEN] = "";
        if (o->nmodels == MAX_ITEMS) {
            fprintf(stderr, "gnnkd bench-speed: at most %d models\n", MAX_ITEMS);
            return 0;
        }
        if (gnnkd_model_spec_parse(&o->models[o->nmodels++], items[i], msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd bench-speed: --model: %s\n", msg);
            return 0;
        }
    }
    return 1;
}

static int threads_list(speed_opts *o, char *text) {
    for (char *p = strtok(text, ","); p; p = strtok(NULL, ",")) {
        long v;
        if (!cli_int("bench-speed", "threads", p, 0, 4096, &v)) return 0;
        if (o->nthreads == MAX_ITEMS) {
            fprintf(stderr, "gnnkd bench-speed: at most %d thread counts\n", MAX_ITEMS);
            return 0;
        }
        o->threads[o->nthreads++] = v == 0 ? omp_get_num_procs() : (int)v;
    }
    return 1;
}

/* Removes repeated thread counts, keeping the first of each. */
static void unique_threads(speed_opts *o) {
    int k = 0;
    for (int i = 0; i < o->nthreads; i++) {
        int seen = 0;
        for (int j = 0; j < k; j++) seen |= o->threads[j] == o->threads[i];
        if (!seen) o->threads[k++] = o->threads[i];
    }
    o->nthreads = k;
}

/* ---- child processes ------------------------------------------------------------- */

typedef int (*child_fn)(cJSON **out, const speed_opts *o, const void *arg, char *msg);

static int write_all(int fd, const char *p, size_t len) {
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* What a measuring child runs. */
typedef struct {
    child_fn fn;
    const speed_opts *o;
    const void *arg;
} child_job;

/* The child's side: the JSON on success, the message on failure (the exit
 * code is then the status). */
static int child_main(void *ctx, int fd) {
    const child_job *job = ctx;
    char cmsg[GNNKD_MSG_LEN] = "";
    cJSON *res = NULL;
    int rc = job->fn(&res, job->o, job->arg, cmsg);
    char *text = rc == GNNKD_OK ? cJSON_PrintUnformatted(res) : NULL;
    if (rc == GNNKD_OK && text == NULL) {
        rc = GNNKD_ENOMEM;
        snprintf(cmsg, sizeof cmsg, "bench-speed: out of memory for the JSON output");
    }
    const char *body = rc == GNNKD_OK ? text : cmsg;
    if (write_all(fd, body, strlen(body)) != 0 && rc == GNNKD_OK) rc = GNNKD_EIO;
    close(fd);
    free(text);
    cJSON_Delete(res);
    return rc;
}

/* Runs fn in a forked child and returns the JSON it produced, or its status
 * and message. */
static int in_child(cJSON **out, child_fn fn, const speed_opts *o, const void *arg, char *msg) {
    child_job job = {fn, o, arg};
    char *text = NULL;
    size_t len = 0;
    int status = 0, rc = GNNKD_OK;
    *out = NULL;
    if (util_child(&text, &len, &status, child_main, &job) != 0) {
        util_msg(msg, "bench-speed: cannot start a measuring process: %s", strerror(errno));
        return GNNKD_EINTERNAL;
    }
    if (text == NULL) {
        util_msg(msg, "bench-speed: out of memory reading a result");
        rc = GNNKD_ENOMEM;
    } else if (WIFSIGNALED(status)) {
        util_msg(msg, "bench-speed: the measuring process died of signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
        rc = GNNKD_EINTERNAL;
    } else {
        rc = WIFEXITED(status) ? WEXITSTATUS(status) : GNNKD_EINTERNAL;
        if (rc != GNNKD_OK) {
            util_msg(msg, "%s", len ? text : "bench-speed: the measuring process failed");
        } else if ((*out = cJSON_Parse(text)) == NULL) {
            util_msg(msg, "bench-speed: the measuring process sent no valid JSON");
            rc = GNNKD_EINTERNAL;
        }
    }
    free(text);
    return rc;
}

/* ---- machine ceilings --------------------------------------------------------- */

static int machine_child(cJSON **out, const speed_opts *o, const void *arg, char *msg) {
    (void)arg;
    cJSON *list = cJSON_CreateArray();
    for (int i = 0; i < o->nthreads; i++) {
        roofline_machine m;
        int rc = roofline_measure(&m, o->threads[i], msg);
        if (rc != GNNKD_OK) {
            cJSON_Delete(list);
            return rc;
        }
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "threads", m.threads);
        cJSON_AddNumberToObject(e, "stream_gbs", m.stream_gbs);
        cJSON_AddNumberToObject(e, "sgemm_gflops", m.sgemm_gflops);
        cJSON_AddNumberToObject(e, "stream_mb", m.stream_mb);
        cJSON_AddNumberToObject(e, "sgemm_n", m.sgemm_n);
        cJSON_AddNumberToObject(e, "omp_region_us", m.omp_region_us);
        cJSON_AddItemToArray(list, e);
    }
    *out = list;
    return GNNKD_OK;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const roofline_machine *machine_for(const speed_opts *o, int threads) {
    for (int i = 0; i < o->nmachine; i++)
        if (o->machine[i].threads == threads) return &o->machine[i];
    return NULL;
}

/* ---- one configuration -------------------------------------------------------- */

typedef struct {
    const char *dataset;
    const gnnkd_model_spec *model;
    int threads;
} config;

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* Per-call figures of a profile entry over the timed epochs, and its roofline. */
static cJSON *json_kernel(const gnnkd_profile_entry *e, const roofline_machine *mach, int epochs,
                          double epoch) {
    const double sec = e->seconds / epochs, call = e->seconds / (double)e->calls;
    const double flops = e->flops / (double)e->calls, bytes = e->bytes / (double)e->calls;
    const double bound = roofline_bound(mach, flops, bytes);
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "name", e->name);
    cJSON_AddStringToObject(j, "group", gnnkd_profile_group_name(e->group));
    cJSON_AddNumberToObject(j, "calls", (double)e->calls / epochs);
    cJSON_AddNumberToObject(j, "seconds", sec);
    cJSON_AddNumberToObject(j, "seconds_per_call", call);
    cJSON_AddNumberToObject(j, "seconds_per_call_min", e->seconds_min);
    cJSON_AddNumberToObject(j, "share", sec / epoch);
    cJSON_AddNumberToObject(j, "flops", flops);
    cJSON_AddNumberToObject(j, "bytes", bytes);
    cJSON_AddNumberToObject(j, "gflops", flops / call * 1e-9);
    cJSON_AddNumberToObject(j, "gbs", bytes / call * 1e-9);
    cJSON_AddNumberToObject(j, "bound_seconds", bound);
    cJSON_AddStringToObject(j, "bound_by",
                            flops / mach->sgemm_gflops > bytes / mach->stream_gbs ? "compute" : "memory");
    cJSON_AddNumberToObject(j, "roofline_fraction", bound / call);
    return j;
}

/* The kernels of the model's own epochs (its profile over epochs timed
 * epochs), by kernel and by group, into res. */
static void json_kernels(cJSON *res, const gnnkd_profile *p, const roofline_machine *mach,
                         int epochs, double epoch) {
    double gsec[GNNKD_PROFILE_NGROUPS] = {0}, gflops[GNNKD_PROFILE_NGROUPS] = {0},
           gbytes[GNNKD_PROFILE_NGROUPS] = {0}, gbound[GNNKD_PROFILE_NGROUPS] = {0};
    double bound = 0.0, flops = 0.0, bytes = 0.0, ksum = 0.0;
    cJSON *list = cJSON_AddArrayToObject(res, "kernels");
    for (int k = 0; k < p->nentries; k++) {
        const gnnkd_profile_entry *e = &p->entry[k];
        const double b = roofline_bound(mach, e->flops / (double)e->calls, e->bytes / (double)e->calls) *
                         (double)e->calls / epochs;
        cJSON_AddItemToArray(list, json_kernel(e, mach, epochs, epoch));
        gsec[e->group] += e->seconds / epochs;
        gflops[e->group] += e->flops / epochs;
        gbytes[e->group] += e->bytes / epochs;
        gbound[e->group] += b;
        bound += b, flops += e->flops / epochs, bytes += e->bytes / epochs;
        ksum += e->seconds / epochs;
    }
    cJSON *groups = cJSON_AddArrayToObject(res, "groups");
    for (int gi = 0; gi < GNNKD_PROFILE_NGROUPS; gi++) {
        if (gsec[gi] == 0.0) continue;
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "name", gnnkd_profile_group_name((gnnkd_profile_group)gi));
        cJSON_AddNumberToObject(j, "seconds", gsec[gi]);
        cJSON_AddNumberToObject(j, "share", gsec[gi] / epoch);
        cJSON_AddNumberToObject(j, "gflops", gflops[gi] / gsec[gi] * 1e-9);
        cJSON_AddNumberToObject(j, "gbs", gbytes[gi] / gsec[gi] * 1e-9);
        cJSON_AddNumberToObject(j, "roofline_fraction", gbound[gi] / gsec[gi]);
        cJSON_AddItemToArray(groups, j);
    }
    cJSON_AddNumberToObject(res, "kernel_seconds", ksum);
    cJSON *mj = cJSON_AddObjectToObject(res, "machine");
    cJSON_AddNumberToObject(mj, "threads", mach->threads);
    cJSON_AddNumberToObject(mj, "stream_gbs", mach->stream_gbs);
    cJSON_AddNumberToObject(mj, "sgemm_gflops", mach->sgemm_gflops);
    cJSON_AddNumberToObject(mj, "omp_region_us", mach->omp_region_us);
    cJSON_AddNumberToObject(res, "flops_per_epoch", flops);
    cJSON_AddNumberToObject(res, "bytes_per_epoch", bytes);
    cJSON_AddNumberToObject(res, "roofline_bound_seconds", bound);
    cJSON_AddNumberToObject(res, "roofline_fraction", bound / epoch);
}

/* What one configuration measured. */
typedef struct {
    gnnkd_train_result train; /* of the timed epochs */
    double cpu_share;         /* of the timed training */
    double *infer;            /* (infer_repeats) sorted full-graph inference seconds */
    double rss, load_rss;     /* peak RSS after inference; after loading */
    gnnkd_profile prof;       /* the timed epochs' kernel calls */
} config_result;

/* Training through gnnkd_train: warm-up epochs, then the timed ones with
 * the model's profile attached; every epoch runs (patience 0). Then the
 * full-graph inference passes. */
static int config_measure(config_result *cr, const speed_opts *o, gnnkd_model *m,
                          const gnnkd_dataset *d, const gnnkd_graph *g, int threads, char *msg) {
    gnnkd_train_options topt;
    gnnkd_train_options_for(&topt, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_LOSS);
    topt.patience = 0;
    topt.seed = o->seed;
    int rc = GNNKD_OK;
    if (o->warmup > 0) {
        topt.epochs = o->warmup;
        rc = gnnkd_train(m, &cr->train, d, g, &topt, NULL, msg);
    }
    // the CPU share over the whole timed training: the process clock counts
    // another thread's time only at scheduler ticks, longer than an epoch
    const double wall0 = util_now(), cpu0 = util_cpu_now();
    topt.epochs = o->epochs;
    gnnkd_profile_clear(&cr->prof);
    gnnkd_model_set_profile(m, &cr->prof);
    if (rc == GNNKD_OK) rc = gnnkd_train(m, &cr->train, d, g, &topt, NULL, msg);
    gnnkd_model_set_profile(m, NULL);
    cr->cpu_share = (util_cpu_now() - cpu0) / ((util_now() - wall0) * threads);
    for (int r = -3; rc == GNNKD_OK && r < o->infer_repeats; r++) {
        double t0 = util_now();
        const float *z = NULL;
        rc = gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg);
        if (r >= 0) cr->infer[r] = util_now() - t0;
    }
    if (rc == GNNKD_OK) qsort(cr->infer, (size_t)o->infer_repeats, sizeof *cr->infer, cmp_double);
    cr->rss = util_peak_rss_mb();
    return rc;
}

static cJSON *config_json(const config_result *cr, const speed_opts *o, const config *cf,
                          const gnnkd_model_spec *s, const gnnkd_dataset *d, const gnnkd_graph *g,
                          const roofline_machine *mach, int threads) {
    char mtext[128];
    const int n = o->infer_repeats;
    const double emed = cr->train.epoch_seconds_median;
    const double imed = n % 2 ? cr->infer[n / 2] : 0.5 * (cr->infer[n / 2 - 1] + cr->infer[n / 2]);
    gnnkd_model_spec_format(mtext, sizeof mtext, s);
    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "impl", "gnnkd");
    cJSON_AddStringToObject(res, "version", gnnkd_version());
    cJSON_AddStringToObject(res, "dataset", cf->dataset);
    cJSON_AddStringToObject(res, "model", mtext);
    cJSON_AddNumberToObject(res, "threads", threads);
    cJSON_AddNumberToObject(res, "nodes", d->n);
    cJSON_AddNumberToObject(res, "features", d->nfeat);
    cJSON_AddNumberToObject(res, "feature_nnz",
                            d->x.rowptr ? (double)gnnkd_csr_nnz(&d->x) : (double)d->n * d->nfeat);
    cJSON_AddNumberToObject(res, "adjacency_nnz", g ? (double)gnnkd_csr_nnz(gnnkd_graph_csr(g)) : 0.0);
    cJSON_AddNumberToObject(res, "classes", d->nclass);
    cJSON_AddNumberToObject(res, "epochs", o->warmup + o->epochs);
    cJSON_AddNumberToObject(res, "warmup_epochs", o->warmup);
    cJSON_AddNumberToObject(res, "timed_epochs", o->epochs);
    cJSON *ep = cJSON_AddObjectToObject(res, "epoch_seconds");
    cJSON_AddNumberToObject(ep, "median", emed);
    cJSON_AddNumberToObject(ep, "min", cr->train.epoch_seconds_min);
    cJSON_AddNumberToObject(ep, "max", cr->train.epoch_seconds_max);
    // below 1 when other processes took the cores: the timings are then inflated
    cJSON_AddNumberToObject(res, "epoch_cpu_share", cr->cpu_share);
    cJSON *inf = cJSON_AddObjectToObject(res, "inference_ms");
    cJSON_AddNumberToObject(inf, "median", 1e3 * imed);
    cJSON_AddNumberToObject(inf, "min", 1e3 * cr->infer[0]);
    cJSON_AddNumberToObject(inf, "max", 1e3 * cr->infer[n - 1]);
    cJSON_AddNumberToObject(res, "inference_repeats", n);
    cJSON_AddNumberToObject(res, "peak_rss_mb", round(cr->rss * 10.0) / 10.0);
    cJSON_AddStringToObject(res, "peak_rss_scope", "this configuration's own process");
    cJSON_AddNumberToObject(res, "load_peak_rss_mb", round(cr->load_rss * 10.0) / 10.0);
    cJSON_AddNumberToObject(res, "test_acc", cr->train.acc[GNNKD_TEST]);
    json_kernels(res, &cr->prof, mach, o->epochs, emed);
    return res;
}

static int config_child(cJSON **out, const speed_opts *o, const void *arg, char *msg) {
    const config *cf = arg;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *m = NULL;
    config_result *cr = NULL;
    gnnkd_set_threads(cf->threads);
    const int threads = gnnkd_get_threads();
    const roofline_machine *mach = machine_for(o, threads);
    cli_data data = o->data;
    data.dataset = o->data.graph ? NULL : cf->dataset; // a --graph file is named as such
    int rc = mach ? GNNKD_OK : GNNKD_EINTERNAL;
    if (rc != GNNKD_OK) snprintf(msg, GNNKD_MSG_LEN, "bench-speed: no ceilings for %d threads", threads);
    if (rc == GNNKD_OK) rc = cli_open_dataset(&d, &data, msg);
    if (rc == GNNKD_OK && cf->model->kind == GNNKD_MODEL_GCN) rc = gnnkd_graph_new(&g, &d->adj, msg);
    if (rc == GNNKD_OK) rc = gnnkd_model_new(&m, cf->model, d->nfeat, d->nclass, o->seed, msg);
    if (rc == GNNKD_OK && (!(cr = calloc(1, sizeof *cr)) ||
                           !(cr->infer = calloc((size_t)o->infer_repeats, sizeof *cr->infer))))
        rc = GNNKD_ENOMEM;
    if (rc == GNNKD_OK) {
        cr->load_rss = util_peak_rss_mb(); // loading's own peak, for comparison
        rc = config_measure(cr, o, m, d, g, threads, msg);
    }
    if (rc == GNNKD_OK) *out = config_json(cr, o, cf, gnnkd_model_get_spec(m), d, g, mach, threads);
    if (cr) free(cr->infer);
    free(cr);
    gnnkd_model_free(&m);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    return rc;
}

/* ---- per-node latency ---------------------------------------------------------- */

static cJSON *json_latency_model(const gnnkd_model *m, const speed_latency *r) {
    char text[128];
    gnnkd_model_spec_format(text, sizeof text, gnnkd_model_get_spec(m));
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "model", text);
    cJSON_AddNumberToObject(j, "median_us", r->median_us);
    cJSON_AddNumberToObject(j, "p99_us", r->p99_us);
    cJSON_AddNumberToObject(j, "mean_us", r->mean_us);
    cJSON_AddNumberToObject(j, "nodes_read_median", r->hood_median);
    cJSON_AddNumberToObject(j, "nodes_read_max", r->hood_max);
    cJSON_AddNumberToObject(j, "max_abs_diff", r->max_abs_diff);
    cJSON_AddNumberToObject(j, "full_graph_ms", r->full_graph_ms);
    return j;
}

static int latency_child(cJSON **out, const speed_opts *o, const void *arg, char *msg) {
    const char *dataset = arg;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_dataset *dp = NULL; // a position student's input: d and its rows
    gnnkd_model *student = NULL, *teacher = NULL;
    int32_t *perm = NULL;
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_dataset_free(&d);                                                           \
        gnnkd_dataset_free(&dp);                                                          \
        gnnkd_graph_free(&g);                                                             \
        gnnkd_model_free(&student);                                                       \
        gnnkd_model_free(&teacher);                                                       \
        free(perm);                                                                       \
    } while (0)
    gnnkd_set_threads(1); // one query, one core: what a serving process does
    cli_data data = o->data;
    data.dataset = o->data.graph ? NULL : dataset;
    if (o->student_file) { // its features as the student was trained on them
        UTIL_TRY(gnnkd_model_load(&student, o->student_file, msg));
        UTIL_TRY(cli_data_for_model(&data, student, o->student_file, msg));
    }
    UTIL_TRY(cli_open_dataset(&d, &data, msg));
    UTIL_TRY(gnnkd_graph_new(&g, &d->adj, msg));
    int32_t pn = 0, pdim = 0;
    const float *pos = student ? gnnkd_model_position(student, &pn, &pdim) : NULL;
    if (o->student_file) {
        UTIL_TRY(cli_features_for_model(d, student, o->student_file, d->name, msg));
        const gnnkd_model_spec *ss = gnnkd_model_get_spec(student);
        UTIL_CHECK(ss->dims[0] == d->nfeat + pdim && ss->dims[ss->nlayers] == d->nclass,
                   GNNKD_EINVAL, "%s: the model maps %d features to %d classes; %s has %d and %d",
                   o->student_file, ss->dims[0] - pdim, ss->dims[ss->nlayers], dataset, d->nfeat,
                   d->nclass);
        UTIL_TRY(cli_position_for_model(&dp, d, student, o->student_file, dataset, msg));
    } else {
        UTIL_TRY(gnnkd_model_new(&student, &o->student, d->nfeat, d->nclass, o->seed, msg));
        // what a student trained on d would carry, so the export normalises as one
        gnnkd_model_set_feature_norm(student, d->feature_norm);
    }
    UTIL_TRY(gnnkd_model_new(&teacher, &o->teacher, d->nfeat, d->nclass, o->seed, msg));

    // distinct random query nodes: a partial Fisher-Yates shuffle
    int32_t nq = o->latency_nodes < d->n ? o->latency_nodes : d->n;
    UTIL_ALLOC(perm, d->n);
    for (int32_t i = 0; i < d->n; i++) perm[i] = i;
    const uint64_t key = o->seed ^ 0x1a7e; // a stream of its own
    for (int32_t i = 0; i < nq; i++) {
        int32_t j = i + (int32_t)(util_uniform(key, (uint64_t)i) * (float)(d->n - i));
        if (j >= d->n) j = d->n - 1;
        int32_t t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    speed_latency rs, rt, rp;
    UTIL_TRY(speed_latency_measure(&rs, student, dp ? dp : d, g, perm, nq, msg));
    UTIL_TRY(speed_latency_measure(&rt, teacher, d, g, perm, nq, msg));
    if (pos) UTIL_TRY(speed_position_measure(&rp, student, d, perm, nq, msg));
    cJSON *ex = NULL;
    if (gnnkd_model_get_spec(student)->kind == GNNKD_MODEL_MLP) {
        ex = speed_export_measure(student, d, dp, perm, nq, msg);
        if (ex == NULL) { // msg says why
            UTIL_FREE_ALL;
            return GNNKD_EINTERNAL;
        }
    }

    cJSON *res = cJSON_CreateObject();
    cJSON_AddStringToObject(res, "section", "latency");
    cJSON_AddStringToObject(res, "dataset", dataset);
    cJSON_AddNumberToObject(res, "threads", 1);
    cJSON_AddNumberToObject(res, "queries", nq);
    cJSON_AddStringToObject(res, "weights", o->student_file ? o->student_file
                                            : "fresh (latency does not depend on training)");
    cJSON_AddItemToObject(res, "student", json_latency_model(student, &rs));
    cJSON_AddItemToObject(res, "teacher", json_latency_model(teacher, &rt));
    if (pos) {
        cJSON *pj = cJSON_CreateObject();
        cJSON_AddNumberToObject(pj, "columns", pdim);
        cJSON_AddNumberToObject(pj, "median_us", rp.median_us);
        cJSON_AddNumberToObject(pj, "p99_us", rp.p99_us);
        cJSON_AddNumberToObject(pj, "mean_us", rp.mean_us);
        cJSON_AddNumberToObject(pj, "nodes_read_median", rp.hood_median);
        cJSON_AddNumberToObject(pj, "nodes_read_max", rp.hood_max);
        cJSON_AddItemToObject(res, "position_lookup", pj);
    }
    cJSON_AddNumberToObject(res, "speedup_median", rt.median_us / rs.median_us);
    cJSON_AddNumberToObject(res, "speedup_p99", rt.p99_us / rs.p99_us);
    if (ex) cJSON_AddItemToObject(res, "export", ex);
    *out = res;
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

/* ---- output ------------------------------------------------------------------------ */

static const char *str(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : "?";
}

static double sub(const cJSON *o, const char *key, const char *inner) {
    return num(cJSON_GetObjectItemCaseSensitive(o, key), inner);
}

/* A configuration as text: a Markdown table when md, else aligned columns. */
static void print_config(FILE *f, const cJSON *r, int md) {
    fprintf(f, "%s%s %s, %d thread%s: epoch %.3f ms (min %.3f, max %.3f), inference %.3f ms, "
               "peak RSS %.1f MiB, roofline %.0f%%, test acc %.3f, cpu share %.0f%%\n",
            md ? "### " : "", str(r, "dataset"), str(r, "model"), (int)num(r, "threads"),
            num(r, "threads") == 1 ? "" : "s", 1e3 * sub(r, "epoch_seconds", "median"),
            1e3 * sub(r, "epoch_seconds", "min"), 1e3 * sub(r, "epoch_seconds", "max"),
            sub(r, "inference_ms", "median"), num(r, "peak_rss_mb"),
            100.0 * num(r, "roofline_fraction"), num(r, "test_acc"),
            100.0 * num(r, "epoch_cpu_share"));
    if (md)
        fprintf(f, "\n| kernel | calls | ms/epoch | share | GFLOP/s | GB/s | bound | roofline |\n"
                   "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |\n");
    else
        fprintf(f, "  %-36s %5s %9s %6s %8s %7s %8s %8s\n", "kernel", "calls", "ms/epoch",
                "share", "GFLOP/s", "GB/s", "bound", "roofline");
    const cJSON *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(r, "kernels")) {
        const char *fmt = md ? "| %s | %d | %.3f | %.1f%% | %.2f | %.2f | %s | %.1f%% |\n"
                             : "  %-36s %5d %9.3f %5.1f%% %8.2f %7.2f %8s %7.1f%%\n";
        fprintf(f, fmt, str(k, "name"), (int)num(k, "calls"), 1e3 * num(k, "seconds"),
                100.0 * num(k, "share"), num(k, "gflops"), num(k, "gbs"), str(k, "bound_by"),
                100.0 * num(k, "roofline_fraction"));
    }
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(r, "groups")) {
        const char *fmt = md ? "| **%s** | | %.3f | %.1f%% | %.2f | %.2f | | %.1f%% |\n"
                             : "  = %-34s %5s %9.3f %5.1f%% %8.2f %7.2f %8s %7.1f%%\n";
        if (md)
            fprintf(f, fmt, str(k, "name"), 1e3 * num(k, "seconds"), 100.0 * num(k, "share"),
                    num(k, "gflops"), num(k, "gbs"), 100.0 * num(k, "roofline_fraction"));
        else
            fprintf(f, fmt, str(k, "name"), "", 1e3 * num(k, "seconds"), 100.0 * num(k, "share"),
                    num(k, "gflops"), num(k, "gbs"), "", 100.0 * num(k, "roofline_fraction"));
    }
    fprintf(f, "%s  the model's kernel calls take %.3f ms an epoch (mean) of the %.3f ms epoch "
               "(median); the epoch's bound is %.3f ms\n\n",
            md ? "\n" : "", 1e3 * num(r, "kernel_seconds"), 1e3 * sub(r, "epoch_seconds", "median"),
            1e3 * num(r, "roofline_bound_seconds"));
}

static void print_latency(FILE *f, const cJSON *r, int md) {
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(r, "student"),
                *te = cJSON_GetObjectItemCaseSensitive(r, "teacher");
    fprintf(f, "%sper-node inference on %s, 1 thread, %d random nodes (student: %s)\n%s",
            md ? "### " : "", str(r, "dataset"), (int)num(r, "queries"), str(r, "weights"),
            md ? "\n| model | median us | p99 us | nodes read (median / max) | full graph ms |\n"
                 "| --- | ---: | ---: | ---: | ---: |\n"
               : "");
    const cJSON *ms[2] = {st, te};
    for (int i = 0; i < 2; i++)
        fprintf(f, md ? "| %s | %.2f | %.2f | %.0f / %.0f | %.3f |\n"
                      : "  %-10s median %9.2f us  p99 %9.2f us  nodes read %6.0f (max %.0f)  "
                        "full graph %.3f ms\n",
                str(ms[i], "model"), num(ms[i], "median_us"), num(ms[i], "p99_us"),
                num(ms[i], "nodes_read_median"), num(ms[i], "nodes_read_max"),
                num(ms[i], "full_graph_ms"));
    const cJSON *pl = cJSON_GetObjectItemCaseSensitive(r, "position_lookup");
    if (pl)
        fprintf(f, "%s  a new node's %.0f position columns (the mean of its neighbours' rows, "
                   "before the student): median %.2f us, p99 %.2f us, %.0f nodes read (median; "
                   "max %.0f)\n",
                md ? "\n" : "", num(pl, "columns"), num(pl, "median_us"), num(pl, "p99_us"),
                num(pl, "nodes_read_median"), num(pl, "nodes_read_max"));
    const cJSON *ex = cJSON_GetObjectItemCaseSensitive(r, "export");
    if (ex)
        fprintf(f, md ? "\nSide by side, %d rounds over the same nodes (load average %.1f, then "
                        "%.1f); the export compiled with %s:\n\n| %s | median us | p99 us | "
                        "round medians us |\n| --- | ---: | ---: | --- |\n"
                      : "  side by side, %d rounds over the same nodes (load average %.1f, then "
                        "%.1f); export compiled with %s:\n",
                (int)num(ex, "rounds"), num(ex, "loadavg_before"), num(ex, "loadavg_after"),
                str(ex, "compiler"), str(st, "model"));
    static const char *const which[5] = {"library", "float", "int8", "float_new", "int8_new"},
                             *const label[5] = {"in-library", "float export", "int8 export",
                                                "float, new node", "int8, new node"};
    for (int i = 0; ex && i < 5; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(ex, which[i]), *m;
        if (v == NULL) continue; // the new-node rows: position students only
        char meds[256] = "";
        size_t used = 0;
        cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(v, "round_medians_us"))
            if (used < sizeof meds - 16)
                used += (size_t)snprintf(meds + used, sizeof meds - used, "%s%.2f", used ? " " : "",
                                         m->valuedouble);
        fprintf(f, md ? "| %s | %.2f | %.2f | %s |\n"
                      : "    %-15s median %9.2f us  p99 %9.2f us  (round medians %s)\n",
                label[i], num(v, "median_us"), num(v, "p99_us"), meds);
    }
    if (ex)
        fprintf(f, "%s  export: float = library class on %.0f of %.0f nodes, max |logit diff| %.2g; "
                   "int8 agrees on %.2f%%, test accuracy %.4f (library %.4f); %.0f bytes float, "
                   "%.0f int8; source %.0f / %.0f bytes, compiled in %.1f / %.1f s\n",
                md ? "\n" : "", num(ex, "float_same_class"), num(ex, "nodes_checked"),
                num(ex, "float_max_abs_logit_diff"), 100.0 * num(ex, "int8_agreement"),
                num(ex, "test_acc_int8"), num(ex, "test_acc_library"), num(ex, "float_bytes"),
                num(ex, "int8_bytes"), num(ex, "float_source_bytes"), num(ex, "int8_source_bytes"),
                num(ex, "float_compile_seconds"), num(ex, "int8_compile_seconds"));
    const cJSON *nn = ex ? cJSON_GetObjectItemCaseSensitive(ex, "new_nodes") : NULL;
    if (nn)
        fprintf(f, "%s  each node as a new node (its row the mean of its neighbours'): float "
                   "export against the library's row, max |logit diff| %.2g; int8 agrees on "
                   "%.2f%%; test accuracy float %.4f, int8 %.4f; the rows table %.0f bytes "
                   "float, %.0f int8\n",
                md ? "\n" : "", num(nn, "float_max_abs_logit_diff"),
                100.0 * num(nn, "int8_agreement"), num(nn, "test_acc_float"),
                num(nn, "test_acc_int8"), num(nn, "pos_bytes"), num(nn, "pos_bytes_int8"));
    fprintf(f, "%s  %s is %.1fx faster at the median, %.1fx at p99\n\n", md ? "\n" : "",
            str(st, "model"), num(r, "speedup_median"), num(r, "speedup_p99"));
}

static void print_machine(FILE *f, const speed_opts *o, int md) {
    fprintf(f, md ? "Machine ceilings (measured in the same run):\n\n" : "machine ceilings:\n");
    for (int i = 0; i < o->nmachine; i++)
        fprintf(f, "%s%d thread%s: STREAM triad %.1f GB/s (%.0f MiB), SGEMM %.1f GFLOP/s "
                   "(n = %d), empty parallel region %.1f us\n",
                md ? "- " : "  ", o->machine[i].threads, o->machine[i].threads == 1 ? "" : "s",
                o->machine[i].stream_gbs, o->machine[i].stream_mb, o->machine[i].sgemm_gflops,
                o->machine[i].sgemm_n, o->machine[i].omp_region_us);
    fprintf(f, "\n");
}

static int write_outputs(const speed_opts *o, cJSON *machine, const cJSON *results, char *msg) {
    char path[4096], tmp[GNNKD_OUTPUT_STATE_LEN];
    if (mkdir(o->out, 0777) != 0 && errno != EEXIST) {
        util_msg(msg, "%s: cannot create the folder: %s", o->out, strerror(errno));
        return GNNKD_EIO;
    }
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddStringToObject(doc, "version", gnnkd_version());
    cJSON_AddItemReferenceToObject(doc, "machine", machine);
    cJSON_AddItemReferenceToObject(doc, "results", (cJSON *)results);
    char *text = cJSON_Print(doc);
    cJSON_Delete(doc);
    snprintf(path, sizeof path, "%s/bench-speed.json", o->out);
    FILE *f;
    int rc = gnnkd_output_open(&f, tmp, path, msg);
    if (rc != GNNKD_OK) {
        free(text);
        return rc;
    }
    int ok = text != NULL && fputs(text, f) >= 0 && fputc('\n', f) != EOF;
    free(text);
    rc = gnnkd_output_close(f, tmp, path, ok, msg);
    if (rc != GNNKD_OK) return rc;
    if (!ok) {
        util_msg(msg, "%s: out of memory for the JSON text", path);
        return GNNKD_ENOMEM;
    }

    snprintf(path, sizeof path, "%s/bench-speed.md", o->out);
    if ((rc = gnnkd_output_open(&f, tmp, path, msg)) != GNNKD_OK) return rc;
    fprintf(f, "# gnnkd bench-speed (gnnkd %s)\n\n", gnnkd_version());
    print_machine(f, o, 1);
    fprintf(f, "Epoch: forward with dropout, loss, backward, Adam (gnnkd_train's step); %d warm-up "
               "epochs, then %d timed.\nKernels: the model's own calls, recorded by its profile "
               "over the timed epochs; share = their mean time per epoch / the epoch's median; roofline = max(flops / SGEMM, bytes / STREAM) / "
               "time, above 100%% when the data fit in cache (STREAM measures DRAM).\n"
               "cpu share = CPU time / (wall time x threads): below 100%%, other processes "
               "held the cores and the times are inflated.\n\n",
            o->warmup, o->epochs);
    const cJSON *r;
    cJSON_ArrayForEach(r, results) {
        if (!strcmp(str(r, "section"), "latency")) print_latency(f, r, 1);
        else print_config(f, r, 1);
    }
    return gnnkd_output_close(f, tmp, path, 1, msg);
}

/* ---- the command ------------------------------------------------------------------- */

static int run_all(speed_opts *o, char *msg) {
    cJSON *machine = NULL, *results = cJSON_CreateArray();
    int rc = GNNKD_OK;
    const int progress = !o->quiet && isatty(STDERR_FILENO);
    if (o->latency != 2) {
        if (progress) fprintf(stderr, "bench-speed: measuring the machine's ceilings\n");
        rc = in_child(&machine, machine_child, o, NULL, msg);
        const cJSON *e;
        if (rc == GNNKD_OK)
            cJSON_ArrayForEach(e, machine) {
                roofline_machine *m = &o->machine[o->nmachine++];
                m->threads = (int)num(e, "threads");
                m->stream_gbs = num(e, "stream_gbs");
                m->sgemm_gflops = num(e, "sgemm_gflops");
                m->stream_mb = num(e, "stream_mb");
                m->sgemm_n = (int)num(e, "sgemm_n");
                m->omp_region_us = num(e, "omp_region_us");
                // the children ask for these thread counts and may get fewer
            }
        if (rc == GNNKD_OK && !o->json) print_machine(stdout, o, 0);
    }
    for (int i = 0; rc == GNNKD_OK && o->latency != 2 && i < o->ndatasets; i++)
        for (int j = 0; rc == GNNKD_OK && j < o->nmodels; j++)
            for (int t = 0; rc == GNNKD_OK && t < o->nthreads; t++) {
                config cf = {o->datasets[i], &o->models[j], o->threads[t]};
                cJSON *r = NULL;
                char mtext[128];
                gnnkd_model_spec_format(mtext, sizeof mtext, cf.model);
                if (progress)
                    fprintf(stderr, "bench-speed: %s %s, %d thread(s)\n", cf.dataset, mtext,
                            cf.threads);
                rc = in_child(&r, config_child, o, &cf, msg);
                if (rc != GNNKD_OK) break;
                if (o->json) {
                    cli_json_puts(r);
                } else {
                    print_config(stdout, r, 0);
                }
                cJSON_AddItemToArray(results, r);
            }
    for (int i = 0; rc == GNNKD_OK && o->latency && i < o->ndatasets; i++) {
        cJSON *r = NULL;
        if (progress) fprintf(stderr, "bench-speed: per-node latency on %s\n", o->datasets[i]);
        rc = in_child(&r, latency_child, o, o->datasets[i], msg);
        if (rc != GNNKD_OK) break;
        if (o->json) {
            cli_json_puts(r);
        } else {
            print_latency(stdout, r, 0);
        }
        cJSON_AddItemToArray(results, r);
    }
    if (rc == GNNKD_OK && o->out) {
        if (machine == NULL) machine = cJSON_CreateArray();
        rc = write_outputs(o, machine, results, msg);
    }
    cJSON_Delete(machine);
    cJSON_Delete(results);
    return rc;
}

/* The option lists are split in place: each gets its own copy, freed with o. */
typedef struct {
    speed_opts o;
    char *copies[3 * MAX_ITEMS];
    int ncopies;
    char defaults[2][64]; /* the default dataset and model lists, split in place */
} speed_args;

static void args_free(speed_args *a) {
    for (int i = 0; a && i < a->ncopies; i++) free(a->copies[i]);
    free(a);
}

/* One option; 0: taken, otherwise 1 + the exit code. */
static int parse_one(speed_args *a, int c, const char *arg) {
    speed_opts *o = &a->o;
    char msg[GNNKD_MSG_LEN] = "", *copy = NULL;
    long v;
    if (c == 1000 || c == 'm' || c == 't') {
        if (a->ncopies == 3 * MAX_ITEMS || (copy = strdup(arg)) == NULL) {
            fprintf(stderr, "gnnkd bench-speed: too many list options\n");
            return 3;
        }
        a->copies[a->ncopies++] = copy;
    }
    if (c == 1000) {
        if (split_list((char **)o->datasets, &o->ndatasets, copy, 0)) return 0;
        fprintf(stderr, "gnnkd bench-speed: at most %d datasets\n", MAX_ITEMS);
        return 3;
    }
    if (cli_data_option(&o->data, c, arg)) return 0;
    switch (c) {
    case 'm': return model_list(o, copy) ? 0 : 3;
    case 't': return threads_list(o, copy) ? 0 : 3;
    case 'e':
        if (!cli_int("bench-speed", "epochs", arg, 1, 1000000, &v)) return 3;
        o->epochs = (int)v;
        return 0;
    case 'w':
        if (!cli_int("bench-speed", "warmup", arg, 0, 1000000, &v)) return 3;
        o->warmup = (int)v;
        return 0;
    case 'i':
        if (!cli_int("bench-speed", "infer-repeats", arg, 1, 1000000, &v)) return 3;
        o->infer_repeats = (int)v;
        return 0;
    case 's':
        if (!cli_int("bench-speed", "seed", arg, 0, 2147483647L, &v)) return 3;
        o->seed = (unsigned long long)v;
        return 0;
    case 'l': o->latency = o->latency ? o->latency : 1; return 0;
    case 'L': o->latency = 2; return 0;
    case 'n':
        if (!cli_int("bench-speed", "latency-nodes", arg, 1, 100000000, &v)) return 3;
        o->latency_nodes = (int)v;
        return 0;
    case 'S':
    case 'T':
        if (gnnkd_model_spec_parse(c == 'S' ? &o->student : &o->teacher, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd bench-speed: --%s: %s\n", c == 'S' ? "student" : "teacher", msg);
        return 3;
    case 'M': o->student_file = arg; return 0;
    case 'j': o->json = 1; return 0;
    case 'o': o->out = arg; return 0;
    case 'P': o->partitioned = arg; return 0;
    case 'q': o->quiet = 1; return 0;
    case 'h': speed_help(stdout); return 1;
    default: speed_help(stderr); return 3;
    }
}

/* The lists not given: cora,citeseer,pubmed; gcn:16,gcn:256; 1 and all cores. */
static void fill_defaults(speed_args *a) {
    speed_opts *o = &a->o;
    snprintf(a->defaults[0], sizeof a->defaults[0], "cora,citeseer,pubmed");
    snprintf(a->defaults[1], sizeof a->defaults[1], "gcn:16,gcn:256");
    if (o->data.graph) o->datasets[o->ndatasets++] = o->data.graph;
    else if (o->ndatasets == 0) split_list((char **)o->datasets, &o->ndatasets, a->defaults[0], 0);
    if (o->nmodels == 0) model_list(o, a->defaults[1]);
    if (o->nthreads == 0) {
        o->threads[o->nthreads++] = 1;
        o->threads[o->nthreads++] = omp_get_num_procs();
    }
    unique_threads(o);
}

/* Parses argv into a; 0 on success, otherwise 1 + the exit code. */
static int parse_args(speed_args *a, int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"model", required_argument, 0, 'm'},
        {"threads", required_argument, 0, 't'},
        {"epochs", required_argument, 0, 'e'},
        {"warmup", required_argument, 0, 'w'},
        {"infer-repeats", required_argument, 0, 'i'},
        {"seed", required_argument, 0, 's'},
        {"latency", no_argument, 0, 'l'},
        {"latency-only", no_argument, 0, 'L'},
        {"latency-nodes", required_argument, 0, 'n'},
        {"student", required_argument, 0, 'S'},
        {"teacher", required_argument, 0, 'T'},
        {"student-model", required_argument, 0, 'M'},
        {"json", no_argument, 0, 'j'},
        {"out", required_argument, 0, 'o'},
        {"quiet", no_argument, 0, 'q'},
        {"partitioned", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    speed_opts *o = &a->o;
    int c, r;
    o->warmup = 5;
    o->epochs = 50;
    o->infer_repeats = 20;
    o->latency_nodes = 1000;
    (void)!gnnkd_model_spec_parse(&o->student, "mlp:64", NULL); // both parse
    (void)!gnnkd_model_spec_parse(&o->teacher, "gcn:256", NULL);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if ((r = parse_one(a, c, optarg)) != 0) return r;
    if (optind < argc) {
        fprintf(stderr, "gnnkd bench-speed: unexpected argument '%s'\n", argv[optind]);
        return 3;
    }
    if (o->partitioned && (o->data.graph || o->ndatasets > 0 || o->nmodels > 1 ||
                           o->nthreads > 1 || o->latency || o->out)) {
        fprintf(stderr, "gnnkd bench-speed: --partitioned DIR holds the data: one --model, "
                        "one --threads, no --dataset, --graph, --latency or --out\n");
        return 3;
    }
    if (o->partitioned) {
        if (o->nmodels == 0) model_list(o, strcpy(a->defaults[1], "gcn:64"));
        return 0;
    }
    if (o->data.graph && o->ndatasets > 0) {
        fprintf(stderr, "gnnkd bench-speed: --dataset and --graph name two datasets: give one\n");
        return 3;
    }
    fill_defaults(a);
    return 0;
}

int cmd_bench_speed(int argc, char **argv) {
    speed_args *a = calloc(1, sizeof *a);
    if (a == NULL) return cli_fail("bench-speed", GNNKD_ENOMEM, "out of memory");
    int code = parse_args(a, argc, argv);
    if (code == 0 && a->o.partitioned) {
        speed_opts *o = &a->o;
        code = 1 + speed_dist_run(o->partitioned, &o->models[0], o->nthreads ? o->threads[0] : 1,
                                  o->warmup, o->epochs, o->seed, o->json);
    } else if (code == 0) {
        char msg[GNNKD_MSG_LEN] = "";
        int rc = run_all(&a->o, msg);
        code = 1 + (rc == GNNKD_OK ? 0 : cli_fail("bench-speed", rc, msg));
    }
    args_free(a);
    return code - 1;
}
