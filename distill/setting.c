/* setting.c — the transductive and inductive settings: which nodes and
 * edges training may see, and the tran / ind / prod scores (GLNN's
 * production setting). Node ids are the dataset's own everywhere outside;
 * the observed dataset's numbering stays inside (observed_ids maps it). */
#include "distill/lsp.h"

#include <errno.h>
#include <math.h>
#include <string.h>

struct gnnkd_setting {
    gnnkd_setting_kind kind;
    double fraction;
    const gnnkd_dataset *full; /* borrowed */
    gnnkd_dataset *observed;   /* inductive: the induced subgraph; NULL: full */
    int32_t *obs_id;           /* (observed n) observed node -> full node */
    int32_t *held;             /* (nheld) full ids, ascending */
    int32_t nheld;
    gnnkd_graph *gfull, *gobs; /* gobs NULL: gfull */
};

gnnkd_status gnnkd_setting_parse(gnnkd_setting_kind *kind, double *fraction, const char *text,
                                 char *msg) {
    GKD_CLEAR_MSG;
    if (kind && fraction && text) {
        if (!strcmp(text, "transductive")) {
            *kind = GNNKD_SETTING_TRANSDUCTIVE;
            *fraction = 0;
            return GNNKD_OK;
        }
        if (!strcmp(text, "inductive")) {
            *kind = GNNKD_SETTING_INDUCTIVE;
            *fraction = GNNKD_INDUCTIVE_FRACTION;
            return GNNKD_OK;
        }
        if (!strncmp(text, "inductive:", 10) && text[10] != '\0') {
            char *end;
            errno = 0;
            double f = strtod(text + 10, &end);
            if (errno == 0 && *end == '\0' && f > 0 && f < 1) {
                *kind = GNNKD_SETTING_INDUCTIVE;
                *fraction = f;
                return GNNKD_OK;
            }
        }
    }
    gkd_msg(msg, "setting '%s': expected transductive, inductive or inductive:F with 0 < F < 1",
            text ? text : "(null)");
    return GNNKD_EINVAL;
}

static int cmp_i32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* The held-out nodes: the first k of d's test list shuffled by seed. */
static gnnkd_status draw_held_out(int32_t **held, int32_t *nheld, const gnnkd_dataset *d,
                                  double fraction, uint64_t seed, char *msg) {
    int32_t *l = NULL;
#define GKD_FREE_ALL free(l)
    const int32_t m = d->nsplit[GNNKD_TEST];
    GKD_CHECK(m > 0, GNNKD_EINVAL, "inductive setting: %s has no test nodes to hold out", d->name);
    GKD_ALLOC(l, m);
    memcpy(l, d->split[GNNKD_TEST], (size_t)m * sizeof *l);
    qsort(l, (size_t)m, sizeof *l, cmp_i32); /* the draw must not depend on the list's order */
    uint64_t key = gkd_key(seed, 0x494eu /* "IN" */, 0);
    for (int32_t i = m - 1; i > 0; i--) {
        int32_t j = (int32_t)(gkd_mix64(key ^ gkd_mix64((uint64_t)i)) % (uint64_t)(i + 1));
        int32_t t = l[i];
        l[i] = l[j];
        l[j] = t;
    }
    int32_t k = (int32_t)llround(fraction * m);
    qsort(l, (size_t)k, sizeof *l, cmp_i32);
    *held = l;
    *nheld = k;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_setting_new(gnnkd_setting **s, const gnnkd_dataset *d, gnnkd_setting_kind kind,
                               double fraction, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_setting *out = NULL;
    uint8_t *keep = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_setting_free(&out);                                                         \
        free(keep);                                                                       \
    } while (0)
    GKD_CHECK(s != NULL && d != NULL, GNNKD_EINVAL, "gnnkd_setting_new: s and d must not be NULL");
    *s = NULL;
    GKD_CHECK(kind == GNNKD_SETTING_TRANSDUCTIVE ||
                  (kind == GNNKD_SETTING_INDUCTIVE && fraction > 0 && fraction < 1),
              GNNKD_EINVAL, "gnnkd_setting_new: kind %d with fraction %g: expected transductive, "
              "or inductive with 0 < fraction < 1", (int)kind, fraction);
    GKD_ALLOC(out, 1);
    out->kind = kind;
    out->fraction = kind == GNNKD_SETTING_INDUCTIVE ? fraction : 0;
    out->full = d;
    GKD_TRY(gnnkd_graph_new(&out->gfull, &d->adj, msg));
    if (kind == GNNKD_SETTING_TRANSDUCTIVE) {
        *s = out;
        return GNNKD_OK;
    }
    GKD_TRY(draw_held_out(&out->held, &out->nheld, d, fraction, seed, msg));
    GKD_ALLOC(keep, d->n);
    memset(keep, 1, (size_t)d->n);
    for (int32_t k = 0; k < out->nheld; k++) keep[out->held[k]] = 0;
    for (int sp = GNNKD_TRAIN; sp <= GNNKD_VAL; sp++)
        for (int32_t k = 0; k < d->nsplit[sp]; k++)
            GKD_CHECK(keep[d->split[sp][k]], GNNKD_EINVAL,
                      "inductive setting: node %d is both a %s node and a test node of %s",
                      d->split[sp][k], sp == GNNKD_TRAIN ? "training" : "validation", d->name);
    GKD_TRY(gnnkd_dataset_subgraph(&out->observed, &out->obs_id, d, keep, msg));
    GKD_TRY(gnnkd_graph_new(&out->gobs, &out->observed->adj, msg));
    free(keep);
    *s = out;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

void gnnkd_setting_free(gnnkd_setting **s) {
    if (s == NULL || *s == NULL) return;
    gnnkd_dataset_free(&(*s)->observed);
    gnnkd_graph_free(&(*s)->gfull);
    gnnkd_graph_free(&(*s)->gobs);
    free((*s)->obs_id);
    free((*s)->held);
    free(*s);
    *s = NULL;
}

gnnkd_status gnnkd_setting_glnn(gnnkd_setting **s, gnnkd_dataset *d, uint64_t seed, char *msg) {
    GKD_CLEAR_MSG;
    if (s) *s = NULL;
    gnnkd_status rc = gnnkd_dataset_split_per_class(d, GNNKD_GLNN_TRAIN_PER_CLASS,
                                                    GNNKD_GLNN_VAL_PER_CLASS, seed, msg);
    if (rc != GNNKD_OK) return rc;
    return gnnkd_setting_new(s, d, GNNKD_SETTING_INDUCTIVE, GNNKD_INDUCTIVE_FRACTION, seed, msg);
}

gnnkd_setting_kind gnnkd_setting_get_kind(const gnnkd_setting *s) { return s->kind; }
double gnnkd_setting_fraction(const gnnkd_setting *s) { return s->fraction; }
const gnnkd_dataset *gnnkd_setting_observed(const gnnkd_setting *s) {
    return s->observed ? s->observed : s->full;
}
const gnnkd_graph *gnnkd_setting_observed_graph(const gnnkd_setting *s) {
    return s->gobs ? s->gobs : s->gfull;
}
const gnnkd_dataset *gnnkd_setting_full(const gnnkd_setting *s) { return s->full; }
const gnnkd_graph *gnnkd_setting_full_graph(const gnnkd_setting *s) { return s->gfull; }

const int32_t *gnnkd_setting_held_out(const gnnkd_setting *s, int32_t *n) {
    if (n) *n = s->nheld;
    return s->held;
}

const int32_t *gnnkd_setting_observed_ids(const gnnkd_setting *s, int32_t *n) {
    if (n) *n = gnnkd_setting_observed(s)->n;
    return s->obs_id;
}

/* prod from tran and ind, as the section of gnnkd.h states it. */
static void combine(gnnkd_setting_acc *acc, const gnnkd_setting *s) {
    if (s->kind == GNNKD_SETTING_TRANSDUCTIVE) {
        acc->ind = NAN;
        acc->prod = acc->tran;
    } else {
        acc->prod = (1.0 - s->fraction) * acc->tran + s->fraction * acc->ind;
    }
}

gnnkd_status gnnkd_setting_evaluate(gnnkd_setting_acc *acc, gnnkd_model *m, const gnnkd_setting *s,
                                    char *msg) {
    GKD_CLEAR_MSG;
    if (acc == NULL || m == NULL || s == NULL) {
        gkd_msg(msg, "gnnkd_setting_evaluate: acc, m and s must not be NULL");
        return GNNKD_EINVAL;
    }
    gnnkd_train_result r;
    gnnkd_status rc = gnnkd_evaluate(m, &r, NULL, gnnkd_setting_observed(s),
                                     gnnkd_setting_observed_graph(s), msg);
    if (rc != GNNKD_OK) return rc;
    acc->tran = r.acc[GNNKD_TEST];
    if (s->kind == GNNKD_SETTING_INDUCTIVE) {
        const float *logits = NULL;
        rc = gnnkd_model_forward(m, &logits, s->full, s->gfull, 0, 0, 0, msg);
        if (rc != GNNKD_OK) return rc;
        acc->ind = gnnkd_accuracy(logits, s->full->label, s->held, s->nheld, s->full->nclass);
    }
    combine(acc, s);
    return GNNKD_OK;
}

/* The runner's member hook in the inductive setting: each trained member
 * also runs over the full graph, for the teacher's ind score. */
typedef struct {
    const gnnkd_setting *s;
    gnnkd_teacher *full;        /* inductive: over the full graph */
    gnnkd_teacher *aug;         /* MUNGE: the observed nodes' logits on the
                                   observed graph, the pseudo-nodes' on aug */
    const gnnkd_dataset *daug;
    const gnnkd_graph *gaug;
    float *buf;                 /* (daug n, C) */
    const gnnkd_distill_options *user;
} member_ctx;

static gnnkd_status member_hook(void *ctx, gnnkd_model *m, int j, uint64_t seed, char *msg) {
    member_ctx *x = ctx;
    gnnkd_status rc = GNNKD_OK;
    if (x->full) rc = gnnkd_teacher_add_model(x->full, m, x->s->full, x->s->gfull, msg);
    if (rc == GNNKD_OK && x->aug) {
        const gnnkd_dataset *obs = gnnkd_setting_observed(x->s);
        const int64_t C = obs->nclass;
        const float *z = NULL;
        rc = gnnkd_model_forward(m, &z, x->daug, x->gaug, 0, 0, 0, msg);
        if (rc == GNNKD_OK) memcpy(x->buf, z, (size_t)(x->daug->n * C) * sizeof *z);
        if (rc == GNNKD_OK)
            rc = gnnkd_model_forward(m, &z, obs, gnnkd_setting_observed_graph(x->s), 0, 0, 0, msg);
        if (rc == GNNKD_OK) memcpy(x->buf, z, (size_t)(obs->n * C) * sizeof *z);
        if (rc == GNNKD_OK) rc = gnnkd_teacher_add_logits(x->aug, x->buf, msg);
    }
    if (rc == GNNKD_OK && x->user->member_trained)
        rc = x->user->member_trained(x->user->member_ctx, m, j, seed, msg);
    return rc;
}

/* s with o's position columns appended to its datasets: the setting a
 * student with position features trains and is scored in (s itself, p->pos
 * NULL, without them). */
typedef struct {
    gnnkd_setting s;             /* s, its datasets swapped for full and observed */
    float *pos;                  /* (full n, k) the columns as appended */
    int32_t k;
    gnnkd_dataset *full, *observed; /* observed: inductive only */
} positioned;

static void positioned_free(positioned *p) {
    free(p->pos);
    gnnkd_dataset_free(&p->full);
    gnnkd_dataset_free(&p->observed);
    p->pos = NULL;
}

static gnnkd_status positioned_new(positioned *p, const gnnkd_distill_options *o, uint64_t seed,
                                   const gnnkd_setting *s, char *msg) {
    float *obs_pos = NULL;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        free(obs_pos);                                                                    \
        positioned_free(p);                                                               \
    } while (0)
    memset(p, 0, sizeof *p);
    p->s = *s;
    if (o->position.dim == 0 && o->position_file == NULL) return GNNKD_OK;
    gnnkd_deepwalk_options dw = o->position;
    dw.seed = o->position.seed + seed;
    const char *file = o->position_file;
    if (o->position_save) { // the raw block, then read back: one DeepWalk
        GKD_TRY(gnnkd_position_features(&p->pos, &p->k, s, file ? NULL : &dw, file, 0, msg));
        GKD_TRY(gnnkd_npy_write(o->position_save, p->pos, s->full->n, p->k, msg));
        free(p->pos);
        p->pos = NULL;
        file = o->position_save;
    }
    GKD_TRY(gnnkd_position_features(&p->pos, &p->k, s, file ? NULL : &dw, file, 1, msg));
    const int64_t k = p->k;
    GKD_TRY(gnnkd_dataset_append_columns(&p->full, s->full, p->pos, p->k, msg));
    p->s.full = p->full;
    if (s->kind == GNNKD_SETTING_INDUCTIVE) {
        const gnnkd_dataset *obs = s->observed;
        GKD_ALLOC(obs_pos, (int64_t)obs->n * k);
        for (int32_t v = 0; v < obs->n; v++)
            memcpy(obs_pos + (int64_t)v * k, p->pos + (int64_t)s->obs_id[v] * k,
                   (size_t)k * sizeof *obs_pos);
        GKD_TRY(gnnkd_dataset_append_columns(&p->observed, obs, obs_pos, p->k, msg));
        p->s.observed = p->observed;
    }
    free(obs_pos);
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_distill_assistant(gnnkd_teacher **out, gnnkd_distill_setting_result *r,
                                     const gnnkd_distill_options *o, const gnnkd_teacher *t,
                                     uint64_t seed, const gnnkd_setting *s, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_model *m = NULL;
    positioned pa = {0};
    gnnkd_distill_options a;
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        gnnkd_model_free(&m);                                                             \
        positioned_free(&pa);                                                             \
    } while (0)
    GKD_CHECK(out != NULL && r != NULL && o != NULL && o->assistant != NULL && t != NULL &&
                  s != NULL, GNNKD_EINVAL,
              "gnnkd_distill_assistant: out, r, o, o->assistant, t and s must not be NULL");
    *out = NULL;
    GKD_TRY(gkd_assistant_options(&a, o, msg));
    GKD_TRY(positioned_new(&pa, &a, seed, s, msg));
    const gnnkd_dataset *obs = gnnkd_setting_observed(&pa.s);
    const gnnkd_graph *gobs = gnnkd_setting_observed_graph(s);
    GKD_TRY(gnnkd_distill_student(&m, &r->assistant_result, &a, t, seed, obs, gobs, msg));
    r->assistant_params = gnnkd_model_num_params(m);
    GKD_TRY(gnnkd_setting_evaluate(&r->assistant, m, &pa.s, msg));
    GKD_TRY(gkd_teacher_of_model(out, m, o->lsp_teacher_layer, o, obs, gobs, msg));
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}

gnnkd_status gnnkd_distill_in(gnnkd_distill_setting_result *r, gnnkd_model **student,
                              const gnnkd_distill_options *o, uint64_t seed,
                              const gnnkd_setting *s, char *msg) {
    GKD_CLEAR_MSG;
    gnnkd_teacher *t = NULL, *tfull = NULL, *taug = NULL, *ta = NULL;
    gnnkd_model *m = NULL;
    gnnkd_dataset *aug = NULL;
    gnnkd_graph *gaug = NULL;
    float *buf = NULL;
    positioned ps = {0};
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        positioned_free(&ps);                                                             \
        gnnkd_teacher_free(&t);                                                           \
        gnnkd_teacher_free(&ta);                                                          \
        gnnkd_teacher_free(&tfull);                                                       \
        gnnkd_teacher_free(&taug);                                                        \
        gnnkd_model_free(&m);                                                             \
        gnnkd_dataset_free(&aug);                                                         \
        gnnkd_graph_free(&gaug);                                                          \
        free(buf);                                                                        \
    } while (0)
    GKD_CHECK(r != NULL && o != NULL && s != NULL, GNNKD_EINVAL,
              "gnnkd_distill_in: r, o and s must not be NULL");
    memset(r, 0, sizeof *r);
    const int inductive = s->kind == GNNKD_SETTING_INDUCTIVE;
    GKD_CHECK(!inductive || o->teacher_files == NULL || o->nteacher_files == 0, GNNKD_EINVAL,
              "inductive setting: teacher files are not supported (train the teacher here, on "
              "the observed graph)");
    GKD_CHECK(!inductive || o->transfer != GNNKD_TRANSFER_FILE, GNNKD_EINVAL,
              "inductive setting: a transfer file is not supported (use all, train or unlabeled)");
    const gnnkd_dataset *obs = gnnkd_setting_observed(s);
    const gnnkd_graph *gobs = gnnkd_setting_observed_graph(s);
    gnnkd_distill_options oo = *o, ao;
    member_ctx ctx = {s, NULL, NULL, NULL, NULL, NULL, o};
    if (inductive) {
        GKD_TRY(gnnkd_teacher_new(&tfull, s->full->n, s->full->nclass, msg));
        ctx.full = tfull;
    }
    GKD_CHECK(o->munge >= 0, GNNKD_EINVAL, "munge: %d pseudo-nodes", o->munge);
    GKD_CHECK(o->munge == 0 || (o->position.dim == 0 && o->position_file == NULL), GNNKD_EINVAL,
              "position features and MUNGE pseudo-nodes cannot be combined (pseudo-nodes have "
              "no position)");
    GKD_CHECK(o->munge == 0 || o->assistant == NULL, GNNKD_EINVAL,
              "an assistant and MUNGE pseudo-nodes cannot be combined (the teacher labels the "
              "pseudo-nodes, the assistant does not)");
    if (o->munge > 0) {
        GKD_CHECK(o->student.kind == GNNKD_MODEL_MLP, GNNKD_EINVAL,
                  "munge: the student must be an MLP (pseudo-nodes are no part of the graph)");
        GKD_CHECK(!gkd_method_lsp(o->method), GNNKD_EINVAL,
                  "munge: not with %s (the local structure is the graph's; pseudo-nodes "
                  "have no teacher embedding)", gnnkd_method_name(o->method));
        GKD_CHECK(o->transfer == GNNKD_TRANSFER_ALL || o->transfer == GNNKD_TRANSFER_UNLABELED,
                  GNNKD_EINVAL, "munge: pseudo-nodes are unlabelled nodes: transfer set all or "
                  "unlabeled, not %s", gnnkd_transfer_name(o->transfer));
        GKD_CHECK(o->teacher_files == NULL || o->nteacher_files == 0, GNNKD_EINVAL,
                  "munge: the teacher must be trained here to label pseudo-nodes, not files");
        GKD_TRY(gnnkd_munge(&aug, NULL, obs, o->munge, o->munge_p, o->munge_s, seed, msg));
        GKD_TRY(gnnkd_graph_new(&gaug, &aug->adj, msg));
        GKD_TRY(gnnkd_teacher_new(&taug, aug->n, aug->nclass, msg));
        GKD_ALLOC(buf, (int64_t)aug->n * aug->nclass);
        ctx.aug = taug;
        ctx.daug = aug;
        ctx.gaug = gaug;
        ctx.buf = buf;
    }
    if (inductive || o->munge > 0) {
        oo.member_trained = member_hook;
        oo.member_ctx = &ctx;
    }
    // the teacher keeps the structure its own student reads: the assistant's, if any
    if (o->assistant) GKD_TRY(gkd_assistant_options(&ao, &oo, msg));
    gnnkd_distill_result *dr = &r->r;
    gnnkd_status rc = gnnkd_distill_teacher(&t, &dr->teacher_params, o->assistant ? &ao : &oo,
                                            seed, obs, gobs, msg);
    if (rc != GNNKD_OK && o->assistant) { // what the assistant needs of the teacher
        char what[64];
        snprintf(what, sizeof what, "the teacher of assistant %s", o->assistant);
        gkd_msg_prepend(msg, what);
    }
    GKD_TRY(rc);
    dr->teacher_members = gnnkd_teacher_members(t);
    for (int sp = 0; sp < 3; sp++)
        GKD_TRY(gnnkd_teacher_accuracy(&dr->teacher_acc[sp], t, obs->label, obs->split[sp],
                                       obs->nsplit[sp], msg));
    r->teacher.tran = dr->teacher_acc[GNNKD_TEST];
    if (inductive)
        GKD_TRY(gnnkd_teacher_accuracy(&r->teacher.ind, tfull, s->full->label, s->held, s->nheld,
                                       msg));
    combine(&r->teacher, s);
    if (o->assistant) GKD_TRY(gnnkd_distill_assistant(&ta, r, &oo, t, seed, s, msg));
    GKD_TRY(positioned_new(&ps, o, seed, s, msg));
    if (aug) GKD_TRY(gnnkd_distill_student(&m, &dr->student, &oo, taug, seed, aug, gaug, msg));
    else GKD_TRY(gnnkd_distill_student(&m, &dr->student, &oo, ta ? ta : t, seed,
                                       gnnkd_setting_observed(&ps.s), gobs, msg));
    dr->student_params = gnnkd_model_num_params(m);
    GKD_TRY(gnnkd_setting_evaluate(&r->student, m, &ps.s, msg));
    if (ps.pos) // the student ships with its known nodes' rows (gnnkd_model_position_rows)
        GKD_TRY(gnnkd_model_set_position(m, ps.pos, s->full->n, ps.k, msg));
    if (student) *student = m, m = NULL;
    GKD_FREE_ALL;
    return GNNKD_OK;
#undef GKD_FREE_ALL
}
