/* tuning.c — the settings the kernels read (thresholds, block sizes) and the
 * choice of the copy of the hot kernels, from the CPU, the environment and
 * gnnkd_tuning_set. */
#include "gnn/kernels.h"

#include <string.h>

/* Measured on one 2-core AVX-512 machine: docs/perf-notes.md. */
#define GKD_TUNING_DEFAULTS                                                                 \
    {                                                                                      \
        .par_min = 32768, .par_min_stream = 1 << 20, .blas_par_min = 1 << 22,              \
        .narrow_min_in = 64, .loss_par_min = 65536, .drop_floats = 1 << 22, .prefetch_bytes = 32LL << 20,         \
        .prefetch_ahead = 16, .isa = GNNKD_ISA_BASELINE /* then the best the CPU runs */    \
    }
static const gnnkd_tuning defaults = GKD_TUNING_DEFAULTS;

gnnkd_tuning gkd_tuning = GKD_TUNING_DEFAULTS;
_Thread_local int gkd_rows_alone;
const gkd_kernels *gkd_active = &gkd_kernels_isa0;

/* gnn.h's entries to LSP's passes, for distill/lsp.c: the copy in use. */
void gkd_lsp_rows_raw(float *p, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                      int32_t i1) {
    gkd_active->lsp_rows_raw(p, l, z, D, i0, i1);
}
void gkd_lsp_rows_loss(gkd_lsp *l, const float *z, int32_t D, int32_t i0, int32_t i1) {
    gkd_active->lsp_rows_loss(l, z, D, i0, i1);
}
void gkd_lsp_rows_gather(float *dz, const gkd_lsp *l, const float *z, int32_t D, int32_t i0,
                         int32_t i1, float scale) {
    gkd_active->lsp_rows_gather(dz, l, z, D, i0, i1, scale);
}

#ifndef GKD_ISA_MAX
#define GKD_ISA_MAX 0
#endif

static const char *const isa_names[] = {"baseline", "x86-64-v3", "x86-64-v4"};
#define NISA (int)(sizeof isa_names / sizeof isa_names[0])

const char *gnnkd_isa_name(int isa) { return isa >= 0 && isa < NISA ? isa_names[isa] : NULL; }

/* The table of level isa (compiled for up to GKD_ISA_MAX), or NULL. */
static const gkd_kernels *table(int isa) {
    if (isa == GNNKD_ISA_BASELINE) return &gkd_kernels_isa0;
#if GKD_ISA_MAX >= 2
    if (isa == GNNKD_ISA_X86_64_V3) return &gkd_kernels_isa1;
    if (isa == GNNKD_ISA_X86_64_V4) return &gkd_kernels_isa2;
#endif
    return NULL;
}

/* The best level this build has and this CPU runs. */
static int best_isa(void) {
#if GKD_ISA_MAX >= 2 && defined(__x86_64__) && defined(__GNUC__)
    __builtin_cpu_init();
#if !defined(__clang__) && __GNUC__ >= 12
    if (__builtin_cpu_supports("x86-64-v4")) return GNNKD_ISA_X86_64_V4;
    if (__builtin_cpu_supports("x86-64-v3")) return GNNKD_ISA_X86_64_V3;
#else
    int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
             __builtin_cpu_supports("bmi") && __builtin_cpu_supports("bmi2");
    if (v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl"))
        return GNNKD_ISA_X86_64_V4;
    if (v3) return GNNKD_ISA_X86_64_V3;
#endif
#endif
    return GNNKD_ISA_BASELINE;
}

void gnnkd_tuning_default(gnnkd_tuning *t) {
    *t = defaults;
    t->isa = (gnnkd_isa)best_isa();
}

void gnnkd_tuning_get(gnnkd_tuning *t) { *t = gkd_tuning; }

/* The settings' fields, for checking them and reading them from the
 * environment: name, environment variable, and the bounds of a number. */
typedef struct {
    const char *name, *env;
    size_t offset;
    int64_t lo, hi;
} field;
static const field fields[] = {
    {"par_min", "GNNKD_PAR_MIN", offsetof(gnnkd_tuning, par_min), 0, INT64_MAX},
    {"par_min_stream", "GNNKD_PAR_MIN_STREAM", offsetof(gnnkd_tuning, par_min_stream), 0, INT64_MAX},
    {"blas_par_min", "GNNKD_BLAS_PAR_MIN", offsetof(gnnkd_tuning, blas_par_min), 0, INT64_MAX},
    {"narrow_min_in", "GNNKD_NARROW_MIN_IN", offsetof(gnnkd_tuning, narrow_min_in), 0, INT64_MAX},
    {"loss_par_min", "GNNKD_LOSS_PAR_MIN", offsetof(gnnkd_tuning, loss_par_min), 0, INT64_MAX},
    {"drop_floats", "GNNKD_DROP_FLOATS", offsetof(gnnkd_tuning, drop_floats), 1, INT64_MAX},
    {"prefetch_bytes", "GNNKD_PREFETCH_BYTES", offsetof(gnnkd_tuning, prefetch_bytes), 0, INT64_MAX},
    {"prefetch_ahead", "GNNKD_PREFETCH_AHEAD", offsetof(gnnkd_tuning, prefetch_ahead), 0, 4096},
};
#define NFIELDS (int)(sizeof fields / sizeof fields[0])

static int64_t *at(gnnkd_tuning *t, const field *f) { return (int64_t *)((char *)t + f->offset); }

/* Why a level this build has cannot run here, or NULL if it can. */
static const char *cannot_run(int isa) {
    if (isa <= best_isa()) return NULL;
    return table(isa) ? "this CPU lacks it" : "this build has no such copy";
}

gnnkd_status gnnkd_tuning_set(const gnnkd_tuning *t, char *msg) {
    GKD_CLEAR_MSG;
    if (t == NULL) {
        gkd_msg(msg, "gnnkd_tuning_set: t must not be NULL");
        return GNNKD_EINVAL;
    }
    gnnkd_tuning c = *t;
    for (int j = 0; j < NFIELDS; j++) {
        int64_t v = *at(&c, &fields[j]);
        if (v < fields[j].lo || v > fields[j].hi) {
            if (fields[j].hi == INT64_MAX)
                gkd_msg(msg, "gnnkd_tuning_set: %s %lld: must be >= %lld", fields[j].name,
                       (long long)v, (long long)fields[j].lo);
            else
                gkd_msg(msg, "gnnkd_tuning_set: %s %lld: must be in [%lld, %lld]",
                       fields[j].name, (long long)v, (long long)fields[j].lo,
                       (long long)fields[j].hi);
            return GNNKD_EINVAL;
        }
    }
    const char *name = gnnkd_isa_name(c.isa), *why = name ? cannot_run(c.isa) : NULL;
    if (name == NULL) {
        gkd_msg(msg, "gnnkd_tuning_set: isa %d is not a gnnkd_isa", (int)c.isa);
        return GNNKD_EINVAL;
    }
    if (why) {
        gkd_msg(msg, "gnnkd_tuning_set: isa %s: %s (the best here is %s)", name, why,
               isa_names[best_isa()]);
        return GNNKD_EINVAL;
    }
    gkd_tuning = c;
    gkd_active = table(c.isa);
    return GNNKD_OK;
}

/* Applies the environment's settings to *t; each malformed or out-of-range
 * one is ignored with a warning on stderr (the last also in msg). Returns
 * how many were ignored. */
int gkd_tuning_env(gnnkd_tuning *t, char *msg) {
    int ignored = 0;
    char why[GNNKD_MSG_LEN];
    for (int j = 0; j < NFIELDS; j++) {
        const char *s = getenv(fields[j].env), *p = s;
        int64_t v;
        if (s == NULL) continue;
        if (gkd_parse_int(&p, &v) && gkd_is_blank(p) && v >= fields[j].lo && v <= fields[j].hi) {
            *at(t, &fields[j]) = v;
            continue;
        }
        if (fields[j].hi == INT64_MAX)
            snprintf(why, sizeof why, "gnnkd: ignoring %s=%s: not an integer >= %lld", fields[j].env, s,
                   (long long)fields[j].lo);
        else
            snprintf(why, sizeof why, "gnnkd: ignoring %s=%s: not an integer in [%lld, %lld]", fields[j].env,
                   s, (long long)fields[j].lo, (long long)fields[j].hi);
        fprintf(stderr, "%s\n", why);
        if (msg) snprintf(msg, GNNKD_MSG_LEN, "%s", why); // the last one
        ignored++;
    }
    const char *s = getenv("GNNKD_ISA");
    if (s != NULL && *s != '\0') {
        int isa = -1;
        for (int l = 0; l < NISA; l++)
            if (strcmp(s, isa_names[l]) == 0) isa = l;
        const char *bad = isa < 0 ? "not x86-64-v4, x86-64-v3 or baseline" : cannot_run(isa);
        if (bad == NULL) {
            t->isa = (gnnkd_isa)isa;
            return ignored;
        }
        snprintf(why, sizeof why, "gnnkd: ignoring GNNKD_ISA=%s: %s", s, bad);
        fprintf(stderr, "%s\n", why);
        if (msg) snprintf(msg, GNNKD_MSG_LEN, "%s", why); // the last one
        ignored++;
    }
    return ignored;
}

/* At load time, before any kernel runs (priority 101: before the
 * constructors of a program linked with the static library). */
__attribute__((constructor(101))) static void tuning_init(void) {
    gnnkd_tuning t;
    gnnkd_tuning_default(&t);
    (void)gkd_tuning_env(&t, NULL);
    gkd_tuning = t;
    gkd_active = table(t.isa);
}
