/* bench.c — `gnnkd bench`: the citation-graph benchmark of knowledge
 * distillation against model compression. For every dataset and seed it
 * trains one teacher and, from it, every student by every configuration;
 * each trained student is one flushed row of results.csv, so a killed run
 * loses at most the job it was in and --resume picks up from there. The
 * summary, plots and environment are written from the rows at the end. */
#include "bench_env.h"
#include "bench_grid.h"
#include "bench_plots.h"
#include "bench_summary.h"
#include "bench_table.h"
#include "../app/cli.h"

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

#include "../app/util.h"

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
        util_msg(msg, "%s: path too long", path);
        return GNNKD_EINVAL;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0') continue;
        char c = *p;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            util_msg(msg, "%s: %s", buf, strerror(errno));
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
        util_msg(msg, "%s: %s", csv_path, strerror(errno));
        return GNNKD_EIO;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        util_msg(msg, "%s: another gnnkd bench is writing this folder; wait for it to end, then "
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
        util_msg(msg, "the results folder's path is too long");
        return GNNKD_EINVAL;
    }
    if (resume) {
        snprintf(dir, len, "%s", resume);
        if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
            util_msg(msg, "--resume %s: no such folder", dir);
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
        util_msg(msg, "%s: not a folder", dir);
        return GNNKD_EIO;
    }
    if (!empty) {
        util_msg(msg, "%s already holds files; give a new --out folder, or --resume %s to continue "
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
    const struct bench_data *data; /* of the current seed */
    double teacher_ms;  /* the current teacher's inference time */
    gnnkd_setting_acc teacher_acc; /* and its scores in the setting */
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
    int max_epochs; /* of the teacher and the students: a curve's length */
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
    double now = util_now();
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
    const int most = r->max_epochs;
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
        double t0 = util_now();
        int rc = gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg);
        if (rc != GNNKD_OK) return rc;
        if (k >= WARMUP) t[k - WARMUP] = 1e3 * (util_now() - t0);
    }
    *ms = cli_median(t, REPS);
    return GNNKD_OK;
}

/* One dataset, loaded once for every seed and job, in the run's setting:
 * models train on the observed dataset od and its graph og (d and g
 * themselves when transductive). */
typedef struct bench_data {
    gnnkd_dataset *d;
    const gnnkd_graph *g;
    gnnkd_setting *s;
    const gnnkd_dataset *od;
    const gnnkd_graph *og;
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

/* The teacher's hook: its full-graph inference time (ctx: the worker). */
static gnnkd_status teacher_trained(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    bench_worker *w = ctx;
    (void)j, (void)seed;
    int rc = gnnkd_setting_evaluate(&w->teacher_acc, m, w->data->s, msg);
    if (rc == GNNKD_OK) rc = time_forward(&w->teacher_ms, m, w->data->d, w->data->g, msg);
    return (gnnkd_status)rc;
}

/* The rows of one seed that results.csv does not have yet. */
static int rows_left(const bench_run *r, int di, int si) {
    bench_row row;
    int left = 0;
    for (int st = 0; st < r->g->nstudents; st++)
        for (int k = 0; k < bench_nconfigs(r->g); k++) {
            bench_row_key(&row, r->g, di, st, k, si);
            if (bench_table_find(r->rows, &row) == NULL) left++;
        }
    return left;
}

/* Trains the student of job (st, k) from t into row. */
static int run_student(bench_worker *w, bench_row *row, int st, int k, const gnnkd_teacher *t,
                       long seed, const gnnkd_model_spec *sspec, char *msg) {
    const bench_grid *g = w->run->g;
    const bench_data *bd = w->data;
    gnnkd_distill_options o;
    gnnkd_train_result res;
    gnnkd_model *sm = NULL;
    bench_student_options(&o, g, k, &sspec[st]);
    o.student_train.progress = on_epoch;
    o.student_train.progress_ctx = w;
    job_begin(w, job_cost(&sspec[st], bd->d, bd->g), "%s seed %ld %s %s%s%s%s%s", row->dataset, seed,
              row->student, row->method, row->T[0] ? " T=" : "", row->T, row->alpha[0] ? " alpha=" : "",
              row->alpha);
    gnnkd_setting_acc acc;
    int rc = gnnkd_distill_student(&sm, &res, &o, t, (uint64_t)seed, bd->od, bd->og, msg);
    if (rc == GNNKD_OK) rc = gnnkd_setting_evaluate(&acc, sm, bd->s, msg);
    if (rc == GNNKD_OK) rc = time_forward(&row->inference_ms, sm, bd->d, bd->g, msg);
    if (rc == GNNKD_OK) {
        row->tran = acc.tran;
        row->ind = acc.ind;
        row->prod = acc.prod;
        row->val_acc = res.acc[GNNKD_VAL];
        row->test_acc = res.acc[GNNKD_TEST];
        row->epochs = res.epochs;
        row->train_seconds = res.train_seconds;
        row->student_params = gnnkd_model_num_params(sm);
    }
    gnnkd_model_free(&sm);
    return rc;
}

/* Trains the teacher of one seed and every student job of the seed that
 * results.csv does not have yet. */
static int run_seed(bench_worker *w, int di, int si, const bench_data *bd,
                    const gnnkd_model_spec *tspec, const gnnkd_model_spec *sspec, char *msg) {
#define UTIL_FREE_ALL gnnkd_teacher_free(&t)
    bench_run *r = w->run;
    const bench_grid *g = r->g;
    const int nconf = bench_nconfigs(g);
    const long seed = g->seed0 + si;
    gnnkd_teacher *t = NULL;
    int64_t tparams = 0;
    bench_row row;
    /* the teacher counts as a job, skipped with its seed */
    if (rows_left(r, di, si) == 0) {
        double work = job_cost(tspec, bd->d, bd->g);
        for (int st = 0; st < g->nstudents; st++) work += nconf * job_cost(&sspec[st], bd->d, bd->g);
        job_skip(r, 1 + (long)g->nstudents * nconf, work);
        return GNNKD_OK;
    }
    w->recording = si == 0;
    w->data = bd;

    job_begin(w, job_cost(tspec, bd->d, bd->g), "%s seed %ld teacher %s", g->dataset[di], seed, g->teacher);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, g->select);
    o.teacher = *tspec; // trained by its own kind's recipe (a GAT's is not Kipf's)
    gnnkd_train_options_for_model(&o.teacher_train, tspec, GNNKD_METHOD_SCRATCH, o.teacher_train.select);
    o.teacher_train.progress = on_epoch;
    o.teacher_train.progress_ctx = w;
    o.member_trained = teacher_trained;
    o.member_ctx = w;
    UTIL_TRY(gnnkd_distill_teacher(&t, &tparams, &o, (uint64_t)seed, bd->od, bd->og, msg));
    double tacc;
    UTIL_TRY(gnnkd_teacher_accuracy(&tacc, t, bd->od->label, bd->od->split[GNNKD_TEST],
                                    bd->od->nsplit[GNNKD_TEST], msg));
    bench_row_key(&row, g, di, 0, 0, si);
    snprintf(row.student, sizeof row.student, "%s", g->teacher);
    snprintf(row.method, sizeof row.method, "teacher");
    UTIL_TRY(save_job(w, &row, 0, msg));
    job_end(w);

    for (int st = 0; st < g->nstudents; st++)
        for (int k = 0; k < nconf; k++) {
            bench_row_key(&row, g, di, st, k, si);
            if (bench_table_find(r->rows, &row) != NULL) {
                job_skip(r, 1, job_cost(&sspec[st], bd->d, bd->g));
                continue;
            }
            UTIL_TRY(run_student(w, &row, st, k, t, seed, sspec, msg));
            row.teacher_params = tparams;
            row.teacher_test_acc = tacc;
            row.teacher_inference_ms = w->teacher_ms;
            row.teacher_ind = w->teacher_acc.ind;
            row.teacher_prod = w->teacher_acc.prod;
            UTIL_TRY(save_job(w, &row, 1, msg));
            job_end(w);
        }
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

static void data_free(bench_data *bd) {
    gnnkd_setting_free(&bd->s);
    gnnkd_dataset_free(&bd->d);
}

/* Loads a dataset and makes its setting (which builds both Â). */
static int data_open(bench_data *bd, const cli_data *opts, char *msg) {
    int rc = cli_open_dataset(&bd->d, opts, msg);
    if (rc == GNNKD_OK) rc = cli_require_test_set(bd->d, msg);
    if (rc == GNNKD_OK) rc = cli_setting_for_run(&bd->s, bd->d, opts, 0, msg);
    if (rc == GNNKD_OK) {
        bd->g = gnnkd_setting_full_graph(bd->s);
        bd->od = gnnkd_setting_observed(bd->s);
        bd->og = gnnkd_setting_observed_graph(bd->s);
    }
    return rc;
}

static void workers_free(bench_run *r) {
    for (int w = 0; r->worker && w < r->nworkers; w++) {
        free(r->worker[w].curve.train_loss);
    }
    free(r->worker);
    r->worker = NULL;
}

/* One worker per job slot, each with a curve as long as the longest training. */
static int workers_new(bench_run *r, int n, char *msg) {
#define UTIL_FREE_ALL workers_free(r)
    const int cap = r->max_epochs;
    UTIL_ALLOC(r->worker, n);
    r->nworkers = n;
    for (int i = 0; i < n; i++) {
        bench_worker *w = &r->worker[i];
        w->run = r;
        UTIL_ALLOC(w->curve.train_loss, 4 * (size_t)cap);
        w->curve.cap = cap;
        w->curve.val_loss = w->curve.train_loss + cap;
        w->curve.val_acc = w->curve.train_loss + 2 * cap;
        w->curve.train_acc = w->curve.train_loss + 3 * cap;
    }
    return GNNKD_OK;
#undef UTIL_FREE_ALL
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
                        util_msg(msg, "%s: the %s %s row of seed %ld was trained with \"%s\", this run "
                                    "would use \"%s\"; resume with the options of that run",
                               path, r->student, r->method, r->seed, r->training, key.training);
                        return GNNKD_EINVAL;
                    }
                }
    return GNNKD_OK;
}

/* ---- the command ----------------------------------------------------------------------- */

/* The command line of gnnkd bench. */
typedef struct {
    bench_grid grid;
    gnnkd_model_spec tspec, sspec[BENCH_MAX_LIST];
    cli_data data, each[BENCH_MAX_LIST]; /* each dataset's options */
    char names[512];                     /* each[i].dataset points into it */
    const char *out, *resume;
    int plots, quiet;
    int teacher_epochs; /* the recipe's */
    long threads, jobs;
} bench_args;

/* One option of the grid or the run; 0: taken, otherwise 1 + the exit code. */
static int parse_one(bench_args *a, int c, const char *arg, const char **datasets,
                     const char **teacher, int *quick, int *seeds_set, int *patience_set) {
    bench_grid *g = &a->grid;
    char msg[GNNKD_MSG_LEN];
    long v;
    switch (c) {
    case 'D': *datasets = arg; return 0;
    case 'T': *teacher = arg; return 0;
    case 's': return parse_students(arg, g, a->sspec) ? 0 : 3;
    case 't': return parse_numbers("temperatures", arg, g->temp, &g->ntemps, 1e-3, 1e6) ? 0 : 3;
    case 'a': return parse_numbers("alphas", arg, g->alpha, &g->nalphas, 0.0, 1.0) ? 0 : 3;
    case 'n':
        if (!cli_int("bench", "seeds", arg, 1, 100000, &v)) return 3;
        g->seeds = (int)v, *seeds_set = 1;
        return 0;
    case 'S':
        if (!cli_int("bench", "seed", arg, 0, 2147483647L, &v)) return 3;
        g->seed0 = v;
        return 0;
    case 'q': *quick = 1; return 0;
    case 'l':
        if (gnnkd_select_parse(&g->select, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd bench: --select: %s\n", msg);
        return 3;
    case 'e':
        if (!cli_int("bench", "epochs", arg, 1, 1000000, &v)) return 3;
        g->epochs = (int)v;
        return 0;
    case 'p':
        if (!cli_int("bench", "patience", arg, 0, 1000000, &v)) return 3;
        g->patience = (int)v, *patience_set = 1;
        return 0;
    case 'w': return cli_float("bench", "weight-decay", arg, 0.0, 100.0, &g->weight_decay) ? 0 : 3;
    case 'o': a->out = arg; return 0;
    case 'r': a->resume = arg; return 0;
    case 'j': return cli_int("bench", "threads", arg, 0, 4096, &a->threads) ? 0 : 3;
    case 'J': return cli_int("bench", "jobs", arg, 0, 4096, &a->jobs) ? 0 : 3;
    case 'P': a->plots = 0; return 0;
    case 'Q': a->quiet = 1; return 0;
    case 'h': bench_help(stdout); return 1;
    default: bench_help(stderr); return 3;
    }
}

/* The datasets: the one the dataset options name, or the --datasets list. */
static int split_datasets(bench_args *a, const char *datasets) {
    if (a->data.dataset || a->data.graph) {
        if (datasets) {
            fprintf(stderr, "gnnkd bench: give --datasets or one dataset (--dataset, --graph), not both\n");
            return 0;
        }
        a->each[0] = a->data;
        a->grid.ndatasets = 1;
        return 1;
    }
    if (snprintf(a->names, sizeof a->names, "%s", datasets ? datasets : "cora,citeseer,pubmed") >=
        (int)sizeof a->names) {
        fprintf(stderr, "gnnkd bench: --datasets: the list is too long\n");
        return 0;
    }
    for (char *item = a->names, *next; item; item = next) {
        next = strchr(item, ',');
        if (next) *next++ = '\0';
        if (a->grid.ndatasets == BENCH_MAX_LIST || *item == '\0') {
            fprintf(stderr, "gnnkd bench: --datasets takes 1 to %d names, comma-separated\n", BENCH_MAX_LIST);
            return 0;
        }
        a->each[a->grid.ndatasets] = a->data;
        a->each[a->grid.ndatasets++].dataset = item;
    }
    return 1;
}

/* Parses argv into a; 0 on success, otherwise 1 + the exit code. */
static int parse_args(bench_args *a, int argc, char **argv) {
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
    const char *datasets = NULL, *teacher = NULL;
    int quick = 0, seeds_set = 0, patience_set = 0, c, r;
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_distill_options def; /* the recipe's teacher and training */
    gnnkd_distill_options_default(&def, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    memset(a, 0, sizeof *a);
    a->plots = 1;
    bench_grid *g = &a->grid;
    g->seeds = 10;
    g->select = def.student_train.select;
    g->epochs = def.student_train.epochs;
    g->weight_decay = -1.0;
    g->ntemps = 4;
    memcpy(g->temp, (double[]){1, 2, 4, 8}, 4 * sizeof(double));
    g->nalphas = 2;
    memcpy(g->alpha, (double[]){0.5, 0.9}, 2 * sizeof(double));
    parse_students("gcn:8,mlp:64", g, a->sspec);
    a->tspec = def.teacher;
    a->teacher_epochs = def.teacher_train.epochs;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&a->data, c, optarg)) continue;
        if ((r = parse_one(a, c, optarg, &datasets, &teacher, &quick, &seeds_set, &patience_set)) != 0)
            return r;
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd bench: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 3;
    }
    if (a->out && a->resume) {
        fprintf(stderr, "gnnkd bench: give --out for a new run or --resume for an old one, not both\n");
        return 3;
    }
    if (a->data.glnn) {
        fprintf(stderr, "gnnkd bench: --protocol glnn redraws the split for every run: use gnnkd "
                        "distill --protocol glnn --runs N; bench takes --setting\n");
        return 3;
    }
    if (a->data.setting && a->data.setting_kind == GNNKD_SETTING_INDUCTIVE)
        snprintf(g->setting, sizeof g->setting, "inductive:%g", a->data.setting_fraction);
    if (!split_datasets(a, datasets)) return 3;
    if (quick && !seeds_set) g->seeds = 2;
    if (!patience_set) { /* the library's window for the rule */
        gnnkd_train_options rule;
        gnnkd_train_options_for(&rule, GNNKD_METHOD_SCRATCH, g->select);
        g->patience = rule.patience;
    }
    if (teacher && gnnkd_model_spec_parse(&a->tspec, teacher, msg) != GNNKD_OK)
        return 1 + cli_fail("bench", GNNKD_EINVAL, msg);
    gnnkd_model_spec_format(g->teacher, sizeof g->teacher, &a->tspec);
    bench_training_text(g->teacher_training, sizeof g->teacher_training, def.teacher_train.select,
                        def.teacher_train.patience, def.teacher_train.epochs,
                        def.teacher_train.weight_decay);
    gnnkd_set_threads((int)a->threads);
    a->threads = gnnkd_get_threads();
    if (a->jobs == 0) a->jobs = a->threads;
    if (a->jobs > (long)g->ndatasets * g->seeds) a->jobs = (long)g->ndatasets * g->seeds;
    return 0;
}

/* Every dataset first: a bad name fails now, not an hour later, and before
 * any folder is made. */
static int open_datasets(bench_data *bd, bench_args *a, char *msg) {
    bench_grid *g = &a->grid;
    for (int i = 0; i < g->ndatasets; i++) {
        int rc = data_open(&bd[i], &a->each[i], msg);
        if (rc != GNNKD_OK) return rc;
        snprintf(g->dataset[i], BENCH_NAME_LEN, "%s",
                 bd[i].d->name[0] ? bd[i].d->name : a->each[i].dataset ? a->each[i].dataset : a->each[i].graph);
        for (int k = 0; k < i; k++)
            if (!strcmp(g->dataset[k], g->dataset[i])) {
                util_msg(msg, "the dataset %s appears twice", g->dataset[i]);
                return GNNKD_EINVAL;
            }
    }
    return GNNKD_OK;
}

/* The results folder, the rows it has (resume), the open results.csv and
 * curves.csv, env.json, and the workers. */
static int prepare_run(bench_run *r, bench_table *rows, bench_env *env, char *dir, size_t len,
                       const bench_args *a, char *msg) {
    const bench_grid *g = &a->grid;
    int rc = prepare_out(dir, len, a->out, a->resume, msg);
    if (rc == GNNKD_OK) {
        snprintf(r->csv_path, sizeof r->csv_path, "%s/results.csv", dir);
        snprintf(r->curves_path, sizeof r->curves_path, "%s/curves.csv", dir);
        rc = lock_run(r->csv_path, msg);
    }
    if (rc == GNNKD_OK) {
        rc = bench_csv_load(rows, r->csv_path, msg);
    }
    if (rc == GNNKD_OK) rc = check_resume(g, rows, r->csv_path, msg);
    env->resumed = a->resume != NULL;
    env->rows_before = rows->n;
    if (rc == GNNKD_OK) rc = bench_csv_open(&r->csv, r->csv_path, msg);
    if (rc == GNNKD_OK) {
        r->curves = fopen(r->curves_path, "a");
        if (r->curves == NULL) {
            util_msg(msg, "%s: %s", r->curves_path, strerror(errno));
            rc = GNNKD_EIO;
        } else if (ftell(r->curves) == 0) {
            fprintf(r->curves, "%s\n", BENCH_CURVE_HEADER);
        }
    }
    if (rc == GNNKD_OK) rc = bench_env_write(dir, env, g, msg);
    if (rc == GNNKD_OK) rc = workers_new(r, (int)a->jobs, msg);
    return rc;
}

/* Trains every job the rows lack, with the progress line's estimates. */
static int run_jobs(bench_run *r, const bench_data *bd, const bench_args *a, char *msg) {
    const bench_grid *g = &a->grid;
    for (int i = 0; i < g->ndatasets; i++) {
        double w = job_cost(&a->tspec, bd[i].d, bd[i].g);
        for (int st = 0; st < g->nstudents; st++)
            w += bench_nconfigs(g) * job_cost(&a->sspec[st], bd[i].d, bd[i].g);
        r->work_total += g->seeds * w;
    }
    r->jobs = (long)g->ndatasets * g->seeds * (1 + g->nstudents * bench_nconfigs(g));
    r->run_start = util_now();
    int rc = run_all(r, bd, &a->tspec, a->sspec, (int)a->jobs, (int)a->threads, msg);
    if (r->show) fprintf(stderr, "\r\033[K");
    return rc;
}

/* Closes the run's files; the first error wins. */
static int close_run(bench_run *r, int rc, char *msg) {
    if (r->csv && fclose(r->csv) != 0 && rc == GNNKD_OK) {
        util_msg(msg, "%s: %s", r->csv_path, strerror(errno));
        rc = GNNKD_EIO;
    }
    if (r->curves && fclose(r->curves) != 0 && rc == GNNKD_OK) {
        util_msg(msg, "%s: %s", r->curves_path, strerror(errno));
        rc = GNNKD_EIO;
    }
    r->csv = r->curves = NULL;
    return rc;
}

/* The reports, made from the file: the same on a fresh or a resumed run. */
static int report(bench_table *rows, bench_summary *sum, bench_env *env, const bench_run *r,
                  const char *dir, const bench_args *a, char *msg) {
    bench_table_free(rows);
    int rc = bench_csv_load(rows, r->csv_path, msg);
    if (rc == GNNKD_OK) rc = bench_summary_compute(sum, &a->grid, rows, msg);
    if (rc == GNNKD_OK && a->plots) rc = bench_plots_write(sum, dir, &env->plots, msg);
    if (rc == GNNKD_OK) rc = bench_summary_write(sum, dir, env->plots, stdout, msg);
    if (rc == GNNKD_OK) {
        env->finished = 1;
        rc = bench_env_write(dir, env, &a->grid, msg);
    }
    if (rc == GNNKD_OK)
        printf("\n%d rows (%d new) in %s/results.csv; summary in %s/summary.md\n", rows->n,
               env->rows_run, dir, dir);
    return rc;
}

int cmd_bench(int argc, char **argv) {
    bench_args *a = calloc(1, sizeof *a);
    if (a == NULL) return cli_fail("bench", GNNKD_ENOMEM, "out of memory");
    int code = parse_args(a, argc, argv);
    if (code != 0) {
        free(a);
        return code - 1;
    }
    char msg[GNNKD_MSG_LEN] = "", dir[4096];
    bench_env env = {.start = util_now(), .threads = (int)a->threads, .jobs = (int)a->jobs};
    time_t now = time(NULL);
    strftime(env.start_time, sizeof env.start_time, "%Y-%m-%dT%H:%M:%S%z", localtime(&now));
    bench_data bd[BENCH_MAX_LIST];
    memset(bd, 0, sizeof bd);
    bench_table rows = {0};
    bench_summary sum = {0};
    bench_run r = {.g = &a->grid, .rows = &rows, .start = env.start};
    r.max_epochs = a->grid.epochs > a->teacher_epochs ? a->grid.epochs : a->teacher_epochs;
    r.show = !a->quiet && isatty(2);

    int rc = open_datasets(bd, a, msg);
    if (rc == GNNKD_OK) rc = prepare_run(&r, &rows, &env, dir, sizeof dir, a, msg);
    if (rc == GNNKD_OK) rc = run_jobs(&r, bd, a, msg);
    rc = close_run(&r, rc, msg);
    env.rows_run = (int)r.rows_run;
    if (rc == GNNKD_OK) rc = report(&rows, &sum, &env, &r, dir, a, msg);

    workers_free(&r);
    bench_summary_free(&sum);
    bench_table_free(&rows);
    for (int i = 0; i < a->grid.ndatasets; i++) data_free(&bd[i]);
    free(a);
    return rc == GNNKD_OK ? 0 : cli_fail("bench", rc, msg);
}
