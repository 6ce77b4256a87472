/* test_recipe.c — the distillation recipe: the names of the options, the
 * defaults decided per method and selection rule, and the runner against
 * the same steps written out by hand (bit-identical students). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnnkd.h>

Test(recipe, names_round_trip) {
    char msg[GNNKD_MSG_LEN] = "stale";
    for (int m = 0; m <= GNNKD_METHOD_EUCLID; m++) {
        gnnkd_method back = GNNKD_METHOD_SCRATCH;
        cr_assert_eq(gnnkd_method_parse(&back, gnnkd_method_name((gnnkd_method)m), msg), GNNKD_OK);
        cr_assert_eq((int)back, m);
        cr_assert_str_empty(msg);
    }
    cr_assert_str_eq(gnnkd_method_name(GNNKD_METHOD_KD), "kd");
    cr_assert_str_eq(gnnkd_method_name(GNNKD_METHOD_COMPRESS), "compress");
    cr_assert_str_eq(gnnkd_method_name((gnnkd_method)7), "?");
    gnnkd_method m;
    cr_assert_eq(gnnkd_method_parse(&m, "distil", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "distil") && strstr(msg, "compress"), "%s", msg);

    gnnkd_select s;
    cr_assert_eq(gnnkd_select_parse(&s, "val-loss", msg), GNNKD_OK);
    cr_assert_eq(s, GNNKD_SELECT_VAL_LOSS);
    cr_assert_str_eq(gnnkd_select_name(GNNKD_SELECT_VAL_ACC), "val-acc");
    cr_assert_eq(gnnkd_select_parse(&s, "val_acc", msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "val_acc"), "%s", msg);

    gnnkd_transfer t;
    cr_assert_eq(gnnkd_transfer_parse(&t, "unlabeled", msg), GNNKD_OK);
    cr_assert_eq(t, GNNKD_TRANSFER_UNLABELED);
    cr_assert_eq(gnnkd_transfer_parse(&t, "file", msg), GNNKD_OK);
    cr_assert_eq(t, GNNKD_TRANSFER_FILE, "\"file\" is a path, not a name");
    cr_assert_eq(gnnkd_transfer_parse(&t, "no-val", msg), GNNKD_OK);
    cr_assert_eq(t, GNNKD_TRANSFER_NO_VAL);
    cr_assert_str_eq(gnnkd_transfer_name(GNNKD_TRANSFER_NO_VAL), "no-val");
    cr_assert_eq(gnnkd_transfer_parse(&t, "ids.txt", msg), GNNKD_OK);
    cr_assert_eq(t, GNNKD_TRANSFER_FILE);
    cr_assert_eq(gnnkd_transfer_parse(&t, "", msg), GNNKD_EINVAL);
    cr_assert_str_eq(gnnkd_transfer_name(GNNKD_TRANSFER_TRAIN), "train");
}

Test(recipe, defaults_per_method_and_rule) {
    gnnkd_train_options o, kipf;
    gnnkd_train_options_default(&kipf);
    gnnkd_train_options_for(&o, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(memcmp(&o, &kipf, sizeof o), 0, "scratch + val-acc is Kipf's recipe");
    gnnkd_train_options_for(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(o.weight_decay, 0.0f);
    cr_assert_eq(o.patience, 100);
    gnnkd_train_options_for(&o, GNNKD_METHOD_COMPRESS, GNNKD_SELECT_VAL_LOSS);
    cr_assert_eq(o.weight_decay, 0.0f);
    cr_assert_eq(o.patience, 10);
    cr_assert_eq(o.select, GNNKD_SELECT_VAL_LOSS);
    gnnkd_train_options_for(&o, GNNKD_METHOD_SCRATCH, GNNKD_SELECT_VAL_LOSS);
    cr_assert_eq(o.weight_decay, 5e-4f);
    cr_assert_eq(o.patience, 10);

    gnnkd_distill_options d;
    gnnkd_distill_options_default(&d, GNNKD_METHOD_COMPRESS, GNNKD_SELECT_VAL_ACC);
    char text[64];
    gnnkd_model_spec_format(text, sizeof text, &d.teacher);
    cr_assert_str_eq(text, "gcn:64");
    gnnkd_model_spec_format(text, sizeof text, &d.student);
    cr_assert_str_eq(text, "mlp:64");
    cr_assert_eq(memcmp(&d.teacher_train, &kipf, sizeof kipf), 0, "teachers: Kipf's recipe");
    cr_assert_eq(d.student_train.weight_decay, 0.0f);
    cr_assert_eq(d.method, GNNKD_METHOD_COMPRESS);
    cr_assert_eq(d.temperature, 1.0f);
    cr_assert_eq(d.alpha, 0.9f);
    cr_assert_eq(d.ensemble, 1);
    cr_assert_eq(d.center, 0);
    cr_assert_eq(d.standardise, 0);
    cr_assert_eq(d.transfer, GNNKD_TRANSFER_ALL);
    cr_assert_eq(d.generations, 1);
    cr_assert_eq(gnnkd_distill_member_seed(5, 0), 5u);
    cr_assert_eq(gnnkd_distill_member_seed(5, 2), 5u + 2 * 7919u);
}

static gnnkd_dataset *small(void) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, "synthetic:nodes=300,classes=3,features=24,"
                                             "train-per-class=10,val=60,test=100,seed=3", msg),
                 GNNKD_OK, "%s", msg);
    return d;
}

/* KD from gcn:8 to mlp:8, each trained for epochs. */
static void gcn_to_mlp(gnnkd_distill_options *o, int epochs) {
    gnnkd_distill_options_default(o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(gnnkd_model_spec_parse(&o->teacher, "gcn:8", NULL), GNNKD_OK);
    cr_assert_eq(gnnkd_model_spec_parse(&o->student, "mlp:8", NULL), GNNKD_OK);
    o->teacher_train.epochs = o->student_train.epochs = epochs;
}

typedef struct {
    int calls;
    uint64_t seeds[4];
} hook_log;

static gnnkd_status hook(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    hook_log *h = ctx;
    cr_assert_eq(j, h->calls);
    cr_assert_not_null(m);
    h->seeds[h->calls++] = seed;
    return GNNKD_OK;
}

/* The runner trains what the steps written out by hand train: a 2-member
 * ensemble seeded by the member rule, KD targets at T = 2, the student. */
Test(recipe, runner_equals_the_steps_by_hand) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = small();
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gcn_to_mlp(&o, 30);
    o.ensemble = 2;
    o.temperature = 2.0f;
    hook_log log = {0};
    o.member_trained = hook;
    o.member_ctx = &log;
    gnnkd_distill_result r;
    gnnkd_model *student = NULL;
    cr_assert_eq(gnnkd_distill(&r, &student, &o, 11, d, g, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(log.calls, 2);
    cr_assert_eq(log.seeds[1], 11u + 7919u);
    cr_assert_eq(r.teacher_members, 2);
    cr_assert_eq(r.student.epochs, 30);

    /* by hand */
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_teacher_new(&t, d->n, d->nclass, msg), GNNKD_OK);
    int64_t tparams = 0;
    for (int j = 0; j < 2; j++) {
        gnnkd_model *m = NULL;
        gnnkd_train_options to;
        gnnkd_train_result tr;
        gnnkd_train_options_default(&to);
        to.epochs = 30;
        to.seed = 11 + 7919u * (uint64_t)j;
        cr_assert_eq(gnnkd_model_new(&m, &o.teacher, d->nfeat, d->nclass, to.seed, msg), GNNKD_OK);
        cr_assert_eq(gnnkd_train(m, &tr, d, g, &to, NULL, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(gnnkd_teacher_add_model(t, m, d, g, msg), GNNKD_OK);
        tparams += gnnkd_model_num_params(m);
        gnnkd_model_free(&m);
    }
    cr_assert_eq(r.teacher_params, tparams);
    double tacc = -1.0;
    cr_assert_eq(gnnkd_teacher_accuracy(&tacc, t, d->label, d->split[GNNKD_TEST],
                                        d->nsplit[GNNKD_TEST], msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(r.teacher_acc[GNNKD_TEST], tacc);
    float *target = malloc((size_t)d->n * d->nclass * sizeof *target);
    cr_assert_eq(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 2.0f, 0, msg), GNNKD_OK);
    int32_t *nodes = NULL, nn = 0;
    cr_assert_eq(gnnkd_transfer_nodes(&nodes, &nn, d, GNNKD_TRANSFER_NO_VAL, NULL, msg), GNNKD_OK);
    cr_assert_eq(nn, d->n - d->nsplit[GNNKD_VAL], "no-val: every node but the validation nodes");
    char *in = calloc((size_t)d->n, 1);
    for (int32_t k = 0; k < nn; k++) in[nodes[k]] = 1;
    for (int32_t j = 0; j < d->nsplit[GNNKD_VAL]; j++)
        cr_assert(!in[d->split[GNNKD_VAL][j]], "validation node %d in the no-val transfer set",
                  d->split[GNNKD_VAL][j]);
    free(in);
    free(nodes);
    cr_assert_eq(gnnkd_transfer_nodes(&nodes, &nn, d, GNNKD_TRANSFER_ALL, NULL, msg), GNNKD_OK);
    gnnkd_objective obj = {GNNKD_METHOD_KD, 0.9f, 2.0f, target, nodes, nn};
    gnnkd_train_options so;
    gnnkd_train_options_for(&so, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    so.epochs = 30;
    so.seed = 11;
    gnnkd_model *m = NULL;
    gnnkd_train_result sr;
    cr_assert_eq(gnnkd_model_new(&m, &o.student, d->nfeat, d->nclass, 11, msg), GNNKD_OK);
    cr_assert_eq(gnnkd_train(m, &sr, d, g, &so, &obj, msg), GNNKD_OK, "%s", msg);
    const float *a = NULL, *b = NULL;
    float *za = malloc((size_t)d->n * d->nclass * sizeof *za);
    cr_assert_eq(gnnkd_model_forward(student, &a, d, g, 0, 0, 0, msg), GNNKD_OK);
    memcpy(za, a, (size_t)d->n * d->nclass * sizeof *za);
    cr_assert_eq(gnnkd_model_forward(m, &b, d, g, 0, 0, 0, msg), GNNKD_OK);
    cr_assert_eq(memcmp(za, b, (size_t)d->n * d->nclass * sizeof *za), 0, "the same student, bit for bit");
    cr_assert_eq(r.student.acc[GNNKD_TEST], sr.acc[GNNKD_TEST]);
    free(za), free(target), free(nodes);
    gnnkd_model_free(&m);
    gnnkd_model_free(&student);
    gnnkd_teacher_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

static gnnkd_status refuse(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    snprintf(msg, GNNKD_MSG_LEN, "hook refused member %d", j);
    return GNNKD_EIO;
}

Test(recipe, errors_stop_the_run) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = small();
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    o.member_trained = refuse;
    gnnkd_distill_result r;
    cr_assert_eq(gnnkd_distill(&r, NULL, &o, 0, d, g, msg), GNNKD_EIO);
    cr_assert_str_eq(msg, "hook refused member 0");

    o.member_trained = NULL;
    o.ensemble = 0;
    cr_assert_eq(gnnkd_distill(&r, NULL, &o, 0, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "ensemble"), "%s", msg);

    o.ensemble = 1;
    o.alpha = 1.5f;
    cr_assert_eq(gnnkd_distill(&r, NULL, &o, 0, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "alpha"), "%s", msg);

    gnnkd_train_result tr;
    o.alpha = 0.9f;
    cr_assert_eq(gnnkd_distill_student(NULL, &tr, &o, NULL, 0, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "needs a teacher"), "%s", msg);
    o.method = GNNKD_METHOD_SCRATCH; /* no teacher needed */
    cr_assert_eq(gnnkd_distill_student(NULL, &tr, &o, NULL, 0, d, g, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(tr.epochs, 2);

    o.method = GNNKD_METHOD_KD;
    const char *files[] = {"/nonexistent/teacher.npy"};
    o.teacher_files = files;
    o.nteacher_files = 1;
    cr_assert_neq(gnnkd_distill(&r, NULL, &o, 0, d, g, msg), GNNKD_OK);
    cr_assert(strstr(msg, "/nonexistent/teacher.npy"), "%s", msg);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}

/* Logits of m over d, copied (the model's buffer is reused). */
static float *logits_of(gnnkd_model *m, const gnnkd_dataset *d, const gnnkd_graph *g) {
    char msg[GNNKD_MSG_LEN] = "";
    const float *z = NULL;
    cr_assert_eq(gnnkd_model_forward(m, &z, d, g, 0, 0, 0, msg), GNNKD_OK, "%s", msg);
    float *out = malloc((size_t)d->n * d->nclass * sizeof *out);
    memcpy(out, z, (size_t)d->n * d->nclass * sizeof *out);
    return out;
}

/* Three generations are three distillations written out by hand, each
 * student saved and loaded back as the next one's teacher file (its logits
 * and, for the similarity term, its hidden layer); and each generation's
 * teacher matters: generation 2 is not generation 1. */
Test(recipe, generations_by_hand) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = small();
    gnnkd_graph *g = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gcn_to_mlp(&o, 25);
    o.rsd_weight = 1.0f;
    o.rsd_batch = 64;
    o.standardise = 1;
    gnnkd_teacher *t = NULL;
    cr_assert_eq(gnnkd_distill_teacher(&t, NULL, &o, 5, d, g, msg), GNNKD_OK, "%s", msg);
    gnnkd_train_result r3, rk;
    gnnkd_model *s3 = NULL;
    o.generations = 3;
    cr_assert_eq(gnnkd_distill_student(&s3, &r3, &o, t, 5, d, g, msg), GNNKD_OK, "%s", msg);

    /* by hand: generation k + 1's teacher is generation k's student, from a file */
    char path[] = "/tmp/gnnkd-generation-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    close(fd);
    gnnkd_distill_options one = o;
    one.generations = 1;
    gnnkd_teacher *tk = t;
    gnnkd_model *sk = NULL;
    float *z1 = NULL;
    const char *files[] = {path};
    for (int k = 1; k <= 3; k++) {
        cr_assert_eq(gnnkd_distill_student(&sk, &rk, &one, tk, 5, d, g, msg), GNNKD_OK, "%s", msg);
        if (k == 1) z1 = logits_of(sk, d, g);
        if (tk != t) gnnkd_teacher_free(&tk);
        if (k == 3) break;
        cr_assert_eq(gnnkd_model_save(sk, path, msg), GNNKD_OK, "%s", msg);
        gnnkd_model_free(&sk);
        one.teacher_files = files;
        one.nteacher_files = 1;
        cr_assert_eq(gnnkd_distill_teacher(&tk, NULL, &one, 5, d, g, msg), GNNKD_OK, "%s", msg);
    }
    float *za = logits_of(s3, d, g), *zb = logits_of(sk, d, g);
    const size_t bytes = (size_t)d->n * d->nclass * sizeof *za;
    cr_assert_eq(memcmp(za, zb, bytes), 0, "generation 3, bit for bit");
    cr_assert_eq(r3.loss[GNNKD_VAL], rk.loss[GNNKD_VAL]);
    cr_assert_eq(r3.best_epoch, rk.best_epoch);
    cr_assert_neq(memcmp(za, z1, bytes), 0, "generation 3 is not generation 1");
    remove(path);
    free(za), free(zb), free(z1);
    gnnkd_model_free(&sk);
    gnnkd_model_free(&s3);

    /* out of range, or nothing soft to pass on */
    o.generations = 0;
    cr_assert_eq(gnnkd_distill_student(NULL, &r3, &o, t, 5, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "generations: 0"), "%s", msg);
    o.generations = GNNKD_MAX_GENERATIONS + 1;
    cr_assert_eq(gnnkd_distill_student(NULL, &r3, &o, t, 5, d, g, msg), GNNKD_EINVAL);
    o.generations = 2;
    o.method = GNNKD_METHOD_SCRATCH;
    o.rsd_weight = 0.0f;
    cr_assert_eq(gnnkd_distill_student(NULL, &r3, &o, t, 5, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "scratch"), "%s", msg);
    gnnkd_teacher_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}
