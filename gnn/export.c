/* export.c — an MLP student as one standalone C99 source and header: the
 * weights as static const arrays (float, or int8 with per-output-channel
 * scales) and a forward pass over one raw feature row that applies the
 * model's recorded feature normalisation itself. Nothing but a C99 compiler
 * and libm is needed to use it: no gnnkd, no allocation, no mutable state. */
#include "gnn/kernels.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <string.h>

/* Products summed over this many inputs stay below 2^31: layer 0's int8
 * inputs, a later layer's levels 0..255, times int8 weights. */
#define GKD_INT8_MAX_IN0 (INT32_MAX / (127 * 127))
#define GKD_INT8_MAX_IN (INT32_MAX / (255 * 127))

void gnnkd_export_options_default(gnnkd_export_options *o) {
    memset(o, 0, sizeof *o);
    o->prefix = "student";
}

/* The sizes and stack of an export of spec (see gnnkd_export_info). */
static void export_info(gnnkd_export_info *info, const gnnkd_model_spec *s, int64_t nparams) {
    int64_t q = 0, widest = 0;
    for (int l = 0; l < s->nlayers; l++) {
        int64_t o = s->dims[l + 1];
        q += (int64_t)s->dims[l] * o + 4 * o + 4 * o; // weights, scales, biases
        if (o > widest) widest = o;
    }
    info->float_bytes = 4 * nparams;
    info->int8_bytes = q;
    // two float rows and layer 0's 64-column gather buffer (idx, val); for
    // int8 also an int32 accumulator row (or a later layer's int16 levels)
    info->stack_bytes = 2 * 4 * widest + 64 * 8;
    info->stack_bytes_int8 = 3 * 4 * widest + 64 * 8;
}

/* 1 if p is a C identifier of at most 64 characters. */
static int is_identifier(const char *p) {
    size_t n = strlen(p);
    if (n == 0 || n > 64 || !(isalpha((unsigned char)p[0]) || p[0] == '_')) return 0;
    for (size_t i = 1; i < n; i++)
        if (!(isalnum((unsigned char)p[i]) || p[i] == '_')) return 0;
    return 1;
}

/* A float as a C literal that reads back as the same float. */
static void put_float(FILE *f, float v) {
    char buf[48];
    snprintf(buf, sizeof buf, "%.9g", (double)v);
    fprintf(f, "%s%sf", buf, strpbrk(buf, ".e") ? "" : ".0");
}

static void put_floats(FILE *f, const char *type_name, const char *prefix, const char *what, int l,
                       const float *v, int64_t n) {
    fprintf(f, "static const %s %s_%s%d[%lld] = {", type_name, prefix, what, l, (long long)n);
    for (int64_t e = 0; e < n; e++) {
        fputs(e % 8 ? " " : "\n    ", f);
        put_float(f, v[e]);
        fputc(',', f);
    }
    fputs("\n};\n", f);
}

/* Per-output-channel symmetric int8: column c of w (i, o) is q[., c] scale[c]
 * with scale[c] = max_k |w[k, c]| / 127 (1 for an all-zero column). */
static void quantise(int8_t *q, float *scale, const float *w, int32_t i, int32_t o) {
    for (int32_t c = 0; c < o; c++) {
        float amax = 0.0f;
        for (int32_t k = 0; k < i; k++) amax = fmaxf(amax, fabsf(w[(int64_t)k * o + c]));
        scale[c] = amax > 0.0f ? amax / 127.0f : 1.0f;
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int32_t k = 0; k < i; k++) {
            float t = roundf(w[(int64_t)k * o + c] * inv);
            q[(int64_t)k * o + c] = (int8_t)(t > 127.0f ? 127 : t < -127.0f ? -127 : t);
        }
    }
}

static const char HEADER_TEXT[] =
    "/* %s.h — %s, exported by gnnkd %s as standalone C99: needs only a C99\n"
    " * compiler and libm. Build it as: cc -std=c99 -O2 -c %s.c (link with -lm).\n"
    " * -O2 is what it is written and timed for: gcc 12 and later, and clang,\n"
    " * vectorise its inner loops at -O2 (older gcc: add -ftree-vectorize);\n"
    " * -march=... for the target CPU adds wider vectors (and clang needs\n"
    " * SSE4.1 or newer on x86-64 for fast int8 products). No intrinsics.\n"
    " *\n"
    " * Model: %s, %d input features -> %d classes, %lld parameters.\n"
    " * Input: ONE node's RAW feature row (the columns of the training data).\n"
    " * Feature normalisation applied by these functions: %s.\n"
    " * Weights: %s.\n"
    " * Model size: %lld bytes as float32, %lld bytes as int8 (weights + float\n"
    " *   scales + float biases); this export holds the %s one.\n"
    " * Stack: each call uses at most %lld bytes of local arrays (plus a few\n"
    " *   scalars); no allocation, no global mutable state: reentrant and thread-safe.\n"
    " */\n";

static int write_header(FILE *f, const char *name, const char *P, const char *U,
                        const gnnkd_model *m, const gnnkd_export_options *o,
                        const gnnkd_export_info *info) {
    const gnnkd_model_spec *s = &m->spec;
    char spec[128];
    gnnkd_model_spec_format(spec, sizeof spec, s);
    const char *norm = m->feature_norm == GNNKD_FEATURES_ROW_SUM
                           ? "each row is scaled to sum 1 (rows summing to 0 kept as they are)"
                           : "none (raw features, as the model was trained)";
    const char *scheme =
        o->int8 ? "int8, per output channel, symmetric (scale[c] = max_k |W[k][c]| / 127).\n"
                  " *   Each layer's input row is quantised per row: layer 0's (the normalised\n"
                  " *   features) symmetric, levels -127..127, scale_x = max |x| / 127; a later\n"
                  " *   layer's (a ReLU's output, >= 0) to levels 0..255, scale_x = max x / 255.\n"
                  " *   Products are summed exactly in int32, then\n"
                  " *   y[c] = acc[c] * scale_x * scale[c] + bias[c] in float (biases and the\n"
                  " *   activations between layers stay float)"
                : "float32, as trained";
    fprintf(f, HEADER_TEXT, name, "a gnnkd MLP student", gnnkd_version(), name, spec, s->dims[0],
            s->dims[s->nlayers], (long long)m->nparams, norm, scheme,
            (long long)info->float_bytes, (long long)info->int8_bytes, o->int8 ? "int8" : "float32",
            (long long)(o->int8 ? info->stack_bytes_int8 : info->stack_bytes));
    fprintf(f,
            "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n"
            "#define %s_NFEAT %d  /* input features */\n"
            "#define %s_NCLASS %d /* classes: the length of logits and probs */\n\n"
            "/* The logits of the node whose raw feature row is x (%s_NFEAT floats);\n"
            " * returns the predicted class (the argmax). */\n"
            "int %s_logits(const float *x, float *logits);\n\n"
            "/* The same from the row's nonzeros: val[j] at column idx[j], j < nnz\n"
            " * (any order; a repeated column adds up). Returns -1, leaving logits\n"
            " * unwritten, if a column is outside 0..%s_NFEAT-1 or nnz < 0. */\n"
            "int %s_logits_sparse(const int32_t *idx, const float *val, int nnz, float *logits);\n\n"
            "/* As the two above, with the class probabilities (softmax of the logits)\n"
            " * in probs (%s_NCLASS floats). */\n"
            "int %s_predict(const float *x, float *probs);\n"
            "int %s_predict_sparse(const int32_t *idx, const float *val, int nnz, float *probs);\n\n"
            "#endif\n",
            U, U, U, s->dims[0], U, s->dims[s->nlayers], U, P, U, P, U, P, P);
    return ferror(f) ? GNNKD_EIO : GNNKD_OK;
}

/* The generated code: one function a layer, its widths as constants (so
 * that -O2 vectorises the loops over them). In the texts, @L is the layer,
 * @I and @O its widths, @R 1 for a ReLU after it. Layer 0 reads the rows of
 * its weights that a row's nonzeros pick (PREFIX_logits_sparse's columns, or
 * a dense row's nonzeros gathered 64 columns at a time, branch-free: most
 * feature rows are mostly zero). */
static const char COMMON_HEAD[] =
    "/* The columns k0 <= k < end where x is not zero, and their values: their count. */\n"
    "static int P_nonzeros(int32_t *restrict idx, float *restrict val, const float *x, int k0,\n"
    "                       int end) {\n"
    "    int k, n = 0;\n"
    "    for (k = k0; k < end; k++) {\n"
    "        idx[n] = k, val[n] = x[k];\n"
    "        n += x[k] != 0.0f;\n"
    "    }\n"
    "    return n;\n"
    "}\n\n";

static const char ROWSUM[] =
    "/* 1 / the sum of v (n), or 1 if it is 0: training's row-sum normalisation (the\n"
    " * sum in double, four partial sums). */\n"
    "static float P_rowscale(const float *v, int n) {\n"
    "    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, sum;\n"
    "    int k;\n"
    "    for (k = 0; k + 3 < n; k += 4) s0 += v[k], s1 += v[k + 1], s2 += v[k + 2], s3 += v[k + 3];\n"
    "    for (; k < n; k++) s0 += v[k];\n"
    "    sum = (s0 + s1) + (s2 + s3);\n"
    "    return sum != 0.0 ? (float)(1.0 / sum) : 1.0f;\n"
    "}\n\n";

static const char FLOAT_LAYER0[] =
    "/* layer 0, part of a row: y (@O) += the rows of w0 (@I, @O) at columns idx[j],\n"
    " * times val[j] s (j < nnz). */\n"
    "static void P_gather0(float *restrict y, const int32_t *idx, const float *val, int nnz,\n"
    "                      float s) {\n"
    "    int j, c;\n"
    "    for (j = 0; j < nnz; j++) {\n"
    "        const float v = val[j] * s;\n"
    "        const float *wk = P_w0 + (long)idx[j] * @O;\n"
    "        for (c = 0; c < @O; c++) y[c] += v * wk[c];\n"
    "    }\n"
    "}\n\n"
    "/* y += b0, ReLU if @R. */\n"
    "static void P_finish0(float *restrict y) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        y[c] += P_b0[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n"
    "/* layer 0: y (@O) from the row x (@I) times s. */\n"
    "static void P_layer0(float *restrict y, const float *restrict x, float s) {\n"
    "    int32_t idx[64];\n"
    "    float val[64];\n"
    "    int k0, c;\n"
    "    for (c = 0; c < @O; c++) y[c] = 0.0f;\n"
    "    for (k0 = 0; k0 < @I; k0 += 64)\n"
    "        P_gather0(y, idx, val, P_nonzeros(idx, val, x, k0, k0 + 64 < @I ? k0 + 64 : @I), s);\n"
    "    P_finish0(y);\n"
    "}\n\n"
    "/* layer 0 from a sparse row: nnz entries val (times s) at columns idx. */\n"
    "static void P_layer0_sparse(float *restrict y, const int32_t *idx, const float *val, int nnz,\n"
    "                            float s) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) y[c] = 0.0f;\n"
    "    P_gather0(y, idx, val, nnz, s);\n"
    "    P_finish0(y);\n"
    "}\n\n";

static const char FLOAT_DENSE[] =
    "/* layer @L: y (@O) = the row x (@I) times w (@I, @O), plus b, ReLU if @R. */\n"
    "static void P_layer@L(float *restrict y, const float *restrict x) {\n"
    "    int k, c;\n"
    "    for (c = 0; c < @O; c++) y[c] = 0.0f;\n"
    "    for (k = 0; k < @I; k++) { /* no test for zeros: a ReLU's are unpredictable */\n"
    "        const float v = x[k];\n"
    "        const float *wk = P_w@L + (long)k * @O;\n"
    "        for (c = 0; c < @O; c++) y[c] += v * wk[c];\n"
    "    }\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        y[c] += P_b@L[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n";

static const char INT8_COMMON[] =
    "/* The int8 level nearest t (|t| <= 127 by construction). */\n"
    "static int P_level(float t) {\n"
    "    const int q = (int)(t >= 0.0f ? t + 0.5f : t - 0.5f);\n"
    "    return q > 127 ? 127 : q < -127 ? -127 : q;\n"
    "}\n\n"
    "/* max |v[k]| (k < n) from the bits: non-negative floats order as their bits\n"
    " * do, and an integer max vectorises where a float one may not. */\n"
    "static float P_absmax(const float *v, int n) {\n"
    "    uint32_t top = 0, u;\n"
    "    float a;\n"
    "    int k;\n"
    "    for (k = 0; k < n; k++) {\n"
    "        memcpy(&u, v + k, sizeof u);\n"
    "        u &= 0x7fffffffu;\n"
    "        top = u > top ? u : top;\n"
    "    }\n"
    "    memcpy(&a, &top, sizeof a);\n"
    "    return a;\n"
    "}\n\n";

/* Layer 0 gathers rows of q0 (@I, @O); later layers, dense and short, are
 * dot products with the rows of their transposed q (@O, @I). */
static const char INT8_LAYER0[] =
    "/* layer 0, part of a row: acc (@O) += entries val[j] r (j < nnz), each rounded to\n"
    " * an int8 level, times the int8 rows of q0 (@I, @O) at columns idx[j]; two\n"
    " * entries at a time, as two products fit an int16. */\n"
    "static void P_gather0(int32_t *restrict acc, const int32_t *idx, const float *val, int nnz,\n"
    "                      float r) {\n"
    "    int j, c;\n"
    "    for (j = 0; j + 1 < nnz; j += 2) {\n"
    "        const int16_t qa = (int16_t)P_level(val[j] * r), qb = (int16_t)P_level(val[j + 1] * r);\n"
    "        const int8_t *ka = P_q0 + (long)idx[j] * @O, *kb = P_q0 + (long)idx[j + 1] * @O;\n"
    "        for (c = 0; c < @O; c++) acc[c] += (int16_t)(qa * ka[c] + qb * kb[c]); /* <= 2 127^2 */\n"
    "    }\n"
    "    if (j < nnz) {\n"
    "        const int16_t qa = (int16_t)P_level(val[j] * r);\n"
    "        const int8_t *ka = P_q0 + (long)idx[j] * @O;\n"
    "        for (c = 0; c < @O; c++) acc[c] += (int16_t)(qa * ka[c]);\n"
    "    }\n"
    "}\n\n"
    "/* y[c] = acc[c] sx scale0[c] + b0[c], ReLU if @R. */\n"
    "static void P_finish0(float *restrict y, const int32_t *restrict acc, float sx) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        y[c] = (float)acc[c] * (sx * P_s0[c]) + P_b0[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n"
    "/* layer 0: y (@O) from the row x (@I) times s, quantised per row to int8 levels\n"
    " * (scale sx = max |x s| / 127). */\n"
    "static void P_layer0(float *restrict y, const float *restrict x, float s) {\n"
    "    int32_t acc[@O], idx[64];\n"
    "    float val[64];\n"
    "    const float amax = P_absmax(x, @I) * fabsf(s), r = amax > 0.0f ? s * (127.0f / amax) : 0.0f;\n"
    "    int k0, c;\n"
    "    for (c = 0; c < @O; c++) acc[c] = 0;\n"
    "    for (k0 = 0; k0 < @I; k0 += 64)\n"
    "        P_gather0(acc, idx, val, P_nonzeros(idx, val, x, k0, k0 + 64 < @I ? k0 + 64 : @I), r);\n"
    "    P_finish0(y, acc, amax / 127.0f);\n"
    "}\n\n"
    "/* layer 0 from a sparse row: nnz entries val (times s) at columns idx. */\n"
    "static void P_layer0_sparse(float *restrict y, const int32_t *idx, const float *val, int nnz,\n"
    "                            float s) {\n"
    "    int32_t acc[@O];\n"
    "    const float amax = P_absmax(val, nnz) * fabsf(s), r = amax > 0.0f ? s * (127.0f / amax) : 0.0f;\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) acc[c] = 0;\n"
    "    P_gather0(acc, idx, val, nnz, r);\n"
    "    P_finish0(y, acc, amax / 127.0f);\n"
    "}\n\n";

static const char INT8_DENSE[] =
    "/* layer @L: the row x (@I, >= 0: a ReLU's output) rounded to levels 0..255 per row\n"
    " * (scale sx = max x / 255), dot products with the int8 rows of q@L (@O, @I) in\n"
    " * int32; y[c] = acc[c] sx scale[c] + b[c], ReLU if @R. */\n"
    "static void P_layer@L(float *restrict y, const float *restrict x) {\n"
    "    int16_t qx[@I];\n"
    "    const float amax = P_absmax(x, @I), inv = amax > 0.0f ? 255.0f / amax : 0.0f;\n"
    "    int k, c;\n"
    "    for (k = 0; k < @I; k++) qx[k] = (int16_t)(x[k] * inv + 0.5f);\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        const int8_t *qc = P_q@L + (long)c * @I;\n"
    "        int32_t acc = 0;\n"
    "        for (k = 0; k < @I; k++) acc += qx[k] * qc[k];\n"
    "        y[c] = (float)acc * (amax / 255.0f * P_s@L[c]) + P_b@L[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n";

static const char COMMON_TAIL[] =
    "/* The argmax of z (P_NCLASS). */\n"
    "static int P_argmax(const float *z) {\n"
    "    int c, best = 0;\n"
    "    for (c = 1; c < P_NCLASS; c++)\n"
    "        if (z[c] > z[best]) best = c;\n"
    "    return best;\n"
    "}\n\n"
    "/* probs = softmax(probs) in place; returns the argmax. */\n"
    "static int P_softmax(float *probs, int best) {\n"
    "    int c;\n"
    "    float sum = 0.0f, top;\n"
    "    if (best < 0) return best;\n"
    "    top = probs[best];\n"
    "    for (c = 0; c < P_NCLASS; c++) {\n"
    "        probs[c] = expf(probs[c] - top);\n"
    "        sum += probs[c];\n"
    "    }\n"
    "    for (c = 0; c < P_NCLASS; c++) probs[c] /= sum;\n"
    "    return best;\n"
    "}\n\n"
    "int P_predict(const float *x, float *probs) { return P_softmax(probs, P_logits(x, probs)); }\n\n"
    "int P_predict_sparse(const int32_t *idx, const float *val, int nnz, float *probs) {\n"
    "    return P_softmax(probs, P_logits_sparse(idx, val, nnz, probs));\n"
    "}\n";

/* Writes text with "P_" replaced by the prefix and "_", "P_N" macros by the
 * upper-case prefix, and @L, @I, @O, @R by layer l's index, widths and
 * whether a ReLU follows. */
static void put_text(FILE *f, const char *text, const char *P, const char *U,
                     const gnnkd_model_spec *s, int l) {
    for (const char *t = text; *t; t++) {
        if (t[0] == 'P' && t[1] == '_' && (t == text || !(isalnum((unsigned char)t[-1]) || t[-1] == '_'))) {
            fputs(t[2] == 'N' ? U : P, f);
            continue; // the '_' follows
        }
        if (t[0] == '@' && s != NULL && strchr("LIOR", t[1]) && t[1] != '\0') {
            const int v = t[1] == 'L' ? l : t[1] == 'I' ? s->dims[l] : t[1] == 'O' ? s->dims[l + 1]
                        : l < s->nlayers - 1;
            fprintf(f, "%d", v);
            t++;
            continue;
        }
        fputc(*t, f);
    }
}

/* The body of P_logits (sparse: P_logits_sparse): the normalisation scale s,
 * then layer by layer between the two rows a and b, the last into logits. */
static void put_forward(FILE *f, const gnnkd_model *m, int sparse, const char *P,
                        const char *U, int32_t widest) {
    const gnnkd_model_spec *s = &m->spec;
    const int L = s->nlayers, rowsum = m->feature_norm == GNNKD_FEATURES_ROW_SUM;
    if (sparse)
        fprintf(f, "int %s_logits_sparse(const int32_t *idx, const float *val, int nnz, float *logits) {\n", P);
    else
        fprintf(f, "int %s_logits(const float *x, float *logits) {\n", P);
    fprintf(f, "    float a[%d], b[%d];\n", widest, widest);
    if (sparse) {
        fprintf(f, "    float s;\n    int j;\n    if (nnz < 0) return -1;\n"
                   "    for (j = 0; j < nnz; j++)\n"
                   "        if (idx[j] < 0 || idx[j] >= %s_NFEAT) return -1;\n", U);
        if (rowsum) fprintf(f, "    s = %s_rowscale(val, nnz);\n", P);
        else fprintf(f, "    s = 1.0f;\n");
    } else if (rowsum) {
        fprintf(f, "    const float s = %s_rowscale(x, %s_NFEAT);\n", P, U);
    } else {
        fprintf(f, "    const float s = 1.0f;\n");
    }
    for (int l = 0; l < L; l++) {
        const char *out = l == L - 1 ? "logits" : l % 2 ? "b" : "a";
        const char *in = l % 2 ? "a" : "b"; // layer l >= 1 reads layer l-1's output
        if (l == 0 && sparse) fprintf(f, "    %s_layer0_sparse(%s, idx, val, nnz, s);\n", P, out);
        else if (l == 0) fprintf(f, "    %s_layer0(%s, x, s);\n", P, out);
        else fprintf(f, "    %s_layer%d(%s, %s);\n", P, l, out, in);
    }
    if (L < 3) fprintf(f, "    (void)b;\n"); // only deeper models use the second row
    fprintf(f, "    return %s_argmax(logits);\n}\n\n", P);
}

static int write_source(FILE *f, const char *name, const char *P, const char *U,
                        const gnnkd_model *m, const gnnkd_export_options *o) {
    const gnnkd_model_spec *s = &m->spec;
    int8_t *q = NULL;
    float *scale = NULL;
    int32_t widest = 0;
    for (int l = 1; l <= s->nlayers; l++) widest = s->dims[l] > widest ? s->dims[l] : widest;
    fprintf(f, "/* %s.c — generated by gnnkd %s (see %s.h). */\n#include \"%s.h\"\n\n#include <math.h>\n#include <string.h>\n\n",
            name, gnnkd_version(), name, name);
    for (int l = 0; l < s->nlayers; l++) {
        const int32_t i = s->dims[l], oo = s->dims[l + 1];
        fprintf(f, "/* layer %d: %d -> %d%s */\n", l, i, oo, l < s->nlayers - 1 ? ", ReLU" : "");
        if (o->int8) {
            q = malloc((size_t)i * (size_t)oo);
            scale = malloc(sizeof *scale * (size_t)oo);
            if (q == NULL || scale == NULL) {
                free(q), free(scale);
                return GNNKD_ENOMEM;
            }
            quantise(q, scale, m->w[l], i, oo);
            // layer 0 as (i, o); later layers transposed, (o, i)
            fprintf(f, "static const int8_t %s_q%d[%lld] = {", P, l, (long long)i * oo);
            for (int64_t e = 0; e < (int64_t)i * oo; e++)
                fprintf(f, e % 16 ? " %d," : "\n    %d,",
                        l == 0 ? q[e] : q[(e % i) * oo + e / i]);
            fputs("\n};\n", f);
            put_floats(f, "float", P, "s", l, scale, oo);
            free(q), free(scale);
            q = NULL, scale = NULL;
        } else {
            put_floats(f, "float", P, "w", l, m->w[l], (int64_t)i * oo);
        }
        put_floats(f, "float", P, "b", l, m->b[l], oo);
        fputc('\n', f);
    }
    put_text(f, COMMON_HEAD, P, U, NULL, 0);
    if (m->feature_norm == GNNKD_FEATURES_ROW_SUM) put_text(f, ROWSUM, P, U, NULL, 0);
    if (o->int8) put_text(f, INT8_COMMON, P, U, NULL, 0);
    put_text(f, o->int8 ? INT8_LAYER0 : FLOAT_LAYER0, P, U, s, 0);
    for (int l = 1; l < s->nlayers; l++) put_text(f, o->int8 ? INT8_DENSE : FLOAT_DENSE, P, U, s, l);
    fprintf(f, "static int %s_argmax(const float *z);\n\n", P);
    put_forward(f, m, 0, P, U, widest);
    put_forward(f, m, 1, P, U, widest);
    put_text(f, COMMON_TAIL, P, U, NULL, 0);
    return ferror(f) ? GNNKD_EIO : GNNKD_OK;
}

gnnkd_status gnnkd_model_export_c(gnnkd_export_info *info, const gnnkd_model *m,
                                  const char *path, const gnnkd_export_options *o, char *msg) {
    GKD_CLEAR_MSG;
    FILE *fc = NULL, *fh = NULL;
    char hpath[GKD_PATH_LEN], ctmp[GKD_PATH_LEN + 32], htmp[GKD_PATH_LEN + 32];
    char name[GKD_PATH_LEN], P[80], U[80];
#define GKD_FREE_ALL                                                                       \
    do {                                                                                  \
        if (fc) gkd_commit_file(fc, ctmp, path, 0, NULL);                                 \
        if (fh) gkd_commit_file(fh, htmp, hpath, 0, NULL);                                \
    } while (0)
    gnnkd_export_options def;
    if (o == NULL) gnnkd_export_options_default(&def), o = &def;
    GKD_CHECK(m != NULL && path != NULL, GNNKD_EINVAL, "gnnkd_model_export_c: m and path must not be NULL");
    const gnnkd_model_spec *s = &m->spec;
    if (info) export_info(info, s, m->nparams);
    GKD_CHECK(s->kind == GNNKD_MODEL_MLP, GNNKD_EINVAL,
             "%s: only MLP students can be exported: this model is not an MLP, and a graph "
             "model's prediction for a node reads its neighbours' features through the graph, "
             "which a function of one feature row does not have (distil it into an MLP: "
             "gnnkd distill --student mlp:64)", path);
    GKD_CHECK(m->pos == NULL, GNNKD_EINVAL,
              "%s: this MLP reads %d position columns after its features, the mean of a node's "
              "known neighbours' rows, which a function of one feature row does not have (serve "
              "it with gnnkd predict --edges, or distil without --position)", path, m->pos_dim);
    const char *prefix = o->prefix ? o->prefix : "student";
    GKD_CHECK(is_identifier(prefix), GNNKD_EINVAL,
             "export: the name '%s' is not a C identifier (letters, digits, _; at most 64)", prefix);
    size_t len = strlen(path);
    GKD_CHECK(len > 2 && len < GKD_PATH_LEN && !strcmp(path + len - 2, ".c"), GNNKD_EINVAL,
             "%s: the export's path must end in .c (its header goes beside it, as .h)", path);
    if (o->int8)
        for (int l = 0; l < s->nlayers; l++) {
            const int32_t most = l ? GKD_INT8_MAX_IN : GKD_INT8_MAX_IN0;
            GKD_CHECK(s->dims[l] <= most, GNNKD_EINVAL,
                     "%s: layer %d has %d inputs; int8 sums in int32 stay exact up to %d", path, l,
                     s->dims[l], most);
        }
    for (int64_t e = 0; e < m->nparams; e++)
        GKD_CHECK(isfinite(m->params[e]), GNNKD_EINVAL, "%s: parameter %lld is not finite", path,
                 (long long)e);
    snprintf(hpath, sizeof hpath, "%.*sh", (int)(len - 1), path);
    const char *slash = strrchr(path, '/');
    snprintf(name, sizeof name, "%.*s", (int)(len - 2 - (slash ? (size_t)(slash + 1 - path) : 0)),
             slash ? slash + 1 : path);
    snprintf(P, sizeof P, "%s", prefix);
    for (size_t i = 0; i <= strlen(P); i++) U[i] = (char)toupper((unsigned char)P[i]);

    fh = gkd_open_tmp(hpath, htmp, sizeof htmp, msg);
    GKD_CHECK(fh != NULL, GNNKD_EIO, "%s: cannot write: %s", hpath, strerror(errno));
    fc = gkd_open_tmp(path, ctmp, sizeof ctmp, msg);
    GKD_CHECK(fc != NULL, GNNKD_EIO, "%s: cannot write: %s", path, strerror(errno));
    gnnkd_export_info in;
    export_info(&in, s, m->nparams);
    int rc = write_header(fh, name, P, U, m, o, &in);
    GKD_CHECK(rc == GNNKD_OK, rc, "%s: write failed", hpath);
    rc = write_source(fc, name, P, U, m, o);
    GKD_CHECK(rc == GNNKD_OK, rc, rc == GNNKD_ENOMEM ? "%s: out of memory" : "%s: write failed", path);
    FILE *h = fh, *c = fc;
    fh = fc = NULL;
    rc = gkd_commit_file(h, htmp, hpath, 1, msg);
    if (rc != GNNKD_OK) {
        gkd_commit_file(c, ctmp, path, 0, NULL);
        return rc;
    }
    return gkd_commit_file(c, ctmp, path, 1, msg);
#undef GKD_FREE_ALL
}
