/* distill.c — gnnkd as a library: train a GCN teacher on a dataset, then
 * distil it into an MLP student with Hinton's KD, and print both accuracies.
 *
 *   cc distill.c $(pkg-config --cflags --libs gnnkd) -o distill
 *   ./distill cora          # $GNNKD_DATA/cora; or a folder; or "synthetic"
 */
#include <gnnkd.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(call)                                                                       \
    do {                                                                                  \
        if ((rc = (call)) != GNNKD_OK) goto done;                                         \
    } while (0)

int main(int argc, char **argv) {
    char msg[GNNKD_MSG_LEN] = "";
    int rc;
    gnnkd_dataset *d = NULL;
    gnnkd_graph *g = NULL;
    gnnkd_model *teacher = NULL, *student = NULL;
    gnnkd_teacher *t = NULL;
    float *target = NULL;
    int32_t *transfer = NULL, ntransfer = 0;
    gnnkd_model_spec tspec, sspec;
    gnnkd_train_options o;
    gnnkd_train_result tr, sr;

    CHECK(gnnkd_dataset_open(&d, argc > 1 ? argv[1] : "synthetic", NULL, msg));
    CHECK(gnnkd_dataset_normalize_features(d, msg));
    CHECK(gnnkd_graph_new(&g, &d->adj, msg));
    gnnkd_train_options_default(&o);

    /* the teacher: Kipf & Welling's GCN, 64 hidden units */
    CHECK(gnnkd_model_spec_parse(&tspec, "gcn:64", msg));
    CHECK(gnnkd_model_new(&teacher, &tspec, d->nfeat, d->nclass, 1, msg));
    CHECK(gnnkd_train(teacher, &tr, d, g, &o, NULL, msg));

    /* its softened outputs at T = 2 on every node */
    CHECK(gnnkd_teacher_new(&t, d->n, d->nclass, msg));
    CHECK(gnnkd_teacher_add_model(t, teacher, d, g, msg));
    if ((target = malloc((size_t)d->n * d->nclass * sizeof *target)) == NULL) {
        rc = GNNKD_ENOMEM;
        goto done;
    }
    CHECK(gnnkd_teacher_targets(target, t, GNNKD_METHOD_KD, 2.0f, 0, msg));
    CHECK(gnnkd_transfer_nodes(&transfer, &ntransfer, d, GNNKD_TRANSFER_ALL, NULL, msg));

    /* the student: a graph-free MLP */
    CHECK(gnnkd_model_spec_parse(&sspec, "mlp:64", msg));
    CHECK(gnnkd_model_new(&student, &sspec, d->nfeat, d->nclass, 1, msg));
    gnnkd_objective kd = {GNNKD_METHOD_KD, 0.9f, 2.0f, target, transfer, ntransfer};
    o.weight_decay = 0.0f; /* the soft targets on every node regularise */
    CHECK(gnnkd_train(student, &sr, d, g, &o, &kd, msg));

    printf("%s: teacher gcn:64 test accuracy %.3f, student mlp:64 (KD) %.3f\n", d->name,
           tr.acc[GNNKD_TEST], sr.acc[GNNKD_TEST]);
done:
    if (rc != GNNKD_OK) fprintf(stderr, "distill: %s\n", msg);
    free(target);
    free(transfer);
    gnnkd_model_free(&student);
    gnnkd_model_free(&teacher);
    gnnkd_teacher_free(&t);
    gnnkd_graph_free(&g);
    gnnkd_dataset_free(&d);
    return gnnkd_exit_code(rc);
}
