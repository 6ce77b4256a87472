/* bench_grid.h — `gnnkd bench`'s grid: what one run covers, its configurations and how
 * each student is trained (bench_grid.c). Internal prefix: bench_. */
#ifndef GNNKD_BENCH_GRID_H
#define GNNKD_BENCH_GRID_H

#include "gnnkd.h"

#include <stddef.h>

enum {
    BENCH_MAX_LIST = 32,  /* datasets, students, temperatures, alphas */
    BENCH_NAME_LEN = 128, /* a dataset's label (gnnkd_dataset.name) */
    BENCH_SPEC_LEN = 64,  /* "gcn:64,64" */
    BENCH_NUM_LEN = 24    /* a temperature or alpha as text ("%g") */
};

/* What one run covers: every dataset × seed × student × configuration. The
 * configurations of a student, in report order: scratch, then KD for every
 * (T, alpha) (T outer), then compression for every alpha. */
typedef struct {
    int ndatasets;
    char dataset[BENCH_MAX_LIST][BENCH_NAME_LEN]; /* labels, known once loaded */
    char teacher[BENCH_SPEC_LEN];                 /* normalised, as gnnkd_model_spec_format */
    int nstudents;
    char student[BENCH_MAX_LIST][BENCH_SPEC_LEN];
    int ntemps, nalphas;
    double temp[BENCH_MAX_LIST], alpha[BENCH_MAX_LIST];
    int seeds;        /* seeds seed0, seed0 + 1, ... */
    long seed0;
    char teacher_training[96]; /* gnnkd train's defaults, as bench_training_text */
    gnnkd_select select; /* of the students */
    int epochs, patience;
    char setting[32];    /* "" (transductive) or "inductive:F": in every row's
                            training text, so that a resume does not mix them */
    double weight_decay; /* of every student, or < 0: as gnnkd distill, 0 when
                            distilled (the soft targets regularise), 5e-4
                            (Kipf's) from scratch */
} bench_grid;

int bench_nconfigs(const bench_grid *g);
/* The method of configuration k and its temperature and alpha indices (-1
 * where they do not apply). */
void bench_config(const bench_grid *g, int k, gnnkd_method *method, int *t, int *a);
/* The weight decay of a student trained by method. */
float bench_weight_decay(const bench_grid *g, gnnkd_method method);
/* The options of the student of configuration config: the library's recipe
 * for its method and the grid's selection rule, with the grid's epochs,
 * patience and weight decay, temperature, alpha, and centred logits for
 * compression. */
void bench_student_options(gnnkd_distill_options *o, const bench_grid *g, int config,
                           const gnnkd_model_spec *student);
/* "select=val-acc patience=100 epochs=200 weight_decay=0": how a model is trained. */
void bench_training_text(char *buf, size_t len, gnnkd_select select, int patience, int epochs,
                         double weight_decay);

#endif
