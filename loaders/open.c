/* open.c — a dataset by specification: the synthetic generator, a folder path,
 * or a NAME under the data folder. */
#include "core/internal.h"

#include <string.h>
#include <sys/stat.h>

int gnnkd_dataset_open(gnnkd_dataset **d, const char *spec, const char *data_dir, char *msg) {
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
    if (strchr(spec, '/') != NULL) return gnnkd_dataset_load_dir(d, spec, msg);
    // a NAME stays inside the data folder: '.' and '..' would leave it
    if (strcmp(spec, ".") == 0 || strcmp(spec, "..") == 0) {
        gkd_msg(msg, "dataset name '%s' is not a dataset in the data folder; for a folder give its "
                     "path (e.g. ./%s)", spec, spec);
        return GNNKD_EINVAL;
    }

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
    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
        gkd_msg(msg, "%s: no dataset folder '%s' in %s (from %s)", path, spec, data_dir, from);
        return GNNKD_EIO;
    }
    rc = gnnkd_dataset_load_dir(d, path, msg);
    if (rc == GNNKD_OK) snprintf((*d)->name, sizeof (*d)->name, "%s", spec);
    return rc;
}
