/* replay.c — a main for the harnesses in the ordinary (gcc) builds: runs
 * LLVMFuzzerTestOneInput once on every file of the folders or files given,
 * as libFuzzer would, so that the regression inputs of tests/data/fuzz are
 * checked by ctest (under the sanitizer build: crashes, leaks and undefined
 * behaviour). As libFuzzer's -malloc_limit_mb=64 does, one allocation of
 * more than 64 MB by gnnkd is a failure: malloc, calloc and realloc are
 * wrapped at link time, so gnnkd's own calls are the ones checked. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define GKD_REPLAY_LIMIT ((size_t)64 << 20)

void *__real_malloc(size_t n);
void *__real_calloc(size_t c, size_t n);
void *__real_realloc(void *p, size_t n);

static const char *current = "";

static void over_limit(size_t n) {
    fprintf(stderr, "replay: %s: one allocation of %zu bytes (limit %zu)\n", current, n,
            GKD_REPLAY_LIMIT);
    abort();
}
void *__wrap_malloc(size_t n) {
    if (n > GKD_REPLAY_LIMIT) over_limit(n);
    return __real_malloc(n);
}
void *__wrap_calloc(size_t c, size_t n) {
    if (n != 0 && c > GKD_REPLAY_LIMIT / n) over_limit(c * n);
    return __real_calloc(c, n);
}
void *__wrap_realloc(void *p, size_t n) {
    if (n > GKD_REPLAY_LIMIT) over_limit(n);
    return __real_realloc(p, n);
}

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 4096;
            uint8_t *bigger = realloc(buf, cap);
            if (bigger == NULL) abort();
            buf = bigger;
        }
        size_t got = fread(buf + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    fclose(f);
    current = path;
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 0;
}

static int by_name(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    int files = 0, bad = 0;
    if (LLVMFuzzerInitialize) LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if (!S_ISDIR(st.st_mode)) {
            bad += run_file(argv[i]);
            files++;
            continue;
        }
        struct dirent **list = NULL;
        int n = scandir(argv[i], &list, NULL, NULL);
        if (n < 0) {
            perror(argv[i]);
            return 1;
        }
        char **names = malloc(sizeof *names * (size_t)(n ? n : 1));
        int m = 0;
        for (int k = 0; k < n; k++) {
            if (list[k]->d_name[0] != '.') names[m++] = strdup(list[k]->d_name);
            free(list[k]);
        }
        free(list);
        qsort(names, (size_t)m, sizeof *names, by_name);
        for (int k = 0; k < m; k++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/%s", argv[i], names[k]);
            bad += run_file(path);
            files++;
            free(names[k]);
        }
        free(names);
    }
    printf("replay: %d inputs\n", files);
    /* a run over nothing proves nothing */
    return files == 0 || bad != 0;
}
