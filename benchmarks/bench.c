/* bench.c — `gnnkd bench`: the citation-graph benchmark of knowledge
 * distillation against model compression. For every dataset and seed it
 * trains one teacher and, from it, every student by every configuration;
 * each trained student is one flushed row of results.csv, so a killed run
 * loses at most the job it was in and --resume picks up from there. The
 * summary, plots and environment are written from the rows at the end. */
#include "bench.h"

#include <ctype.h>
#include <fcntl.h>
#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/internal.h"

static void bench_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd bench [options]\n\n"
            "Distillation against compression on citation graphs: for every dataset and\n"
            "seed, one teacher, then every student from scratch, by knowledge distillation\n"
            "(Hinton et al.) for every temperature and alpha, and by compression (regression\n"
            "on the teacher's centred logits) for every alpha; transfer set: all nodes.\n"
            "Writes results.csv, summary.json, summary.md, env.json and plots (gnuplot).\n\n"
            "Grid:\n"
            "  --datasets LIST         dataset names or folders (cora,citeseer,pubmed); or one\n"
            "                          dataset by the dataset options below\n"
            "  --teacher SPEC          the teacher, trained per seed with gnnkd train's\n"
            "                          defaults (gcn:64)\n"
            "  --students LIST         students, e.g. gcn:8,mlp:64,64 (gcn:8,mlp:64)\n"
            "  --temperatures LIST     KD temperatures (1,2,4,8)\n"
            "  --alphas LIST           weights of the soft term, KD and compression (0.5,0.9)\n"
            "  --seeds N               seeds seed, seed+1, ... (10)\n"
            "  --seed S                the first seed (0)\n"
            "  --quick                 2 seeds, for a smoke run (unless --seeds)\n"
            "Students' training:\n"
            "  --select val-acc|val-loss  model selection of the students (as gnnkd train:\n"
            "                          val-acc, the weights of the best validation accuracy)\n"
            "  --epochs N              at most N epochs (200)\n"
            "  --patience N            early-stopping window (100 for val-acc, 10 for val-loss)\n"
            "  --weight-decay X        L2 on the first layer (as gnnkd distill: 0 for kd and\n"
            "                          compress, whose soft targets regularise; 5e-4 for scratch)\n"
            "Run:\n"
            "  --out DIR               the results folder; must be new or empty\n"
            "                          (results/YYYYmmdd-HHMMSS)\n"
            "  --resume DIR            continue a run in DIR, skipping the rows it has\n"
            "  --threads N             OpenMP threads in all (all cores)\n"
            "  --jobs J                seeds trained at once, one thread each (--threads); with\n"
            "                          --jobs 1 each kernel uses every thread (large graphs)\n"
            "  --no-plots              skip the plots\n"
            "  --quiet                 no progress line\n\n"
            "%s\n"
            "Example: gnnkd bench --quick --datasets cora\n",
            CLI_DATA_HELP);
}

/* ---- options --------------------------------------------------------------------- */

/* Splits a comma-separated list of numbers in [lo, hi]. */
static int parse_numbers(const char *opt, const char *text, double *out, int *n, double lo, double hi) {
    char buf[512];
    if (strlen(text) >= sizeof buf) {
        fprintf(stderr, "gnnkd bench: --%s: the list is too long\n", opt);
        return 0;
    }
    strcpy(buf, text);
    *n = 0;
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next) *next++ = '\0';
        if (*n == BENCH_MAX_LIST) {
            fprintf(stderr, "gnnkd bench: --%s: at most %d values\n", opt, BENCH_MAX_LIST);
            return 0;
        }
        if (!cli_float("bench", opt, item, lo, hi, &out[*n])) return 0;
        for (int k = 0; k < *n; k++)
            if (out[k] == out[*n]) {
                fprintf(stderr, "gnnkd bench: --%s: %s appears twice\n", opt, item);
                return 0;
            }
        (*n)++;
    }
    return 1;
}

/* Splits "gcn:64,64,mlp:64" into "gcn:64,64" and "mlp:64": an item that
 * starts with a digit is another width of the model before it. Each spec is
 * checked and written back normalised ("mlp" becomes "mlp:64"). */
static int parse_students(const char *text, bench_grid *g, gnnkd_model_spec *spec) {
    char buf[512], msg[GNNKD_MSG_LEN];
    if (strlen(text) >= sizeof buf) {
        fprintf(stderr, "gnnkd bench: --students: the list is too long\n");
        return 0;
    }
    strcpy(buf, text);
    g->nstudents = 0;
    char *start = buf;
    for (char *p = buf;; p++) {
        int last = *p == '\0';
        if (!last && !(*p == ',' && !isdigit((unsigned char)p[1]))) continue;
        *p = '\0';
        if (g->nstudents == BENCH_MAX_LIST) {
            fprintf(stderr, "gnnkd bench: --students: at most %d students\n", BENCH_MAX_LIST);
            return 0;
        }
        gnnkd_model_spec *s = &spec[g->nstudents];
        if (gnnkd_model_spec_parse(s, start, msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd bench: --students: %s\n", msg);
            return 0;
        }
        gnnkd_model_spec_format(g->student[g->nstudents], BENCH_SPEC_LEN, s);
        for (int k = 0; k < g->nstudents; k++)
            if (!strcmp(g->student[k], g->student[g->nstudents])) {
                fprintf(stderr, "gnnkd bench: --students: %s appears twice\n", g->student[k]);
                return 0;
            }
        g->nstudents++;
        if (last) return 1;
        start = p + 1;
    }
}

/* ---- the results folder ------------------------------------------------------------ */

static int mkdir_p(const char *path, char *msg) {
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        gkd_msg(msg, "%s: path too long", path);
        return GNNKD_EINVAL;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            gkd_msg(msg, "%s: %s", buf, strerror(errno));
            return GNNKD_EIO;
        }
        *p = c;
        if (c == '\0') return GNNKD_OK;
    }
}

/* 1 if dir holds nothing but . and .., 0 if it holds something, -1 if it
 * cannot be read as a folder. */
static int dir_is_empty(const char *dir) {
    DIR *d = opendir(dir);
    if (d == NULL) return -1;
    struct dirent *e;
    int empty = 1;
    while (empty && (e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
    closedir(d);
    return empty;
}

/* One run a folder: two runs resuming the same folder would each train the
 * rows it lacks and append them twice. The lock on results.csv lasts until
 * the process ends (its descriptor is never closed). */
static int lock_run(const char *csv_path, char *msg) {
    int fd = open(csv_path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0666);
    if (fd < 0) {
        gkd_msg(msg, "%s: %s", csv_path, strerror(errno));
        return GNNKD_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        gkd_msg(msg, "%s: another gnnkd bench is writing this folder; wait for it to end, then "
                     "--resume", csv_path);
        close(fd);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

/* The folder of this run: --resume DIR as it is, --out DIR or the default
 * results/<time> new or empty, never overwriting earlier results. */
static int prepare_out(char *dir, size_t len, const char *out, const char *resume, char *msg) {
    struct stat st;
    if (strlen(resume ? resume : out ? out : "") >= len - 64) {
        gkd_msg(msg, "the results folder's path is too long");
        return GNNKD_EINVAL;
    }
    if (resume) {
        snprintf(dir, len, "%s", resume);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            gkd_msg(msg, "--resume %s: no such folder", dir);
            return GNNKD_EINVAL;
        }
        return GNNKD_OK;
    }
    if (out) {
        snprintf(dir, len, "%s", out);
    } else {
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", localtime(&now));
        snprintf(dir, len, "results/%s", stamp);
    }
    int rc = mkdir_p(dir, msg);
    if (rc != GNNKD_OK) return rc;
    int empty = dir_is_empty(dir);
    if (empty < 0) {
        gkd_msg(msg, "%s: not a folder", dir);
        return GNNKD_EIO;
    }
    if (!empty) {
        gkd_msg(msg, "%s already holds files; give a new --out folder, or --resume %s to continue "
                    "that run", dir, dir);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

/* ---- progress ------------------------------------------------------------------------ */

typedef struct bench_run bench_run;

/* One thread of the run: it trains whole seeds, one at a time, on one
 * thread, with its own targets and curve. */
typedef struct {
    bench_run *run;
    float *target;      /* (ntemps + 1, n, C) of the largest dataset: KD per T, then compression */
    bench_curve curve;  /* of the current training, kept for the first seed */
    int recording;
    double job_work, job_part; /* the current job's estimated work, and the part done */
} bench_worker;

/* What the workers share; everything they change is changed in a critical
 * section. rows is read-only while they run (new rows go to the file only). */
struct bench_run {
    const bench_grid *g;
    const bench_table *rows;
    FILE *csv, *curves;
    char csv_path[4200], curves_path[4200];
    gnnkd_train_options teacher_opts, student_opts;
    bench_worker *worker;
    int nworkers;
    long rows_run;
    /* progress: work is counted in estimated multiply-adds (job_cost), so
     * that the time left weighs a PubMed job more than a Cora one */
    int show;
    long jobs, jobs_done;
    double work_total, work_done, work_run;
    double start, run_start, last_draw;
    char what[96];
};

static void fmt_duration(char *buf, size_t len, double s) {
    long t = (long)(s + 0.5);
    if (t >= 3600) snprintf(buf, len, "%ldh%02ldm", t / 3600, t / 60 % 60);
    else snprintf(buf, len, "%ldm%02lds", t / 60, t % 60);
}

/* Called in the critical section "bench_progress". */
static void progress_draw(bench_run *r, int force) {
    if (!r->show) return;
    double now = gkd_now();
    if (!force && now - r->last_draw < 0.25) return;
    r->last_draw = now;
    char elapsed[32], left[32] = "?";
    fmt_duration(elapsed, sizeof elapsed, now - r->start);
    double part = 0.0;
    for (int w = 0; w < r->nworkers; w++) part += r->worker[w].job_part;
    if (r->work_run + part > 0) {
        double rest = r->work_total - r->work_done - part;
        fmt_duration(left, sizeof left, (now - r->run_start) / (r->work_run + part) * (rest > 0 ? rest : 0));
    }
    fprintf(stderr, "\r\033[Kbench %ld/%ld jobs  %s elapsed  ~%s left  %s", r->jobs_done, r->jobs,
            elapsed, left, r->what);
}

/* A rough cost of an epoch, for the time-left estimate only: the first
 * layer on the features, the other layers dense, and for GCNs one
 * propagation over Â per layer. */
static double job_cost(const gnnkd_model_spec *spec, const gnnkd_dataset *d, const gnnkd_graph *gr) {
    gnnkd_model_spec s = *spec;
    s.dims[0] = d->nfeat;
    s.dims[s.nlayers] = d->nclass;
    double xnnz = d->xdense ? (double)d->n * d->nfeat : (double)gnnkd_csr_nnz(&d->x);
    double cost = xnnz * s.dims[1] + (double)d->n * d->nclass;
    for (int l = 1; l < s.nlayers; l++) cost += (double)d->n * s.dims[l] * s.dims[l + 1];
    if (s.kind == GNNKD_MODEL_GCN)
        for (int l = 1; l <= s.nlayers; l++) cost += (double)gnnkd_csr_nnz(gnnkd_graph_csr(gr)) * s.dims[l];
    return cost;
}

static void job_begin(bench_worker *w, double work, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void job_begin(bench_worker *w, double work, const char *fmt, ...) {
    bench_run *r = w->run;
    w->curve.n = 0;
#pragma omp critical(bench_progress)
    {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->what, sizeof r->what, fmt, ap);
        va_end(ap);
        w->job_work = work;
        w->job_part = 0.0;
        progress_draw(r, 1);
    }
}

static void job_end(bench_worker *w) {
    bench_run *r = w->run;
#pragma omp critical(bench_progress)
    {
        r->jobs_done++;
        r->work_done += w->job_work;
        r->work_run += w->job_work;
        w->job_part = 0.0;
    }
}

/* Jobs whose rows a resumed run already has: done, but not part of the
 * rate of work. */
static void job_skip(bench_run *r, long jobs, double work) {
#pragma omp critical(bench_progress)
    {
        r->jobs_done += jobs;
        r->work_done += work;
    }
}

/* The progress callback of every training (ctx: its worker): the curve of
 * the first seed, into arrays allocated once, and the progress line. */
static int on_epoch(void *ctx, const gnnkd_epoch_info *e) {
    bench_worker *w = ctx;
    bench_run *r = w->run;
    bench_curve *c = &w->curve;
    if (w->recording && e->epoch >= 1 && e->epoch <= c->cap) {
        int k = e->epoch - 1;
        c->train_loss[k] = e->train_loss;
        c->val_loss[k] = e->val_loss;
        c->val_acc[k] = e->val_acc;
        c->train_acc[k] = e->train_acc;
        c->n = e->epoch;
    }
    int most = r->student_opts.epochs > r->teacher_opts.epochs ? r->student_opts.epochs
                                                               : r->teacher_opts.epochs;
#pragma omp critical(bench_progress)
    {
        w->job_part = w->job_work * e->epoch / most;
        progress_draw(r, 0);
    }
    return 0;
}

/* ---- the jobs ------------------------------------------------------------------------ */

/* The median time of a full-graph forward pass without dropout, after a
 * warm-up pass (caches, lazily built structures). */
static int time_forward(double *ms, gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g,
                        char *msg) {
    enum { WARMUP = 1, REPS = 5 };
    double t[REPS];
    const float *z = NULL;
    for (int k = 0; k < WARMUP + REPS; k++) {
        double t0 = gkd_now();
        int rc = gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg);
        if (rc != GNNKD_OK) return rc;
        if (k >= WARMUP) t[k - WARMUP] = 1e3 * (gkd_now() - t0);
    }
    *ms = cli_median(t, REPS);
    return GNNKD_OK;
}

/* One dataset, loaded once for every seed and job. */
typedef struct {
    gnnkd_dataset *d;
    gnnkd_graph *g;
    int32_t *transfer;
    int32_t ntransfer;
} bench_data;

/* Appends a finished job: its curve (first seed) and, for a student, its
 * row. The curve goes first: a kill between the two writes reruns the job,
 * and the plots keep a job's last curve. */
static int save_job(bench_worker *w, const bench_row *row, int student, char *msg) {
    bench_run *r = w->run;
    int rc = GNNKD_OK;
#pragma omp critical(bench_io)
    {
        if (w->recording) rc = bench_curve_append(r->curves, row, &w->curve, r->curves_path, msg);
        if (rc == GNNKD_OK && student) rc = bench_csv_append(r->csv, row, r->csv_path, msg);
        if (rc == GNNKD_OK && student) r->rows_run++;
    }
    return rc;
}

/* Trains the teacher of one seed and every student job of the seed that
 * results.csv does not have yet. */
static int run_seed(bench_worker *w, int di, int si, const bench_data *bd,
                    const gnnkd_model_spec *tspec, const gnnkd_model_spec *sspec, char *msg) {
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_model_free(&tm);                                                            \
        gnnkd_model_free(&sm);                                                            \
        gnnkd_teacher_free(&t);                                                           \
    } while (0)
    bench_run *r = w->run;
    const bench_grid *g = r->g;
    const gnnkd_dataset *d = bd->d;
    const int nconf = bench_nconfigs(g);
    const size_t one = (size_t)d->n * (size_t)d->nclass;
    const long seed = g->seed0 + si;
    gnnkd_model *tm = NULL, *sm = NULL;
    gnnkd_teacher *t = NULL;
    bench_row row;

    int left = 0;
    for (int st = 0; st < g->nstudents; st++)
        for (int k = 0; k < nconf; k++) {
            bench_row_key(&row, g, di, st, k, si);
            if (bench_table_find(r->rows, &row) == NULL) left++;
        }
    /* the teacher counts as a job, skipped with its seed */
    if (left == 0) {
        double work = job_cost(tspec, d, bd->g);
        for (int st = 0; st < g->nstudents; st++) work += nconf * job_cost(&sspec[st], d, bd->g);
        job_skip(r, 1 + (long)g->nstudents * nconf, work);
        return GNNKD_OK;
    }
    w->recording = si == 0;

    job_begin(w, job_cost(tspec, d, bd->g), "%s seed %ld teacher %s", g->dataset[di], seed, g->teacher);
    gnnkd_train_options o = r->teacher_opts;
    o.seed = (uint64_t)seed;
    o.progress_ctx = w;
    gnnkd_train_result res;
    double teacher_ms;
    GKD_TRY(gnnkd_model_new(&tm, tspec, d->nfeat, d->nclass, o.seed, msg));
    GKD_TRY(gnnkd_train(tm, &res, d, bd->g, &o, NULL, msg));
    GKD_TRY(time_forward(&teacher_ms, tm, d, bd->g, msg));
    const double teacher_acc = res.acc[GNNKD_TEST];
    const long long teacher_params = gnnkd_model_num_params(tm);
    bench_row_key(&row, g, di, 0, 0, si);
    snprintf(row.student, sizeof row.student, "%s", g->teacher);
    snprintf(row.method, sizeof row.method, "teacher");
    GKD_TRY(save_job(w, &row, 0, msg));
    job_end(w);

    GKD_TRY(gnnkd_teacher_new(&t, d->n, d->nclass, msg));
    GKD_TRY(gnnkd_teacher_add_model(t, tm, d, bd->g, msg));
    for (int ti = 0; ti < g->ntemps; ti++)
        GKD_TRY(gnnkd_teacher_targets(w->target + (size_t)ti * one, t, GNNKD_METHOD_KD,
                                     (float)g->temp[ti], 0, msg));
    /* centred logits: the limit of KD as T grows, where the two methods meet */
    GKD_TRY(gnnkd_teacher_targets(w->target + (size_t)g->ntemps * one, t, GNNKD_METHOD_COMPRESS,
                                 1.0f, 1, msg));

    for (int st = 0; st < g->nstudents; st++) {
        double work = job_cost(&sspec[st], d, bd->g);
        for (int k = 0; k < nconf; k++) {
            gnnkd_method method;
            int ti, ai;
            bench_config(g, k, &method, &ti, &ai);
            bench_row_key(&row, g, di, st, k, si);
            if (bench_table_find(r->rows, &row) != NULL) {
                job_skip(r, 1, work);
                continue;
            }
            job_begin(w, work, "%s seed %ld %s %s%s%s%s%s", g->dataset[di], seed, row.student,
                      row.method, ti >= 0 ? " T=" : "", row.T, ai >= 0 ? " alpha=" : "", row.alpha);
            gnnkd_objective obj = {method, ai >= 0 ? (float)g->alpha[ai] : 0.0f,
                                   ti >= 0 ? (float)g->temp[ti] : 1.0f,
                                   w->target + (size_t)(ti >= 0 ? ti : g->ntemps) * one,
                                   bd->transfer, bd->ntransfer};
            o = r->student_opts;
            o.seed = (uint64_t)seed;
            o.weight_decay = bench_weight_decay(g, method);
            o.progress_ctx = w;
            GKD_TRY(gnnkd_model_new(&sm, &sspec[st], d->nfeat, d->nclass, o.seed, msg));
            GKD_TRY(gnnkd_train(sm, &res, d, bd->g, &o, &obj, msg));
            GKD_TRY(time_forward(&row.inference_ms, sm, d, bd->g, msg));
            row.val_acc = res.acc[GNNKD_VAL];
            row.test_acc = res.acc[GNNKD_TEST];
            row.epochs = res.epochs;
            row.train_seconds = res.train_seconds;
            row.student_params = gnnkd_model_num_params(sm);
            row.teacher_params = teacher_params;
            row.teacher_test_acc = teacher_acc;
            row.teacher_inference_ms = teacher_ms;
            gnnkd_model_free(&sm);
            GKD_TRY(save_job(w, &row, 1, msg));
            job_end(w);
        }
    }
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

static void data_free(bench_data *bd) {
    free(bd->transfer);
    gnnkd_graph_free(&bd->g);
    gnnkd_dataset_free(&bd->d);
}

/* Loads a dataset, builds Â and the transfer set (all nodes). */
static int data_open(bench_data *bd, const cli_data *opts, char *msg) {
    int rc = cli_open_dataset(&bd->d, opts, msg);
    if (rc == GNNKD_OK) rc = cli_require_test_set(bd->d, msg);
    if (rc == GNNKD_OK) rc = gnnkd_graph_new(&bd->g, &bd->d->adj, msg);
    if (rc == GNNKD_OK)
        rc = gnnkd_transfer_nodes(&bd->transfer, &bd->ntransfer, bd->d, GNNKD_TRANSFER_ALL, NULL, msg);
    return rc;
}

static void workers_free(bench_run *r) {
    for (int w = 0; r->worker && w < r->nworkers; w++) {
        free(r->worker[w].target);
        free(r->worker[w].curve.train_loss);
    }
    free(r->worker);
    r->worker = NULL;
}

/* One worker per job slot, each with targets for the largest dataset and a
 * curve as long as the longest training. */
static int workers_new(bench_run *r, int n, size_t target_len, char *msg) {
#define GKD_FREE_ALL workers_free(r)
    int cap = r->student_opts.epochs > r->teacher_opts.epochs ? r->student_opts.epochs
                                                              : r->teacher_opts.epochs;
    GKD_ALLOC(r->worker, n);
    r->nworkers = n;
    for (int i = 0; i < n; i++) {
        bench_worker *w = &r->worker[i];
        w->run = r;
        GKD_ALLOC(w->target, target_len);
        GKD_ALLOC(w->curve.train_loss, 4 * (size_t)cap);
        w->curve.cap = cap;
        w->curve.val_loss = w->curve.train_loss + cap;
        w->curve.val_acc = w->curve.train_loss + 2 * cap;
        w->curve.train_acc = w->curve.train_loss + 3 * cap;
    }
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

/* Runs every seed of every dataset, jobs seeds at a time: each seed on one
 * thread, since the citation graphs are too small for a kernel to gain
 * much from a second thread, while seeds are independent. With one job, a
 * seed's kernels use every thread (better for large graphs). */
static int run_all(bench_run *r, const bench_data *bd, const gnnkd_model_spec *tspec,
                   const gnnkd_model_spec *sspec, int jobs, int threads, char *msg) {
    const bench_grid *g = r->g;
    const int n = g->ndatasets * g->seeds;
    int rc = GNNKD_OK;
    if (jobs == 1) {
        for (int k = 0; rc == GNNKD_OK && k < n; k++)
            rc = run_seed(&r->worker[0], k / g->seeds, k % g->seeds, &bd[k / g->seeds], tspec, sspec, msg);
        return rc;
    }
    gnnkd_set_threads(1); /* inherited by every job: one thread each */
    /* one loop over (dataset, seed): no thread waits at the end of a dataset */
#pragma omp parallel for schedule(dynamic, 1) num_threads(jobs)
    for (int k = 0; k < n; k++) {
        int failed;
#pragma omp atomic read
        failed = rc;
        if (failed) continue;
        char m[GNNKD_MSG_LEN] = "";
        int one = run_seed(&r->worker[omp_get_thread_num()], k / g->seeds, k % g->seeds,
                           &bd[k / g->seeds], tspec, sspec, m);
        if (one != GNNKD_OK) {
#pragma omp critical(bench_error)
            if (rc == GNNKD_OK) {
                snprintf(msg, GNNKD_MSG_LEN, "%s", m);
#pragma omp atomic write
                rc = one;
            }
        }
    }
    gnnkd_set_threads(threads);
    return rc;
}

/* A resumed run keeps the rows it has only if they were trained the same
 * way: otherwise the summary would mix two settings. */
static int check_resume(const bench_grid *g, const bench_table *rows, const char *path, char *msg) {
    bench_row key;
    for (int d = 0; d < g->ndatasets; d++)
        for (int si = 0; si < g->seeds; si++)
            for (int st = 0; st < g->nstudents; st++)
                for (int k = 0; k < bench_nconfigs(g); k++) {
                    bench_row_key(&key, g, d, st, k, si);
                    const bench_row *r = bench_table_find(rows, &key);
                    if (r && strcmp(r->training, key.training)) {
                        gkd_msg(msg, "%s: the %s %s row of seed %ld was trained with \"%s\", this run "
                                    "would use \"%s\"; resume with the options of that run",
                               path, r->student, r->method, r->seed, r->training, key.training);
                        return GNNKD_EINVAL;
                    }
                }
    return GNNKD_OK;
}

/* ---- the command ----------------------------------------------------------------------- */

int cmd_bench(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"datasets", required_argument, 0, 'D'},
        {"teacher", required_argument, 0, 'T'},
        {"students", required_argument, 0, 's'},
        {"temperatures", required_argument, 0, 't'},
        {"alphas", required_argument, 0, 'a'},
        {"seeds", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},
        {"quick", no_argument, 0, 'q'},
        {"select", required_argument, 0, 'l'},
        {"epochs", required_argument, 0, 'e'},
        {"patience", required_argument, 0, 'p'},
        {"weight-decay", required_argument, 0, 'w'},
        {"out", required_argument, 0, 'o'},
        {"resume", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 'j'},
        {"jobs", required_argument, 0, 'J'},
        {"no-plots", no_argument, 0, 'P'},
        {"quiet", no_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    bench_grid grid;
    gnnkd_model_spec tspec, sspec[BENCH_MAX_LIST];
    cli_data data = {0};
    const char *datasets = NULL, *teacher = "gcn:64", *out = NULL, *resume = NULL;
    int quick = 0, seeds_set = 0, patience_set = 0, plots = 1, quiet = 0, c;
    long v, threads = 0, jobs = 0;
    char msg[GNNKD_MSG_LEN] = "";

    gnnkd_train_options defaults;
    gnnkd_train_options_default(&defaults);
    memset(&grid, 0, sizeof grid);
    grid.seeds = 10;
    grid.select = defaults.select;
    grid.epochs = defaults.epochs;
    grid.weight_decay = -1.0;
    grid.ntemps = 4;
    memcpy(grid.temp, (double[]){1, 2, 4, 8}, 4 * sizeof(double));
    grid.nalphas = 2;
    memcpy(grid.alpha, (double[]){0.5, 0.9}, 2 * sizeof(double));
    parse_students("gcn:8,mlp:64", &grid, sspec);

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        switch (c) {
        case 'D': datasets = optarg; break;
        case 'T': teacher = optarg; break;
        case 's':
            if (!parse_students(optarg, &grid, sspec)) return 2;
            break;
        case 't':
            if (!parse_numbers("temperatures", optarg, grid.temp, &grid.ntemps, 1e-3, 1e6)) return 2;
            break;
        case 'a':
            if (!parse_numbers("alphas", optarg, grid.alpha, &grid.nalphas, 0.0, 1.0)) return 2;
            break;
        case 'n':
            if (!cli_int("bench", "seeds", optarg, 1, 100000, &v)) return 2;
            grid.seeds = (int)v;
            seeds_set = 1;
            break;
        case 'S':
            if (!cli_int("bench", "seed", optarg, 0, 2147483647L, &v)) return 2;
            grid.seed0 = v;
            break;
        case 'q': quick = 1; break;
        case 'l':
            if (!strcmp(optarg, "val-acc")) grid.select = GNNKD_SELECT_VAL_ACC;
            else if (!strcmp(optarg, "val-loss")) grid.select = GNNKD_SELECT_VAL_LOSS;
            else {
                fprintf(stderr, "gnnkd bench: --select takes val-acc or val-loss, got '%s'\n", optarg);
                return 2;
            }
            break;
        case 'e':
            if (!cli_int("bench", "epochs", optarg, 1, 1000000, &v)) return 2;
            grid.epochs = (int)v;
            break;
        case 'p':
            if (!cli_int("bench", "patience", optarg, 0, 1000000, &v)) return 2;
            grid.patience = (int)v;
            patience_set = 1;
            break;
        case 'w':
            if (!cli_float("bench", "weight-decay", optarg, 0.0, 100.0, &grid.weight_decay)) return 2;
            break;
        case 'o': out = optarg; break;
        case 'r': resume = optarg; break;
        case 'j':
            if (!cli_int("bench", "threads", optarg, 0, 4096, &threads)) return 2;
            break;
        case 'J':
            if (!cli_int("bench", "jobs", optarg, 0, 4096, &jobs)) return 2;
            break;
        case 'P': plots = 0; break;
        case 'Q': quiet = 1; break;
        case 'h': bench_help(stdout); return 0;
        default: bench_help(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd bench: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (out && resume) {
        fprintf(stderr, "gnnkd bench: give --out for a new run or --resume for an old one, not both\n");
        return 2;
    }
    int single = data.dataset || data.graph;
    if (single && datasets) {
        fprintf(stderr, "gnnkd bench: give --datasets or one dataset (--dataset, --graph), not both\n");
        return 2;
    }
    if (quick && !seeds_set) grid.seeds = 2;
    /* as gnnkd train: the library's window for its rule, Kipf's 10 for val-loss */
    if (!patience_set)
        grid.patience = grid.select == defaults.select           ? defaults.patience
                        : grid.select == GNNKD_SELECT_VAL_LOSS ? 10
                                                                : 100;
    if (gnnkd_model_spec_parse(&tspec, teacher, msg) != GNNKD_OK) return cli_fail("bench", GNNKD_EINVAL, msg);
    gnnkd_model_spec_format(grid.teacher, sizeof grid.teacher, &tspec);
    gnnkd_set_threads((int)threads);
    threads = gnnkd_get_threads();
    if (jobs == 0) jobs = threads;

    /* the datasets: one from the dataset options, or the list */
    cli_data each[BENCH_MAX_LIST];
    char names[512]; /* each[i].dataset points into it */
    if (single) {
        each[0] = data;
        grid.ndatasets = 1;
    } else {
        if (snprintf(names, sizeof names, "%s", datasets ? datasets : "cora,citeseer,pubmed") >=
            (int)sizeof names) {
            fprintf(stderr, "gnnkd bench: --datasets: the list is too long\n");
            return 2;
        }
        for (char *item = names, *next; item; item = next) {
            next = strchr(item, ',');
            if (next) *next++ = '\0';
            if (grid.ndatasets == BENCH_MAX_LIST || *item == '\0') {
                fprintf(stderr, "gnnkd bench: --datasets takes 1 to %d names, comma-separated\n",
                        BENCH_MAX_LIST);
                return 2;
            }
            each[grid.ndatasets] = data;
            each[grid.ndatasets++].dataset = item;
        }
    }

    if (jobs > (long)grid.ndatasets * grid.seeds) jobs = (long)grid.ndatasets * grid.seeds;
    bench_env env = {.start = gkd_now(), .threads = (int)threads, .jobs = (int)jobs};
    time_t now = time(NULL);
    strftime(env.start_time, sizeof env.start_time, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
    char dir[4096];
    bench_data bd[BENCH_MAX_LIST];
    memset(bd, 0, sizeof bd);
    bench_table rows = {0};
    bench_summary sum = {0};
    bench_run r = {.g = &grid, .rows = &rows, .start = env.start};
    r.teacher_opts = defaults;
    r.teacher_opts.progress = on_epoch;
    bench_training_text(grid.teacher_training, sizeof grid.teacher_training, defaults.select,
                        defaults.patience, defaults.epochs, defaults.weight_decay);
    r.student_opts = defaults;
    r.student_opts.select = grid.select;
    r.student_opts.epochs = grid.epochs;
    r.student_opts.patience = grid.patience;
    r.student_opts.progress = on_epoch;
    r.show = !quiet && isatty(2);

    /* every dataset first: a bad name fails now, not an hour later, and
     * before any folder is made */
    int rc = GNNKD_OK;
    size_t target_len = 0;
    for (int i = 0; rc == GNNKD_OK && i < grid.ndatasets; i++) {
        rc = data_open(&bd[i], &each[i], msg);
        if (rc != GNNKD_OK) break;
        snprintf(grid.dataset[i], BENCH_NAME_LEN, "%s",
                 bd[i].d->name[0] ? bd[i].d->name : each[i].dataset ? each[i].dataset : each[i].graph);
        for (int k = 0; k < i; k++)
            if (!strcmp(grid.dataset[k], grid.dataset[i])) {
                gkd_msg(msg, "the dataset %s appears twice", grid.dataset[i]);
                rc = GNNKD_EINVAL;
            }
        size_t len = (size_t)(grid.ntemps + 1) * (size_t)bd[i].d->n * (size_t)bd[i].d->nclass;
        if (len > target_len) target_len = len;
    }
    if (rc == GNNKD_OK) rc = prepare_out(dir, sizeof dir, out, resume, msg);
    if (rc == GNNKD_OK) {
        snprintf(r.csv_path, sizeof r.csv_path, "%s/results.csv", dir);
        snprintf(r.curves_path, sizeof r.curves_path, "%s/curves.csv", dir);
        rc = lock_run(r.csv_path, msg);
    }
    if (rc == GNNKD_OK) {
        rc = bench_csv_load(&rows, r.csv_path, msg);
    }
    if (rc == GNNKD_OK) rc = check_resume(&grid, &rows, r.csv_path, msg);
    env.resumed = resume != NULL;
    env.rows_before = rows.n;
    if (rc == GNNKD_OK) rc = bench_csv_open(&r.csv, r.csv_path, msg);
    if (rc == GNNKD_OK) {
        r.curves = fopen(r.curves_path, "a");
        if (r.curves == NULL) {
            gkd_msg(msg, "%s: %s", r.curves_path, strerror(errno));
            rc = GNNKD_EIO;
        } else if (ftell(r.curves) == 0) {
            fprintf(r.curves, "%s\n", BENCH_CURVE_HEADER);
        }
    }
    if (rc == GNNKD_OK) rc = bench_env_write(dir, &env, &grid, msg);
    if (rc == GNNKD_OK) rc = workers_new(&r, (int)jobs, target_len, msg);
    if (rc == GNNKD_OK) {
        for (int i = 0; i < grid.ndatasets; i++) {
            double w = job_cost(&tspec, bd[i].d, bd[i].g);
            for (int st = 0; st < grid.nstudents; st++)
                w += bench_nconfigs(&grid) * job_cost(&sspec[st], bd[i].d, bd[i].g);
            r.work_total += grid.seeds * w;
        }
        r.jobs = (long)grid.ndatasets * grid.seeds * (1 + grid.nstudents * bench_nconfigs(&grid));
        r.run_start = gkd_now();
        rc = run_all(&r, bd, &tspec, sspec, (int)jobs, (int)threads, msg);
    }
    if (r.show) fprintf(stderr, "\r\033[K");
    if (r.csv && fclose(r.csv) != 0 && rc == GNNKD_OK) {
        gkd_msg(msg, "%s: %s", r.csv_path, strerror(errno));
        rc = GNNKD_EIO;
    }
    if (r.curves && fclose(r.curves) != 0 && rc == GNNKD_OK) {
        gkd_msg(msg, "%s: %s", r.curves_path, strerror(errno));
        rc = GNNKD_EIO;
    }
    env.rows_run = (int)r.rows_run;

    /* the reports come from the file, the same on a fresh or a resumed run */
    bench_table_free(&rows);
    if (rc == GNNKD_OK) rc = bench_csv_load(&rows, r.csv_path, msg);
    if (rc == GNNKD_OK) rc = bench_summary_compute(&sum, &grid, &rows, msg);
    if (rc == GNNKD_OK && plots) rc = bench_plots_write(&sum, dir, &env.plots, msg);
    if (rc == GNNKD_OK) rc = bench_summary_write(&sum, dir, env.plots, stdout, msg);
    if (rc == GNNKD_OK) {
        env.finished = 1;
        rc = bench_env_write(dir, &env, &grid, msg);
    }
    if (rc == GNNKD_OK)
        printf("\n%d rows (%d new) in %s/results.csv; summary in %s/summary.md\n", rows.n,
               env.rows_run, dir, dir);

    workers_free(&r);
    bench_summary_free(&sum);
    bench_table_free(&rows);
    for (int i = 0; i < grid.ndatasets; i++) data_free(&bd[i]);
    return rc == GNNKD_OK ? 0 : cli_fail("bench", rc, msg);
}
