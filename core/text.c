/* text.c — a whole-file text reader that hands out numbered lines, and strict
 * number parsing: the ground every text loader stands on. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

/* ---- numbered lines ------------------------------------------------------ */

int gkd_text_open(gkd_text *t, const char *path, char *msg) {
    memset(t, 0, sizeof *t);
    t->path = path;
    int64_t fsize = 0;
    int rc;
    FILE *f = gkd_open_regular(path, &fsize, &rc, msg);
    if (f == NULL) return rc;
    size_t size = (size_t)fsize;
    t->buf = malloc(size + 1);
    if (t->buf == NULL) {
        gkd_msg(msg, "%s: out of memory reading %zu bytes", path, size);
        fclose(f);
        return GNNKD_ENOMEM;
    }
    size_t got = fread(t->buf, 1, size, f);
    int err = ferror(f);
    fclose(f);
    if (got != size || err) {
        gkd_msg(msg, "%s: read failed after %zu of %zu bytes", path, got, size);
        return GNNKD_EIO;
    }
    t->buf[size] = '\0';
    t->len = size;
    /* Lines are C strings: a NUL inside one would silently cut it short. */
    const char *nul = memchr(t->buf, '\0', size);
    if (nul != NULL) {
        int64_t line = 1;
        for (const char *p = t->buf; p < nul; p++) line += (*p == '\n');
        gkd_msg(msg, "%s:%lld: expected text, found a NUL byte", path, (long long)line);
        return GNNKD_EDATA;
    }
    return GNNKD_OK;
}

void gkd_text_close(gkd_text *t) {
    free(t->buf);
    t->buf = NULL;
    t->len = t->pos = 0;
}

char *gkd_text_next(gkd_text *t) {
    if (t->pos >= t->len) return NULL;
    char *s = t->buf + t->pos;
    char *nl = memchr(s, '\n', t->len - t->pos);
    size_t n = nl ? (size_t)(nl - s) : t->len - t->pos;
    t->pos += n + (nl != NULL);
    s[n] = '\0';
    if (n > 0 && s[n - 1] == '\r') s[n - 1] = '\0';
    t->line++;
    return s;
}

static int is_blank_char(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

int gkd_is_blank(const char *s) {
    while (is_blank_char(*s)) s++;
    return *s == '\0';
}

int gkd_parse_int(const char **s, int64_t *v) {
    const char *p = *s;
    while (is_blank_char(*p)) p++;
    int neg = 0;
    if (*p == '-' || *p == '+') neg = (*p++ == '-');
    if (*p < '0' || *p > '9') return 0;
    uint64_t x = 0;
    /* The magnitude may reach 2^63 only for a negative number. */
    const uint64_t lim = (uint64_t)INT64_MAX + (uint64_t)neg;
    for (; *p >= '0' && *p <= '9'; p++) {
        uint64_t dgt = (uint64_t)(*p - '0');
        if (x > (lim - dgt) / 10) return 0;
        x = 10 * x + dgt;
    }
    if (*p != '\0' && !is_blank_char(*p)) return 0;
    *v = neg ? (int64_t)(0 - x) : (int64_t)x;
    *s = p;
    return 1;
}

int gkd_parse_float(const char **s, float *v) {
    char *end;
    const char *p = *s;
    while (is_blank_char(*p)) p++;
    if (*p == '\0') return 0;
    float x = strtof(p, &end);
    if (end == p || (*end != '\0' && !is_blank_char(*end)) || !isfinite(x)) return 0;
    *v = x;
    *s = end;
    return 1;
}

const char *gkd_token(char *buf, size_t len, const char *s) {
    while (is_blank_char(*s)) s++;
    if (*s == '\0') {
        snprintf(buf, len, "end of line");
        return buf;
    }
    size_t n = 0;
    while (s[n] != '\0' && !is_blank_char(s[n]) && n < 40) n++;
    snprintf(buf, len, "'%.*s'", (int)n, s);
    return buf;
}
