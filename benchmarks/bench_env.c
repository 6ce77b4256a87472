/* bench_env.c — env.json, what a reader needs to trust or rerun a benchmark:
 * the machine, the versions of gnnkd and the libraries below it, the exact
 * command, the git commit, and the times. */
#include "bench_env.h"

#include <GraphBLAS.h>
#include <cblas.h>
#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <igraph.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../app/util.h"

/* The "model name" line of /proc/cpuinfo. */
static void cpu_model(char *buf, size_t len) {
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
            const char *v = strchr(line, ':') + 1;
            while (*v == ' ' || *v == '\t') v++;
            snprintf(buf, len, "%.*s", (int)strcspn(v, "\n"), v);
            break;
        }
    fclose(f);
}

/* The command line exactly as given, from /proc/self/cmdline. */
static cJSON *command_line(void) {
    cJSON *arr = cJSON_CreateArray();
    FILE *f = fopen("/proc/self/cmdline", "r");
    if (f == NULL) return arr;
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    for (size_t i = 0; i < n; i += strlen(buf + i) + 1) cJSON_AddItemToArray(arr, cJSON_CreateString(buf + i));
    return arr;
}

/* The source tree this file was compiled from: CMake passes absolute paths,
 * so __FILE__ is <source>/benchmarks/bench_env.c. */
static void source_dir(char *buf, size_t len) {
    snprintf(buf, len, "%s", __FILE__);
    for (int k = 0; k < 2; k++) {
        char *slash = strrchr(buf, '/');
        if (slash == NULL) {
            snprintf(buf, len, ".");
            return;
        }
        *slash = '\0';
    }
}

static cJSON *libraries(void) {
    cJSON *o = cJSON_CreateObject();
    char text[256];
    unsigned api = 0, sub = 0;
    GrB_getVersion(&api, &sub);
    snprintf(text, sizeof text, "%s %d.%d.%d (%s), C API %u.%u", GxB_IMPLEMENTATION_NAME,
             GxB_IMPLEMENTATION_MAJOR, GxB_IMPLEMENTATION_MINOR, GxB_IMPLEMENTATION_SUB,
             GxB_IMPLEMENTATION_DATE, api, sub);
    cJSON_AddStringToObject(o, "graphblas", text);
    const char *iv = NULL;
    int major, minor, subminor;
    igraph_version(&iv, &major, &minor, &subminor);
    cJSON_AddStringToObject(o, "igraph", iv ? iv : "unknown");
    const char *blas = openblas_get_config();
    cJSON_AddStringToObject(o, "openblas", blas ? blas : "unknown");
    cJSON_AddStringToObject(o, "cjson", cJSON_Version());
#ifdef _OPENMP
    cJSON_AddNumberToObject(o, "openmp", _OPENMP);
#endif
    return o;
}

int bench_env_write(const char *dir, const bench_env *e, const bench_grid *g, char *msg) {
    char text[512], src[4096], path[4200], tmp[GNNKD_OUTPUT_STATE_LEN];
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "gnnkd_version", gnnkd_version());
    cJSON_AddItemToObject(root, "command", command_line());
    if (getcwd(src, sizeof src)) cJSON_AddStringToObject(root, "cwd", src);

    source_dir(src, sizeof src);
    const char *rev[] = {"git", "-C", src, "rev-parse", "HEAD", NULL};
    if (util_run_program(rev, NULL, NULL, text, sizeof text) != 0 || text[0] == '\0')
        snprintf(text, sizeof text, "unknown");
    cJSON_AddStringToObject(root, "git_commit", text);
    if (strcmp(text, "unknown")) {
        /* tracked files changed since that commit */
        const char *diff[] = {"git", "-C", src, "diff", "--quiet", "HEAD", "--", NULL};
        int st = util_run_program(diff, NULL, NULL, NULL, 0);
        if (st == 0 || st == 1) cJSON_AddBoolToObject(root, "git_dirty", st == 1);
    }
    cJSON_AddStringToObject(root, "source_dir", src);

    cpu_model(text, sizeof text);
    cJSON_AddStringToObject(root, "cpu_model", text);
    cJSON_AddNumberToObject(root, "cores", (double)sysconf(_SC_NPROCESSORS_ONLN));
    cJSON_AddNumberToObject(root, "threads", e->threads);
    cJSON_AddNumberToObject(root, "jobs", e->jobs);
    cJSON_AddNumberToObject(root, "threads_per_job", e->jobs > 1 ? 1 : e->threads);
    cJSON_AddItemToObject(root, "libraries", libraries());

    cJSON_AddStringToObject(root, "start_time", e->start_time);
    cJSON_AddBoolToObject(root, "finished", e->finished);
    if (e->finished) cJSON_AddNumberToObject(root, "total_seconds", util_now() - e->start);
    else cJSON_AddNullToObject(root, "total_seconds");
    cJSON_AddBoolToObject(root, "resumed", e->resumed);
    cJSON_AddNumberToObject(root, "rows_before", e->rows_before);
    cJSON_AddNumberToObject(root, "rows_run", e->rows_run);
    cJSON_AddBoolToObject(root, "plots", e->plots);
    cJSON_AddNumberToObject(root, "peak_rss_mb", util_peak_rss_mb());
    cJSON_AddNumberToObject(root, "seeds", g->seeds);

    char *json = cJSON_Print(root);
    cJSON_Delete(root);
    if (json == NULL) {
        util_msg(msg, "env.json: out of memory");
        return GNNKD_ENOMEM;
    }
    snprintf(path, sizeof path, "%s/env.json", dir);
    FILE *f;
    int rc = gnnkd_output_open(&f, tmp, path, msg);
    if (rc != GNNKD_OK) {
        free(json);
        return rc;
    }
    fputs(json, f);
    fputc('\n', f);
    free(json);
    return gnnkd_output_close(f, tmp, path, 1, msg);
}
