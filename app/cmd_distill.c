/* cmd_distill.c — `gnnkd distill`: a student learns from a teacher (trained
 * on the fly, loaded from model or logits files, or an ensemble of them) by
 * knowledge distillation, model compression, or from scratch as a baseline. */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_TEACHERS = 64 };

static void distill_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd distill [options]\n\n"
            "Trains a student on a teacher's outputs and reports both.\n\n"
            "Teacher:\n"
            "  --teacher T             a model (gcn:H,..., mlp:H,..., sage:H,..., gat:8x8; see\n"
            "                          gnnkd train --help) trains a teacher per seed with its\n"
            "                          kind's recipe (default gcn:64); a model file or a\n"
            "                          logits .npy file is loaded.\n"
            "                          Repeat for an ensemble (files).\n"
            "  --ensemble K            train K teachers per seed and average them (1)\n"
            "  --save-teacher PATH     save the trained teacher(s)\n"
            "  --teacher-select R      a trained teacher's model selection, as --select:\n"
            "                          val-acc (the default), val-loss (Kipf's early\n"
            "                          stopping: calibrated soft targets) or last\n"
            "Student and method:\n"
            "  --student S             any model, as --teacher (mlp:64), or cpf:K[,H]: CPF's\n"
            "                          label-propagation student (needs the graph to predict)\n"
            "  --dropout P             dropout of students and trained teachers (0.5; 0.6\n"
            "                          for gat)\n"
            "  --student-dropout P     the student's dropout alone (overrides --dropout)\n"
            "  --method M              kd (Hinton et al. 2015), compress (logit matching,\n"
            "                          Bucilua et al. 2006), lsp (local structure, Yang et al.\n"
            "                          2020, and hard labels), kd+lsp (both terms), euclid\n"
            "                          (CPF's ||softmax(s/T) - q||_2 over the transfer set in\n"
            "                          place of KD's KL; CPF's own: --transfer unlabeled) or\n"
            "                          scratch (hard labels only) (kd)\n"
            "  --temperature T         KD temperature (1)\n"
            "  --alpha A               weight of the soft term; 1-A on the hard labels (0.9)\n"
            "  --center                compress: centre each teacher logit row to zero mean\n"
            "  --standardise-logits 0|1  1: z-score each teacher logit row (mean 0, sd 1)\n"
            "                          before the target, a per-node temperature (Sun et al.\n"
            "                          2024) (0)\n"
            "  --transfer S            all, train, unlabeled, no-val (all but the validation\n"
            "                          nodes) or a file of node ids (all); or\n"
            "                          munge:N[,p=P,s=S]: all nodes and N MUNGE pseudo-nodes\n"
            "                          (p 0.5, s 1; MLP students; see gnnkd_munge in gnnkd.h)\n"
            "LSP (--method lsp, kd+lsp): node i's local structure is the softmax over its\n"
            "neighbours j of k(z_i, z_j) / tau at a hidden layer z of each model; the\n"
            "student's loss gains BETA * mean_i KL(student_i || teacher_i).\n"
            "  --lsp-weight BETA       weight of the LSP term (1)\n"
            "  --lsp-kernel K          rbf: -|z_i-z_j|^2 / 2 sigma^2 (the paper), linear:\n"
            "                          z_i.z_j, poly: (z_i.z_j + 1)^2, l1: exp(-|z_i-z_j|_1 /\n"
            "                          sigma) (the authors' code) (rbf)\n"
            "  --lsp-tau TAU           softmax temperature (1)\n"
            "  --lsp-sigma S           rbf and l1 scale (1 for rbf, 100 for l1)\n"
            "  --lsp-layer K           the student's hidden layer, 1-based (its last)\n"
            "  --lsp-teacher-layer K   the teacher's hidden layer (its last)\n"
            "  --lsp-self-loop         count node i among its own neighbours\n"
            "  --lsp-reverse           KL(teacher || student), as the authors' code\n"
            "  --lsp-preact            both layers before their ReLU/ELU, as the authors' code\n"
            "  --lsp-hops R            neighbours j within R edges of i (1: the paper's N(i));\n"
            "                          24 bytes a pair (i, j), at most 2^28 pairs (PubMed: 5 hops\n"
            "                          hold 105M)\n"
            "  Teacher files must be model files (the hidden layer), not .npy logits.\n\n"
            "NOSMOG's student inputs (Tian et al. 2023):\n"
            "  --position deepwalk:D[,walks=W,length=L,window=K,epochs=E,negatives=N,lr=R,seed=S]\n"
            "                          append D DeepWalk columns, computed on the observed\n"
            "                          graph, standardised (W 5, L 50, K 5, E 1, N 5, R 0.025);\n"
            "                          a held-out node gets its observed neighbours' mean\n"
            "                          (the observed nodes' mean without one); the student\n"
            "                          keeps every node's row (gnnkd predict --edges);\n"
            "                          or FILE.npy: a saved (n, D) block instead of DeepWalk;\n"
            "                          or none: no position features (a recipe's off)\n"
            "  --position-save FILE.npy  write the raw block (last run's)\n"
            "  --adv-eps E             adversarial augmentation: PGD within |delta| <= E on the\n"
            "                          student's input (0: off)\n"
            "  --adv-steps K           PGD steps of E/4 (5)\n"
            "  --adv-weight W          weight of the perturbed loss (0.1)\n"
            "  --rsd-weight W          similarity distillation: W * mean (S_s - S_t)^2 of the\n"
            "                          cosine similarities of the hidden rows (the layers of\n"
            "                          --lsp-layer, --lsp-teacher-layer) on random batches (0)\n"
            "  --rsd-batch B           nodes a batch (512)\n"
            "  --rsd-similarity S      cosine (the default) or dot: dot products of the rows\n"
            "                          as they are (NOSMOG's code)\n"
            "  --rsd-projector 0|1     1: the student's rows pass through NOSMOG's trained\n"
            "                          projector relu(W z + b) first (0)\n"
            "  --generations G         born-again students: G in turn, each after the first\n"
            "                          taught by the one before with the same options; the\n"
            "                          last is the student (1..16; 1)\n"
            "  --assistant R           a teacher assistant (Mirzadeh et al. 2020): the teacher\n"
            "                          teaches a student of recipe R (its own defaults and\n"
            "                          position features), which teaches this student in the\n"
            "                          teacher's place; none: no assistant (a recipe's off)\n"
            "Recipes:\n"
            "  --recipe R              a preset; options given explicitly override its values:\n"
            "                          nosmog: kd with --standardise-logits 1 at\n"
            "                          --temperature 1 + --position deepwalk:64 +\n"
            "                          --rsd-weight 3, 500 epochs, patience\n"
            "                          500, --generations 2 (validated on Cora,\n"
            "                          CiteSeer and PubMed; docs/results/nosmog.md);\n"
            "                          cpf: the student cpf:8,128 by --method euclid\n"
            "                          --transfer unlabeled (CPF's loss), --student-dropout\n"
            "                          0.3 (CPF's 0.8; kept for any cpf student named),\n"
            "                          attention dropout 0.2, lr 0.01, 500 epochs, no weight\n"
            "                          decay, patience 500, --standardise-logits 1,\n"
            "                          --generations 1, --assistant nosmog\n"
            "                          (docs/results/cpf.md)\n\n"
            "Distributed (a build with MPI):\n"
            "  --partitioned DIR       mpirun -np P gnnkd distill --partitioned DIR: teacher\n"
            "                          and student trained over the parts of DIR (gnnkd\n"
            "                          partition), one rank each; the teacher's targets stay\n"
            "                          on the ranks; GCN and MLP; --threads per rank (1)\n\n"
            "Teachers are trained with Kipf & Welling's recipe (the defaults of gnnkd train).\n"
            "The training options below are the student's. Their defaults differ from\n"
            "gnnkd train's in one point: --weight-decay is 0 for kd, kd+lsp and compress\n"
            "(the soft targets regularise) and 5e-4 for scratch and lsp.\n\n"
            "%s\n%s\n"
            "Example: gnnkd distill --dataset cora --teacher gcn:64 --student mlp:64 --runs 10\n",
            CLI_DATA_HELP, CLI_RUN_HELP);
}

static int is_spec(const char *s) {
    for (int k = GNNKD_MODEL_GCN; k <= GNNKD_MODEL_CPF; k++) {
        const char *name = gnnkd_model_kind_name((gnnkd_model_kind)k);
        size_t len = strlen(name);
        if (!strncmp(s, name, len) && (s[len] == '\0' || s[len] == ':')) return 1;
    }
    return 0;
}

/* The command line of gnnkd distill. */
typedef struct {
    cli_data data;
    cli_run run;
    const char *files[MAX_TEACHERS];
    int nfiles;
    long ensemble;
    const char *teacher, *student, *transfer, *save_teacher;
    gnnkd_select teacher_select;
    gnnkd_method method;
    double temperature, alpha, dropout, student_dropout;
    int center;
    long standardise;
    double lsp_weight, lsp_tau, lsp_sigma;
    long lsp_layer, lsp_teacher_layer, lsp_hops;
    gnnkd_lsp_kernel lsp_kernel;
    int lsp_self_loop, lsp_reverse, lsp_preact;
    const char *position, *position_save; /* position NULL with position_off: --position none */
    int position_off;
    double adv_eps, adv_weight;
    long adv_steps;
    double rsd_weight;
    long rsd_batch;
    int rsd_dot;
    long rsd_projector;
    long generations;
    const char *assistant; /* NULL with assistant_set: --assistant none */
    int assistant_set;
    const char *recipe;
    const char *partitioned;
} distill_args;

/* 0: go on; otherwise 1 + the exit code (help or a usage error). */
static int parse_one(distill_args *a, int c, const char *arg) {
    char msg[GNNKD_MSG_LEN];
    switch (c) {
    case 'T':
        if (is_spec(arg)) {
            a->teacher = arg;
        } else if (a->nfiles < MAX_TEACHERS) {
            a->files[a->nfiles++] = arg;
        } else {
            fprintf(stderr, "gnnkd distill: at most %d teacher files\n", MAX_TEACHERS);
            return 3;
        }
        return 0;
    case 'E': return cli_int("distill", "ensemble", arg, 1, MAX_TEACHERS, &a->ensemble) ? 0 : 3;
    case 'S': a->save_teacher = arg; return 0;
    case 's': a->student = arg; return 0;
    case 'p': return cli_float("distill", "dropout", arg, 0.0, 0.99, &a->dropout) ? 0 : 3;
    case 'q':
        return cli_float("distill", "student-dropout", arg, 0.0, 0.99, &a->student_dropout) ? 0 : 3;
    case 'M':
        if (gnnkd_method_parse(&a->method, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd distill: --method: %s\n", msg);
        return 3;
    case 't': return cli_float("distill", "temperature", arg, 1e-3, 1e6, &a->temperature) ? 0 : 3;
    case 'a': return cli_float("distill", "alpha", arg, 0.0, 1.0, &a->alpha) ? 0 : 3;
    case 'c': a->center = 1; return 0;
    case 3111: return cli_int("distill", "standardise-logits", arg, 0, 1, &a->standardise) ? 0 : 3;
    case 'x': a->transfer = arg; return 0;
    case 2000: return cli_float("distill", "lsp-weight", arg, 0.0, 1e6, &a->lsp_weight) ? 0 : 3;
    case 2001:
        if (gnnkd_lsp_kernel_parse(&a->lsp_kernel, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd distill: --lsp-kernel: %s\n", msg);
        return 3;
    case 2002: return cli_float("distill", "lsp-tau", arg, 1e-6, 1e6, &a->lsp_tau) ? 0 : 3;
    case 2003: return cli_float("distill", "lsp-sigma", arg, 1e-6, 1e6, &a->lsp_sigma) ? 0 : 3;
    case 2004:
        return cli_int("distill", "lsp-layer", arg, 1, GNNKD_MAX_LAYERS - 1, &a->lsp_layer) ? 0 : 3;
    case 2005:
        return cli_int("distill", "lsp-teacher-layer", arg, 1, GNNKD_MAX_LAYERS - 1,
                       &a->lsp_teacher_layer) ? 0 : 3;
    case 2006: a->lsp_self_loop = 1; return 0;
    case 2007: a->lsp_reverse = 1; return 0;
    case 2008: a->lsp_preact = 1; return 0;
    case 2009: return cli_int("distill", "lsp-hops", arg, 1, GNNKD_LSP_MAX_HOPS, &a->lsp_hops) ? 0 : 3;
    case 3100: // the last --position wins; none turns a recipe's off
        a->position_off = !strcmp(arg, "none");
        a->position = a->position_off ? NULL : arg;
        return 0;
    case 3101: a->position_save = arg; return 0;
    case 3102: return cli_float("distill", "adv-eps", arg, 0.0, 1e6, &a->adv_eps) ? 0 : 3;
    case 3103: return cli_int("distill", "adv-steps", arg, 1, 1000, &a->adv_steps) ? 0 : 3;
    case 3104: return cli_float("distill", "adv-weight", arg, 0.0, 1e6, &a->adv_weight) ? 0 : 3;
    case 3105: return cli_float("distill", "rsd-weight", arg, 0.0, 1e6, &a->rsd_weight) ? 0 : 3;
    case 3106: return cli_int("distill", "rsd-batch", arg, 1, 1 << 20, &a->rsd_batch) ? 0 : 3;
    case 3107: return 0; // read before the others (recipe_of)
    case 3109:
        if (!strcmp(arg, "cosine") || !strcmp(arg, "dot")) {
            a->rsd_dot = arg[0] == 'd';
            return 0;
        }
        fprintf(stderr, "gnnkd distill: --rsd-similarity '%s': expected cosine or dot\n", arg);
        return 3;
    case 3110: return cli_int("distill", "rsd-projector", arg, 0, 1, &a->rsd_projector) ? 0 : 3;
    case 3112:
        return cli_int("distill", "generations", arg, 1, GNNKD_MAX_GENERATIONS, &a->generations) ? 0 : 3;
    case 3113: { // a recipe's name, checked now; none turns a recipe's assistant off
        gnnkd_distill_options scratch;
        gnnkd_distill_options_default(&scratch, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
        a->assistant_set = 1;
        a->assistant = strcmp(arg, "none") ? arg : NULL;
        if (a->assistant == NULL || gnnkd_recipe_apply(&scratch, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd distill: --assistant: %s, or none\n", msg);
        return 3;
    }
    case 3108:
        if (gnnkd_select_parse(&a->teacher_select, arg, msg) == GNNKD_OK) return 0;
        fprintf(stderr, "gnnkd distill: --teacher-select: %s\n", msg);
        return 3;
    case 'D': a->partitioned = arg; return 0;
    case 'h': distill_help(stdout); return 1;
    default: distill_help(stderr); return 3;
    }
}

/* The shortest decimal of a float option ("0.9", not 0.899999976): as a
 * user would have typed it. */
static double typed(float f) {
    char buf[32];
    snprintf(buf, sizeof buf, "%g", (double)f);
    return strtod(buf, NULL);
}

/* The text of the last --recipe R or --recipe=R in argv, or NULL: read
 * first, so that the options given explicitly override the recipe's. */
static const char *recipe_of(int argc, char **argv) {
    const char *r = NULL;
    for (int k = 1; k < argc; k++) {
        if (!strcmp(argv[k], "--")) break;
        if (!strcmp(argv[k], "--recipe") && k + 1 < argc) r = argv[++k];
        else if (!strncmp(argv[k], "--recipe=", 9)) r = argv[k] + 9;
    }
    return r;
}

/* Parses argv into a; 0 on success, otherwise 1 + the exit code. */
static int parse_args(distill_args *a, int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS, CLI_RUN_OPTIONS,
        {"teacher", required_argument, 0, 'T'},
        {"ensemble", required_argument, 0, 'E'},
        {"save-teacher", required_argument, 0, 'S'},
        {"student", required_argument, 0, 's'},
        {"dropout", required_argument, 0, 'p'},
        {"student-dropout", required_argument, 0, 'q'},
        {"method", required_argument, 0, 'M'},
        {"temperature", required_argument, 0, 't'},
        {"alpha", required_argument, 0, 'a'},
        {"center", no_argument, 0, 'c'},
        {"standardise-logits", required_argument, 0, 3111},
        {"transfer", required_argument, 0, 'x'},
        {"lsp-weight", required_argument, 0, 2000},
        {"lsp-kernel", required_argument, 0, 2001},
        {"lsp-tau", required_argument, 0, 2002},
        {"lsp-sigma", required_argument, 0, 2003},
        {"lsp-layer", required_argument, 0, 2004},
        {"lsp-teacher-layer", required_argument, 0, 2005},
        {"lsp-self-loop", no_argument, 0, 2006},
        {"lsp-reverse", no_argument, 0, 2007},
        {"lsp-preact", no_argument, 0, 2008},
        {"lsp-hops", required_argument, 0, 2009},
        {"position", required_argument, 0, 3100},
        {"position-save", required_argument, 0, 3101},
        {"adv-eps", required_argument, 0, 3102},
        {"adv-steps", required_argument, 0, 3103},
        {"adv-weight", required_argument, 0, 3104},
        {"rsd-weight", required_argument, 0, 3105},
        {"rsd-batch", required_argument, 0, 3106},
        {"rsd-similarity", required_argument, 0, 3109},
        {"rsd-projector", required_argument, 0, 3110},
        {"generations", required_argument, 0, 3112},
        {"assistant", required_argument, 0, 3113},
        {"recipe", required_argument, 0, 3107},
        {"teacher-select", required_argument, 0, 3108},
        {"partitioned", required_argument, 0, 'D'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    gnnkd_distill_options def;
    gnnkd_distill_options_default(&def, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    memset(a, 0, sizeof *a);
    a->recipe = recipe_of(argc, argv);
    if (a->recipe) {
        char msg[GNNKD_MSG_LEN];
        if (gnnkd_recipe_apply(&def, a->recipe, msg) != GNNKD_OK) {
            fprintf(stderr, "gnnkd distill: --recipe: %s\n", msg);
            return 3;
        }
    }
    cli_run_defaults(&a->run);
    a->ensemble = def.ensemble;
    a->teacher_select = def.teacher_train.select;
    a->method = def.method;
    a->temperature = typed(def.temperature);
    a->alpha = typed(def.alpha);
    a->center = def.center;
    a->standardise = def.standardise;
    a->dropout = -1.0;
    a->student_dropout = -1.0;
    a->lsp_weight = typed(def.lsp_weight);
    a->lsp_tau = typed(def.lsp_tau);
    a->lsp_sigma = typed(def.lsp_sigma);
    a->lsp_layer = def.lsp_layer;
    a->lsp_teacher_layer = def.lsp_teacher_layer;
    a->lsp_hops = def.lsp_hops;
    a->lsp_kernel = def.lsp_kernel;
    a->lsp_self_loop = def.lsp_self_loop;
    a->lsp_reverse = def.lsp_reverse;
    a->lsp_preact = def.lsp_preact;
    a->adv_eps = typed(def.adv_eps);
    a->adv_steps = def.adv_steps;
    a->adv_weight = typed(def.adv_weight);
    a->rsd_weight = typed(def.rsd_weight);
    a->rsd_batch = def.rsd_batch;
    a->rsd_dot = def.rsd_dot;
    a->rsd_projector = def.rsd_projector;
    a->generations = def.generations;
    const int recipe_position = def.position.dim > 0;
    int c, r;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&a->data, c, optarg)) continue;
        if ((r = cli_run_option("distill", &a->run, c, optarg)) != 0) {
            if (r < 0) return 3;
            continue;
        }
        if ((r = parse_one(a, c, optarg)) != 0) return r;
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd distill: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 3;
    }
    if (a->partitioned && (a->data.dataset || a->data.graph || a->data.setting || a->data.glnn)) {
        fprintf(stderr, "gnnkd distill: --partitioned DIR holds the data: no --dataset, --graph, "
                        "--setting or --protocol\n");
        return 3;
    }
    if (a->partitioned && a->run.threads == 0) a->run.threads = 1; // ranks share the cores
    if (a->teacher && a->nfiles) {
        fprintf(stderr, "gnnkd distill: give teacher files or a teacher to train, not both\n");
        return 3;
    }
    if (cli_run_finish(&a->run, a->method, "distill") ||
        cli_check_output("distill", "save-teacher", a->save_teacher) ||
        cli_check_output("distill", "position-save", a->position_save))
        return 3;
    if (a->position_save && !a->position && (a->position_off || !recipe_position)) {
        fprintf(stderr, "gnnkd distill: --position-save needs position features (--position)\n");
        return 3;
    }
    return 0;
}

/* What a run shares with the hook that saves and labels each teacher member. */
typedef struct {
    const distill_args *a;
    cli_progress prog;
    char label[64];
} distill_ctx;

static gnnkd_status member_trained(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    distill_ctx *x = ctx;
    cli_progress_done(&x->prog);
    snprintf(x->label, sizeof x->label, "teacher %d", j + 2);
    if (x->a->save_teacher == NULL) return GNNKD_OK;
    char path[4096];
    cli_run_path(path, sizeof path, x->a->save_teacher, x->a->run.runs * (int)x->a->ensemble,
                 (unsigned long long)seed);
    return gnnkd_model_save(m, path, msg);
}

/* "munge:N[,p=P,s=S]" into o's MUNGE fields; 0 if text is not of that form. */
static int parse_munge(gnnkd_distill_options *o, const char *text) {
    char *end;
    if (strncmp(text, "munge:", 6) != 0) return 0;
    const char *q = text + 6;
    if (*q < '0' || *q > '9') return 0;
    long n = strtol(q, &end, 10);
    if (n < 0 || n > 100000000) return 0;
    o->munge = (int32_t)n;
    while (*end == ',') {
        char key = end[1];
        if ((key != 'p' && key != 's') || end[2] != '=') return 0;
        double v = strtod(end + 3, &end);
        if (key == 'p') o->munge_p = (float)v;
        else o->munge_s = (float)v;
    }
    return *end == '\0';
}

/* The library's options for the command line a (ctx: the hook's). */
static int prepare(gnnkd_distill_options *o, distill_ctx *ctx, const distill_args *a, char *msg) {
    gnnkd_distill_options_default(o, a->method, a->run.train.select);
    // the named recipe's values, then the fields below (the user's, or the recipe's via a)
    if (a->recipe && gnnkd_recipe_apply(o, a->recipe, msg) != GNNKD_OK) return GNNKD_EINVAL;
    o->method = a->method;
    o->student_train = a->run.train; // the recipe's, with the user's options on top
    o->ensemble = (int)a->ensemble;
    o->teacher_files = a->nfiles ? a->files : NULL;
    o->nteacher_files = a->nfiles;
    o->temperature = (float)a->temperature;
    o->alpha = (float)a->alpha;
    o->center = a->center;
    o->standardise = (int)a->standardise;
    o->lsp_weight = (float)a->lsp_weight;
    o->lsp_kernel = a->lsp_kernel;
    o->lsp_tau = (float)a->lsp_tau;
    o->lsp_sigma = (float)a->lsp_sigma;
    o->lsp_layer = (int)a->lsp_layer;
    o->lsp_teacher_layer = (int)a->lsp_teacher_layer;
    o->lsp_hops = (int)a->lsp_hops;
    o->lsp_self_loop = a->lsp_self_loop;
    o->lsp_reverse = a->lsp_reverse;
    o->lsp_preact = a->lsp_preact;
    o->transfer_path = a->transfer;
    int rc = GNNKD_OK;
    if (a->transfer && !strncmp(a->transfer, "munge:", 6)) {
        o->transfer_path = NULL;
        if (!parse_munge(o, a->transfer)) {
            snprintf(msg, GNNKD_MSG_LEN, "--transfer '%s': expected munge:N[,p=P][,s=S]", a->transfer);
            rc = GNNKD_EINVAL;
        }
    } else if (rc == GNNKD_OK && a->transfer) {
        rc = gnnkd_transfer_parse(&o->transfer, a->transfer, msg);
    }
    o->adv_eps = (float)a->adv_eps;
    o->adv_steps = (int)a->adv_steps;
    o->adv_weight = (float)a->adv_weight;
    o->rsd_weight = (float)a->rsd_weight;
    o->rsd_batch = (int32_t)a->rsd_batch;
    o->rsd_dot = a->rsd_dot;
    o->rsd_projector = (int)a->rsd_projector;
    o->generations = (int)a->generations;
    if (a->assistant_set) o->assistant = a->assistant;
    o->position_save = a->position_save;
    if (a->position_off) o->position.dim = 0; // a recipe's off
    if (rc == GNNKD_OK && a->position) {
        size_t len = strlen(a->position);
        if (len > 4 && !strcmp(a->position + len - 4, ".npy")) {
            o->position_file = a->position;
        } else if ((rc = gnnkd_deepwalk_options_parse(&o->position, a->position, msg)) != GNNKD_OK) {
            char inner[GNNKD_MSG_LEN - 32];
            snprintf(inner, sizeof inner, "%s", msg);
            snprintf(msg, GNNKD_MSG_LEN, "--position: %s (or a FILE.npy)", inner);
        }
    }
    if (rc == GNNKD_OK && a->student) rc = gnnkd_model_spec_parse(&o->student, a->student, msg);
    if (rc == GNNKD_OK && a->teacher) rc = gnnkd_model_spec_parse(&o->teacher, a->teacher, msg);
    if (a->dropout >= 0) o->student.dropout = o->teacher.dropout = (float)a->dropout;
    if (a->student_dropout >= 0) o->student.dropout = (float)a->student_dropout;
    if (rc == GNNKD_OK && a->lsp_layer >= o->student.nlayers) {
        char text[128];
        gnnkd_model_spec_format(text, sizeof text, &o->student);
        snprintf(msg, GNNKD_MSG_LEN, "--lsp-layer %ld: the student %s has hidden layers 1..%d",
                 a->lsp_layer, text, o->student.nlayers - 1);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK && a->lsp_teacher_layer >= o->teacher.nlayers && !a->nfiles) {
        char text[128];
        gnnkd_model_spec_format(text, sizeof text, &o->teacher);
        snprintf(msg, GNNKD_MSG_LEN, "--lsp-teacher-layer %ld: the teacher %s has hidden layers 1..%d",
                 a->lsp_teacher_layer, text, o->teacher.nlayers - 1);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK) { // each model's recipe; the user's options on the student's
        gnnkd_train_options_for_model(&o->teacher_train, &o->teacher, GNNKD_METHOD_SCRATCH,
                                      a->teacher_select);
        o->teacher_train.reproducible = a->run.train.reproducible;
        cli_run run = a->run;
        cli_run_for_model(&run, &o->student, a->method);
        // a recipe's own training values for its student, where the user set none
        gnnkd_distill_options rec;
        gnnkd_distill_options_default(&rec, a->method, run.train.select);
        rec.student_train = run.train;
        if (a->recipe && gnnkd_recipe_apply(&rec, a->recipe, NULL) == GNNKD_OK &&
            rec.student.kind == o->student.kind) {
            if (!run.epochs_set) run.train.epochs = rec.student_train.epochs;
            if (!run.patience_set) run.train.patience = rec.student_train.patience;
            if (!run.batch_set) run.train.batch = rec.student_train.batch;
            if (!run.hidden_dropout_set)
                run.train.hidden_dropout_only = rec.student_train.hidden_dropout_only;
            if (a->dropout < 0 && a->student_dropout < 0) o->student.dropout = rec.student.dropout;
        }
        o->student_train = run.train;
    }
    ctx->a = a;
    snprintf(ctx->label, sizeof ctx->label, "teacher 1");
    ctx->prog = (cli_progress){ctx->label, o->teacher_train.epochs, !a->run.quiet && isatty(2)};
    o->teacher_train.progress = cli_progress_cb;
    o->teacher_train.progress_ctx = &ctx->prog;
    o->member_trained = member_trained;
    o->member_ctx = ctx;
    return rc;
}

/* Every seed's run in its setting: the teacher's scores into tacc (test
 * accuracy on the observed graph) and tset, the student's results into
 * runs, the last result into *last, the last run's transfer-set size into
 * *ntransfer. */
static int run_all(gnnkd_distill_setting_result *last, double *tacc, cli_runs *tset,
                   cli_runs *runs, cli_runs *aruns, int32_t *ntransfer, gnnkd_distill_options *o, distill_ctx *ctx,
                   gnnkd_dataset *d, char *msg) {
    const distill_args *a = ctx->a;
    const cli_run *run = &a->run;
    gnnkd_setting *set = NULL;
    int32_t *tnodes = NULL;
    int rc = GNNKD_OK;
    for (int k = 0; rc == GNNKD_OK && k < run->runs; k++) {
        uint64_t seed = run->train.seed + (uint64_t)k;
        char label[64];
        snprintf(label, sizeof label, "student %d/%d", k + 1, run->runs);
        cli_progress sprog = {label, o->student_train.epochs, ctx->prog.enabled};
        o->student_train.progress = cli_progress_cb;
        o->student_train.progress_ctx = &sprog;
        snprintf(ctx->label, sizeof ctx->label, "teacher 1");
        gnnkd_model *m = NULL;
        rc = cli_setting_for_run(&set, d, &a->data, k, msg);
        /* the transfer set's size for the report; a bad file fails before training */
        free(tnodes);
        tnodes = NULL;
        if (rc == GNNKD_OK)
            rc = gnnkd_transfer_nodes(&tnodes, ntransfer, gnnkd_setting_observed(set), o->transfer,
                                      o->transfer_path, msg);
        if (rc == GNNKD_OK) rc = gnnkd_distill_in(last, &m, o, seed, set, msg);
        cli_progress_done(&sprog);
        rc = cli_oom_context(rc, msg, "distilling on %s (%d nodes, %d features, %d classes)",
                             d->name, d->n, d->nfeat, d->nclass);
        if (rc == GNNKD_OK)
            rc = cli_save_run(m, run, seed, gnnkd_setting_full(set), gnnkd_setting_full_graph(set), msg);
        if (rc == GNNKD_OK) {
            tacc[k] = last->r.teacher_acc[GNNKD_TEST];
            cli_runs_add(runs, &last->r.student);
            cli_runs_add_acc(runs, &last->student);
            tset->n++;
            cli_runs_add_acc(tset, &last->teacher);
            if (o->assistant) {
                cli_runs_add(aruns, &last->assistant_result);
                cli_runs_add_acc(aruns, &last->assistant);
            }
        }
        gnnkd_model_free(&m);
    }
    free(tnodes);
    gnnkd_setting_free(&set);
    return rc;
}

static void report(const distill_args *a, const gnnkd_distill_options *o,
                   const gnnkd_distill_setting_result *lastset, const double *tacc,
                   const cli_runs *tset, const cli_runs *runs, const cli_runs *aruns,
                   const gnnkd_dataset *d, int32_t ntransfer) {
    const gnnkd_distill_result *last = &lastset->r;
    char settext[64];
    cli_setting_text(settext, sizeof settext, &a->data);
    const int lsp = a->method == GNNKD_METHOD_LSP || a->method == GNNKD_METHOD_KD_LSP;
    const double form_sigma = a->lsp_sigma > 0 ? a->lsp_sigma : typed(gnnkd_lsp_default_sigma(a->lsp_kernel));
    char stext[128], ttext[128];
    const char *transfer = a->transfer ? a->transfer : gnnkd_transfer_name(o->transfer);
    gnnkd_model_spec_format(stext, sizeof stext, &o->student);
    if (!a->nfiles) gnnkd_model_spec_format(ttext, sizeof ttext, &o->teacher);
    else snprintf(ttext, sizeof ttext, "%d file%s", a->nfiles, a->nfiles > 1 ? "s" : "");
    if (!a->run.json) {
        char title[512];
        double mt, st;
        cli_mean_std(tacc, runs->n, &mt, &st);
        printf("teacher %s on %s, %s: test accuracy %.4f ± %.4f\n", ttext, d->name, settext, mt, st);
        if (tset->inductive) {
            double mi, si, mp, sp;
            cli_mean_std(tset->ind, tset->n, &mi, &si);
            cli_mean_std(tset->prod, tset->n, &mp, &sp);
            printf("  tran %.4f ± %.4f  ind %.4f ± %.4f  prod %.4f ± %.4f\n", mt, st, mi, si, mp, sp);
        }
        int n = snprintf(title, sizeof title, "student %s (%lld parameters) by %s, T=%g, alpha=%g, transfer %s",
                         stext, (long long)last->student_params, gnnkd_method_name(a->method),
                         a->temperature, a->alpha, transfer);
        if (lsp && n > 0 && (size_t)n < sizeof title)
            snprintf(title + n, sizeof title - (size_t)n, ", LSP %s beta=%g tau=%g sigma=%g hops=%ld%s%s%s",
                     gnnkd_lsp_kernel_name(a->lsp_kernel), a->lsp_weight, a->lsp_tau, form_sigma,
                     a->lsp_hops, a->lsp_self_loop ? " self-loop" : "",
                     a->lsp_reverse ? " reverse" : "", a->lsp_preact ? " preact" : "");
        if (o->assistant) {
            char atitle[128];
            snprintf(atitle, sizeof atitle, "assistant by recipe %s (%lld parameters)",
                     o->assistant, (long long)lastset->assistant_params);
            cli_runs_print(stdout, atitle, aruns);
        }
        cli_runs_print(stdout, title, runs);
        return;
    }
    gnnkd_model_spec sspec = o->student;
    sspec.dims[0] = d->nfeat;
    sspec.dims[sspec.nlayers] = d->nclass;
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "dataset", d->name);
    cJSON_AddItemToObject(root, "model", cli_json_model(&sspec, last->student_params));
    cJSON *tj = cJSON_CreateObject();
    cJSON_AddStringToObject(tj, "spec", ttext);
    cJSON_AddNumberToObject(tj, "members", last->teacher_members);
    if (!a->nfiles) cJSON_AddStringToObject(tj, "select", gnnkd_select_name(a->teacher_select));
    if (a->nfiles) {
        cJSON *files = cJSON_AddArrayToObject(tj, "files");
        for (int f = 0; f < a->nfiles; f++) cJSON_AddItemToArray(files, cJSON_CreateString(a->files[f]));
    }
    cJSON_AddItemToObject(root, "teacher", tj);
    cJSON_AddStringToObject(root, "method", gnnkd_method_name(a->method));
    cJSON_AddNumberToObject(root, "temperature", a->temperature);
    cJSON_AddNumberToObject(root, "alpha", a->alpha);
    cJSON_AddBoolToObject(root, "center", a->center);
    cJSON_AddBoolToObject(root, "standardise_logits", a->standardise);
    if (lsp) {
        cJSON *lj = cJSON_CreateObject();
        cJSON_AddNumberToObject(lj, "weight", a->lsp_weight);
        cJSON_AddStringToObject(lj, "kernel", gnnkd_lsp_kernel_name(a->lsp_kernel));
        cJSON_AddNumberToObject(lj, "tau", a->lsp_tau);
        cJSON_AddNumberToObject(lj, "sigma", form_sigma);
        cJSON_AddNumberToObject(lj, "layer", a->lsp_layer ? (double)a->lsp_layer : o->student.nlayers - 1);
        if (a->lsp_teacher_layer || !a->nfiles)
            cJSON_AddNumberToObject(lj, "teacher_layer", a->lsp_teacher_layer ? (double)a->lsp_teacher_layer
                                                                              : o->teacher.nlayers - 1);
        else
            cJSON_AddStringToObject(lj, "teacher_layer", "last");
        cJSON_AddBoolToObject(lj, "self_loop", a->lsp_self_loop);
        cJSON_AddBoolToObject(lj, "reverse", a->lsp_reverse);
        cJSON_AddBoolToObject(lj, "preact", a->lsp_preact);
        cJSON_AddNumberToObject(lj, "hops", a->lsp_hops);
        cJSON_AddItemToObject(root, "lsp", lj);
    }
    cJSON_AddStringToObject(root, "transfer", transfer);
    cJSON_AddNumberToObject(root, "transfer_nodes", ntransfer + o->munge);
    cJSON_AddNumberToObject(root, "pseudo_nodes", o->munge);
    if (a->recipe) cJSON_AddStringToObject(root, "recipe", a->recipe);
    if (a->position) {
        cJSON_AddStringToObject(root, "position", a->position);
    } else if (o->position.dim > 0) { // the recipe's
        char pos[32];
        snprintf(pos, sizeof pos, "deepwalk:%d", o->position.dim);
        cJSON_AddStringToObject(root, "position", pos);
    }
    cJSON_AddNumberToObject(root, "rsd_weight", typed(o->rsd_weight));
    cJSON_AddNumberToObject(root, "rsd_batch", o->rsd_batch);
    cJSON_AddStringToObject(root, "rsd_similarity", o->rsd_dot ? "dot" : "cosine");
    cJSON_AddBoolToObject(root, "rsd_projector", o->rsd_projector);
    cJSON_AddNumberToObject(root, "generations", o->generations);
    if (o->assistant) {
        cJSON *aj = cJSON_CreateObject();
        cJSON_AddStringToObject(aj, "recipe", o->assistant);
        cJSON_AddNumberToObject(aj, "params", (double)lastset->assistant_params);
        cli_json_add_runs(aj, aruns);
        cJSON_AddItemToObject(root, "assistant", aj);
    }
    cJSON_AddNumberToObject(root, "adv_eps", typed(o->adv_eps));
    cJSON_AddNumberToObject(root, "adv_steps", o->adv_steps);
    cJSON_AddNumberToObject(root, "adv_weight", typed(o->adv_weight));
    cJSON_AddStringToObject(root, "setting", settext);
    cJSON_AddItemToObject(root, "teacher_test_acc", cli_json_stat(tacc, runs->n));
    if (tset->inductive) {
        cJSON_AddItemToObject(root, "teacher_test_acc_tran", cli_json_stat(tset->tran, tset->n));
        cJSON_AddItemToObject(root, "teacher_test_acc_ind", cli_json_stat(tset->ind, tset->n));
        cJSON_AddItemToObject(root, "teacher_test_acc_prod", cli_json_stat(tset->prod, tset->n));
    }
    if (!a->nfiles) cJSON_AddNumberToObject(root, "teacher_params", (double)last->teacher_params);
    else cJSON_AddNullToObject(root, "teacher_params");
    cJSON_AddNumberToObject(root, "student_params", (double)last->student_params);
    cJSON_AddNumberToObject(root, "seed", (double)a->run.train.seed);
    cJSON_AddNumberToObject(root, "threads", gnnkd_get_threads());
    // the student's optimiser and selection: a result file must name its whole recipe
    const gnnkd_train_options *st = &o->student_train;
    cJSON *sj = cJSON_CreateObject();
    cJSON_AddNumberToObject(sj, "lr", typed(st->lr));
    cJSON_AddNumberToObject(sj, "weight_decay", typed(st->weight_decay));
    cJSON_AddBoolToObject(sj, "decay_all", st->decay_all_layers);
    cJSON_AddNumberToObject(sj, "max_epochs", st->epochs);
    cJSON_AddNumberToObject(sj, "patience", st->patience);
    cJSON_AddStringToObject(sj, "select", gnnkd_select_name(st->select));
    cJSON_AddNumberToObject(sj, "batch", st->batch);
    cJSON_AddBoolToObject(sj, "hidden_dropout_only", st->hidden_dropout_only);
    cJSON_AddBoolToObject(sj, "raw_features", a->data.raw_features);
    cJSON_AddItemToObject(root, "student_train", sj);
    cli_json_add_runs(root, runs);
    cli_json_print(root);
}

/* mpirun -np P gnnkd distill --partitioned DIR: every rank trains the
 * teacher and the student on its part; rank 0 reports and writes. A rank
 * that fails ends the job (gnnkd_mpi_abort). */
static int distill_partitioned(distill_args *a) {
    char msg[GNNKD_MSG_LEN] = "", text[GNNKD_MSG_LEN + 32];
    int rank = 0, size = 1;
    gnnkd_part *p = NULL;
    gnnkd_model *m = NULL;
    float *logits = NULL;
    double *tacc = NULL;
    cli_runs runs = {0}, tset = {0};
    gnnkd_distill_options o;
    distill_ctx ctx;
    gnnkd_distill_setting_result lastset = {0};
    gnnkd_distill_result *last = &lastset.r;
    gnnkd_dist_stats ds = {0};
    int rc = gnnkd_mpi_init(&rank, &size, msg);
    if (rc != GNNKD_OK) return cli_fail("distill", rc, msg);
#define FAIL_RANK()                                                                        \
    do {                                                                                   \
        snprintf(text, sizeof text, "gnnkd distill: %s", msg);                             \
        gnnkd_mpi_abort(rc, text);                                                         \
    } while (0)
    if (rank != 0) a->save_teacher = NULL, a->run.quiet = 1; // rank 0 writes and reports
    rc = prepare(&o, &ctx, a, msg);
    if (rc == GNNKD_OK) rc = gnnkd_part_load(&p, a->partitioned, rank, msg);
    if (rc == GNNKD_OK && p->parts != size) {
        snprintf(msg, sizeof msg, "%s has %d parts and the job %d ranks: run mpirun -np %d",
                 a->partitioned, p->parts, size, p->parts);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK && rank == 0 && a->run.save_logits &&
        !(logits = malloc(sizeof *logits * (size_t)p->nodes * (size_t)p->nclass))) {
        snprintf(msg, sizeof msg, "--save-logits: out of memory for %d x %d logits", p->nodes,
                 p->nclass);
        rc = GNNKD_ENOMEM;
    }
    if (rc == GNNKD_OK) rc = cli_runs_new(&runs, a->run.runs);
    if (rc == GNNKD_OK) rc = cli_runs_new(&tset, a->run.runs);
    if (rc == GNNKD_OK && !(tacc = calloc((size_t)a->run.runs, sizeof *tacc))) rc = GNNKD_ENOMEM;
    if (rc != GNNKD_OK) FAIL_RANK();
    for (int k = 0; k < a->run.runs; k++) {
        uint64_t seed = a->run.train.seed + (uint64_t)k;
        char label[64], path[4096];
        snprintf(label, sizeof label, "student %d/%d", k + 1, a->run.runs);
        cli_progress sprog = {label, o.student_train.epochs, ctx.prog.enabled};
        o.student_train.progress = cli_progress_cb;
        o.student_train.progress_ctx = &sprog;
        snprintf(ctx.label, sizeof ctx.label, "teacher 1");
        rc = gnnkd_distill_part(last, &m, &ds, logits, &o, seed, p, msg);
        cli_progress_done(&sprog);
        if (rc == GNNKD_OK && rank == 0 && a->run.save) {
            cli_run_path(path, sizeof path, a->run.save, a->run.runs, (unsigned long long)seed);
            rc = gnnkd_model_save(m, path, msg);
        }
        if (rc == GNNKD_OK && rank == 0 && a->run.save_logits) {
            cli_run_path(path, sizeof path, a->run.save_logits, a->run.runs, (unsigned long long)seed);
            rc = gnnkd_npy_write(path, logits, p->nodes, p->nclass, msg);
        }
        if (rc != GNNKD_OK) FAIL_RANK();
        tacc[k] = last->teacher_acc[GNNKD_TEST];
        cli_runs_add(&runs, &last->student);
        gnnkd_model_free(&m);
    }
#undef FAIL_RANK
    if (rank == 0) { // report() reads the dataset's name and sizes only
        gnnkd_dataset d = {0};
        snprintf(d.name, sizeof d.name, "%s", p->name);
        d.nfeat = p->nfeat;
        d.nclass = p->nclass;
        int32_t ntrain = p->nsplit_total[GNNKD_TRAIN];
        int32_t nt = o.transfer == GNNKD_TRANSFER_ALL     ? p->nodes
                     : o.transfer == GNNKD_TRANSFER_TRAIN ? ntrain
                                                          : p->nodes - ntrain;
        report(a, &o, &lastset, tacc, &tset, &runs, NULL, &d, nt);
        if (!a->run.json)
            printf("halo exchange (student): %.3f MB per epoch, %.2f s in all (mean over ranks)\n",
                   ds.bytes_per_epoch / 1e6, ds.exchange_seconds);
    }
    free(tacc);
    free(logits);
    cli_runs_free(&runs);
    cli_runs_free(&tset);
    gnnkd_part_free(&p);
    gnnkd_mpi_finalize();
    return 0;
}

int cmd_distill(int argc, char **argv) {
    distill_args a;
    int r = parse_args(&a, argc, argv);
    if (r != 0) return r - 1;
    if (a.partitioned) return distill_partitioned(&a);

    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_distill_options o;
    distill_ctx ctx;
    gnnkd_distill_setting_result last = {0};
    gnnkd_dataset *d = NULL;
    int32_t ntnodes = 0;
    double *tacc = NULL;
    cli_runs runs = {0}, tset = {0}, aruns = {0};
    int rc = prepare(&o, &ctx, &a, msg);
    if (rc == GNNKD_OK) rc = cli_open_dataset(&d, &a.data, msg);
    if (rc == GNNKD_OK && !a.data.glnn) rc = cli_require_test_set(d, msg); // glnn draws its own
    if (rc == GNNKD_OK) cli_set_threads(a.run.threads, d, a.nfiles ? &o.student : &o.teacher);
    if (rc == GNNKD_OK) rc = cli_runs_new(&runs, a.run.runs);
    if (rc == GNNKD_OK) rc = cli_runs_new(&tset, a.run.runs);
    if (rc == GNNKD_OK) rc = cli_runs_new(&aruns, a.run.runs);
    runs.inductive = tset.inductive = aruns.inductive =
        a.data.glnn || (a.data.setting && a.data.setting_kind == GNNKD_SETTING_INDUCTIVE);
    if (rc == GNNKD_OK && !(tacc = calloc((size_t)a.run.runs, sizeof *tacc))) rc = GNNKD_ENOMEM;
    if (rc == GNNKD_OK) rc = run_all(&last, tacc, &tset, &runs, &aruns, &ntnodes, &o, &ctx, d, msg);
    if (rc == GNNKD_OK) report(&a, &o, &last, tacc, &tset, &runs, &aruns, d, ntnodes);
    free(tacc);
    cli_runs_free(&runs);
    cli_runs_free(&tset);
    cli_runs_free(&aruns);
    gnnkd_dataset_free(&d);
    return rc == GNNKD_OK ? 0 : cli_fail("distill", rc, msg);
}
