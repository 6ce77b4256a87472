/* test_setting.c — the inductive setting leaks nothing: the observed graph
 * has no edge to a held-out node, and changing the held-out nodes'
 * features, labels and edges leaves the trained teacher's and student's
 * weights bit-identical (while the same change moves them transductively);
 * tran / ind / prod are what gnnkd.h states; the GLNN protocol's split. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnnkd.h>

static const char *SPEC = "synthetic:nodes=500,classes=4,features=32,degree=5,train-per-class=10,"
                          "val=80,test=250,seed=3";

static gnnkd_dataset *open_synthetic(const char *spec) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = NULL;
    cr_assert_eq(gnnkd_dataset_synthetic(&d, spec, msg), GNNKD_OK, "%s", msg);
    return d;
}

static int is_held(const int32_t *held, int32_t nheld, int32_t v) {
    for (int32_t k = 0; k < nheld; k++)
        if (held[k] == v) return 1;
    return 0;
}

Test(setting, parse) {
    char msg[GNNKD_MSG_LEN] = "stale";
    gnnkd_setting_kind k;
    double f = -1;
    cr_assert_eq(gnnkd_setting_parse(&k, &f, "transductive", msg), GNNKD_OK);
    cr_assert(k == GNNKD_SETTING_TRANSDUCTIVE && f == 0);
    cr_assert_str_empty(msg);
    cr_assert_eq(gnnkd_setting_parse(&k, &f, "inductive", msg), GNNKD_OK);
    cr_assert(k == GNNKD_SETTING_INDUCTIVE && f == 0.2);
    cr_assert_eq(gnnkd_setting_parse(&k, &f, "inductive:0.35", msg), GNNKD_OK);
    cr_assert_eq(f, 0.35);
    const char *bad[] = {"inductive:", "inductive:1", "inductive:0", "inductive:0.2x", "ind", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(gnnkd_setting_parse(&k, &f, bad[i], msg), GNNKD_EINVAL, "%s", bad[i]);
        cr_assert(strstr(msg, "inductive:F"), "%s", msg);
    }
}

Test(setting, observed_graph_has_no_edge_to_a_held_out_node) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(SPEC);
    gnnkd_setting *s = NULL;
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, 0.3, 11, msg), GNNKD_OK, "%s", msg);
    int32_t nheld, nobs;
    const int32_t *held = gnnkd_setting_held_out(s, &nheld);
    const int32_t *ids = gnnkd_setting_observed_ids(s, &nobs);
    const gnnkd_dataset *o = gnnkd_setting_observed(s);
    cr_assert_eq(nheld, (int32_t)llround(0.3 * d->nsplit[GNNKD_TEST]));
    cr_assert_eq(nobs, d->n - nheld);
    cr_assert_eq(o->n, nobs);
    for (int32_t k = 1; k < nheld; k++) cr_assert_lt(held[k - 1], held[k], "ascending");
    /* every held-out node is a test node of d */
    for (int32_t k = 0; k < nheld; k++)
        cr_assert(is_held(d->split[GNNKD_TEST], d->nsplit[GNNKD_TEST], held[k]));
    /* the observed edges are exactly d's edges between observed nodes */
    int64_t kept = 0;
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            kept += !is_held(held, nheld, i) && !is_held(held, nheld, d->adj.colidx[p]);
    cr_assert_eq(gnnkd_csr_nnz(&o->adj), kept);
    cr_assert_lt(kept, gnnkd_csr_nnz(&d->adj), "held-out nodes had edges to lose");
    for (int32_t k = 0; k < nobs; k++) {
        cr_assert(!is_held(held, nheld, ids[k]));
        cr_assert_eq(o->label[k], d->label[ids[k]]);
        cr_assert_eq(memcmp(o->xdense + (int64_t)k * d->nfeat, d->xdense + (int64_t)ids[k] * d->nfeat,
                            (size_t)d->nfeat * sizeof(float)), 0);
        for (int64_t p = o->adj.rowptr[k]; p < o->adj.rowptr[k + 1]; p++) {
            int32_t v = ids[o->adj.colidx[p]];
            cr_assert(!is_held(held, nheld, v), "observed edge to held-out node %d", v);
            int found = 0;
            for (int64_t q = d->adj.rowptr[ids[k]]; q < d->adj.rowptr[ids[k] + 1]; q++)
                found |= d->adj.colidx[q] == v;
            cr_assert(found, "observed edge %d-%d is not in d", ids[k], v);
        }
    }
    /* train and validation are kept whole; the test nodes lose the held-out ones */
    for (int sp = 0; sp < 3; sp++) {
        cr_assert_eq(o->nsplit[sp], d->nsplit[sp] - (sp == GNNKD_TEST ? nheld : 0));
        for (int32_t k = 0; k < o->nsplit[sp]; k++)
            cr_assert(is_held(d->split[sp], d->nsplit[sp], ids[o->split[sp][k]]));
    }
    gnnkd_setting_free(&s);
    cr_assert_null(s);
    gnnkd_dataset_free(&d);
}

/* d with the held-out nodes' features, labels and edges changed: new
 * feature values, the next class, and their edges replaced by others (to
 * observed nodes and among themselves). */
static void tamper(gnnkd_dataset *d, const int32_t *held, int32_t nheld) {
    char msg[GNNKD_MSG_LEN] = "";
    for (int32_t k = 0; k < nheld; k++) {
        int32_t h = held[k];
        for (int32_t f = 0; f < d->nfeat; f++) d->xdense[(int64_t)h * d->nfeat + f] = 3.0f + 0.01f * f;
        d->label[h] = (d->label[h] + 1) % d->nclass;
    }
    int64_t m = gnnkd_csr_nnz(&d->adj) + 2 * (int64_t)nheld;
    int32_t *u = malloc((size_t)m * sizeof *u), *v = malloc((size_t)m * sizeof *v);
    int64_t e = 0;
    for (int32_t i = 0; i < d->n; i++)
        for (int64_t p = d->adj.rowptr[i]; p < d->adj.rowptr[i + 1]; p++)
            if (!is_held(held, nheld, i) && !is_held(held, nheld, d->adj.colidx[p]))
                u[e] = i, v[e++] = d->adj.colidx[p];
    for (int32_t k = 0; k < nheld; k++) {
        u[e] = held[k], v[e++] = d->split[GNNKD_TRAIN][k % d->nsplit[GNNKD_TRAIN]];
        u[e] = held[k], v[e++] = held[(k + 1) % nheld];
    }
    cr_assert_eq(gnnkd_dataset_set_edges(d, NULL, d->n, u, v, e, 0, msg), GNNKD_OK, "%s", msg);
    free(u);
    free(v);
}

typedef struct {
    char path[256];
} save_ctx;

static gnnkd_status save_member(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    (void)j, (void)seed;
    return gnnkd_model_save(m, ((save_ctx *)ctx)->path, msg);
}

static char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    rewind(f);
    char *buf = malloc((size_t)*len);
    cr_assert_eq(fread(buf, 1, (size_t)*len, f), (size_t)*len);
    fclose(f);
    return buf;
}

static int same_file(const char *a, const char *b) {
    long la, lb;
    char *x = slurp(a, &la), *y = slurp(b, &lb);
    int same = la == lb && memcmp(x, y, (size_t)la) == 0;
    free(x);
    free(y);
    return same;
}

/* Distils on d in kind, through the assistant of recipe assistant (NULL:
 * none), saving the teacher and the student under dir/tag. */
static void distill_saving_via(gnnkd_distill_setting_result *r, const gnnkd_dataset *d,
                               gnnkd_setting_kind kind, const char *dir, const char *tag,
                               const char *assistant) {
    char msg[GNNKD_MSG_LEN] = "", path[256];
    gnnkd_setting *s = NULL;
    gnnkd_model *m = NULL;
    cr_assert_eq(gnnkd_setting_new(&s, d, kind, 0.3, 11, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    cr_assert_eq(gnnkd_model_spec_parse(&o.teacher, "gcn:16", msg), GNNKD_OK);
    o.teacher_train.epochs = o.student_train.epochs = 40;
    o.assistant = assistant;
    save_ctx ctx;
    snprintf(ctx.path, sizeof ctx.path, "%s/%s-teacher.bin", dir, tag);
    o.member_trained = save_member;
    o.member_ctx = &ctx;
    cr_assert_eq(gnnkd_distill_in(r, &m, &o, 5, s, msg), GNNKD_OK, "%s", msg);
    snprintf(path, sizeof path, "%s/%s-student.bin", dir, tag);
    cr_assert_eq(gnnkd_model_save(m, path, msg), GNNKD_OK, "%s", msg);
    gnnkd_model_free(&m);
    gnnkd_setting_free(&s);
}

static void distill_saving(gnnkd_distill_setting_result *r, const gnnkd_dataset *d,
                           gnnkd_setting_kind kind, const char *dir, const char *tag) {
    distill_saving_via(r, d, kind, dir, tag, NULL);
}

/* Removes dir with the files distill_saving wrote under tags. */
static void remove_saved(const char *dir, const char *const *tags, int ntags) {
    char path[300];
    const char *who[] = {"teacher", "student"};
    for (int t = 0; t < ntags; t++)
        for (int w = 0; w < 2; w++) {
            snprintf(path, sizeof path, "%s/%s-%s.bin", dir, tags[t], who[w]);
            unlink(path);
        }
    rmdir(dir);
}

/* Two copies of SPEC, the second with the held-out nodes of its inductive
 * setting (fraction 0.3, seed 11) tampered with. */
static void tampered_pair(gnnkd_dataset **d1, gnnkd_dataset **d2) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_setting *s = NULL;
    int32_t nheld;
    *d1 = open_synthetic(SPEC);
    *d2 = open_synthetic(SPEC);
    cr_assert_eq(gnnkd_setting_new(&s, *d1, GNNKD_SETTING_INDUCTIVE, 0.3, 11, msg), GNNKD_OK, "%s", msg);
    const int32_t *held = gnnkd_setting_held_out(s, &nheld);
    tamper(*d2, held, nheld);
    gnnkd_setting_free(&s);
}

Test(setting, held_out_changes_leave_weights_bit_identical) {
    char dir[] = "/tmp/gnnkd-setting-XXXXXX", a[300], b[300];
    cr_assert_not_null(mkdtemp(dir));
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d1 = NULL, *d2 = NULL;
    tampered_pair(&d1, &d2);

    gnnkd_distill_setting_result r1, r2;
    distill_saving(&r1, d1, GNNKD_SETTING_INDUCTIVE, dir, "ind1");
    distill_saving(&r2, d2, GNNKD_SETTING_INDUCTIVE, dir, "ind2");
    const char *who[] = {"teacher", "student"};
    for (int w = 0; w < 2; w++) {
        snprintf(a, sizeof a, "%s/ind1-%s.bin", dir, who[w]);
        snprintf(b, sizeof b, "%s/ind2-%s.bin", dir, who[w]);
        cr_assert(same_file(a, b), "the inductive %s saw a held-out node", who[w]);
    }
    cr_assert_eq(r1.student.tran, r2.student.tran);
    cr_assert_eq(r1.teacher.tran, r2.teacher.tran);
    cr_assert_neq(r1.teacher.ind, r2.teacher.ind, "the held-out nodes did change");

    /* the control: transductively the same change reaches both models */
    distill_saving(&r1, d1, GNNKD_SETTING_TRANSDUCTIVE, dir, "tr1");
    distill_saving(&r2, d2, GNNKD_SETTING_TRANSDUCTIVE, dir, "tr2");
    for (int w = 0; w < 2; w++) {
        snprintf(a, sizeof a, "%s/tr1-%s.bin", dir, who[w]);
        snprintf(b, sizeof b, "%s/tr2-%s.bin", dir, who[w]);
        cr_assert(!same_file(a, b), "the transductive %s should see the change", who[w]);
    }
    const char *tags[] = {"ind1", "ind2", "tr1", "tr2"};
    remove_saved(dir, tags, 4);
    gnnkd_dataset_free(&d1);
    gnnkd_dataset_free(&d2);
}

/* Accuracy of argmax over rows idx, counted here. */
static double count_acc(const float *z, const int32_t *label, const int32_t *idx, int32_t n, int32_t C) {
    int32_t right = 0;
    for (int32_t k = 0; k < n; k++) {
        const float *row = z + (int64_t)idx[k] * C;
        int32_t best = 0;
        for (int32_t c = 1; c < C; c++)
            if (row[c] > row[best]) best = c;
        right += best == label[idx[k]];
    }
    return (double)right / n;
}

Test(setting, tran_ind_prod_are_the_stated_scores) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(SPEC);
    gnnkd_setting *s = NULL;
    const double F = 0.25;
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_INDUCTIVE, F, 2, msg), GNNKD_OK, "%s", msg);
    const char *specs[] = {"gcn:16", "mlp:16"};
    for (int k = 0; k < 2; k++) {
        gnnkd_model_spec spec;
        gnnkd_model *m = NULL;
        gnnkd_train_result r;
        gnnkd_train_options o;
        gnnkd_train_options_default(&o);
        o.epochs = 30;
        cr_assert_eq(gnnkd_model_spec_parse(&spec, specs[k], msg), GNNKD_OK);
        cr_assert_eq(gnnkd_model_new(&m, &spec, d->nfeat, d->nclass, 1, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(gnnkd_train(m, &r, gnnkd_setting_observed(s), gnnkd_setting_observed_graph(s),
                                 &o, NULL, msg), GNNKD_OK, "%s", msg);
        gnnkd_setting_acc acc;
        cr_assert_eq(gnnkd_setting_evaluate(&acc, m, s, msg), GNNKD_OK, "%s", msg);
        const float *z = NULL;
        const gnnkd_dataset *ob = gnnkd_setting_observed(s);
        cr_assert_eq(gnnkd_model_forward(m, &z, ob, gnnkd_setting_observed_graph(s), 0, 0, 0, msg), GNNKD_OK);
        double tran = count_acc(z, ob->label, ob->split[GNNKD_TEST], ob->nsplit[GNNKD_TEST], d->nclass);
        cr_assert_eq(gnnkd_model_forward(m, &z, d, gnnkd_setting_full_graph(s), 0, 0, 0, msg), GNNKD_OK);
        int32_t nheld;
        const int32_t *held = gnnkd_setting_held_out(s, &nheld);
        double ind = count_acc(z, d->label, held, nheld, d->nclass);
        cr_assert_eq(acc.tran, tran, "%s", specs[k]);
        cr_assert_eq(acc.ind, ind, "%s", specs[k]);
        cr_assert_eq(acc.prod, (1 - F) * tran + F * ind, "%s", specs[k]);
        cr_assert_gt(acc.ind, 1.0 / d->nclass + 0.1, "%s learnt something", specs[k]);
        gnnkd_model_free(&m);
    }
    gnnkd_setting_free(&s);

    /* transductive: tran is the test accuracy, ind NaN, prod = tran */
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_TRANSDUCTIVE, 0, 2, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_setting_observed(s), d);
    int32_t n;
    cr_assert_null(gnnkd_setting_held_out(s, &n));
    cr_assert_eq(n, 0);
    gnnkd_model_spec spec;
    gnnkd_model *m = NULL;
    gnnkd_train_result r;
    cr_assert_eq(gnnkd_model_spec_parse(&spec, "mlp:16", msg), GNNKD_OK);
    cr_assert_eq(gnnkd_model_new(&m, &spec, d->nfeat, d->nclass, 1, msg), GNNKD_OK, "%s", msg);
    gnnkd_setting_acc acc;
    cr_assert_eq(gnnkd_setting_evaluate(&acc, m, s, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_evaluate(m, &r, NULL, d, NULL, msg), GNNKD_OK);
    cr_assert_eq(acc.tran, r.acc[GNNKD_TEST]);
    cr_assert(isnan(acc.ind));
    cr_assert_eq(acc.prod, acc.tran);
    gnnkd_model_free(&m);
    gnnkd_setting_free(&s);
    gnnkd_dataset_free(&d);
}

Test(setting, glnn_protocol_split_per_run) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic("synthetic:nodes=900,classes=3,features=16,val=100,test=200,seed=4");
    gnnkd_setting *s = NULL;
    int32_t first_held[64], first_train[8];
    for (int run = 0; run < 3; run++) {
        uint64_t seed = (uint64_t)(run == 2 ? 0 : run); /* run 2 repeats run 0's seed */
        cr_assert_eq(gnnkd_setting_glnn(&s, d, seed, msg), GNNKD_OK, "%s", msg);
        cr_assert_eq(d->nsplit[GNNKD_TRAIN], 3 * GNNKD_GLNN_TRAIN_PER_CLASS);
        cr_assert_eq(d->nsplit[GNNKD_VAL], 3 * GNNKD_GLNN_VAL_PER_CLASS);
        cr_assert_eq(d->nsplit[GNNKD_TEST], 900 - 150, "every other labelled node is a test node");
        int32_t nheld;
        const int32_t *held = gnnkd_setting_held_out(s, &nheld);
        cr_assert_eq(nheld, 150); /* round(0.2 * 750) */
        cr_assert_eq(gnnkd_setting_fraction(s), 0.2);
        if (run == 0) {
            memcpy(first_held, held, sizeof first_held);
            memcpy(first_train, d->split[GNNKD_TRAIN], sizeof first_train);
        } else {
            int same = !memcmp(first_held, held, sizeof first_held) &&
                       !memcmp(first_train, d->split[GNNKD_TRAIN], sizeof first_train);
            cr_assert_eq(same, run == 2, "run %d: a seed draws its own split and held-out nodes", run);
        }
        gnnkd_setting_free(&s);
    }
    gnnkd_dataset_free(&d);
}

/* An assistant (NOSMOG's student, with its own DeepWalk position features)
 * sees no held-out node either: the student it teaches is bit-identical
 * when they change, and the assistant is scored in the setting. */
Test(setting, assistant_sees_no_held_out_node, .timeout = 600) {
    gnnkd_set_threads(1); // DeepWalk's Hogwild updates are deterministic at one thread only
    char dir[] = "/tmp/gnnkd-assist-XXXXXX", a[300], b[300];
    cr_assert_not_null(mkdtemp(dir));
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d1 = NULL, *d2 = NULL;
    tampered_pair(&d1, &d2);
    gnnkd_distill_setting_result r1, r2, r0;
    distill_saving_via(&r1, d1, GNNKD_SETTING_INDUCTIVE, dir, "a1", "nosmog");
    distill_saving_via(&r2, d2, GNNKD_SETTING_INDUCTIVE, dir, "a2", "nosmog");
    distill_saving_via(&r0, d1, GNNKD_SETTING_INDUCTIVE, dir, "a0", NULL);
    snprintf(a, sizeof a, "%s/a1-student.bin", dir);
    snprintf(b, sizeof b, "%s/a2-student.bin", dir);
    cr_assert(same_file(a, b), "the assistant's student saw a held-out node");
    snprintf(b, sizeof b, "%s/a0-student.bin", dir);
    cr_assert(!same_file(a, b), "the assistant taught nothing: the teacher's own student");
    cr_assert_gt(r1.assistant_params, 0);
    cr_assert_eq(r0.assistant_params, 0);
    cr_assert_eq(r1.assistant.tran, r2.assistant.tran);
    cr_assert(r1.assistant.ind >= 0 && r1.assistant.ind <= 1);
    cr_assert_eq(r1.assistant_result.epochs, 500, "the recipe's epochs, not the student's 40");
    cr_assert_eq(r1.teacher.tran, r0.teacher.tran, "the teacher's scores stay the teacher's");
    const char *tags[] = {"a0", "a1", "a2"};
    remove_saved(dir, tags, 3);
    gnnkd_dataset_free(&d1);
    gnnkd_dataset_free(&d2);
}

Test(setting, assistant_errors_name_it) {
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_dataset *d = open_synthetic(SPEC);
    gnnkd_graph *g = NULL;
    gnnkd_setting *s = NULL;
    cr_assert_eq(gnnkd_graph_new(&g, &d->adj, msg), GNNKD_OK, "%s", msg);
    cr_assert_eq(gnnkd_setting_new(&s, d, GNNKD_SETTING_TRANSDUCTIVE, 0, 1, msg), GNNKD_OK, "%s", msg);
    gnnkd_distill_options o;
    gnnkd_distill_options_default(&o, GNNKD_METHOD_KD, GNNKD_SELECT_VAL_ACC);
    o.teacher_train.epochs = o.student_train.epochs = 2;
    gnnkd_distill_setting_result r;
    gnnkd_distill_result dr;
    o.assistant = "nosmogg";
    cr_assert_eq(gnnkd_distill_in(&r, NULL, &o, 1, s, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "assistant") && strstr(msg, "nosmogg"), "%s", msg);
    o.assistant = "cpf";
    cr_assert_eq(gnnkd_distill(&dr, NULL, &o, 1, d, g, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "assistant"), "%s", msg);
    o.munge = 20;
    cr_assert_eq(gnnkd_distill_in(&r, NULL, &o, 1, s, msg), GNNKD_EINVAL);
    cr_assert(strstr(msg, "assistant") && strstr(msg, "MUNGE"), "%s", msg);
    gnnkd_setting_free(&s);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
}
