/* export.c — an MLP student as one standalone C99 source and header: the
 * weights as static const arrays (float, or int8 with per-output-channel
 * scales) and a forward pass over one raw feature row that applies the
 * model's recorded feature normalisation itself. A student with position
 * rows (NOSMOG) also takes the node's position row, and the source holds the
 * known nodes' rows as a table with the one-hop lookup of a new node's row.
 * Nothing but a C99 compiler and libm is needed to use it: no gnnkd, no
 * allocation, no mutable state. The source is written as it is generated:
 * no buffer grows with the table. */
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

/* The sizes and stack of an export of m (see gnnkd_export_info). */
static void export_info(gnnkd_export_info *info, const gnnkd_model *m) {
    const gnnkd_model_spec *s = &m->spec;
    const int64_t Q = m->pos ? m->pos_dim : 0, npos = m->pos ? (int64_t)m->pos_n * Q : 0;
    int64_t q = 0, widest = 0;
    for (int l = 0; l < s->nlayers; l++) {
        int64_t o = s->dims[l + 1];
        q += (int64_t)s->dims[l] * o + 4 * o + 4 * o; // weights, scales, biases
        if (o > widest) widest = o;
    }
    if (Q) q += 4 * (int64_t)s->dims[1]; // layer 0's position rows have scales of their own
    info->pos_bytes = 4 * npos;
    info->pos_bytes_int8 = Q ? npos + 4 * Q : 0; // int8 levels, a float scale a column
    info->float_bytes = 4 * m->nparams + info->pos_bytes;
    info->int8_bytes = q + info->pos_bytes_int8;
    // two float rows and layer 0's 64-column gather buffer (idx, val); for
    // int8 also an int32 accumulator row (or a later layer's int16 levels),
    // and for the position part of layer 0 one more and its int16 levels
    const int64_t fwd = 2 * 4 * widest + 64 * 8, fwd8 = (Q ? 4 : 3) * 4 * widest + 64 * 8 + 2 * Q;
    // PREFIX_logits_new holds a position row while the lookup (int8: its
    // int64 column sums), then the forward, runs
    info->stack_bytes = fwd + 4 * Q;
    info->stack_bytes_int8 = 4 * Q + (fwd8 > 8 * Q ? fwd8 : 8 * Q);
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
    fprintf(f, "static const %s %s_%s", type_name, prefix, what);
    if (l >= 0) fprintf(f, "%d", l); // a layer's
    fprintf(f, "[%lld] = {", (long long)n);
    for (int64_t e = 0; e < n; e++) {
        fputs(e % 8 ? " " : "\n    ", f);
        put_float(f, v[e]);
        fputc(',', f);
    }
    fputs("\n};\n", f);
}

/* The int8 step of a column whose largest |value| is amax: amax / 127 (1
 * for an all-zero column). */
static float int8_step(float amax) { return amax > 0.0f ? amax / 127.0f : 1.0f; }

/* t, a value in steps, as its int8 level: rounded, within -127..127. */
static int int8_level(float t) {
    t = roundf(t);
    return (int)(t > 127.0f ? 127 : t < -127.0f ? -127 : t);
}

/* Per-output-channel symmetric int8: column c of w (i, o) is q[., c] scale[c]
 * with scale[c] = int8_step(max_k |w[k, c]|). */
static void quantise(int8_t *q, float *scale, const float *w, int32_t i, int32_t o) {
    for (int32_t c = 0; c < o; c++) {
        float amax = 0.0f;
        for (int32_t k = 0; k < i; k++) amax = fmaxf(amax, fabsf(w[(int64_t)k * o + c]));
        scale[c] = int8_step(amax);
        const float inv = amax > 0.0f ? 127.0f / amax : 0.0f;
        for (int32_t k = 0; k < i; k++)
            q[(int64_t)k * o + c] = (int8_t)int8_level(w[(int64_t)k * o + c] * inv);
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
    " * Input: ONE node's RAW feature row (the columns of the training data)%s.\n"
    " * Feature normalisation applied by these functions: %s.\n"
    " * Weights: %s%s.\n"
    " * Model size: %lld bytes as float32, %lld bytes as int8 (weights + float\n"
    " *   scales + float biases%s); this export holds the %s one.\n"
    " * Stack: each call uses at most %lld bytes of local arrays (plus a few\n"
    " *   scalars); no allocation, no global mutable state: reentrant and thread-safe.\n"
    " */\n";

/* The header's paragraph on a position student's rows and lookup. */
static const char POSITION_TEXT[] =
    "/* Position features (NOSMOG): after its P_NFEAT feature columns the model\n"
    " * reads P_NPOS position columns that place the node in the graph it was\n"
    " * distilled on: standardised already, used as given (the feature\n"
    " * normalisation touches the features only). This file holds the rows of\n"
    " * the P_NNODES nodes of that graph, in its numbering, %s.\n"
    " * A node of it has its own row (P_position); a NEW node the mean of\n"
    " * its known neighbours' rows, a neighbour given twice counting twice,\n"
    " * and the zero row (the known nodes' mean) without one\n"
    " * (P_position_new): the one hop of lookup the student needs, as\n"
    " * gnnkd predict --edges serves it. The rows table alone takes %lld of\n"
    " * the bytes above. */\n\n";

/* The header's declarations: @{...@} only for a position student (see
 * put_text). */
static const char DECLS[] =
    "#define P_NFEAT %d  /* input features */\n"
    "@{#define P_NPOS %d   /* position columns, after the features */\n"
    "#define P_NNODES %d /* known nodes: P_position's ids 0..P_NNODES-1 */\n@}"
    "#define P_NCLASS %d /* classes: the length of logits and probs */\n\n"
    "/* The logits of the node whose raw feature row is x (P_NFEAT floats)@{ and\n"
    " * whose position row is pos (P_NPOS floats: P_position, P_position_new)@};\n"
    " * returns the predicted class (the argmax). */\n"
    "int P_logits(const float *x@{, const float *pos@}, float *logits);\n\n"
    "/* The same from the row's nonzeros: val[j] at column idx[j], j < nnz\n"
    " * (any order; a repeated column adds up). Returns -1, leaving logits\n"
    " * unwritten, if a column is outside 0..P_NFEAT-1 or nnz < 0. */\n"
    "int P_logits_sparse(const int32_t *idx, const float *val, int nnz@{, const float *pos@}, float *logits);\n\n"
    "/* As the two above, with the class probabilities (softmax of the logits)\n"
    " * in probs (P_NCLASS floats). */\n"
    "int P_predict(const float *x@{, const float *pos@}, float *probs);\n"
    "int P_predict_sparse(const int32_t *idx, const float *val, int nnz@{, const float *pos@}, float *probs);\n"
    "@{\n"
    "/* The position row of known node `node` into pos (P_NPOS floats): 0, or -1,\n"
    " * leaving pos unwritten, if node is outside 0..P_NNODES-1. */\n"
    "int P_position(int32_t node, float *pos);\n\n"
    "/* A new node's position row into pos (P_NPOS floats): the mean of the rows\n"
    " * of its known neighbours nbr[j], j < nnbr (a repeated id counts again;\n"
    " * nnbr 0, nbr may be NULL: the zero row). 0, or -1, leaving pos\n"
    " * unwritten, if an id is outside 0..P_NNODES-1 or nnbr < 0. */\n"
    "int P_position_new(const int32_t *nbr, int nnbr, float *pos);\n\n"
    "/* A new node in one call: P_position_new, then the four above on its raw\n"
    " * feature row (dense x, or its nonzeros idx, val, nnz). The class, or -1,\n"
    " * leaving logits / probs unwritten, for a bad neighbour id or column. */\n"
    "int P_logits_new(const float *x, const int32_t *nbr, int nnbr, float *logits);\n"
    "int P_logits_new_sparse(const int32_t *idx, const float *val, int nnz, const int32_t *nbr, int nnbr, float *logits);\n"
    "int P_predict_new(const float *x, const int32_t *nbr, int nnbr, float *probs);\n"
    "int P_predict_new_sparse(const int32_t *idx, const float *val, int nnz, const int32_t *nbr, int nnbr, float *probs);\n"
    "@}";

/* Writes text with "P_" replaced by the prefix and "P_N" macros by the
 * upper-case prefix, "@{...@}" kept only for a position student, and @L,
 * @I, @O, @R by layer l's index, widths and whether a ReLU follows, @F and
 * @Q by layer 0's feature and position columns; each printf conversion %d
 * by the next of args. */
static void put_text(FILE *f, const char *text, const char *P, const char *U,
                     const gnnkd_model *m, int l, const int *args) {
    const gnnkd_model_spec *s = &m->spec;
    const int Q = m->pos ? m->pos_dim : 0;
    int skip = 0;
    for (const char *t = text; *t; t++) {
        if (t[0] == '@' && (t[1] == '{' || t[1] == '}')) {
            skip = t[1] == '{' && Q == 0;
            t++;
            continue;
        }
        if (skip) continue;
        if (t[0] == 'P' && t[1] == '_' && (t == text || !(isalnum((unsigned char)t[-1]) || t[-1] == '_'))) {
            fputs(t[2] == 'N' ? U : P, f);
            continue; // the '_' follows
        }
        if (t[0] == '@' && t[1] != '\0' && strchr("LIORFQ", t[1])) {
            const int v = t[1] == 'L' ? l : t[1] == 'I' ? s->dims[l] : t[1] == 'O' ? s->dims[l + 1]
                        : t[1] == 'F' ? s->dims[0] - Q : t[1] == 'Q' ? Q : l < s->nlayers - 1;
            fprintf(f, "%d", v);
            t++;
            continue;
        }
        if (t[0] == '%' && t[1] == 'd' && args) {
            fprintf(f, "%d", *args++);
            t++;
            continue;
        }
        fputc(*t, f);
    }
}

static int write_header(FILE *f, const char *name, const char *P, const char *U,
                        const gnnkd_model *m, const gnnkd_export_options *o,
                        const gnnkd_export_info *info) {
    const gnnkd_model_spec *s = &m->spec;
    const int Q = m->pos ? m->pos_dim : 0;
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
    const char *pos_scheme =
        !Q ? ""
        : o->int8 ? ".\n"
                    " *   Layer 0's position part is a second sum with scales of its own: its\n"
                    " *   weight rows have their own per-channel scales, the position row its own\n"
                    " *   symmetric per-row scale (max |pos| / 127; the features after row\n"
                    " *   normalisation are far smaller than the position values: one shared\n"
                    " *   scale would round most of them to 0 or 1 level), and y[c] adds\n"
                    " *   acc_pos[c] * scale_pos * scale_w_pos[c]. The rows table is int8 per\n"
                    " *   column, symmetric (max_i |row_i[c]| / 127): a quarter of float32's\n"
                    " *   bytes; its rounding is small beside layer 0's own rounding of the row"
                  : "";
    char rows_how[160] = "";
    if (Q)
        snprintf(rows_how, sizeof rows_how, "%s",
                 o->int8 ? "as int8 levels\n * with a float scale a column"
                         : "as float32 (as in\n * the model file)");
    fprintf(f, HEADER_TEXT, name, "a gnnkd MLP student", gnnkd_version(), name, spec,
            s->dims[0] - Q, s->dims[s->nlayers], (long long)m->nparams,
            Q ? ",\n *   then its position row (below)" : "", norm, scheme, pos_scheme,
            (long long)info->float_bytes, (long long)info->int8_bytes,
            Q ? ", + the position rows" : "", o->int8 ? "int8" : "float32",
            (long long)(o->int8 ? info->stack_bytes_int8 : info->stack_bytes));
    if (Q) {
        fputs("\n", f);
        char text[sizeof POSITION_TEXT + 256];
        snprintf(text, sizeof text, POSITION_TEXT, rows_how,
                 (long long)(o->int8 ? info->pos_bytes_int8 : info->pos_bytes));
        put_text(f, text, P, U, m, 0, NULL);
    }
    fprintf(f, "#ifndef %s_H\n#define %s_H\n\n#include <stdint.h>\n\n", U, U);
    const int args[] = {s->dims[0] - Q, Q, m->pos_n, s->dims[s->nlayers]};
    const int args_plain[] = {s->dims[0], s->dims[s->nlayers]};
    put_text(f, DECLS, P, U, m, 0, Q ? args : args_plain);
    fputs("\n#endif\n", f);
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
    "@{/* layer 0, the position part: y (@O) += the row pos (@Q, as given) times rows\n"
    " * @F.. of w0. */\n"
    "static void P_position0(float *restrict y, const float *restrict pos) {\n"
    "    int k, c;\n"
    "    for (k = 0; k < @Q; k++) {\n"
    "        const float v = pos[k];\n"
    "        const float *wk = P_w0 + (long)(@F + k) * @O;\n"
    "        for (c = 0; c < @O; c++) y[c] += v * wk[c];\n"
    "    }\n"
    "}\n\n@}"
    "/* y += b0, ReLU if @R. */\n"
    "static void P_finish0(float *restrict y) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        y[c] += P_b0[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n"
    "/* layer 0: y (@O) from the row x (@F) times s@{, then the position row pos@}. */\n"
    "static void P_layer0(float *restrict y, const float *restrict x, float s@{,\n"
    "                     const float *restrict pos@}) {\n"
    "    int32_t idx[64];\n"
    "    float val[64];\n"
    "    int k0, c;\n"
    "    for (c = 0; c < @O; c++) y[c] = 0.0f;\n"
    "    for (k0 = 0; k0 < @F; k0 += 64)\n"
    "        P_gather0(y, idx, val, P_nonzeros(idx, val, x, k0, k0 + 64 < @F ? k0 + 64 : @F), s);\n"
    "@{    P_position0(y, pos);\n@}"
    "    P_finish0(y);\n"
    "}\n\n"
    "/* layer 0 from a sparse row: nnz entries val (times s) at columns idx@{, then pos@}. */\n"
    "static void P_layer0_sparse(float *restrict y, const int32_t *idx, const float *val, int nnz,\n"
    "                            float s@{, const float *restrict pos@}) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) y[c] = 0.0f;\n"
    "    P_gather0(y, idx, val, nnz, s);\n"
    "@{    P_position0(y, pos);\n@}"
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

/* Layer 0 gathers rows of q0 (@F, @O); later layers, dense and short, are
 * dot products with the rows of their transposed q (@O, @I). A position
 * student's layer 0 sums its position part apart, on scales of its own, as
 * dot products too: a position row is dense (measured on PubMed's student,
 * gathering its rows made the int8 export slower than the float one). */
static const char INT8_LAYER0[] =
    "/* layer 0, part of a row: acc (@O) += entries val[j] r (j < nnz), each rounded to\n"
    " * an int8 level, times the int8 rows of q0 (@F, @O) at columns idx[j]; two\n"
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
    "@{/* layer 0, the position part: accp (@O) = the row pos (@Q) times r, rounded to\n"
    " * int8 levels (|pos r| <= 127: no clamp; branch-free, as a position row's signs\n"
    " * are unpredictable), dot the int8 rows of qp0 (@O, @Q: w0's position rows\n"
    " * transposed, as the row is dense). */\n"
    "static void P_position0(int32_t *restrict accp, const float *restrict pos, float r) {\n"
    "    int16_t qp[@Q];\n"
    "    int k, c;\n"
    "    for (k = 0; k < @Q; k++) {\n"
    "        const float t = pos[k] * r;\n"
    "        qp[k] = (int16_t)(int)(t + (t >= 0.0f ? 0.5f : -0.5f));\n"
    "    }\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        const int8_t *qc = P_qp0 + (long)c * @Q;\n"
    "        int32_t acc = 0;\n"
    "        for (k = 0; k < @Q; k++) acc += qp[k] * qc[k];\n"
    "        accp[c] = acc;\n"
    "    }\n"
    "}\n\n@}"
    "/* y[c] = acc[c] sx scale0[c]@{ + accp[c] sp scale_pos0[c]@} + b0[c], ReLU if @R. */\n"
    "static void P_finish0(float *restrict y, const int32_t *restrict acc, float sx@{,\n"
    "                      const int32_t *restrict accp, float sp@}) {\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) {\n"
    "        y[c] = (float)acc[c] * (sx * P_s0[c])@{ + (float)accp[c] * (sp * P_sp0[c])@} + P_b0[c];\n"
    "        if (@R && !(y[c] > 0.0f)) y[c] = 0.0f;\n"
    "    }\n"
    "}\n\n"
    "/* layer 0: y (@O) from the row x (@F) times s, quantised per row to int8 levels\n"
    " * (scale sx = max |x s| / 127)@{, and the position row pos (@Q) on its own\n"
    " * (sp = max |pos| / 127)@}. */\n"
    "static void P_layer0(float *restrict y, const float *restrict x, float s@{,\n"
    "                     const float *restrict pos@}) {\n"
    "    int32_t acc[@O], idx[64];\n"
    "@{    int32_t accp[@O];\n"
    "    const float pmax = P_absmax(pos, @Q), rp = pmax > 0.0f ? 127.0f / pmax : 0.0f;\n@}"
    "    float val[64];\n"
    "    const float amax = P_absmax(x, @F) * fabsf(s), r = amax > 0.0f ? s * (127.0f / amax) : 0.0f;\n"
    "    int k0, c;\n"
    "    for (c = 0; c < @O; c++) acc[c] = 0;\n"
    "    for (k0 = 0; k0 < @F; k0 += 64)\n"
    "        P_gather0(acc, idx, val, P_nonzeros(idx, val, x, k0, k0 + 64 < @F ? k0 + 64 : @F), r);\n"
    "@{    P_position0(accp, pos, rp);\n@}"
    "    P_finish0(y, acc, amax / 127.0f@{, accp, pmax / 127.0f@});\n"
    "}\n\n"
    "/* layer 0 from a sparse row: nnz entries val (times s) at columns idx@{, then pos@}. */\n"
    "static void P_layer0_sparse(float *restrict y, const int32_t *idx, const float *val, int nnz,\n"
    "                            float s@{, const float *restrict pos@}) {\n"
    "    int32_t acc[@O];\n"
    "@{    int32_t accp[@O];\n"
    "    const float pmax = P_absmax(pos, @Q), rp = pmax > 0.0f ? 127.0f / pmax : 0.0f;\n@}"
    "    const float amax = P_absmax(val, nnz) * fabsf(s), r = amax > 0.0f ? s * (127.0f / amax) : 0.0f;\n"
    "    int c;\n"
    "    for (c = 0; c < @O; c++) acc[c] = 0;\n"
    "    P_gather0(acc, idx, val, nnz, r);\n"
    "@{    P_position0(accp, pos, rp);\n@}"
    "    P_finish0(y, acc, amax / 127.0f@{, accp, pmax / 127.0f@});\n"
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
    "int P_predict(const float *x@{, const float *pos@}, float *probs) {\n"
    "    return P_softmax(probs, P_logits(x@{, pos@}, probs));\n"
    "}\n\n"
    "int P_predict_sparse(const int32_t *idx, const float *val, int nnz@{, const float *pos@}, float *probs) {\n"
    "    return P_softmax(probs, P_logits_sparse(idx, val, nnz@{, pos@}, probs));\n"
    "}\n";

/* The rows table's lookups: float rows as stored, ... */
static const char POSITION_FLOAT[] =
    "int P_position(int32_t node, float *pos) {\n"
    "    if (node < 0 || node >= P_NNODES) return -1;\n"
    "    memcpy(pos, P_rows + (long)node * P_NPOS, sizeof *pos * P_NPOS);\n"
    "    return 0;\n"
    "}\n\n"
    "/* The neighbours' rows summed in their order, then divided by nnbr (as\n"
    " * gnnkd_model_position_rows does). */\n"
    "int P_position_new(const int32_t *nbr, int nnbr, float *pos) {\n"
    "    int j, c;\n"
    "    if (nnbr < 0) return -1;\n"
    "    for (j = 0; j < nnbr; j++)\n"
    "        if (nbr[j] < 0 || nbr[j] >= P_NNODES) return -1;\n"
    "    for (c = 0; c < P_NPOS; c++) pos[c] = 0.0f;\n"
    "    for (j = 0; j < nnbr; j++) {\n"
    "        const float *row = P_rows + (long)nbr[j] * P_NPOS;\n"
    "        for (c = 0; c < P_NPOS; c++) pos[c] += row[c];\n"
    "    }\n"
    "    if (nnbr > 0)\n"
    "        for (c = 0; c < P_NPOS; c++) pos[c] /= (float)nnbr;\n"
    "    return 0;\n"
    "}\n\n";

/* ... and int8 levels times a scale a column. */
static const char POSITION_INT8[] =
    "int P_position(int32_t node, float *pos) {\n"
    "    int c;\n"
    "    if (node < 0 || node >= P_NNODES) return -1;\n"
    "    for (c = 0; c < P_NPOS; c++) pos[c] = (float)P_rows[(long)node * P_NPOS + c] * P_rows_scale[c];\n"
    "    return 0;\n"
    "}\n\n"
    "/* The neighbours' levels summed exactly (int64), then times the column's\n"
    " * scale / nnbr. */\n"
    "int P_position_new(const int32_t *nbr, int nnbr, float *pos) {\n"
    "    int64_t sum[P_NPOS];\n"
    "    int j, c;\n"
    "    if (nnbr < 0) return -1;\n"
    "    for (j = 0; j < nnbr; j++)\n"
    "        if (nbr[j] < 0 || nbr[j] >= P_NNODES) return -1;\n"
    "    for (c = 0; c < P_NPOS; c++) sum[c] = 0;\n"
    "    for (j = 0; j < nnbr; j++) {\n"
    "        const int8_t *row = P_rows + (long)nbr[j] * P_NPOS;\n"
    "        for (c = 0; c < P_NPOS; c++) sum[c] += row[c];\n"
    "    }\n"
    "    for (c = 0; c < P_NPOS; c++)\n"
    "        pos[c] = nnbr > 0 ? (float)sum[c] * (P_rows_scale[c] / (float)nnbr) : 0.0f;\n"
    "    return 0;\n"
    "}\n\n";

static const char POSITION_NEW[] =
    "int P_logits_new(const float *x, const int32_t *nbr, int nnbr, float *logits) {\n"
    "    float pos[P_NPOS];\n"
    "    return P_position_new(nbr, nnbr, pos) ? -1 : P_logits(x, pos, logits);\n"
    "}\n\n"
    "int P_logits_new_sparse(const int32_t *idx, const float *val, int nnz,\n"
    "                        const int32_t *nbr, int nnbr, float *logits) {\n"
    "    float pos[P_NPOS];\n"
    "    return P_position_new(nbr, nnbr, pos) ? -1 : P_logits_sparse(idx, val, nnz, pos, logits);\n"
    "}\n\n"
    "int P_predict_new(const float *x, const int32_t *nbr, int nnbr, float *probs) {\n"
    "    return P_softmax(probs, P_logits_new(x, nbr, nnbr, probs));\n"
    "}\n\n"
    "int P_predict_new_sparse(const int32_t *idx, const float *val, int nnz,\n"
    "                         const int32_t *nbr, int nnbr, float *probs) {\n"
    "    return P_softmax(probs, P_logits_new_sparse(idx, val, nnz, nbr, nnbr, probs));\n"
    "}\n";

/* The body of P_logits (sparse: P_logits_sparse): the normalisation scale s,
 * then layer by layer between the two rows a and b, the last into logits. */
static void put_forward(FILE *f, const gnnkd_model *m, int sparse, const char *P,
                        const char *U, int32_t widest) {
    const gnnkd_model_spec *s = &m->spec;
    const int L = s->nlayers, rowsum = m->feature_norm == GNNKD_FEATURES_ROW_SUM;
    const char *pos = m->pos ? ", pos" : "";
    if (sparse)
        fprintf(f, "int %s_logits_sparse(const int32_t *idx, const float *val, int nnz%s, float *logits) {\n",
                P, m->pos ? ", const float *pos" : "");
    else
        fprintf(f, "int %s_logits(const float *x%s, float *logits) {\n", P,
                m->pos ? ", const float *pos" : "");
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
        if (l == 0 && sparse) fprintf(f, "    %s_layer0_sparse(%s, idx, val, nnz, s%s);\n", P, out, pos);
        else if (l == 0) fprintf(f, "    %s_layer0(%s, x, s%s);\n", P, out, pos);
        else fprintf(f, "    %s_layer%d(%s, %s);\n", P, l, out, in);
    }
    if (L < 3) fprintf(f, "    (void)b;\n"); // only deeper models use the second row
    fprintf(f, "    return %s_argmax(logits);\n}\n\n", P);
}

/* The position rows table, streamed from m->pos: float32 as stored, or
 * int8 levels per column (scale max_i |rows[i][c]| / 127) with the scales.
 * int8 for the int8 export: the table is most of a position student's bytes
 * (PubMed: 5.0 of 5.2 MB as float32) and int8 takes a quarter, while its
 * rounding is lost in layer 0's per-row rounding of the row (int8 agreed
 * with float as often as with a float32 table: README, "Students with
 * position features"). colscale: Q floats of scratch. */
static void put_rows(FILE *f, const char *P, const gnnkd_model *m, int int8, float *colscale) {
    const int32_t Q = m->pos_dim;
    const int64_t len = (int64_t)m->pos_n * Q;
    if (!int8) {
        put_floats(f, "float", P, "rows", -1, m->pos, len);
        return;
    }
    for (int32_t c = 0; c < Q; c++) colscale[c] = 0.0f;
    for (int64_t e = 0; e < len; e++) colscale[e % Q] = fmaxf(colscale[e % Q], fabsf(m->pos[e]));
    for (int32_t c = 0; c < Q; c++) colscale[c] = int8_step(colscale[c]);
    fprintf(f, "static const int8_t %s_rows[%lld] = {", P, (long long)len);
    for (int64_t e = 0; e < len; e++)
        fprintf(f, e % 16 ? " %d," : "\n    %d,", int8_level(m->pos[e] / colscale[e % Q]));
    fputs("\n};\n", f);
    put_floats(f, "float", P, "rows_scale", -1, colscale, Q);
}

static int write_source(FILE *f, const char *name, const char *P, const char *U,
                        const gnnkd_model *m, const gnnkd_export_options *o) {
    const gnnkd_model_spec *s = &m->spec;
    const int32_t Q = m->pos ? m->pos_dim : 0;
    int8_t *q = NULL;
    float *scale = NULL;
    int32_t widest = 0;
    for (int l = 1; l <= s->nlayers; l++) widest = s->dims[l] > widest ? s->dims[l] : widest;
    fprintf(f, "/* %s.c — generated by gnnkd %s (see %s.h). */\n#include \"%s.h\"\n\n#include <math.h>\n#include <string.h>\n\n",
            name, gnnkd_version(), name, name);
    for (int l = 0; l < s->nlayers; l++) {
        const int32_t i = s->dims[l], oo = s->dims[l + 1], F = l ? i : i - Q;
        fprintf(f, "/* layer %d: %d -> %d%s", l, i, oo, l < s->nlayers - 1 ? ", ReLU" : "");
        if (l == 0 && Q) fprintf(f, "; inputs 0..%d the features, %d..%d the position row", F - 1, F, i - 1);
        fputs(" */\n", f);
        if (o->int8) {
            q = malloc((size_t)i * (size_t)oo);
            scale = malloc(sizeof *scale * (size_t)oo * 2);
            if (q == NULL || scale == NULL) {
                free(q), free(scale);
                return GNNKD_ENOMEM;
            }
            // a position student's layer 0: the feature and the position rows apart
            quantise(q, scale, m->w[l], F, oo);
            if (F < i) quantise(q + (int64_t)F * oo, scale + oo, m->w[l] + (int64_t)F * oo, i - F, oo);
            // layer 0's feature rows as (F, o); later layers, and layer 0's
            // position rows (qp0), transposed, (o, i)
            fprintf(f, "static const int8_t %s_q%d[%lld] = {", P, l, (long long)F * oo);
            for (int64_t e = 0; e < (int64_t)F * oo; e++)
                fprintf(f, e % 16 ? " %d," : "\n    %d,",
                        l == 0 ? q[e] : q[(e % i) * oo + e / i]);
            fputs("\n};\n", f);
            if (F < i) {
                const int64_t np = (int64_t)(i - F) * oo;
                fprintf(f, "static const int8_t %s_qp0[%lld] = {", P, (long long)np);
                for (int64_t e = 0; e < np; e++)
                    fprintf(f, e % 16 ? " %d," : "\n    %d,", q[(int64_t)(F + e % (i - F)) * oo + e / (i - F)]);
                fputs("\n};\n", f);
            }
            put_floats(f, "float", P, "s", l, scale, oo);
            if (F < i) put_floats(f, "float", P, "sp", l, scale + oo, oo);
            free(q), free(scale);
            q = NULL, scale = NULL;
        } else {
            put_floats(f, "float", P, "w", l, m->w[l], (int64_t)i * oo);
        }
        put_floats(f, "float", P, "b", l, m->b[l], oo);
        fputc('\n', f);
    }
    if (Q) {
        fprintf(f, "/* the position rows of the %d known nodes, %d columns each%s */\n", m->pos_n, Q,
                o->int8 ? ": int8 levels, times the column's scale" : "");
        if (o->int8 && (scale = malloc(sizeof *scale * (size_t)Q)) == NULL) return GNNKD_ENOMEM;
        put_rows(f, P, m, o->int8, scale);
        free(scale);
        scale = NULL;
        fputc('\n', f);
    }
    put_text(f, COMMON_HEAD, P, U, m, 0, NULL);
    if (m->feature_norm == GNNKD_FEATURES_ROW_SUM) put_text(f, ROWSUM, P, U, m, 0, NULL);
    if (o->int8) put_text(f, INT8_COMMON, P, U, m, 0, NULL);
    put_text(f, o->int8 ? INT8_LAYER0 : FLOAT_LAYER0, P, U, m, 0, NULL);
    for (int l = 1; l < s->nlayers; l++) put_text(f, o->int8 ? INT8_DENSE : FLOAT_DENSE, P, U, m, l, NULL);
    fprintf(f, "static int %s_argmax(const float *z);\n\n", P);
    put_forward(f, m, 0, P, U, widest);
    put_forward(f, m, 1, P, U, widest);
    put_text(f, COMMON_TAIL, P, U, m, 0, NULL);
    if (Q) {
        fputc('\n', f);
        put_text(f, o->int8 ? POSITION_INT8 : POSITION_FLOAT, P, U, m, 0, NULL);
        put_text(f, POSITION_NEW, P, U, m, 0, NULL);
    }
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
    if (info) export_info(info, m);
    GKD_CHECK(s->kind == GNNKD_MODEL_MLP, GNNKD_EINVAL,
             "%s: only MLP students can be exported: this model is not an MLP, and a graph "
             "model's prediction for a node reads its neighbours' features through the graph, "
             "which a function of one feature row does not have (distil it into an MLP: "
             "gnnkd distill --student mlp:64)", path);
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
    for (int64_t e = 0; m->pos && e < (int64_t)m->pos_n * m->pos_dim; e++)
        GKD_CHECK(isfinite(m->pos[e]), GNNKD_EINVAL, "%s: position row %lld, column %lld is not "
                  "finite", path, (long long)(e / m->pos_dim), (long long)(e % m->pos_dim));
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
    export_info(&in, m);
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
