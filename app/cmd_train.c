/* cmd_train.c — `gnnkd train` (train a GCN or MLP over several seeds) and
 * `gnnkd eval` (evaluate a saved model). */
#include "cli.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void train_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd train [options]\n\n"
            "Trains a GCN (Kipf & Welling), an MLP, a GAT (Velickovic et al.) or a GraphSAGE\n"
            "model (Hamilton et al.) on a node-classification dataset.\n\n"
            "Model:\n"
            "  --model KIND[:H1,H2,...]  gcn, mlp or sage with hidden widths (gcn:16,\n"
            "                          sage:64), or gat:HEADSxF[,...][/OUTHEADS] (gat:8x8:\n"
            "                          Velickovic et al.'s Cora model and recipe, lr 0.005,\n"
            "                          decay 5e-4 on all layers, dropout 0.6; gat:8x8/8 their\n"
            "                          PubMed model, lr 0.01, decay 1e-3)\n"
            "  --hidden H1,H2,...      hidden widths (overrides those of --model)\n"
            "  --layers L              L weight layers, every hidden layer as wide as the first\n"
            "  --dropout P             dropout on the input and hidden layers (0.5)\n\n"
            "Distributed (GCN and MLP, hard labels; a build with MPI):\n"
            "  --partitioned DIR       train on the parts of DIR (gnnkd partition), one MPI\n"
            "                          rank per part: mpirun -np P gnnkd train --partitioned DIR;\n"
            "                          each rank reads its own part only; --threads per rank\n"
            "                          (default 1); output from rank 0\n\n"
            "%s\n%s\n"
            "Example: gnnkd train --dataset cora --runs 10 --json\n",
            CLI_DATA_HELP, CLI_RUN_HELP);
}

/* Builds the model shape from --model, --hidden and --layers. */
static int model_spec(gnnkd_model_spec *s, const char *model, const char *hidden, long layers,
                      double dropout, char *msg) {
    char text[256];
    int rc = gnnkd_model_spec_parse(s, model, msg);
    if (rc != GNNKD_OK) return rc;
    if (hidden) {
        snprintf(text, sizeof text, "%s:%s", gnnkd_model_kind_name(s->kind), hidden);
        if ((rc = gnnkd_model_spec_parse(s, text, msg)) != GNNKD_OK) return rc;
    }
    if (layers > 0) {
        if (layers > GNNKD_MAX_LAYERS) {
            snprintf(msg, GNNKD_MSG_LEN, "--layers takes %d to %d", GNNKD_MIN_LAYERS, GNNKD_MAX_LAYERS);
            return GNNKD_EINVAL;
        }
        int32_t width = s->nlayers > 1 ? s->dims[1] : 16;
        int32_t heads = s->heads[0], out_heads = s->heads[s->nlayers - 1];
        s->nlayers = (int)layers;
        for (int l = 1; l < s->nlayers; l++) s->dims[l] = width, s->heads[l - 1] = heads;
        s->heads[s->nlayers - 1] = out_heads; // 0 but for GAT
    }
    if (dropout >= 0) s->dropout = (float)dropout;
    return GNNKD_OK;
}

/* Opens the dataset and, for GCNs, builds Â. */
static int open_data(gnnkd_dataset **d, gnnkd_graph **g, const cli_data *data, int need_graph,
                     char *msg) {
    int rc = cli_open_dataset(d, data, msg);
    if (rc == GNNKD_OK) rc = cli_require_test_set(*d, msg);
    if (rc == GNNKD_OK && need_graph) rc = gnnkd_graph_new(g, &(*d)->adj, msg);
    return rc;
}

/* mpirun -np P gnnkd train --partitioned DIR: every rank trains on its part;
 * rank 0 reports and writes the outputs. A rank that fails ends the job
 * (gnnkd_mpi_abort): "rank R: gnnkd train: ..." and no output written. */
static int train_partitioned(cli_run *run, const char *model, const char *hidden, long layers,
                             double dropout, const char *dir) {
    char msg[GNNKD_MSG_LEN] = "", text[GNNKD_MSG_LEN + 32];
    int rank = 0, size = 1;
    gnnkd_part *p = NULL;
    gnnkd_model *m = NULL;
    gnnkd_model_spec spec;
    float *logits = NULL;
    cli_runs runs = {0};
    int rc = gnnkd_mpi_init(&rank, &size, msg);
    if (rc != GNNKD_OK) return cli_fail("train", rc, msg);
#define FAIL_RANK()                                                                        \
    do {                                                                                   \
        snprintf(text, sizeof text, "gnnkd train: %s", msg);                               \
        gnnkd_mpi_abort(rc, text);                                                         \
    } while (0)
    rc = model_spec(&spec, model, hidden, layers, dropout, msg);
    if (rc == GNNKD_OK) rc = gnnkd_part_load(&p, dir, rank, msg);
    if (rc == GNNKD_OK && p->parts != size) {
        snprintf(msg, sizeof msg, "%s has %d parts and the job %d ranks: run mpirun -np %d", dir,
                 p->parts, size, p->parts);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK && p->nsplit_total[GNNKD_TEST] == 0) {
        snprintf(msg, sizeof msg, "%s: the partitioned dataset has no test nodes", dir);
        rc = GNNKD_EINVAL;
    }
    if (rc != GNNKD_OK) FAIL_RANK();
    cli_run_for_model(run, &spec, GNNKD_METHOD_SCRATCH);
    if (rank == 0 && run->save_logits &&
        !(logits = malloc(sizeof *logits * (size_t)p->nodes * (size_t)p->nclass))) {
        snprintf(msg, sizeof msg, "--save-logits: out of memory for %d x %d logits", p->nodes,
                 p->nclass);
        rc = GNNKD_ENOMEM;
        FAIL_RANK();
    }
    if ((rc = cli_runs_new(&runs, run->runs)) != GNNKD_OK) FAIL_RANK();
    int64_t params = 0;
    gnnkd_dist_stats ds = {0};
    for (int k = 0; k < run->runs; k++) {
        gnnkd_train_options o = run->train;
        o.seed = run->train.seed + (uint64_t)k;
        char label[64], path[4096];
        snprintf(label, sizeof label, "run %d/%d", k + 1, run->runs);
        cli_progress prog = {label, o.epochs, rank == 0 && !run->quiet && isatty(2)};
        o.progress = cli_progress_cb;
        o.progress_ctx = &prog;
        gnnkd_train_result res;
        rc = gnnkd_model_new(&m, &spec, p->nfeat, p->nclass, o.seed, msg);
        if (rc == GNNKD_OK) rc = gnnkd_train_part(m, &res, &ds, logits, NULL, p, &o, NULL, msg);
        cli_progress_done(&prog);
        if (rc != GNNKD_OK) FAIL_RANK();
        if (rank == 0 && run->save) {
            cli_run_path(path, sizeof path, run->save, run->runs, (unsigned long long)o.seed);
            rc = gnnkd_model_save(m, path, msg);
        }
        if (rc == GNNKD_OK && rank == 0 && run->save_logits) {
            cli_run_path(path, sizeof path, run->save_logits, run->runs, (unsigned long long)o.seed);
            rc = gnnkd_npy_write(path, logits, p->nodes, p->nclass, msg);
        }
        if (rc != GNNKD_OK) FAIL_RANK();
        cli_runs_add(&runs, &res);
        spec = *gnnkd_model_get_spec(m);
        params = gnnkd_model_num_params(m);
        gnnkd_model_free(&m);
    }
#undef FAIL_RANK
    if (rank == 0 && run->json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "dataset", p->name);
        cJSON_AddItemToObject(root, "model", cli_json_model(&spec, params));
        cJSON_AddNumberToObject(root, "seed", (double)run->train.seed);
        cJSON_AddNumberToObject(root, "threads", gnnkd_get_threads());
        cJSON_AddNumberToObject(root, "ranks", size);
        cJSON_AddStringToObject(root, "partition", gnnkd_partition_method_name(p->method));
        cJSON_AddStringToObject(root, "select", gnnkd_select_name(run->train.select));
        cJSON_AddNumberToObject(root, "exchange_seconds", ds.exchange_seconds);
        cJSON_AddNumberToObject(root, "exchange_bytes_per_epoch", ds.bytes_per_epoch);
        cJSON_AddNumberToObject(root, "peak_rss_mb_max_rank", ds.peak_rss_mb_max);
        cli_json_add_runs(root, &runs);
        cli_json_print(root);
    } else if (rank == 0) {
        char title[512], mtext[128];
        gnnkd_model_spec_format(mtext, sizeof mtext, &spec);
        snprintf(title, sizeof title, "%s on %s, %lld parameters, %d ranks (%s parts)", mtext,
                 p->name, (long long)params, size, gnnkd_partition_method_name(p->method));
        cli_runs_print(stdout, title, &runs);
        printf("halo exchange: %.3f MB per epoch, %.2f s in all (last run, mean over ranks); "
               "largest rank's peak RSS %.0f MiB\n",
               ds.bytes_per_epoch / 1e6, ds.exchange_seconds, ds.peak_rss_mb_max);
    }
    free(logits);
    cli_runs_free(&runs);
    gnnkd_part_free(&p);
    gnnkd_mpi_finalize();
    return 0;
}

int cmd_train(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS, CLI_RUN_OPTIONS,
        {"model", required_argument, 0, 'm'},
        {"hidden", required_argument, 0, 'H'},
        {"layers", required_argument, 0, 'L'},
        {"dropout", required_argument, 0, 'p'},
        {"partitioned", required_argument, 0, 'P'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_data data = {0};
    const char *partitioned = NULL;
    cli_run run;
    cli_run_defaults(&run);
    const char *model = "gcn:16", *hidden = NULL;
    long layers = 0;
    double dropout = -1.0;
    int c, r;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        if ((r = cli_run_option("train", &run, c, optarg)) != 0) {
            if (r < 0) return 2;
            continue;
        }
        switch (c) {
        case 'm': model = optarg; break;
        case 'H': hidden = optarg; break;
        case 'L':
            if (!cli_int("train", "layers", optarg, GNNKD_MIN_LAYERS, GNNKD_MAX_LAYERS, &layers)) return 2;
            break;
        case 'p':
            if (!cli_float("train", "dropout", optarg, 0.0, 0.99, &dropout)) return 2;
            break;
        case 'P': partitioned = optarg; break;
        case 'h': train_help(stdout); return 0;
        default: train_help(stderr); return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "gnnkd train: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    if (partitioned && (data.dataset || data.graph || data.setting || data.glnn)) {
        fprintf(stderr, "gnnkd train: --partitioned DIR holds the data: no --dataset, --graph, "
                        "--setting or --protocol\n");
        return 2;
    }
    if (partitioned && run.threads == 0) run.threads = 1; // ranks share the machine's cores
    if (cli_run_finish(&run, GNNKD_METHOD_SCRATCH, "train")) return 2;
    if (partitioned) return train_partitioned(&run, model, hidden, layers, dropout, partitioned);

    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model_spec spec;
    gnnkd_dataset *d = NULL;
    gnnkd_setting *set = NULL;
    gnnkd_model *m = NULL;
    cli_runs runs = {0};
    int rc = model_spec(&spec, model, hidden, layers, dropout, msg);
    if (rc == GNNKD_OK) cli_run_for_model(&run, &spec, GNNKD_METHOD_SCRATCH);
    if (rc == GNNKD_OK) rc = cli_open_dataset(&d, &data, msg);
    if (rc == GNNKD_OK && !data.glnn) rc = cli_require_test_set(d, msg); // glnn draws its own
    if (rc == GNNKD_OK) cli_set_threads(run.threads, d, &spec);
    if (rc == GNNKD_OK) rc = cli_runs_new(&runs, run.runs);
    runs.inductive = data.glnn || (data.setting && data.setting_kind == GNNKD_SETTING_INDUCTIVE);
    int64_t params = 0;
    for (int k = 0; rc == GNNKD_OK && k < run.runs; k++) {
        gnnkd_train_result res;
        gnnkd_setting_acc acc;
        rc = cli_setting_for_run(&set, d, &data, k, msg);
        if (rc == GNNKD_OK) rc = cli_train_run(&m, &res, &run, k, "run", &spec, set, NULL, msg);
        if (rc == GNNKD_OK) rc = gnnkd_setting_evaluate(&acc, m, set, msg);
        if (rc == GNNKD_OK) {
            cli_runs_add(&runs, &res);
            cli_runs_add_acc(&runs, &acc);
            spec = *gnnkd_model_get_spec(m); /* dims filled in */
            params = gnnkd_model_num_params(m);
        }
        gnnkd_model_free(&m);
    }
    if (rc == GNNKD_OK && run.json) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "dataset", d->name);
        cJSON_AddItemToObject(root, "model", cli_json_model(&spec, params));
        cJSON_AddNumberToObject(root, "seed", (double)run.train.seed);
        cJSON_AddNumberToObject(root, "threads", gnnkd_get_threads());
        cJSON_AddStringToObject(root, "select", gnnkd_select_name(run.train.select));
        char stext[64];
        cli_setting_text(stext, sizeof stext, &data);
        cJSON_AddStringToObject(root, "setting", stext);
        cli_json_add_runs(root, &runs);
        cli_json_print(root);
    } else if (rc == GNNKD_OK) {
        char title[512], text[128], stext[64];
        gnnkd_model_spec_format(text, sizeof text, &spec);
        cli_setting_text(stext, sizeof stext, &data);
        snprintf(title, sizeof title, "%s on %s, %lld parameters, %s", text, d->name, (long long)params,
                 stext);
        cli_runs_print(stdout, title, &runs);
    }
    gnnkd_model_free(&m);
    cli_runs_free(&runs);
    gnnkd_setting_free(&set);
    gnnkd_dataset_free(&d);
    return rc == GNNKD_OK ? 0 : cli_fail("train", rc, msg);
}

static void eval_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd eval --load MODEL [options]\n\n"
            "Evaluates a saved model on a dataset's train, validation and test nodes. The\n"
            "features are normalised as the model file records its training's were\n"
            "(--raw-features is then redundant, and refused for a row-normalised model).\n\n"
            "  --load PATH             the model file (from gnnkd train --save)\n"
            "  --save-logits PATH.npy  save the logits of all nodes\n"
            "  --json                  print one JSON object\n\n%s",
            CLI_DATA_HELP);
}

int cmd_eval(int argc, char **argv) {
    static const struct option opts[] = {
        CLI_DATA_OPTIONS,
        {"load", required_argument, 0, 'l'},
        {"save-logits", required_argument, 0, 's'},
        {"json", no_argument, 0, 'j'},
        {"threads", required_argument, 0, 't'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    cli_data data = {0};
    const char *load = NULL, *save_logits = NULL;
    int json = 0, c;
    long threads = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (cli_data_option(&data, c, optarg)) continue;
        switch (c) {
        case 'l': load = optarg; break;
        case 's': save_logits = optarg; break;
        case 'j': json = 1; break;
        case 't':
            if (!cli_int("eval", "threads", optarg, 0, 4096, &threads)) return 2;
            break;
        case 'h': eval_help(stdout); return 0;
        default: eval_help(stderr); return 2;
        }
    }
    if (load == NULL || optind < argc) {
        fprintf(stderr, "gnnkd eval: %s (see --help)\n", load ? "unexpected argument" : "--load PATH is required");
        return 2;
    }
    cli_set_threads((int)threads, NULL, NULL);
    if (cli_check_output("eval", "save-logits", save_logits)) return 2;
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model *m = NULL;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    float *logits = NULL;
    gnnkd_train_result res = {0};
    int rc = gnnkd_model_load(&m, load, msg);
    const gnnkd_model_spec *s = rc == GNNKD_OK ? gnnkd_model_get_spec(m) : NULL;
    if (rc == GNNKD_OK) rc = cli_data_for_model(&data, m, load, msg);
    if (rc == GNNKD_OK) rc = open_data(&d, &g, &data, s->kind == GNNKD_MODEL_GCN, msg);
    if (rc == GNNKD_OK) rc = cli_features_for_model(d, m, load, d->name, msg);
    if (rc == GNNKD_OK) cli_set_threads((int)threads, d, s);
    gnnkd_dataset *pd = NULL; // a position student: d with its rows
    if (rc == GNNKD_OK) rc = cli_position_for_model(&pd, d, m, load, d->name, msg);
    if (pd) gnnkd_dataset_free(&d), d = pd;
    if (rc == GNNKD_OK && (s->dims[0] != d->nfeat || s->dims[s->nlayers] != d->nclass)) {
        snprintf(msg, sizeof msg, "%s: the model maps %d features to %d classes; dataset %s has %d and %d",
                 load, s->dims[0], s->dims[s->nlayers], d->name, d->nfeat, d->nclass);
        rc = GNNKD_EINVAL;
    }
    if (rc == GNNKD_OK && !(logits = malloc((size_t)d->n * d->nclass * sizeof(float)))) {
        snprintf(msg, sizeof msg, "dataset %s: out of memory for the logits (%d x %d)", d->name, d->n,
                 d->nclass);
        rc = GNNKD_ENOMEM;
    }
    if (rc == GNNKD_OK) rc = gnnkd_evaluate(m, &res, logits, d, g, msg);
    if (rc == GNNKD_OK && save_logits) rc = gnnkd_npy_write(save_logits, logits, d->n, d->nclass, msg);
    if (rc == GNNKD_OK) {
        if (json) {
            cJSON *root = cJSON_CreateObject();
            cJSON_AddStringToObject(root, "dataset", d->name);
            cJSON_AddItemToObject(root, "model", cli_json_model(s, gnnkd_model_num_params(m)));
            cJSON_AddNumberToObject(root, "train_acc", res.acc[GNNKD_TRAIN]);
            cJSON_AddNumberToObject(root, "val_acc", res.acc[GNNKD_VAL]);
            cJSON_AddNumberToObject(root, "test_acc", res.acc[GNNKD_TEST]);
            cJSON_AddNumberToObject(root, "test_loss", res.loss[GNNKD_TEST]);
            cli_json_print(root);
        } else {
            printf("%s on %s: train %.4f  val %.4f  test %.4f (accuracy)\n", load, d->name,
                   res.acc[GNNKD_TRAIN], res.acc[GNNKD_VAL], res.acc[GNNKD_TEST]);
        }
    }
    free(logits);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    gnnkd_model_free(&m);
    return rc == GNNKD_OK ? 0 : cli_fail("eval", rc, msg);
}
