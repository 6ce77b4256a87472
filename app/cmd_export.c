/* cmd_export.c — `gnnkd export`: a saved MLP student, with its position
 * rows if it has them, as standalone C99 (gnnkd_model_export_c does the
 * work). */
#include "cli.h"

#include <string.h>

static void export_help(FILE *f) {
    fprintf(f,
            "usage: gnnkd export --load MODEL --out FILE.c [--int8] [--name PREFIX]\n\n"
            "Writes an MLP student as one self-contained C99 source and a header beside it\n"
            "(FILE.h): the weights as static const arrays and PREFIX_predict(x, probs),\n"
            "PREFIX_predict_sparse(idx, val, nnz, probs) (and _logits twins) over one node's\n"
            "RAW feature row; they apply the feature normalisation the model was trained\n"
            "with. A student with position features (distill --position, --recipe nosmog)\n"
            "also takes the node's position row, PREFIX_predict(x, pos, probs), and the\n"
            "source holds the rows of the nodes it was distilled on (int8 with --int8):\n"
            "PREFIX_position(node, pos) gives a known node's, PREFIX_position_new(nbr,\n"
            "nnbr, pos) a new node's (the mean of its known neighbours' rows, as predict\n"
            "--edges does), PREFIX_predict_new(x, nbr, nnbr, probs) both steps at once.\n"
            "Needs only a C99 compiler and libm; no allocation, no mutable globals.\n"
            "Graph models (gcn) are refused: their predictions read the graph.\n\n"
            "  --load PATH             the model file (gnnkd train/distill --save)\n"
            "  --out FILE.c            the source to write (and FILE.h)\n"
            "  --int8                  int8 weights, per output channel, symmetric; int32 sums\n"
            "                          (a position student's rows: int8, a scale a column)\n"
            "  --name PREFIX           the functions' prefix (student)\n\n"
            "Example: gnnkd export --load student.model --out student.c --int8\n");
}

int cmd_export(int argc, char **argv) {
    static const struct option opts[] = {
        {"load", required_argument, 0, 'l'},
        {"out", required_argument, 0, 'o'},
        {"int8", no_argument, 0, 'q'},
        {"name", required_argument, 0, 'n'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    const char *load = NULL, *out = NULL;
    gnnkd_export_options eo;
    gnnkd_export_options_default(&eo);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': load = optarg; break;
        case 'o': out = optarg; break;
        case 'q': eo.int8 = 1; break;
        case 'n': eo.prefix = optarg; break;
        case 'h': export_help(stdout); return 0;
        default: export_help(stderr); return 2;
        }
    }
    if (load == NULL || out == NULL || optind < argc) {
        fprintf(stderr, "gnnkd export: %s (see --help)\n",
                optind < argc ? "unexpected argument" : "--load MODEL and --out FILE.c are required");
        return 2;
    }
    char msg[GNNKD_MSG_LEN] = "";
    gnnkd_model *m = NULL;
    gnnkd_export_info info;
    int rc = gnnkd_model_load(&m, load, msg);
    if (rc == GNNKD_OK) rc = gnnkd_model_export_c(&info, m, out, &eo, msg);
    int32_t pn = 0, pdim = 0;
    if (rc == GNNKD_OK && gnnkd_model_position(m, &pn, &pdim) != NULL)
        fprintf(stderr, "gnnkd export: %s: position rows of %d nodes x %d columns, %lld bytes "
                        "(float32 %lld, int8 %lld), counted below\n",
                out, pn, pdim, (long long)(eo.int8 ? info.pos_bytes_int8 : info.pos_bytes),
                (long long)info.pos_bytes, (long long)info.pos_bytes_int8);
    if (rc == GNNKD_OK)
        fprintf(stderr, "gnnkd export: %s (%s weights, %lld bytes; float32 %lld, int8 %lld), "
                        "features %s, stack %lld bytes a call\n",
                out, eo.int8 ? "int8" : "float32",
                (long long)(eo.int8 ? info.int8_bytes : info.float_bytes), (long long)info.float_bytes,
                (long long)info.int8_bytes, gnnkd_feature_norm_name(gnnkd_model_get_feature_norm(m)),
                (long long)(eo.int8 ? info.stack_bytes_int8 : info.stack_bytes));
    gnnkd_model_free(&m);
    return rc == GNNKD_OK ? 0 : cli_fail("export", rc, msg);
}
