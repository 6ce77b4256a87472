/* bench_grid.h — `gnnkd bench`'s grid: what one run covers, its methods and their
 * hyper-parameter axes, its configurations and how each student is trained
 * (bench_grid.c). Internal prefix: bench_. */
#ifndef GNNKD_BENCH_GRID_H
#define GNNKD_BENCH_GRID_H

#include "gnnkd.h"

#include <stddef.h>

enum {
    BENCH_MAX_LIST = 32,  /* datasets, teachers, students, methods, values of an axis */
    BENCH_NAME_LEN = 128, /* a dataset's label (gnnkd_dataset.name) */
    BENCH_SPEC_LEN = 64,  /* "gcn:64,64" */
    BENCH_NUM_LEN = 24,   /* a hyper-parameter value as text ("%g") */
    BENCH_TRAINING_LEN = 192 /* how a model was trained (bench_training_text) */
};

/* The hyper-parameter axes a method can be tuned on; each is a column of
 * results.csv and an option of gnnkd bench (the table in bench_grid.c). */
enum {
    BENCH_AXIS_T,
    BENCH_AXIS_ALPHA,
    BENCH_AXIS_BETA,
    BENCH_AXIS_TAU,
    BENCH_AXIS_RSD, /* NOSMOG's similarity distillation weight */
    BENCH_AXIS_ADV, /* NOSMOG's adversarial radius */
    BENCH_NAXES
};

typedef struct {
    const char *column;  /* results.csv column and summary.json key: "T" */
    const char *option;  /* the option giving its values: "temperatures" */
    const char *label;   /* in summary.md: "T", "α" */
    const char *values;  /* the default values, as the option takes them */
    double lo, hi;       /* the range of a value */
    void (*apply)(gnnkd_distill_options *o, double v);
} bench_axis;
extern const bench_axis BENCH_AXES[BENCH_NAXES];

/* A method the benchmark covers: the library's method, a named recipe
 * applied on top of its defaults (NULL: none), whether the student reads
 * the grid's position features, and the axes of its grid, a bit per axis;
 * the product of their values is its configurations, each chosen by
 * validation accuracy. A method without a teacher (scratch) is trained once
 * per seed. An ingredient of NOSMOG is a method of its own, alone with KD,
 * as the recipe (nosmog: position features and similarity distillation) or
 * all three (nosmog+adv): NOSMOG's ingredients serve a graph-free student,
 * so those methods train MLP students only; cpf (the recipe) trains CPF
 * students only. */
typedef struct {
    const char *name; /* NULL: the library's (gnnkd_method_name) */
    gnnkd_method method;
    const char *recipe;
    int position;
    unsigned axes;
    int needs_teacher;
    int by_default; /* in the grid without --methods (LSP: on request, its grid is large) */
    int kind;       /* students of this gnnkd_model_kind only, or -1: any */
} bench_method;
extern const bench_method BENCH_METHODS[];
extern const int BENCH_NMETHODS;
/* The name of a method of BENCH_METHODS: results.csv's method column. */
const char *bench_method_name(const bench_method *m);
/* The index in BENCH_METHODS of the method named text, or -1 with msg
 * saying why (naming the methods bench covers). */
int bench_method_find(const char *text, char *msg);

/* What one run covers: every dataset × seed × teacher × student ×
 * configuration, a method without a teacher once per dataset × seed ×
 * student. The configurations, in report order: the methods in the order of
 * BENCH_METHODS, each over the product of its axes (the first axis outer). */
typedef struct {
    int ndatasets;
    char dataset[BENCH_MAX_LIST][BENCH_NAME_LEN]; /* labels, known once loaded */
    int nteachers;
    char teacher[BENCH_MAX_LIST][BENCH_SPEC_LEN]; /* normalised, as gnnkd_model_spec_format */
    char teacher_training[BENCH_MAX_LIST][BENCH_TRAINING_LEN];    /* each kind's recipe, as bench_training_text */
    int nstudents;
    char student[BENCH_MAX_LIST][BENCH_SPEC_LEN];
    gnnkd_model_spec student_spec[BENCH_MAX_LIST];
    int nmethods;
    int method[BENCH_MAX_LIST];  /* indices into BENCH_METHODS, ascending */
    int nvalues[BENCH_NAXES];
    double value[BENCH_NAXES][BENCH_MAX_LIST];
    int seeds;        /* seeds seed0, seed0 + 1, ... */
    long seed0;
    long split_seed;  /* --split-seed; with the GLNN protocol seed k's split is split_seed + k */
    int glnn;         /* the GLNN protocol: the split redrawn per seed */
    int inductive;    /* the inductive setting (GLNN's included): tran/ind/prod differ */
    gnnkd_select select; /* of the students */
    int epochs, patience;  /* of every student if given (epochs_set, patience_set);
                              otherwise each kind's recipe's (these: mlp's and gcn's) */
    int epochs_set, patience_set;
    gnnkd_deepwalk_options position; /* of the methods with position features */
    char position_text[BENCH_SPEC_LEN]; /* as given: in those rows' training text */
    char setting[32];    /* "" (transductive), "inductive:F" or "glnn": in every row's
                            training text, so that a resume does not mix them */
    double weight_decay; /* of every student, or < 0: as gnnkd distill, 0 when
                            distilled (the soft targets regularise), 5e-4
                            (Kipf's) from scratch */
} bench_grid;

/* Whether the grid's methods need teachers at all. */
int bench_needs_teacher(const bench_grid *g);
/* 1 if a method of g reads the teacher's hidden layer (LSP, similarity
 * distillation), itself or through its recipe's assistant. */
int bench_needs_hidden(const bench_grid *g);
/* 1 if a method of g reads the position features. */
int bench_needs_position(const bench_grid *g);
/* Whether configuration k trains student st: a method may be for MLPs only,
 * and a CPF student learns from soft labels only. */
int bench_config_trains(const bench_grid *g, int st, int k);
int bench_nconfigs(const bench_grid *g);
/* Configuration k: its method (an index into g->method) and each axis's
 * value index (-1 where the method has no such axis). */
void bench_config(const bench_grid *g, int k, int *m, int idx[BENCH_NAXES]);
const bench_method *bench_config_method(const bench_grid *g, int k);
/* The weight decay of a student trained by method. */
float bench_weight_decay(const bench_grid *g, gnnkd_method method);
/* Method bm's options for student spec (bm NULL: KD), before the grid's
 * axes: the library's defaults, the training of the student's kind
 * (gnnkd_train_options_for_model: a CPF student's is not an MLP's) with
 * the grid's selection rule, bm's recipe on top (nosmog's 500 epochs,
 * cpf's loss and transfer set), then the epochs, patience and weight decay
 * given to gnnkd bench. */
void bench_method_options(gnnkd_distill_options *o, const bench_grid *g, const bench_method *bm,
                          const gnnkd_model_spec *spec);
/* Its training options alone. */
void bench_student_train(gnnkd_train_options *o, const bench_grid *g, const bench_method *bm,
                         const gnnkd_model_spec *spec);
/* The options of the student of configuration config: the library's
 * defaults for its method, its recipe's, the grid's selection rule, epochs,
 * patience and weight decay, the configuration's axis values, and centred
 * logits for compression. */
void bench_student_options(gnnkd_distill_options *o, const bench_grid *g, int config,
                           const gnnkd_model_spec *student);
/* "select=val-acc patience=100 epochs=200 weight_decay=0": how a model is trained. */
void bench_training_text(char *buf, size_t len, gnnkd_select select, int patience, int epochs,
                         double weight_decay);
/* Appends to buf what o's recipe sets beyond bench_training_text:
 * " generations=G" (G > 1), " dropout=P" (where it differs from spec's,
 * the student the grid names) and " assistant=R". A resume compares these texts, so it cannot mix
 * rows trained before and after a recipe changes. */
void bench_recipe_text_append(char *buf, size_t len, const gnnkd_distill_options *o,
                              const gnnkd_model_spec *spec);
/* Configuration k's axis values as text, "T=2, α=0.9" ("" for none). */
const char *bench_config_text(char *buf, size_t len, const bench_grid *g, int k);

#endif
