/* bench_table.c — the benchmark's rows: results.csv is written one flushed
 * line per trained student and read back to resume a run and to make the
 * summary, so that the summary depends on the file alone. */
#include "bench_table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../app/util.h"

/* ---- rows -------------------------------------------------------------------- */

/* The key's setting and split, common to teacher and student rows. */
static void key_common(bench_row *r, const bench_grid *g, int dataset, int seed) {
    memset(r, 0, sizeof *r);
    snprintf(r->dataset, sizeof r->dataset, "%s", g->dataset[dataset]);
    snprintf(r->transfer, sizeof r->transfer, "all");
    r->seed = g->seed0 + seed;
    r->split_seed = g->glnn ? g->split_seed + seed : g->split_seed;
}

static void add_setting(bench_row *r, const bench_grid *g) {
    size_t used = strlen(r->training);
    if (g->setting[0]) snprintf(r->training + used, sizeof r->training - used, " setting=%s", g->setting);
}

void bench_row_key(bench_row *r, const bench_grid *g, int dataset, int teacher, int student, int config,
                   int seed) {
    int m, idx[BENCH_NAXES];
    bench_config(g, config, &m, idx);
    const bench_method *bm = &BENCH_METHODS[g->method[m]];
    key_common(r, g, dataset, seed);
    snprintf(r->teacher, sizeof r->teacher, "%s", bm->needs_teacher ? g->teacher[teacher] : BENCH_NO_TEACHER);
    snprintf(r->student, sizeof r->student, "%s", g->student[student]);
    snprintf(r->method, sizeof r->method, "%s", bench_method_name(bm));
    for (int a = 0; a < BENCH_NAXES; a++)
        if (idx[a] >= 0) snprintf(r->axis[a], sizeof r->axis[a], "%g", g->value[a][idx[a]]);
    gnnkd_distill_options o;
    bench_method_options(&o, g, bm, &g->student_spec[student]);
    snprintf(r->transfer, sizeof r->transfer, "%s", gnnkd_transfer_name(o.transfer));
    const gnnkd_train_options *t = &o.student_train;
    bench_training_text(r->training, sizeof r->training, t->select, t->patience, t->epochs, t->weight_decay);
    add_setting(r, g);
    bench_recipe_text_append(r->training, sizeof r->training, &o, &g->student_spec[student]);
    if (bm->position) {
        size_t used = strlen(r->training);
        snprintf(r->training + used, sizeof r->training - used, " position=%s", g->position_text);
    }
}

void bench_teacher_key(bench_row *r, const bench_grid *g, int dataset, int teacher, int seed) {
    key_common(r, g, dataset, seed);
    snprintf(r->teacher, sizeof r->teacher, "%s", g->teacher[teacher]);
    snprintf(r->student, sizeof r->student, "%s", g->teacher[teacher]);
    snprintf(r->method, sizeof r->method, "teacher");
    snprintf(r->training, sizeof r->training, "%s", g->teacher_training[teacher]);
    add_setting(r, g);
}

int bench_row_same_key(const bench_row *a, const bench_row *b) {
    if (a->seed != b->seed || strcmp(a->dataset, b->dataset) || strcmp(a->teacher, b->teacher) ||
        strcmp(a->student, b->student) || strcmp(a->method, b->method) || strcmp(a->transfer, b->transfer))
        return 0;
    for (int k = 0; k < BENCH_NAXES; k++)
        if (strcmp(a->axis[k], b->axis[k])) return 0;
    return 1;
}

int bench_table_add(bench_table *t, const bench_row *r, char *msg) {
    if (t->n == t->cap) {
        int cap = t->cap ? 2 * t->cap : 256;
        bench_row *grown = realloc(t->row, (size_t)cap * sizeof *grown);
        if (grown == NULL) {
            util_msg(msg, "bench: out of memory for %d result rows", cap);
            return GNNKD_ENOMEM;
        }
        t->row = grown;
        t->cap = cap;
    }
    t->row[t->n++] = *r;
    return GNNKD_OK;
}

void bench_table_free(bench_table *t) {
    free(t->row);
    memset(t, 0, sizeof *t);
}

/* A linear search: a full run has fewer than a thousand rows. */
const bench_row *bench_table_find(const bench_table *t, const bench_row *key) {
    for (int i = 0; i < t->n; i++)
        if (bench_row_same_key(&t->row[i], key)) return &t->row[i];
    return NULL;
}

/* ---- CSV ----------------------------------------------------------------------- */

/* After the key: how, on which split, and what the model scored. */
static const char *CSV_TAIL =
    "split_seed,training,val_acc,test_acc,test_acc_tran,test_acc_ind,test_acc_prod,epochs,"
    "train_seconds,inference_ms,student_params,teacher_params,teacher_test_acc,teacher_acc_ind,"
    "teacher_acc_prod,teacher_inference_ms,val_acc_cross";
enum { CSV_FIELDS = BENCH_KEY_FIELDS + 17 };

/* "dataset,teacher,student,method,T,alpha,transfer,seed" */
static void key_header(char *buf, size_t len) {
    snprintf(buf, len, "dataset,teacher,student,method");
    for (int a = 0; a < BENCH_NAXES; a++)
        snprintf(buf + strlen(buf), len - strlen(buf), ",%s", BENCH_AXES[a].column);
    snprintf(buf + strlen(buf), len - strlen(buf), ",transfer,seed");
}

const char *bench_csv_header(void) {
    static char header[1024];
    if (header[0] == '\0') {
        key_header(header, sizeof header);
        snprintf(header + strlen(header), sizeof header - strlen(header), ",%s", CSV_TAIL);
    }
    return header;
}

const char *bench_curve_header(void) {
    static char header[512];
    if (header[0] == '\0') {
        key_header(header, sizeof header);
        snprintf(header + strlen(header), sizeof header - strlen(header),
                 ",epoch,train_loss,val_loss,val_acc,train_acc");
    }
    return header;
}

void bench_csv_field(FILE *f, const char *s) {
    if (strpbrk(s, ",\"\n\r") == NULL) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int bench_csv_split(char *line, char **field, int max) {
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max) return max + 1; /* too many: the caller reports the count */
        char *out = p;
        field[n++] = out;
        if (*p == '"') {
            /* quoted: "" is a quote; copy down over the quotes in place */
            p++;
            for (;;) {
                if (*p == '\0') return -1;
                if (*p == '"' && p[1] == '"') {
                    *out++ = '"';
                    p += 2;
                } else if (*p == '"') {
                    p++;
                    break;
                } else {
                    *out++ = *p++;
                }
            }
            if (*p != ',' && *p != '\0') return -1;
        } else {
            while (*p != ',' && *p != '\0') out++, p++;
        }
        int last = *p == '\0';
        *out = '\0';
        if (last) return n;
        p++;
    }
}

static void key_fields(FILE *f, const bench_row *r) {
    bench_csv_field(f, r->dataset);
    fputc(',', f);
    bench_csv_field(f, r->teacher);
    fputc(',', f);
    bench_csv_field(f, r->student);
    fprintf(f, ",%s", r->method);
    for (int a = 0; a < BENCH_NAXES; a++) fprintf(f, ",%s", r->axis[a]);
    fprintf(f, ",%s,%ld", r->transfer, r->seed);
}

int bench_key_matches(char *const *field, const bench_row *key) {
    char *end;
    long seed = strtol(field[BENCH_KEY_FIELDS - 1], &end, 10);
    if (*end || seed != key->seed || strcmp(field[0], key->dataset) || strcmp(field[1], key->teacher) ||
        strcmp(field[2], key->student) || strcmp(field[3], key->method) ||
        strcmp(field[4 + BENCH_NAXES], key->transfer))
        return 0;
    for (int a = 0; a < BENCH_NAXES; a++)
        if (strcmp(field[4 + a], key->axis[a])) return 0;
    return 1;
}

int bench_csv_open(FILE **f, const char *path, char *msg) {
    *f = fopen(path, "a");
    if (*f == NULL) {
        util_msg(msg, "%s: %s", path, strerror(errno));
        return GNNKD_EIO;
    }
    if (ftell(*f) == 0 && (fprintf(*f, "%s\n", bench_csv_header()) < 0 || fflush(*f) != 0)) {
        util_msg(msg, "%s: %s", path, strerror(errno));
        fclose(*f);
        *f = NULL;
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

int bench_csv_append(FILE *f, const bench_row *r, const char *path, char *msg) {
    key_fields(f, r);
    fprintf(f, ",%ld,", r->split_seed);
    bench_csv_field(f, r->training);
    fprintf(f, ",%.6g,%.6g,%.6g,%.6g,%.6g,%d,%.6g,%.6g,%lld,%lld,%.6g,%.6g,%.6g,%.6g,%.6g\n",
            r->val_acc, r->test_acc, r->tran, r->ind, r->prod, r->epochs, r->train_seconds,
            r->inference_ms, r->student_params, r->teacher_params, r->teacher_test_acc,
            r->teacher_ind, r->teacher_prod, r->teacher_inference_ms, r->val_acc_cross);
    if (ferror(f) || fflush(f) != 0) {
        util_msg(msg, "%s: %s", path, strerror(errno));
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

static int parse_double(const char *s, double *v) {
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return errno == 0 && end != s && *end == '\0';
}

static int parse_ll(const char *s, long long *v) {
    char *end;
    errno = 0;
    *v = strtoll(s, &end, 10);
    return errno == 0 && end != s && *end == '\0';
}

/* Copies a text field, refusing one that does not fit. */
static int copy_field(char *dst, size_t len, const char *src) {
    if (strlen(src) >= len) return 0;
    memcpy(dst, src, strlen(src) + 1);
    return 1;
}

static int parse_row(bench_row *r, char **f) {
    long long seed, split_seed, epochs;
    memset(r, 0, sizeof *r);
    int ok = copy_field(r->dataset, sizeof r->dataset, f[0]) &&
             copy_field(r->teacher, sizeof r->teacher, f[1]) &&
             copy_field(r->student, sizeof r->student, f[2]) &&
             copy_field(r->method, sizeof r->method, f[3]);
    for (int a = 0; a < BENCH_NAXES; a++) ok = ok && copy_field(r->axis[a], sizeof r->axis[a], f[4 + a]);
    f += 4 + BENCH_NAXES;
    ok = ok && copy_field(r->transfer, sizeof r->transfer, f[0]) && parse_ll(f[1], &seed) &&
         parse_ll(f[2], &split_seed) && copy_field(r->training, sizeof r->training, f[3]) &&
         parse_double(f[4], &r->val_acc) && parse_double(f[5], &r->test_acc) &&
         parse_double(f[6], &r->tran) && parse_double(f[7], &r->ind) && parse_double(f[8], &r->prod) &&
         parse_ll(f[9], &epochs) && parse_double(f[10], &r->train_seconds) &&
         parse_double(f[11], &r->inference_ms) && parse_ll(f[12], &r->student_params) &&
         parse_ll(f[13], &r->teacher_params) && parse_double(f[14], &r->teacher_test_acc) &&
         parse_double(f[15], &r->teacher_ind) && parse_double(f[16], &r->teacher_prod) &&
         parse_double(f[17], &r->teacher_inference_ms) && parse_double(f[18], &r->val_acc_cross);
    r->seed = ok ? (long)seed : 0;
    r->split_seed = ok ? (long)split_seed : 0;
    r->epochs = ok ? (int)epochs : 0;
    return ok;
}

int bench_csv_load(bench_table *t, const char *path, char *msg) {
#define UTIL_FREE_ALL                                                                       \
    do {                                                                                  \
        free(line);                                                                       \
        if (f) fclose(f);                                                                 \
    } while (0)
    char *line = NULL;
    size_t cap = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL && errno == ENOENT) return GNNKD_OK;
    UTIL_CHECK(f != NULL, GNNKD_EIO, "%s: %s", path, strerror(errno));
    long long lineno = 0;
    long complete = 0; /* bytes up to the last newline */
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') {
            /* a run killed in the middle of a row: forget the fragment */
            fprintf(stderr, "gnnkd bench: %s:%lld: dropping an unfinished last line\n", path, lineno);
            UTIL_CHECK(truncate(path, complete) == 0, GNNKD_EIO, "%s: %s", path, strerror(errno));
            break;
        }
        complete += (long)len;
        line[--len] = '\0';
        if (len > 0 && line[len - 1] == '\r') line[--len] = '\0';
        if (lineno == 1) {
            UTIL_CHECK(!strcmp(line, bench_csv_header()), GNNKD_EDATA,
                     "%s:1: the columns are not this gnnkd bench's (a results file of an older "
                     "version, or not one at all): a run cannot be resumed across column layouts; "
                     "start a new --out folder. Expected: %s", path, bench_csv_header());
            continue;
        }
        if (len == 0) continue;
        char *field[CSV_FIELDS + 1];
        int n = bench_csv_split(line, field, CSV_FIELDS);
        bench_row r;
        UTIL_CHECK(n == CSV_FIELDS, GNNKD_EDATA, "%s:%lld: expected %d fields, found %s", path,
                 lineno, CSV_FIELDS, n < 0 ? "an unterminated quote" : "another count");
        UTIL_CHECK(parse_row(&r, field), GNNKD_EDATA, "%s:%lld: a field is too long or not a number",
                 path, lineno);
        UTIL_TRY(bench_table_add(t, &r, msg));
    }
    UTIL_CHECK(!ferror(f), GNNKD_EIO, "%s: %s", path, strerror(errno));
    UTIL_FREE_ALL;
    return GNNKD_OK;
#undef UTIL_FREE_ALL
}

int bench_curve_append(FILE *f, const bench_row *key, const bench_curve *c, const char *path,
                       char *msg) {
    for (int e = 0; e < c->n; e++) {
        key_fields(f, key);
        fprintf(f, ",%d,%.6g,%.6g,%.6g,%.6g\n", e + 1, c->train_loss[e], c->val_loss[e],
                c->val_acc[e], c->train_acc[e]);
    }
    if (ferror(f) || fflush(f) != 0) {
        util_msg(msg, "%s: %s", path, strerror(errno));
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}
