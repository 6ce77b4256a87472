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
#include <math.h>
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

/* "scratch, kd or compress": the methods the grid covers, by the library's names. */
static void method_list(char *buf, size_t len, unsigned axis_mask) {
    size_t used = 0;
    int n = 0, count = 0;
    for (int k = 0; k < BENCH_NMETHODS; k++) count += !axis_mask || (BENCH_METHODS[k].axes & axis_mask);
    buf[0] = '\0';
    for (int k = 0; k < BENCH_NMETHODS && used < len; k++) {
        if (axis_mask && !(BENCH_METHODS[k].axes & axis_mask)) continue;
        used += (size_t)snprintf(buf + used, len - used, "%s%s", n == 0 ? "" : n == count - 1 ? " and " : ", ",
                                 bench_method_name(&BENCH_METHODS[k]));
        n++;
    }
}

static void bench_help(FILE *f) {
    char list[512], opt[64], defaults[128] = "";
    method_list(list, sizeof list, 0);
    for (int k = 0; k < BENCH_NMETHODS; k++)
        if (BENCH_METHODS[k].by_default)
            snprintf(defaults + strlen(defaults), sizeof defaults - strlen(defaults), "%s%s",
                     defaults[0] ? "," : "", bench_method_name(&BENCH_METHODS[k]));
    fprintf(f,
            "usage: gnnkd bench [options]\n\n"
            "Distillation against compression on citation graphs: for every dataset and\n"
            "seed, every teacher, then every student by every method and every value of\n"
            "its hyper-parameters: from scratch (once per seed: it has no teacher), by\n"
            "knowledge distillation (Hinton et al.) for every temperature and alpha, by\n"
            "compression (regression on the teacher's centred logits) for every alpha,\n"
            "by LSP (Yang et al.; alone or with KD) for every beta and tau, on request;\n"
            "on request too, NOSMOG's ingredients (Tian et al.) with KD, for MLP students:\n"
            "kd+position (DeepWalk position features, --position), kd+rsd (similarity\n"
            "distillation, every rsd weight), kd+adv (adversarial augmentation, every\n"
            "eps), nosmog (gnnkd distill --recipe nosmog: position features and rsd, the\n"
            "axes on top) and nosmog+adv (all three). A CPF student (--students\n"
            "mlp:64,cpf:8,128) trains by its kind's training (500 epochs) with every\n"
            "method but scratch and LSP, and by cpf (gnnkd distill --recipe cpf: CPF's\n"
            "loss on the unlabelled nodes, standardised teacher logits).\n"
            "Transfer set: all nodes (cpf: its recipe's). Each method's hyper-parameters\n"
            "are chosen per dataset, teacher and student by mean validation accuracy.\n"
            "Writes results.csv, summary.json, summary.md, env.json and plots (gnuplot).\n\n"
            "Grid:\n"
            "  --datasets LIST         dataset names or folders (cora,citeseer,pubmed); or one\n"
            "                          dataset by the dataset options below\n"
            "  --teachers LIST         teachers, e.g. gcn:64,gat:8x8, each trained per seed by\n"
            "                          its kind's recipe (gnnkd train's defaults) (gcn:64)\n"
            "  --teacher SPEC          one teacher (--teachers SPEC)\n"
            "  --students LIST         students, e.g. gcn:8,mlp:64,64 (gcn:8,mlp:64)\n"
            "  --methods LIST          any of %s (%s)\n", list, defaults);
    for (int a = 0; a < BENCH_NAXES; a++) {
        method_list(list, sizeof list, 1u << a);
        snprintf(opt, sizeof opt, "%s LIST", BENCH_AXES[a].option);
        fprintf(f, "  --%-21s values of %s for %s (%s)\n", opt, BENCH_AXES[a].column, list, BENCH_AXES[a].values);
    }
    fprintf(f,
            "  --position deepwalk:D[,walks=W,length=L,window=K,epochs=E,negatives=N,lr=R,seed=S]\n"
            "                          the position features of kd+position, nosmog(+adv), made\n"
            "                          once per dataset and seed on the observed graph, as\n"
            "                          gnnkd distill --position does (--recipe nosmog's)\n"
            "  --seeds N               seeds seed, seed+1, ... (10); with --protocol glnn seed\n"
            "                          k also draws split k (split seed --split-seed + k)\n"
            "  --seed S                the first seed (0)\n"
            "  --quick                 2 seeds, for a smoke run (unless --seeds)\n"
            "  --setting, --protocol   as for gnnkd distill (below): inductive, every row\n"
            "                          scores tran, ind and prod\n"
            "Students' training:\n"
            "  --select val-acc|val-loss  model selection of the students (as gnnkd train:\n"
            "                          val-acc, the weights of the best validation accuracy)\n"
            "  --epochs N              at most N epochs (each kind's recipe: 200, cpf 500)\n"
            "  --patience N            early-stopping window (100 for val-acc, 10 for val-loss;\n"
            "                          cpf: its epochs)\n"
            "  --weight-decay X        L2 on the first layer (as gnnkd distill: 0 for distilled\n"
            "                          students, whose soft targets regularise; 5e-4 for scratch)\n"
            "Run:\n"
            "  --out DIR               the results folder; must be new or empty\n"
            "                          (results/YYYYmmdd-HHMMSS)\n"
            "  --resume DIR            continue a run in DIR, skipping the rows it has\n"
            "  --report-only           with --resume: train nothing, write the reports from the\n"
            "                          rows DIR has (a stopped run: each entry says its seeds)\n"
            "  --threads N             OpenMP threads in all (all cores)\n"
            "  --jobs J                seeds trained at once, one thread each (--threads); with\n"
            "                          --jobs 1 each kernel uses every thread (large graphs)\n"
            "  --no-plots              skip the plots\n"
            "  --quiet                 no progress line\n\n"
            "%s\n"
            "Examples: gnnkd bench --quick --datasets cora\n"
            "          gnnkd bench --datasets cora --teachers gcn:64,gat:8x8 --methods scratch,kd\n"
            "          gnnkd bench --dataset cora.npz --protocol glnn --students mlp:64\n",
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
 * starts with a digit is another width of the model before it ("gat:8x8"
 * keeps its "8x8"). Each spec is checked and written back normalised ("mlp"
 * becomes "mlp:64"). */
static int parse_specs(const char *opt, const char *text, char (*names)[BENCH_SPEC_LEN], int *n,
                       gnnkd_model_spec *spec) {
    char buf[512], msg[GNNKD_MSG_LEN];
    if (strlen(text) >= sizeof buf) {
        fprintf(stderr, "gnnkd bench: --%s: the list is too long\n", opt);
        return 0;
    }
    strcpy(buf, text);
    *n = 0;
    char *start = buf;
    for (char *p = buf;; p++) {
        int last = *p == '\0';
        if (!last && !(*p == ',' && !isdigit((unsigned char)p[1]))) continue;
        *p = '\0';
        if (*n == BENCH_MAX_LIST) {
            fprintf(stderr, "gnnkd bench: --%s: at most %d models\n", opt, BENCH_MAX_LIST);
            return 0;
        }
        gnnkd_model_spec *s = &spec[*n];
        if (gnnkd_model_spec_parse(s, start, msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd bench: --%s: %s\n", opt, msg);
            return 0;
        }
        gnnkd_model_spec_format(names[*n], BENCH_SPEC_LEN, s);
        for (int k = 0; k < *n; k++)
            if (!strcmp(names[k], names[*n])) {
                fprintf(stderr, "gnnkd bench: --%s: %s appears twice\n", opt, names[k]);
                return 0;
            }
        if (!strcmp(names[*n], BENCH_NO_TEACHER) || !strcmp(names[*n], "teacher")) {
            fprintf(stderr, "gnnkd bench: --%s: '%s' is a reserved word of results.csv\n", opt, names[*n]);
            return 0;
        }
        (*n)++;
        if (last) return 1;
        start = p + 1;
    }
}

/* The methods of a comma-separated list, by the library's names, kept in
 * the order of the grid's table. */
static int parse_methods(const char *text, bench_grid *g) {
    char buf[512], msg[GNNKD_MSG_LEN];
    int chosen[BENCH_MAX_LIST] = {0};
    if (strlen(text) >= sizeof buf) {
        fprintf(stderr, "gnnkd bench: --methods: the list is too long\n");
        return 0;
    }
    strcpy(buf, text);
    for (char *item = buf, *next; item; item = next) {
        next = strchr(item, ',');
        if (next) *next++ = '\0';
        int k = bench_method_find(item, msg);
        if (k < 0) {
            fprintf(stderr, "gnnkd bench: --methods: %s\n", msg);
            return 0;
        }
        if (chosen[k]) {
            fprintf(stderr, "gnnkd bench: --methods: %s appears twice\n", item);
            return 0;
        }
        chosen[k] = 1;
    }
    g->nmethods = 0;
    for (int k = 0; k < BENCH_NMETHODS; k++)
        if (chosen[k]) g->method[g->nmethods++] = k;
    return 1;
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
typedef struct bench_data bench_data;

typedef struct {
    bench_run *run;
    const bench_data *data; /* of the current seed */
    bench_data *own;        /* GLNN protocol: the worker's copy of each dataset, loaded once,
                               its split redrawn for each seed it trains */
    double teacher_ms;  /* the current teacher's inference time */
    gnnkd_setting_acc teacher_acc; /* and its scores in the setting */
    /* the current seed's position features: its dataset with them
     * appended and that dataset's setting (the same split and held-out
     * nodes as the seed's), made by the first job that needs them */
    gnnkd_dataset *pos_data;
    gnnkd_setting *pos_setting;
    bench_curve curve;  /* of the current training, kept for the first seed */
    int recording;
    int last_epoch;     /* of the current training */
    int job_epochs;     /* the current training's most epochs */
    double job_work, job_part; /* the current job's estimated work, and the part done */
} bench_worker;

/* What the workers share; everything they change is changed in a critical
 * section. rows is read-only while they run (new rows go to the file only). */
struct bench_run {
    const bench_grid *g;
    const gnnkd_model_spec *tspec; /* the grid's teachers (students: g->student_spec) */
    const int *teacher_epochs;             /* each teacher's most epochs (its recipe's) */
    const cli_data *data_opts;             /* each dataset's options */
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

/* A rough cost of a training of at most epochs epochs, for the time-left
 * estimate only: per epoch the first layer on the features, the other
 * layers dense (times the heads of a GAT), and for graph models one pass
 * over the edges per layer. */
static double job_cost(const gnnkd_model_spec *spec, int epochs, const gnnkd_dataset *d, const gnnkd_graph *gr) {
    gnnkd_model_spec s = *spec;
    s.dims[0] = d->nfeat;
    s.dims[s.nlayers] = d->nclass;
    double width[GNNKD_MAX_LAYERS + 1];
    for (int l = 0; l <= s.nlayers; l++)
        width[l] = (double)s.dims[l] * (s.kind == GNNKD_MODEL_GAT && l >= 1 && s.heads[l - 1] > 0 ? s.heads[l - 1] : 1);
    double xnnz = d->xdense ? (double)d->n * d->nfeat : (double)gnnkd_csr_nnz(&d->x);
    double cost = xnnz * width[1] + (double)d->n * d->nclass;
    for (int l = 1; l < s.nlayers; l++) cost += (double)d->n * width[l] * width[l + 1];
    if (s.kind != GNNKD_MODEL_MLP)
        for (int l = 1; l <= s.nlayers; l++) cost += (double)gnnkd_csr_nnz(gnnkd_graph_csr(gr)) * width[l];
    return cost * epochs;
}

static void job_begin(bench_worker *w, double work, int epochs, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void job_begin(bench_worker *w, double work, int epochs, const char *fmt, ...) {
    bench_run *r = w->run;
    w->curve.n = 0;
    w->job_epochs = epochs;
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
    w->last_epoch = e->epoch;
    if (w->recording && e->epoch >= 1 && e->epoch <= c->cap) {
        int k = e->epoch - 1;
        c->train_loss[k] = e->train_loss;
        c->val_loss[k] = e->val_loss;
        c->val_acc[k] = e->val_acc;
        c->train_acc[k] = e->train_acc;
        c->n = e->epoch;
    }
    const int most = w->job_epochs > e->epoch ? w->job_epochs : e->epoch;
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

/* One dataset in the run's setting: models train on the observed dataset
 * od and its graph og (d and g themselves when transductive). Loaded once
 * for every seed and job, except with the GLNN protocol, whose split is
 * redrawn per seed: each seed then loads its own copy. */
struct bench_data {
    gnnkd_dataset *d;
    const gnnkd_graph *g;
    gnnkd_setting *s;
    const gnnkd_dataset *od;
    const gnnkd_graph *og;
};

static void data_free(bench_data *bd) {
    gnnkd_setting_free(&bd->s);
    gnnkd_dataset_free(&bd->d);
}

/* Loads a dataset (unless bd has it) and makes the setting of seed index k
 * (which builds both Â): the library's protocol code, as gnnkd distill's
 * run k. */
static int data_open(bench_data *bd, const cli_data *opts, int k, char *msg) {
    int rc = GNNKD_OK;
    if (bd->d == NULL) {
        rc = cli_open_dataset(&bd->d, opts, msg);
        if (rc == GNNKD_OK && !opts->glnn) rc = cli_require_test_set(bd->d, msg); // glnn draws its own
    }
    if (rc == GNNKD_OK) rc = cli_setting_for_run(&bd->s, bd->d, opts, k, msg);
    if (rc == GNNKD_OK) {
        bd->g = gnnkd_setting_full_graph(bd->s);
        bd->od = gnnkd_setting_observed(bd->s);
        bd->og = gnnkd_setting_observed_graph(bd->s);
    }
    return rc;
}

/* Appends a finished job: its curve (first seed) and, if row, its row. The
 * curve goes first: a kill between the two writes reruns the job, and the
 * plots keep a job's last curve. */
static int save_job(bench_worker *w, const bench_row *key, const bench_row *row, char *msg) {
    bench_run *r = w->run;
    int rc = GNNKD_OK;
#pragma omp critical(bench_io)
    {
        if (w->recording) rc = bench_curve_append(r->curves, key, &w->curve, r->curves_path, msg);
        if (rc == GNNKD_OK && row) rc = bench_csv_append(r->csv, row, r->csv_path, msg);
        if (rc == GNNKD_OK && row) r->rows_run++;
    }
    return rc;
}

/* The teacher's hook: its scores in the setting and its full-graph
 * inference time (ctx: the worker). */
static gnnkd_status teacher_trained(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    bench_worker *w = ctx;
    (void)j, (void)seed;
    int rc = gnnkd_setting_evaluate(&w->teacher_acc, m, w->data->s, msg);
    if (rc == GNNKD_OK) rc = time_forward(&w->teacher_ms, m, w->data->d, w->data->g, msg);
    return (gnnkd_status)rc;
}

/* Whether results.csv has the row of key. */
static int have(const bench_run *r, const bench_row *key) { return bench_table_find(r->rows, key) != NULL; }

/* The student jobs of one seed whose rows results.csv lacks: with teacher
 * ti (or, for ti < 0, those without a teacher). */
static int students_left(const bench_run *r, int di, int ti, int si) {
    const bench_grid *g = r->g;
    bench_row key;
    int left = 0;
    for (int st = 0; st < g->nstudents; st++)
        for (int k = 0; k < bench_nconfigs(g); k++) {
            if (bench_config_method(g, k)->needs_teacher != (ti >= 0) || !bench_config_trains(g, st, k)) continue;
            bench_row_key(&key, g, di, ti < 0 ? 0 : ti, st, k, si);
            left += !have(r, &key);
        }
    return left;
}

/* The configurations of student st with a teacher (1) or without (0). */
static int nconfigs_of(const bench_grid *g, int st, int with_teacher) {
    int n = 0;
    for (int k = 0; k < bench_nconfigs(g); k++)
        n += bench_config_method(g, k)->needs_teacher == with_teacher && bench_config_trains(g, st, k);
    return n;
}

/* The student jobs of one teacher (1) or of none (0). */
static long student_jobs(const bench_grid *g, int with_teacher) {
    long n = 0;
    for (int st = 0; st < g->nstudents; st++) n += nconfigs_of(g, st, with_teacher);
    return n;
}

/* The teachers the grid trains: none if no method needs one. */
static int teachers_trained(const bench_grid *g) { return bench_needs_teacher(g) ? g->nteachers : 0; }

/* The jobs and estimated work of one seed of dataset di. */
static long seed_jobs(const bench_grid *g) {
    return student_jobs(g, 0) + (long)teachers_trained(g) * (1 + student_jobs(g, 1));
}

/* The epochs of student st by configuration k (its kind's and its
 * recipe's, or --epochs). */
static int config_epochs(const bench_grid *g, int st, int k) {
    gnnkd_train_options o;
    bench_student_train(&o, g, bench_config_method(g, k), &g->student_spec[st]);
    return o.epochs;
}

static double config_cost(const bench_run *r, int st, int k, const bench_data *bd) {
    return job_cost(&r->g->student_spec[st], config_epochs(r->g, st, k), bd->d, bd->g);
}

/* The estimated work of one seed's student jobs with a teacher (1) or
 * without (0). */
static double students_cost(const bench_run *r, const bench_data *bd, int with_teacher) {
    const bench_grid *g = r->g;
    double w = 0;
    for (int st = 0; st < g->nstudents; st++)
        for (int k = 0; k < bench_nconfigs(g); k++)
            if (bench_config_method(g, k)->needs_teacher == with_teacher && bench_config_trains(g, st, k))
                w += config_cost(r, st, k, bd);
    return w;
}

static double teacher_cost(const bench_run *r, int ti, const bench_data *bd) {
    return job_cost(&r->tspec[ti], r->teacher_epochs[ti], bd->d, bd->g);
}

static double seed_work(const bench_run *r, const bench_data *bd) {
    const bench_grid *g = r->g;
    double w = students_cost(r, bd, 0) + teachers_trained(g) * students_cost(r, bd, 1);
    for (int ti = 0; ti < teachers_trained(g); ti++) w += teacher_cost(r, ti, bd);
    return w;
}

static void position_free(bench_worker *w) {
    gnnkd_setting_free(&w->pos_setting);
    gnnkd_dataset_free(&w->pos_data);
}

/* The position features of the current seed (seed: the students'), once:
 * as gnnkd_distill_in makes them (DeepWalk on the observed graph, seeded
 * position.seed + seed, standardised), appended to the full dataset, whose
 * setting is then made again: the same split, kind and seed draw the same
 * held-out nodes, which is checked. */
static int position_setting(bench_worker *w, long seed, long split_seed, char *msg) {
    if (w->pos_setting) return GNNKD_OK;
    const bench_grid *g = w->run->g;
    const gnnkd_setting *s = w->data->s;
    gnnkd_deepwalk_options dw = g->position;
    float *pos = NULL;
    int32_t k = 0, nheld = 0, nheld2 = 0;
    dw.seed = g->position.seed + (uint64_t)seed;
    int rc = gnnkd_position_features(&pos, &k, s, &dw, NULL, 1, msg);
    if (rc == GNNKD_OK) rc = gnnkd_dataset_append_columns(&w->pos_data, gnnkd_setting_full(s), pos, k, msg);
    free(pos);
    if (rc == GNNKD_OK)
        rc = gnnkd_setting_new(&w->pos_setting, w->pos_data, gnnkd_setting_get_kind(s), gnnkd_setting_fraction(s),
                               (uint64_t)split_seed, msg);
    if (rc == GNNKD_OK) {
        const int32_t *held = gnnkd_setting_held_out(s, &nheld);
        const int32_t *held2 = gnnkd_setting_held_out(w->pos_setting, &nheld2);
        if (nheld != nheld2 || (nheld > 0 && memcmp(held, held2, (size_t)nheld * sizeof *held))) {
            util_msg(msg, "bench: the setting with position features holds out other nodes than seed %ld's", seed);
            rc = GNNKD_EINVAL;
        }
    }
    if (rc != GNNKD_OK) position_free(w);
    return rc;
}

/* Trains the student of job (st, k) from t (NULL without a teacher) into row. */
static int run_student(bench_worker *w, bench_row *row, int st, int k, const gnnkd_teacher *t, long seed,
                       char *msg) {
    const bench_grid *g = w->run->g;
    const bench_data *bd = w->data;
    const gnnkd_model_spec *sspec = &g->student_spec[st];
    gnnkd_distill_options o;
    gnnkd_train_result res;
    gnnkd_model *sm = NULL;
    gnnkd_teacher *ta = NULL; // a recipe's assistant, taught by t
    gnnkd_distill_setting_result ar;
    char conf[96];
    bench_student_options(&o, g, k, sspec);
    o.student_train.progress = on_epoch;
    o.student_train.progress_ctx = w;
    bench_config_text(conf, sizeof conf, g, k);
    job_begin(w, config_cost(w->run, st, k, bd), o.student_train.epochs, "%s seed %ld %s%s%s %s %s", row->dataset,
              seed, t ? row->teacher : "", t ? " -> " : "", row->student, row->method, conf);
    gnnkd_setting_acc acc;
    const gnnkd_setting *s = bd->s; /* the student's setting: with position features or not */
    int rc = GNNKD_OK;
    if (bench_config_method(g, k)->position) {
        rc = position_setting(w, seed, row->split_seed, msg);
        s = w->pos_setting;
    }
    if (rc == GNNKD_OK && o.assistant)
        rc = gnnkd_distill_assistant(&ta, &ar, &o, t, (uint64_t)seed, bd->s, msg);
    if (rc == GNNKD_OK)
        rc = gnnkd_distill_student(&sm, &res, &o, ta ? ta : t, (uint64_t)seed,
                                   gnnkd_setting_observed(s), gnnkd_setting_observed_graph(s), msg);
    if (rc == GNNKD_OK) rc = gnnkd_setting_evaluate(&acc, sm, s, msg);
    if (rc == GNNKD_OK)
        rc = time_forward(&row->inference_ms, sm, gnnkd_setting_full(s), gnnkd_setting_full_graph(s), msg);
    if (rc == GNNKD_OK) {
        row->tran = acc.tran;
        row->ind = acc.ind;
        row->prod = acc.prod;
        row->val_acc = res.acc[GNNKD_VAL];
        row->val_acc_cross = res.val_acc_cross;
        row->test_acc = res.acc[GNNKD_TEST];
        row->epochs = res.epochs;
        row->train_seconds = res.train_seconds;
        row->student_params = gnnkd_model_num_params(sm);
    }
    gnnkd_model_free(&sm);
    gnnkd_teacher_free(&ta);
    return rc;
}

/* The student jobs of one seed with teacher ti and its row (ti < 0:
 * those without a teacher, t NULL), each unless results.csv has it. */
static int run_students(bench_worker *w, int di, int ti, int si, const gnnkd_teacher *t,
                        const bench_row *trow, char *msg) {
    const bench_run *r = w->run;
    const bench_grid *g = r->g;
    bench_row row;
    for (int st = 0; st < g->nstudents; st++)
        for (int k = 0; k < bench_nconfigs(g); k++) {
            if (bench_config_method(g, k)->needs_teacher != (ti >= 0) || !bench_config_trains(g, st, k)) continue;
            bench_row_key(&row, g, di, ti < 0 ? 0 : ti, st, k, si);
            if (have(r, &row)) {
                job_skip(w->run, 1, config_cost(r, st, k, w->data));
                continue;
            }
            int rc = run_student(w, &row, st, k, t, row.seed, msg);
            if (rc != GNNKD_OK) return rc;
            if (trow) {
                row.teacher_params = trow->student_params;
                row.teacher_test_acc = trow->test_acc;
                row.teacher_inference_ms = trow->inference_ms;
                row.teacher_ind = trow->ind;
                row.teacher_prod = trow->prod;
            } else {
                row.teacher_test_acc = row.teacher_inference_ms = NAN;
                row.teacher_ind = row.teacher_prod = NAN;
            }
            rc = save_job(w, &row, &row, msg);
            if (rc != GNNKD_OK) return rc;
            job_end(w);
        }
    return GNNKD_OK;
}

/* Trains teacher ti of one seed into *t and its row (written unless
 * results.csv has it), by its own kind's recipe (a GAT's is not Kipf's). */
static int run_teacher(bench_worker *w, gnnkd_teacher **t, bench_row *row, int di, int ti, int si,
                       char *msg) {
    bench_run *r = w->run;
    const bench_grid *g = r->g;
    const bench_data *bd = w->data;
    const gnnkd_model_spec *tspec = &r->tspec[ti];
    bench_teacher_key(row, g, di, ti, si);
    job_begin(w, teacher_cost(r, ti, bd), r->teacher_epochs[ti], "%s seed %ld teacher %s", row->dataset, row->seed, row->student);
    gnnkd_distill_options o;
    // a teacher of LSP or similarity-distilled students keeps its hidden layer
    // (gnnkd_distill_teacher; the same layer for both)
    gnnkd_distill_options_default(&o, bench_needs_hidden(g) ? GNNKD_METHOD_KD_LSP : GNNKD_METHOD_KD,
                                  g->select);
    o.teacher = *tspec;
    gnnkd_train_options_for_model(&o.teacher_train, tspec, GNNKD_METHOD_SCRATCH, o.teacher_train.select);
    o.teacher_train.progress = on_epoch;
    o.teacher_train.progress_ctx = w;
    o.member_trained = teacher_trained;
    o.member_ctx = w;
    int64_t params = 0;
    double t0 = util_now();
    w->last_epoch = 0;
    int rc = gnnkd_distill_teacher(t, &params, &o, (uint64_t)row->seed, bd->od, bd->og, msg);
    row->train_seconds = util_now() - t0;
    if (rc == GNNKD_OK)
        rc = gnnkd_teacher_accuracy(&row->test_acc, *t, bd->od->label, bd->od->split[GNNKD_TEST],
                                    bd->od->nsplit[GNNKD_TEST], msg);
    if (rc == GNNKD_OK)
        rc = gnnkd_teacher_accuracy(&row->val_acc, *t, bd->od->label, bd->od->split[GNNKD_VAL],
                                    bd->od->nsplit[GNNKD_VAL], msg);
    row->val_acc_cross = NAN; // the teacher's training result stays inside gnnkd_distill_teacher
    if (rc != GNNKD_OK) return rc;
    row->tran = w->teacher_acc.tran;
    row->ind = w->teacher_acc.ind;
    row->prod = w->teacher_acc.prod;
    row->epochs = w->last_epoch;
    row->inference_ms = row->teacher_inference_ms = w->teacher_ms;
    row->student_params = row->teacher_params = params;
    row->teacher_test_acc = row->test_acc;
    row->teacher_ind = row->ind;
    row->teacher_prod = row->prod;
    rc = save_job(w, row, have(r, row) ? NULL : row, msg);
    if (rc == GNNKD_OK) job_end(w);
    return rc;
}

/* One seed of dataset di: the students without a teacher, then every
 * teacher and its students, each job unless results.csv has its row. */
static int run_seed(bench_worker *w, int di, int si, const bench_data *bd, char *msg) {
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_teacher_free(&t);                                                           \
        position_free(w);                                                                 \
    } while (0)
    bench_run *r = w->run;
    const bench_grid *g = r->g;
    gnnkd_teacher *t = NULL;
    bench_row trow, key;
    int left = students_left(r, di, -1, si);
    for (int ti = 0; ti < teachers_trained(g); ti++) {
        bench_teacher_key(&key, g, di, ti, si);
        left += students_left(r, di, ti, si) + !have(r, &key);
    }
    if (left == 0) {
        job_skip(r, seed_jobs(g), seed_work(r, bd));
        return GNNKD_OK;
    }
    if (g->glnn) { /* this seed's split, as gnnkd distill's run si */
        UTIL_TRY(data_open(&w->own[di], &r->data_opts[di], si, msg));
        bd = &w->own[di];
    }
    w->recording = si == 0;
    w->data = bd;
    UTIL_TRY(run_students(w, di, -1, si, NULL, NULL, msg));
    for (int ti = 0; ti < teachers_trained(g); ti++) {
        bench_teacher_key(&key, g, di, ti, si);
        if (students_left(r, di, ti, si) == 0 && have(r, &key)) {
            job_skip(r, 1 + student_jobs(g, 1), teacher_cost(r, ti, bd) + students_cost(r, bd, 1));
            continue;
        }
        UTIL_TRY(run_teacher(w, &t, &trow, di, ti, si, msg));
        UTIL_TRY(run_students(w, di, ti, si, t, &trow, msg));
        gnnkd_teacher_free(&t);
    }
    w->data = NULL;
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

static void workers_free(bench_run *r) {
    for (int w = 0; r->worker && w < r->nworkers; w++) {
        free(r->worker[w].curve.train_loss);
        position_free(&r->worker[w]);
        for (int d = 0; r->worker[w].own && d < r->g->ndatasets; d++) data_free(&r->worker[w].own[d]);
        free(r->worker[w].own);
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
        UTIL_ALLOC(w->own, r->g->ndatasets);
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
static int run_all(bench_run *r, const bench_data *bd, int jobs, int threads, char *msg) {
    const bench_grid *g = r->g;
    const int n = g->ndatasets * g->seeds;
    int rc = GNNKD_OK;
    if (jobs == 1) {
        for (int k = 0; rc == GNNKD_OK && k < n; k++)
            rc = run_seed(&r->worker[0], k / g->seeds, k % g->seeds, &bd[k / g->seeds], msg);
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
        int one = run_seed(&r->worker[omp_get_thread_num()], k / g->seeds, k % g->seeds, &bd[k / g->seeds], m);
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
 * way and on the same split: otherwise the summary would mix two. */
static int check_one(const bench_row *key, const bench_table *rows, const char *path, char *msg) {
    const bench_row *r = bench_table_find(rows, key);
    if (r && strcmp(r->training, key->training)) {
        util_msg(msg, "%s: the %s %s row of seed %ld was trained with \"%s\", this run would use \"%s\"; "
                      "resume with the options of that run",
                 path, r->student, r->method, r->seed, r->training, key->training);
        return GNNKD_EINVAL;
    }
    if (r && r->split_seed != key->split_seed) {
        util_msg(msg, "%s: the %s %s row of seed %ld was trained on split seed %ld, this run would use "
                      "%ld; resume with the --split-seed of that run",
                 path, r->student, r->method, r->seed, r->split_seed, key->split_seed);
        return GNNKD_EINVAL;
    }
    return GNNKD_OK;
}

static int check_resume(const bench_grid *g, const bench_table *rows, const char *path, char *msg) {
    bench_row key;
    for (int d = 0; d < g->ndatasets; d++)
        for (int si = 0; si < g->seeds; si++)
            for (int ti = 0; ti < g->nteachers; ti++) {
                bench_teacher_key(&key, g, d, ti, si);
                if (check_one(&key, rows, path, msg) != GNNKD_OK) return GNNKD_EINVAL;
                for (int st = 0; st < g->nstudents; st++)
                    for (int k = 0; k < bench_nconfigs(g); k++) {
                        bench_row_key(&key, g, d, ti, st, k, si);
                        if (check_one(&key, rows, path, msg) != GNNKD_OK) return GNNKD_EINVAL;
                    }
            }
    return GNNKD_OK;
}

/* ---- the command ----------------------------------------------------------------------- */

/* The command line of gnnkd bench. */
typedef struct {
    bench_grid grid;
    gnnkd_model_spec tspec[BENCH_MAX_LIST];
    cli_data data, each[BENCH_MAX_LIST]; /* each dataset's options */
    char names[512];                     /* each[i].dataset points into it */
    const char *out, *resume;
    int plots, quiet, report_only;
    int teacher_epochs[BENCH_MAX_LIST]; /* each teacher's recipe's most epochs */
    int max_teacher_epochs;
    long threads, jobs;
} bench_args;

enum { OPT_AXIS = 3000 }; /* + the axis: its values */

/* What parse_one notes besides the grid. */
typedef struct {
    const char *datasets, *teacher, *teachers;
    int quick, seeds_set;
} bench_seen;

/* One option of the grid or the run; 0: taken, otherwise 1 + the exit code. */
static int parse_one(bench_args *a, int c, const char *arg, bench_seen *seen) {
    bench_grid *g = &a->grid;
    char msg[GNNKD_MSG_LEN];
    long v;
    if (c >= OPT_AXIS && c < OPT_AXIS + BENCH_NAXES) {
        const bench_axis *ax = &BENCH_AXES[c - OPT_AXIS];
        return parse_numbers(ax->option, arg, g->value[c - OPT_AXIS], &g->nvalues[c - OPT_AXIS], ax->lo, ax->hi)
                   ? 0
                   : 3;
    }
    switch (c) {
    case 'D': seen->datasets = arg; return 0;
    case 'T': seen->teacher = arg; return 0;
    case 'K': seen->teachers = arg; return 0;
    case 's': return parse_specs("students", arg, g->student, &g->nstudents, g->student_spec) ? 0 : 3;
    case 'X':
        if (gnnkd_deepwalk_options_parse(&g->position, arg, msg) != GNNKD_OK ||
            snprintf(g->position_text, sizeof g->position_text, "%s", arg) >= (int)sizeof g->position_text) {
            fprintf(stderr, "gnnkd bench: --position: %s\n", msg[0] ? msg : "too long");
            return 3;
        }
        return 0;
    case 'M': return parse_methods(arg, g) ? 0 : 3;
    case 'n':
        if (!cli_int("bench", "seeds", arg, 1, 100000, &v)) return 3;
        g->seeds = (int)v, seen->seeds_set = 1;
        return 0;
    case 'S':
        if (!cli_int("bench", "seed", arg, 0, 2147483647L, &v)) return 3;
        g->seed0 = v;
        return 0;
    case 'q': seen->quick = 1; return 0;
    case 'l':
        if (gnnkd_select_parse(&g->select, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd bench: --select: %s\n", msg);
        return 3;
    case 'e':
        if (!cli_int("bench", "epochs", arg, 1, 1000000, &v)) return 3;
        g->epochs = (int)v, g->epochs_set = 1;
        return 0;
    case 'p':
        if (!cli_int("bench", "patience", arg, 0, 1000000, &v)) return 3;
        g->patience = (int)v, g->patience_set = 1;
        return 0;
    case 'w': return cli_float("bench", "weight-decay", arg, 0.0, 100.0, &g->weight_decay) ? 0 : 3;
    case 'o': a->out = arg; return 0;
    case 'r': a->resume = arg; return 0;
    case 'j': return cli_int("bench", "threads", arg, 0, 4096, &a->threads) ? 0 : 3;
    case 'J': return cli_int("bench", "jobs", arg, 0, 4096, &a->jobs) ? 0 : 3;
    case 'P': a->plots = 0; return 0;
    case 'Y': a->report_only = 1; return 0;
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

/* The defaults of the grid: the library's recipe, the default methods, each axis's values. */
static void grid_defaults(bench_args *a) {
    gnnkd_distill_options def;
    gnnkd_distill_options_default(&def, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    bench_grid *g = &a->grid;
    g->seeds = 10;
    g->select = def.student_train.select;
    g->epochs = def.student_train.epochs;
    g->weight_decay = -1.0;
    for (int ax = 0; ax < BENCH_NAXES; ax++)
        (void)!parse_numbers(BENCH_AXES[ax].option, BENCH_AXES[ax].values, g->value[ax], &g->nvalues[ax],
                             BENCH_AXES[ax].lo, BENCH_AXES[ax].hi);
    g->nmethods = 0;
    for (int k = 0; k < BENCH_NMETHODS; k++)
        if (BENCH_METHODS[k].by_default) g->method[g->nmethods++] = k;
    (void)!parse_specs("students", "gcn:8,mlp:64", g->student, &g->nstudents, g->student_spec);
    /* the position features of the recipe nosmog: one decision, the library's */
    gnnkd_distill_options nosmog = def;
    (void)!gnnkd_recipe_apply(&nosmog, "nosmog", NULL);
    g->position = nosmog.position;
    snprintf(g->position_text, sizeof g->position_text, "deepwalk:%d", (int)g->position.dim);
    a->tspec[0] = def.teacher;
    gnnkd_model_spec_format(g->teacher[0], BENCH_SPEC_LEN, &def.teacher);
    g->nteachers = 1;
}

/* The teachers (--teachers, or --teacher as its one-element form) and each
 * kind's recipe, as their rows record it. */
static int teachers_of(bench_args *a, const bench_seen *seen) {
    bench_grid *g = &a->grid;
    if (seen->teacher && seen->teachers) {
        fprintf(stderr, "gnnkd bench: --teacher is --teachers with one model: give one of them\n");
        return 0;
    }
    const char *list = seen->teachers ? seen->teachers : seen->teacher;
    if (list && !parse_specs(seen->teachers ? "teachers" : "teacher", list, g->teacher, &g->nteachers, a->tspec))
        return 0;
    if (seen->teacher && g->nteachers > 1) {
        fprintf(stderr, "gnnkd bench: --teacher takes one model; use --teachers for a list\n");
        return 0;
    }
    a->max_teacher_epochs = 0;
    for (int t = 0; t < g->nteachers; t++) {
        gnnkd_train_options o;
        gnnkd_train_options_for_model(&o, &a->tspec[t], GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
        bench_training_text(g->teacher_training[t], sizeof g->teacher_training[t], o.select, o.patience,
                            o.epochs, o.weight_decay);
        a->teacher_epochs[t] = o.epochs;
        if (o.epochs > a->max_teacher_epochs) a->max_teacher_epochs = o.epochs;
    }
    return 1;
}

/* Parses argv into a; 0 on success, otherwise 1 + the exit code. */
static int parse_args(bench_args *a, int argc, char **argv) {
    static const struct option fixed[] = {
        CLI_DATA_OPTIONS,
        {"datasets", required_argument, 0, 'D'},
        {"teacher", required_argument, 0, 'T'},
        {"teachers", required_argument, 0, 'K'},
        {"students", required_argument, 0, 's'},
        {"methods", required_argument, 0, 'M'},
        {"seeds", required_argument, 0, 'n'},
        {"seed", required_argument, 0, 'S'},
        {"quick", no_argument, 0, 'q'},
        {"select", required_argument, 0, 'l'},
        {"epochs", required_argument, 0, 'e'},
        {"patience", required_argument, 0, 'p'},
        {"weight-decay", required_argument, 0, 'w'},
        {"position", required_argument, 0, 'X'},
        {"out", required_argument, 0, 'o'},
        {"resume", required_argument, 0, 'r'},
        {"threads", required_argument, 0, 'j'},
        {"jobs", required_argument, 0, 'J'},
        {"no-plots", no_argument, 0, 'P'},
        {"report-only", no_argument, 0, 'Y'},
        {"quiet", no_argument, 0, 'Q'},
        {"help", no_argument, 0, 'h'}};
    enum { NFIXED = sizeof fixed / sizeof fixed[0] };
    struct option opts[NFIXED + BENCH_NAXES + 1];
    memcpy(opts, fixed, sizeof fixed);
    for (int ax = 0; ax < BENCH_NAXES; ax++)
        opts[NFIXED + ax] = (struct option){BENCH_AXES[ax].option, required_argument, 0, OPT_AXIS + ax};
    opts[NFIXED + BENCH_NAXES] = (struct option){0, 0, 0, 0};
    bench_seen seen = {0};
    int c, r;
    memset(a, 0, sizeof *a);
    a->plots = 1;
    bench_grid *g = &a->grid;
    grid_defaults(a);
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&a->data, c, optarg)) continue;
        if ((r = parse_one(a, c, optarg, &seen)) != 0) return r;
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd bench: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 3;
    }
    if (a->report_only && !a->resume) {
        fprintf(stderr, "gnnkd bench: --report-only needs --resume DIR (the run to report)\n");
        return 3;
    }
    if (a->out && a->resume) {
        fprintf(stderr, "gnnkd bench: give --out for a new run or --resume for an old one, not both\n");
        return 3;
    }
    g->glnn = a->data.glnn;
    g->split_seed = a->data.split_seed;
    g->inductive = g->glnn || (a->data.setting && a->data.setting_kind == GNNKD_SETTING_INDUCTIVE);
    if (g->glnn && a->data.setting && a->data.setting_kind == GNNKD_SETTING_TRANSDUCTIVE)
        g->inductive = 0; /* the protocol's splits, every node observed */
    if (g->glnn && a->data.setting)
        snprintf(g->setting, sizeof g->setting, g->inductive ? "glnn+inductive:%g" : "glnn+transductive", a->data.setting_fraction);
    else if (g->glnn) snprintf(g->setting, sizeof g->setting, "glnn");
    else if (g->inductive) snprintf(g->setting, sizeof g->setting, "inductive:%g", a->data.setting_fraction);
    if (!split_datasets(a, seen.datasets)) return 3;
    if (seen.quick && !seen.seeds_set) g->seeds = 2;
    if (!g->patience_set) { /* the library's window for the rule */
        gnnkd_train_options rule;
        gnnkd_train_options_for(&rule, GNNKD_METHOD_SCRATCH, g->select);
        g->patience = rule.patience;
    }
    if (!teachers_of(a, &seen)) return 3;
    gnnkd_set_threads((int)a->threads);
    a->threads = gnnkd_get_threads();
    if (a->jobs == 0) a->jobs = a->threads;
    if (a->jobs > (long)g->ndatasets * g->seeds) a->jobs = (long)g->ndatasets * g->seeds;
    return 0;
}

/* Every dataset first: a bad name fails now, not an hour later, and before
 * any folder is made (with the GLNN protocol: its first seed's split). */
static int open_datasets(bench_data *bd, bench_args *a, char *msg) {
    bench_grid *g = &a->grid;
    for (int i = 0; i < g->ndatasets; i++) {
        int rc = data_open(&bd[i], &a->each[i], 0, msg);
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
            fprintf(r->curves, "%s\n", bench_curve_header());
        }
    }
    if (rc == GNNKD_OK) rc = bench_env_write(dir, env, g, msg);
    if (rc == GNNKD_OK) rc = workers_new(r, (int)a->jobs, msg);
    return rc;
}

/* Trains every job the rows lack, with the progress line's estimates. */
static int run_jobs(bench_run *r, const bench_data *bd, const bench_args *a, char *msg) {
    const bench_grid *g = &a->grid;
    for (int i = 0; i < g->ndatasets; i++) r->work_total += g->seeds * seed_work(r, &bd[i]);
    r->jobs = (long)g->ndatasets * g->seeds * seed_jobs(g);
    r->run_start = util_now();
    int rc = run_all(r, bd, (int)a->jobs, (int)a->threads, msg);
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
    if (rc == GNNKD_OK && a->plots) rc = bench_plots_write(sum, dir, r->max_epochs, &env->plots, msg);
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
    bench_run r = {.g = &a->grid, .tspec = a->tspec, .teacher_epochs = a->teacher_epochs,
                   .data_opts = a->each,
                   .rows = &rows, .start = env.start};
    r.max_epochs = a->max_teacher_epochs;
    for (int st = 0; st < a->grid.nstudents; st++)
        for (int k = 0; k < bench_nconfigs(&a->grid); k++)
            if (config_epochs(&a->grid, st, k) > r.max_epochs) r.max_epochs = config_epochs(&a->grid, st, k);
    r.show = !a->quiet && isatty(2);

    int rc = open_datasets(bd, a, msg);
    if (rc == GNNKD_OK) rc = prepare_run(&r, &rows, &env, dir, sizeof dir, a, msg);
    if (rc == GNNKD_OK && !a->report_only) rc = run_jobs(&r, bd, a, msg);
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
