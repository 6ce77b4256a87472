/* open.c — a dataset by specification: the synthetic generator, a path, or a
 * NAME under the data folder; a path is read by its kind (.npz file, OGB
 * folder, gnnkd folder). */
#include "core/internal.h"

#include <string.h>
#include <sys/stat.h>

static int is_npz(const char *path) {
    size_t n = strlen(path);
    return n > 4 && strcmp(path + n - 4, ".npz") == 0;
}

/* A .npz file, an OGB folder (raw/edge.csv.gz in it) or a gnnkd folder. */
static int load_path(gnnkd_dataset **d, const char *path, char *msg) {
    if (is_npz(path)) return gnnkd_dataset_load_npz(d, NULL, path, msg);
    char edges[GKD_PATH_LEN];
    struct stat st;
    int rc = gkd_path_join(edges, path, "raw/edge.csv.gz", msg);
    if (rc != GNNKD_OK) return rc;
    if (stat(edges, &st) == 0) return gnnkd_dataset_load_ogb(d, NULL, path, NULL, msg);
    return gnnkd_dataset_load_dir(d, path, msg);
}

gnnkd_status gnnkd_dataset_open(gnnkd_dataset **d, const char *spec, const char *data_dir, char *msg) {
    GKD_CLEAR_MSG;
    char path[GKD_PATH_LEN];
    *d = NULL;
    if (spec == NULL || spec[0] == '\0') {
        gkd_msg(msg, "expected a dataset: a NAME, a folder or synthetic[:KEY=VALUE,...]");
        return GNNKD_EINVAL;
    }
    if (strncmp(spec, "synthetic", 9) == 0 && (spec[9] == '\0' || spec[9] == ':')) {
        int rc = gnnkd_dataset_synthetic(d, spec, msg);
        if (rc == GNNKD_OK && (*d)->name[0] == '\0')
            snprintf((*d)->name, sizeof (*d)->name, "%s", spec);
        return rc;
    }
    if (strchr(spec, '/') != NULL) return load_path(d, spec, msg);

    const char *from = "--data-dir";
    if (data_dir == NULL || data_dir[0] == '\0') {
        data_dir = getenv("GNNKD_DATA");
        from = "GNNKD_DATA";
    }
    if (data_dir == NULL || data_dir[0] == '\0') {
        gkd_msg(msg, "dataset '%s': set GNNKD_DATA to the folder that holds the datasets "
                    "(e.g. /path/to/datasets with %s/ in it), or pass --data-dir", spec, spec);
        return GNNKD_EINVAL;
    }
    int rc = gkd_path_join(path, data_dir, spec, msg);
    if (rc != GNNKD_OK) return rc;
    struct stat st;
    if (stat(path, &st) != 0 || (!S_ISDIR(st.st_mode) && !is_npz(spec))) {
        gkd_msg(msg, "%s: no dataset folder '%s' in %s (from %s)", path, spec, data_dir, from);
        return GNNKD_EIO;
    }
    rc = load_path(d, path, msg);
    if (rc == GNNKD_OK && !is_npz(spec)) snprintf((*d)->name, sizeof (*d)->name, "%s", spec);
    return rc;
}
