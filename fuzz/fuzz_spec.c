/* fuzz_spec — the specification parsers: the first byte picks one of model
 * specs ("gcn:16"), split specs ("random:20:500:1000", on a fixed 200-node
 * dataset) and synthetic specs ("synthetic:nodes=100,..."); the rest is the
 * text. Synthetic specs are generated only when small: a spec may ask for a
 * billion nodes on purpose, and that is no bug. */
#include "fuzz.h"

/* The synthetic parser is file-local: reach it as a test does, in one file. */
#include "loaders/synthetic.c"

static gnnkd_dataset *fixed;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    char msg[GNNKD_MSG_LEN];
    gnnkd_set_threads(1);
    if (gnnkd_dataset_synthetic(&fixed, "synthetic:nodes=200,classes=4,features=8,"
                                        "train-per-class=5,val=20,test=40", msg) != GNNKD_OK) {
        fprintf(stderr, "fuzz_spec: %s\n", msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 1) return 0;
    char *text = gkd_fuzz_string(data + 1, size - 1);
    char msg[GNNKD_MSG_LEN];
    int rc = GNNKD_OK;
    switch (data[0] % 3) {
    case 0: {
        gnnkd_model_spec s;
        rc = gnnkd_model_spec_parse(&s, text, msg);
        if (rc == GNNKD_OK) {
            if (s.nlayers < 2 || s.nlayers > GNNKD_MAX_LAYERS) abort();
            char back[256];
            gnnkd_model_spec_format(back, sizeof back, &s);
            gnnkd_model_spec again;
            if (gnnkd_model_spec_parse(&again, back, msg) != GNNKD_OK ||
                again.nlayers != s.nlayers || memcmp(again.dims, s.dims, sizeof s.dims) != 0)
                abort();
        }
        break;
    }
    case 1:
        rc = gnnkd_dataset_split(fixed, text, 7, msg);
        if (rc == GNNKD_OK)
            for (int k = 0; k < 3; k++)
                for (int32_t i = 0; i < fixed->nsplit[k]; i++)
                    if (fixed->split[k][i] < 0 || fixed->split[k][i] >= fixed->n) abort();
        break;
    case 2: {
        syn_params p;
        rc = parse_spec(&p, text, msg);
        if (rc == GNNKD_OK && p.nodes <= 2000 && p.features <= 512 && p.degree <= 20) {
            gnnkd_dataset *d = NULL;
            rc = gnnkd_dataset_synthetic(&d, text, msg);
            if ((rc == GNNKD_OK) != (d != NULL)) abort();
            gnnkd_dataset_free(&d);
        }
        break;
    }
    }
    gkd_fuzz_check_status(rc, msg);
    free(text);
    return 0;
}
