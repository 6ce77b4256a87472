/* spec.c — a model's shape: the "gcn:16" / "gat:8x8" / "sage:64" texts
 * parsed and written back, the one table of each layer's parameter layout
 * (gkd_layer_shape_of) and the check of a complete shape. */
#include "gnn/kernels.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* Widths beyond this are surely a typo, and keep every size product in range. */
#define GKD_MAX_WIDTH (1 << 20)

/* ---- specifications ------------------------------------------------------------ */

static const char *const KIND_NAMES[] = {"gcn", "mlp", "gat", "sage", "cpf"};
#define GKD_NKINDS ((int)(sizeof KIND_NAMES / sizeof KIND_NAMES[0]))
/* Head counts beyond this are surely a typo. */
#define GKD_MAX_HEADS 256
/* CPF's code searches 5..10 propagation steps; beyond this is surely a typo. */
#define GKD_MAX_STEPS 1000

const char *gnnkd_model_kind_name(gnnkd_model_kind k) {
    return (int)k >= 0 && (int)k < GKD_NKINDS ? KIND_NAMES[k] : "?";
}

/* *v = the positive integer at *p (at most max), advancing *p past it. */
static int read_count(long *v, const char **p, long max, const char *text, const char *what,
                      char *msg) {
    if (!isdigit((unsigned char)**p)) {
        gkd_msg(msg, "model '%s': expected %s at '%s'", text, what, *p);
        return GNNKD_EINVAL;
    }
    char *end;
    errno = 0;
    *v = strtol(*p, &end, 10);
    if (errno != 0 || *v <= 0 || *v > max) {
        gkd_msg(msg, "model '%s': %s must be 1..%ld", text, what, max);
        return GNNKD_EINVAL;
    }
    *p = end;
    return GNNKD_OK;
}

gnnkd_status gnnkd_model_spec_parse(gnnkd_model_spec *spec, const char *text, char *msg) {
    GKD_CLEAR_MSG;
    if (spec == NULL || text == NULL) {
        gkd_msg(msg, "gnnkd_model_spec_parse: spec and text must not be NULL");
        return GNNKD_EINVAL;
    }
    memset(spec, 0, sizeof *spec);
    const char *colon = strchr(text, ':');
    size_t klen = colon ? (size_t)(colon - text) : strlen(text);
    int kind = -1;
    for (int k = 0; k < GKD_NKINDS; k++)
        if (klen == strlen(KIND_NAMES[k]) && !strncmp(text, KIND_NAMES[k], klen)) kind = k;
    if (kind < 0) {
        gkd_msg(msg, "model '%s': the kind must be gcn, mlp, gat, sage or cpf (e.g. gcn:16, "
                     "mlp:256,256, gat:8x8, sage:64, cpf:8)", text);
        return GNNKD_EINVAL;
    }
    spec->kind = (gnnkd_model_kind)kind;
    const int gat = kind == GNNKD_MODEL_GAT, cpf = kind == GNNKD_MODEL_CPF;
    spec->dropout = gat ? 0.6f : cpf ? 0.8f : 0.5f;
    if (gat) spec->attn_dropout = 0.6f;
    if (cpf) spec->attn_dropout = 0.2f, spec->steps = 8; // CPF's code, GCN teacher on Cora
    if (colon == NULL) { // the kinds' papers: Kipf & Welling, Veličković et al.
        const int32_t width[] = {16, 64, 8 * 8, 64, 64};
        spec->nlayers = 2;
        spec->dims[1] = width[kind];
        if (gat) spec->heads[0] = 8, spec->heads[1] = 1;
        return GNNKD_OK;
    }
    const char *p = colon + 1;
    if (cpf) { // cpf:K[,H...]: the steps, then the MLP's widths (64 if none)
        long k;
        int rc = read_count(&k, &p, GKD_MAX_STEPS, text, "the propagation steps", msg);
        if (rc) return rc;
        spec->steps = (int32_t)k;
        if (*p == '\0') {
            spec->nlayers = 2;
            spec->dims[1] = 64;
            return GNNKD_OK;
        }
        if (*p != ',') {
            gkd_msg(msg, "model '%s': a CPF student is cpf:STEPS[,HIDDEN...] (e.g. cpf:8,64)", text);
            return GNNKD_EINVAL;
        }
        p++;
    }
    int nhidden = 0;
    for (;;) {
        long v, heads = 1;
        int rc;
        if (gat) {
            if ((rc = read_count(&heads, &p, GKD_MAX_HEADS, text, "a head count", msg))) return rc;
            if (*p != 'x') {
                gkd_msg(msg, "model '%s': a GAT layer is HEADSxHIDDEN (e.g. gat:8x8)", text);
                return GNNKD_EINVAL;
            }
            p++;
        }
        if ((rc = read_count(&v, &p, GKD_MAX_WIDTH / heads, text, "a hidden width", msg)))
            return rc;
        if (nhidden == GNNKD_MAX_LAYERS - 1) {
            gkd_msg(msg, "model '%s': at most %d hidden layers", text, GNNKD_MAX_LAYERS - 1);
            return GNNKD_EINVAL;
        }
        spec->heads[nhidden] = gat ? (int32_t)heads : 0;
        spec->dims[1 + nhidden++] = (int32_t)(v * heads);
        if (*p == '\0' || (gat && *p == '/')) break;
        if (*p != ',') {
            gkd_msg(msg, "model '%s': unexpected '%c' after a width", text, *p);
            return GNNKD_EINVAL;
        }
        p++;
    }
    spec->nlayers = nhidden + 1;
    if (gat) {
        long out = 1;
        if (*p == '/') {
            p++;
            int rc = read_count(&out, &p, GKD_MAX_HEADS, text, "the output heads", msg);
            if (rc) return rc;
            if (*p != '\0') {
                gkd_msg(msg, "model '%s': unexpected '%c' after the output heads", text, *p);
                return GNNKD_EINVAL;
            }
        }
        spec->heads[nhidden] = (int32_t)out;
    }
    return GNNKD_OK;
}

void gnnkd_model_spec_format(char *buf, size_t len, const gnnkd_model_spec *spec) {
    if (buf == NULL || len == 0) return;
    const int gat = spec->kind == GNNKD_MODEL_GAT, L = spec->nlayers;
    size_t used = (size_t)snprintf(buf, len, "%s:", gnnkd_model_kind_name(spec->kind));
    if (spec->kind == GNNKD_MODEL_CPF && used < len)
        used += (size_t)snprintf(buf + used, len - used, "%d,", spec->steps);
    for (int l = 1; l < L && used < len; l++) {
        if (gat && spec->heads[l - 1] > 0)
            used += (size_t)snprintf(buf + used, len - used, l > 1 ? ",%dx%d" : "%dx%d",
                                     spec->heads[l - 1], spec->dims[l] / spec->heads[l - 1]);
        else
            used += (size_t)snprintf(buf + used, len - used, l > 1 ? ",%d" : "%d", spec->dims[l]);
    }
    if (gat && L >= 1 && spec->heads[L - 1] != 1 && used < len)
        snprintf(buf + used, len - used, "/%d", spec->heads[L - 1]);
}

/* ---- parameters ----------------------------------------------------------------- */

gkd_layer_shape gkd_layer_shape_of(const gnnkd_model_spec *s, int l) {
    gkd_layer_shape sh = {1, s->dims[l + 1], s->dims[l + 1], 0};
    if (s->kind == GNNKD_MODEL_GAT) {
        sh.heads = s->heads[l] > 0 ? s->heads[l] : 1;
        sh.f = l < s->nlayers - 1 ? s->dims[l + 1] / sh.heads : s->dims[l + 1];
        sh.lin = sh.heads * sh.f;
    } else if (s->kind == GNNKD_MODEL_SAGE) {
        sh.lin = 2 * s->dims[l + 1]; // [W_self | W_neigh]
    }
    sh.nw = (int64_t)s->dims[l] * sh.lin + (s->kind == GNNKD_MODEL_GAT ? 2 * (int64_t)sh.lin : 0);
    if (s->kind == GNNKD_MODEL_CPF && l == s->nlayers - 1)
        sh.nw += gkd_cpf_extra(s); // [W | a | w | c]: the attention and gate vectors
    return sh;
}

/* Checks a complete spec (dims[0] and dims[nlayers] filled in) and counts its
 * parameters. */
int gkd_model_spec_check(int64_t *nparams, const gnnkd_model_spec *s, char *msg) {
    if ((int)s->kind < 0 || (int)s->kind >= GKD_NKINDS) {
        gkd_msg(msg, "model: unknown kind %d", (int)s->kind);
        return GNNKD_EINVAL;
    }
    if (s->nlayers < GNNKD_MIN_LAYERS || s->nlayers > GNNKD_MAX_LAYERS) {
        gkd_msg(msg, "model: %d layers; %d..%d are supported", s->nlayers, GNNKD_MIN_LAYERS,
                GNNKD_MAX_LAYERS);
        return GNNKD_EINVAL;
    }
    if (!(s->dropout >= 0.0f && s->dropout < 1.0f)) {
        gkd_msg(msg, "model: dropout %g is not in [0, 1)", (double)s->dropout);
        return GNNKD_EINVAL;
    }
    const int gat = s->kind == GNNKD_MODEL_GAT;
    if (gat && !(s->attn_dropout >= 0.0f && s->attn_dropout < 1.0f)) {
        gkd_msg(msg, "model: attention dropout %g is not in [0, 1)", (double)s->attn_dropout);
        return GNNKD_EINVAL;
    }
    if (s->kind == GNNKD_MODEL_CPF && (s->steps < 1 || s->steps > GKD_MAX_STEPS ||
                                       !(s->attn_dropout >= 0.0f && s->attn_dropout < 1.0f))) {
        gkd_msg(msg, "model: CPF with %d propagation steps (1..%d) and attention dropout %g",
                s->steps, GKD_MAX_STEPS, (double)s->attn_dropout);
        return GNNKD_EINVAL;
    }
    int64_t total = 0;
    for (int l = 0; l <= s->nlayers; l++)
        if (s->dims[l] <= 0 || s->dims[l] > (l == 0 ? INT32_MAX : GKD_MAX_WIDTH)) {
            gkd_msg(msg, "model: layer dimension %d is %d%s", l, s->dims[l],
                    l == s->nlayers && s->dims[l] == 0 ? " (0 classes: the dataset has no labels)"
                    : l == 0 && s->dims[l] == 0        ? " (the dataset has no features)"
                                                       : "");
            return GNNKD_EINVAL;
        }
    for (int l = 0; gat && l < s->nlayers; l++) {
        int32_t h = s->heads[l];
        if (h <= 0 || h > GKD_MAX_HEADS || (l < s->nlayers - 1 && s->dims[l + 1] % h != 0) ||
            (int64_t)h * s->dims[l + 1] > GKD_MAX_WIDTH) {
            gkd_msg(msg, "model: GAT layer %d has %d heads for %d features", l, h, s->dims[l + 1]);
            return GNNKD_EINVAL;
        }
    }
    for (int l = 0; l < s->nlayers; l++)
        total += gkd_layer_shape_of(s, l).nw + s->dims[l + 1]; // < 2^53 each
    *nparams = total;
    return GNNKD_OK;
}
