/* bench_plots.c — the benchmark's plots: data files and one gnuplot script
 * in <out>/plots, drawn as SVG and PNG by running gnuplot there. The script
 * stays behind so that a figure can be restyled without rerunning anything.
 *   accuracy_vs_temperature  KD's test accuracy against T (at the chosen
 *                            alpha), scratch and compression as bands
 *   accuracy_vs_size         test accuracy against student parameters
 *   curves                   validation accuracy per epoch, first seed
 *   accuracy_by_method       every student and method side by side (chosen
 *                            settings), the teacher as a line */
#include "bench_plots.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../app/util.h"

enum { PATH_LEN = 4300 };

/* A gnuplot single-quoted string: no escapes but '' for a quote. */
static void gp_str(FILE *f, const char *s) {
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

/* Opens <dir>/plots/<name> for writing; the caller closes it with close_data. */
static FILE *open_data(const char *dir, const char *name, char *msg) {
    char path[PATH_LEN];
    snprintf(path, sizeof path, "%s/plots/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) util_msg(msg, "%s: %s", path, strerror(errno));
    return f;
}

static int close_data(FILE *f, const char *dir, const char *name, char *msg) {
    int err = ferror(f);
    if (fclose(f) != 0 || err) {
        util_msg(msg, "%s/plots/%s: write failed: %s", dir, name, strerror(errno));
        return GNNKD_EIO;
    }
    return GNNKD_OK;
}

/* The head of one figure: both formats, one multiplot. */
static void figure_begin(FILE *gp, const char *name, int w, int h, int rows, int cols, const char *title) {
    fprintf(gp, "\ndo for [fmt in 'svg png'] {\n  eval terminal(fmt, %d, %d)\n", w, h);
    fprintf(gp, "  set output '%s.'.fmt\n  set multiplot layout %d,%d title ", name, rows, cols);
    gp_str(gp, title);
    fprintf(gp, "\n");
}

static void figure_end(FILE *gp) { fprintf(gp, "  unset multiplot\n  set output\n}\n"); }

/* A panel that has nothing to show. */
static void empty_panel(FILE *gp) {
    fprintf(gp, "  unset logscale\n  set label 1 'no data' at graph 0.5,0.5 center\n"
                "  plot [0:1][0:1] 2 notitle\n  unset label 1\n");
}

/* A colour per method of BENCH_METHODS, the same in every figure. */
static const char *method_color(const bench_grid *g, int m) {
    static const char *const COLOR[] = {"#7f7f7f", "#d62728", "#2ca02c", "#1f77b4",
                                        "#9467bd", "#ff7f0e", "#8c564b", "#e377c2",
                                        "#bcbd22", "#17becf", "#000080"};
    return COLOR[g->method[m] % (int)(sizeof COLOR / sizeof COLOR[0])];
}

static const char *method_name(const bench_grid *g, int m) {
    return bench_method_name(&BENCH_METHODS[g->method[m]]);
}

/* A title "cora, teacher gcn:64" (no teacher part if the grid trains none). */
static void panel_title(FILE *gp, const bench_summary *s, int d, int t, const char *student) {
    const bench_grid *g = s->grid;
    char title[320];
    int n = snprintf(title, sizeof title, "%s", g->dataset[d]);
    if (bench_needs_teacher(g)) n += snprintf(title + n, sizeof title - (size_t)n, ", teacher %s", g->teacher[t]);
    if (student) snprintf(title + n, sizeof title - (size_t)n, ", student %s", student);
    fprintf(gp, "  set title ");
    gp_str(gp, title);
    fprintf(gp, "\n");
}

/* ---- (a) accuracy against temperature ---------------------------------------- */

/* For each method with a T axis, a line (T, mean, std) at its chosen other
 * axes; for each other method a band at its chosen setting; the teacher as
 * a line. One block a method, then the teacher. Percent, the headline score. */
static int temperature_panel(FILE *gp, const bench_summary *s, int d, int t, int st, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    char name[64], set[96];
    const int sc = s->score;
    panel_title(gp, s, d, t, g->student[st]);
    if (g->nvalues[BENCH_AXIS_T] == 0) {
        empty_panel(gp);
        return GNNKD_OK;
    }
    double tmin = g->value[BENCH_AXIS_T][0], tmax = tmin;
    for (int i = 1; i < g->nvalues[BENCH_AXIS_T]; i++) {
        if (g->value[BENCH_AXIS_T][i] < tmin) tmin = g->value[BENCH_AXIS_T][i];
        if (g->value[BENCH_AXIS_T][i] > tmax) tmax = g->value[BENCH_AXIS_T][i];
    }
    double x0 = tmin / 1.25, x1 = tmax * 1.25;

    snprintf(name, sizeof name, "temperature_%d_%d_%d.dat", d, t, st);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) return GNNKD_EIO;
    int present[BENCH_MAX_LIST] = {0}, lines[BENCH_MAX_LIST] = {0}, any = 0;
    char title[BENCH_MAX_LIST][128];
    for (int m = 0; m < g->nmethods; m++) {
        int k = bench_chosen(s, d, t, st, m);
        lines[m] = (BENCH_METHODS[g->method[m]].axes >> BENCH_AXIS_T) & 1u;
        fprintf(f, "%s# %s: ", m ? "\n\n" : "", method_name(g, m));
        if (k < 0) {
            fprintf(f, "no rows\nnan nan nan nan\n");
            continue;
        }
        int km, idx[BENCH_NAXES];
        bench_config(g, k, &km, idx);
        if (lines[m]) {
            /* every T at the chosen values of the other axes */
            idx[BENCH_AXIS_T] = -1;
            set[0] = '\0';
            for (int ax = 0; ax < BENCH_NAXES; ax++)
                if (idx[ax] >= 0)
                    snprintf(set + strlen(set), sizeof set - strlen(set), " %s=%g", BENCH_AXES[ax].label,
                             g->value[ax][idx[ax]]);
            snprintf(title[m], sizeof title[m], "%s%s", method_name(g, m), set);
            fprintf(f, "T, mean, std\n");
            for (int kk = 0; kk < s->nconf; kk++) {
                int mm, id2[BENCH_NAXES], same = 1;
                bench_config(g, kk, &mm, id2);
                if (mm != m) continue;
                for (int ax = 0; ax < BENCH_NAXES; ax++) same &= ax == BENCH_AXIS_T || id2[ax] == idx[ax];
                const bench_stat *b = bench_stat_at(s, d, t, st, kk);
                if (same && b->n > 0) {
                    fprintf(f, "%g %.4f %.4f\n", g->value[BENCH_AXIS_T][id2[BENCH_AXIS_T]], 100 * b->mean[sc],
                            100 * b->std[sc]);
                    present[m] = 1;
                }
            }
        } else {
            const bench_stat *b = bench_stat_at(s, d, t, st, k);
            bench_config_text(set, sizeof set, g, k);
            snprintf(title[m], sizeof title[m], "%s%s%s%s", method_name(g, m), set[0] ? " (" : "", set, set[0] ? ")" : "");
            fprintf(f, "x, mean, mean - std, mean + std\n");
            for (int e = 0; b->n > 0 && e < 2; e++)
                fprintf(f, "%g %.4f %.4f %.4f\n", e ? x1 : x0, 100 * b->mean[sc], 100 * (b->mean[sc] - b->std[sc]),
                        100 * (b->mean[sc] + b->std[sc]));
            present[m] = b->n > 0;
        }
        if (!present[m]) fprintf(f, "nan nan nan nan\n");
        any |= present[m];
    }
    const bench_stat *tb = bench_teacher_at(s, d, t);
    fprintf(f, "\n\n# teacher: x, mean\n");
    if (tb->n > 0) fprintf(f, "%g %.4f\n%g %.4f\n", x0, 100 * tb->mean[sc], x1, 100 * tb->mean[sc]);
    else fprintf(f, "nan nan\n");
    int rc = close_data(f, dir, name, msg);
    if (rc != GNNKD_OK) return rc;
    if (!any) {
        empty_panel(gp);
        return GNNKD_OK;
    }

    fprintf(gp, "  set logscale x 2\n  set xrange [%g:%g]\n  set xtics (", x0, x1);
    for (int i = 0; i < g->nvalues[BENCH_AXIS_T]; i++)
        fprintf(gp, "%s'%g' %g", i ? ", " : "", g->value[BENCH_AXIS_T][i], g->value[BENCH_AXIS_T][i]);
    fprintf(gp, ")\n  set xlabel 'temperature T'\n  set ylabel 'test accuracy (%%)'\n"
                "  set key below maxrows 3\n");
    const char *sep = "  plot ";
    for (int m = 0; m < g->nmethods; m++) {
        if (!present[m]) continue;
        if (lines[m]) {
            fprintf(gp, "%s'%s' index %d using 1:2:3 with yerrorlines lc rgb '%s' pt 7 title ", sep, name, m,
                    method_color(g, m));
        } else {
            fprintf(gp, "%s'%s' index %d using 1:3:4 with filledcurves fc rgb '%s' fs transparent solid 0.2 notitle, \\\n"
                        "       '' index %d using 1:2 with lines lc rgb '%s' dt 2 title ",
                    sep, name, m, method_color(g, m), m, method_color(g, m));
        }
        gp_str(gp, title[m]);
        sep = ", \\\n       ";
    }
    if (tb->n > 0) fprintf(gp, "%s'%s' index %d using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'", sep, name, g->nmethods);
    fprintf(gp, "\n  unset logscale x\n  set xrange [*:*]\n  set xtics autofreq\n");
    return GNNKD_OK;
}

/* ---- (b) accuracy against student size ----------------------------------------- */

/* The kind of a student spec: the text before ':' ("gcn"). */
static void kind_of(char *buf, size_t len, const char *spec) {
    snprintf(buf, len, "%.*s", (int)strcspn(spec, ":"), spec);
}

/* Blocks: (kind, method) for every student kind and method (chosen
 * settings), each (params, mean, std) by size; then the teacher. Percent. */
static int size_panel(FILE *gp, const bench_summary *s, int d, int t, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    char name[64], kinds[BENCH_MAX_LIST][16], kind[16];
    int order[BENCH_MAX_LIST], nkinds = 0;
    const int sc = s->score;
    panel_title(gp, s, d, t, NULL);
    for (int st = 0; st < g->nstudents; st++) {
        kind_of(kind, sizeof kind, g->student[st]);
        int seen = 0;
        for (int k = 0; k < nkinds; k++) seen |= !strcmp(kinds[k], kind);
        if (!seen) snprintf(kinds[nkinds++], sizeof kinds[0], "%s", kind);
    }
    /* students by parameter count (of any configuration with rows) */
    long long params[BENCH_MAX_LIST];
    for (int st = 0; st < g->nstudents; st++) {
        params[st] = 0;
        for (int k = 0; k < s->nconf && params[st] == 0; k++) params[st] = bench_stat_at(s, d, t, st, k)->student_params;
        int j = st;
        while (j > 0 && params[order[j - 1]] > params[st]) {
            order[j] = order[j - 1];
            j--;
        }
        order[j] = st;
    }
    snprintf(name, sizeof name, "size_%d_%d.dat", d, t);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) return GNNKD_EIO;
    const int nblocks = nkinds * g->nmethods;
    int present[BENCH_MAX_LIST * BENCH_MAX_LIST] = {0};
    for (int kd = 0; kd < nkinds; kd++)
        for (int m = 0; m < g->nmethods; m++) {
            const int blk = kd * g->nmethods + m;
            fprintf(f, "%s# %s %s: parameters, mean, std of test accuracy (%%)\n", blk ? "\n\n" : "", kinds[kd],
                    method_name(g, m));
            for (int j = 0; j < g->nstudents; j++) {
                int st = order[j], k = bench_chosen(s, d, t, st, m);
                kind_of(kind, sizeof kind, g->student[st]);
                if (strcmp(kind, kinds[kd]) || k < 0) continue;
                const bench_stat *b = bench_stat_at(s, d, t, st, k);
                if (b->n == 0) continue;
                fprintf(f, "%lld %.4f %.4f\n", b->student_params, 100 * b->mean[sc], 100 * b->std[sc]);
                present[blk] = 1;
            }
            if (!present[blk]) fprintf(f, "nan nan nan\n");
        }
    const bench_stat *tb = bench_teacher_at(s, d, t);
    fprintf(f, "\n\n# teacher\n");
    if (tb->n > 0) fprintf(f, "%lld %.4f %.4f\n", tb->student_params, 100 * tb->mean[sc], 100 * tb->std[sc]);
    else fprintf(f, "nan nan nan\n");
    int rc = close_data(f, dir, name, msg);
    if (rc != GNNKD_OK) return rc;

    fprintf(gp, "  set logscale x 10\n  set format x '%%.0s%%c'\n  set xlabel 'parameters'\n"
                "  set ylabel 'test accuracy (%%)'\n  set key below maxrows 4\n  set offsets graph 0.1, graph 0.1, 0, 0\n");
    const char *sep = "  plot ";
    char title[128];
    for (int blk = 0; blk < nblocks; blk++) {
        if (!present[blk]) continue;
        const int kd = blk / g->nmethods, m = blk % g->nmethods;
        snprintf(title, sizeof title, "%s %s", kinds[kd], method_name(g, m));
        fprintf(gp, "%s'%s' index %d using 1:2:3 with yerrorlines lc rgb '%s' pt %d dt %d title ", sep, name, blk,
                method_color(g, m), 7 + 2 * kd, 1 + kd);
        gp_str(gp, title);
        sep = ", \\\n       ";
    }
    if (tb->n > 0) {
        fprintf(gp, "%s'%s' index %d using 1:2:3 with yerrorbars lc rgb 'black' pt 5 title ", sep, name, nblocks);
        snprintf(title, sizeof title, "teacher %s", g->teacher[t]);
        gp_str(gp, title);
        sep = ", ";
    }
    if (sep[0] == ' ') empty_panel(gp);
    else fprintf(gp, "\n");
    fprintf(gp, "  unset logscale x\n  set format x '%% h'\n  set offsets 0, 0, 0, 0\n");
    return GNNKD_OK;
}

/* ---- (c) validation curves -------------------------------------------------------- */

/* Reads the validation accuracy curve of key from curves.csv into acc (cap
 * epochs); a key that appears twice (a job rerun after a kill) keeps its last
 * curve. Returns the number of epochs found. */
static int read_curve(double *acc, int cap, const char *path, const bench_row *key) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    char *line = NULL, *field[BENCH_CURVE_FIELDS + 1];
    size_t len = 0;
    int n = 0;
    while (getline(&line, &len, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (bench_csv_split(line, field, BENCH_CURVE_FIELDS) != BENCH_CURVE_FIELDS) continue;
        if (!bench_key_matches(field, key)) continue;
        char *end;
        long epoch = strtol(field[BENCH_KEY_FIELDS], &end, 10);
        if (*end || epoch < 1 || epoch > cap) continue;
        if (epoch == 1) n = 0;
        acc[epoch - 1] = strtod(field[BENCH_KEY_FIELDS + 3], NULL);
        if (epoch > n) n = (int)epoch;
    }
    free(line);
    fclose(f);
    return n;
}

/* Blocks: the teacher, then per student and method (chosen settings):
 * (epoch, validation accuracy %). */
static int curves_panel(FILE *gp, const bench_summary *s, int d, int t, int cap, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    enum { MAX_SERIES = 1 + BENCH_MAX_LIST * BENCH_MAX_LIST };
    char name[64], path[PATH_LEN], set[96];
    static char title[MAX_SERIES][160];
    static int present[MAX_SERIES];
    const int nseries = 1 + g->nstudents * g->nmethods;
    double *acc = calloc((size_t)cap, sizeof *acc);
    if (acc == NULL) {
        util_msg(msg, "plots: out of memory");
        return GNNKD_ENOMEM;
    }
    snprintf(path, sizeof path, "%s/curves.csv", dir);
    snprintf(name, sizeof name, "curves_%d_%d.dat", d, t);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) {
        free(acc);
        return GNNKD_EIO;
    }
    int any = 0;
    for (int b = 0; b < nseries; b++) {
        bench_row key;
        int st = b ? (b - 1) / g->nmethods : 0, m = b ? (b - 1) % g->nmethods : 0;
        int k = b ? bench_chosen(s, d, t, st, m) : 0;
        int n = 0;
        if (b == 0) {
            snprintf(title[b], sizeof title[b], "teacher %s", g->teacher[t]);
            if (bench_needs_teacher(g)) {
                bench_teacher_key(&key, g, d, t, 0);
                n = read_curve(acc, cap, path, &key);
            }
        } else {
            snprintf(title[b], sizeof title[b], "%s %s", g->student[st], method_name(g, m));
            if (k >= 0) {
                if (bench_config_text(set, sizeof set, g, k)[0])
                    snprintf(title[b] + strlen(title[b]), sizeof title[b] - strlen(title[b]), " (%s)", set);
                bench_row_key(&key, g, d, t, st, k, 0);
                n = read_curve(acc, cap, path, &key);
            }
        }
        fprintf(f, "%s# %s\n", b ? "\n\n" : "", title[b]);
        for (int e = 0; e < n; e++) fprintf(f, "%d %.4f\n", e + 1, 100 * acc[e]);
        if (n == 0) fprintf(f, "nan nan\n");
        present[b] = n > 0;
        any |= present[b];
    }
    free(acc);
    int rc = close_data(f, dir, name, msg);

    panel_title(gp, s, d, t, NULL);
    fprintf(gp, "  set xlabel 'epoch'\n  set ylabel 'validation accuracy (%%)'\n  set key below maxrows 4\n");
    if (!any) {
        empty_panel(gp);
        return rc;
    }
    const char *sep = "  plot ";
    for (int b = 0; b < nseries; b++) {
        if (!present[b]) continue;
        /* a colour per method, a dash per student; the teacher thick and black */
        if (b == 0) fprintf(gp, "%s'%s' index 0 using 1:2 with lines lw 2 lc rgb 'black' title ", sep, name);
        else
            fprintf(gp, "%s'%s' index %d using 1:2 with lines lc rgb '%s' dt %d title ", sep, name, b,
                    method_color(g, (b - 1) % g->nmethods), 1 + (b - 1) / g->nmethods % 5);
        gp_str(gp, title[b]);
        sep = ", \\\n       ";
    }
    fprintf(gp, "\n");
    return rc;
}

/* ---- (d) every method side by side ----------------------------------------------- */

/* One bar per student and method at its chosen setting: (x, mean, std) of
 * the headline score in percent, a block per method (its colour), then the
 * teacher (x range, mean). */
static int method_panel(FILE *gp, const bench_summary *s, int d, int t, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    char name[64], label[160];
    const int sc = s->score;
    panel_title(gp, s, d, t, NULL);
    snprintf(name, sizeof name, "methods_%d_%d.dat", d, t);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) return GNNKD_EIO;
    int present[BENCH_MAX_LIST] = {0}, nbars = 0;
    fprintf(gp, "  set xtics rotate by -35 left (");
    for (int m = 0; m < g->nmethods; m++) {
        fprintf(f, "%s# %s: x, mean, std\n", m ? "\n\n" : "", method_name(g, m));
        for (int st = 0; st < g->nstudents; st++) {
            int k = bench_chosen(s, d, t, st, m);
            const bench_stat *b = k >= 0 ? bench_stat_at(s, d, t, st, k) : NULL;
            if (b == NULL || b->n == 0) continue;
            fprintf(f, "%d %.4f %.4f\n", nbars, 100 * b->mean[sc], 100 * b->std[sc]);
            snprintf(label, sizeof label, "%s %s", g->student[st], method_name(g, m));
            fprintf(gp, "%s", nbars ? ", " : "");
            gp_str(gp, label);
            fprintf(gp, " %d", nbars++);
            present[m] = 1;
        }
        if (!present[m]) fprintf(f, "nan nan nan\n");
    }
    fprintf(gp, ")\n");
    const bench_stat *tb = bench_teacher_at(s, d, t);
    fprintf(f, "\n\n# teacher: x, mean\n");
    if (tb->n > 0) fprintf(f, "-0.5 %.4f\n%d.5 %.4f\n", 100 * tb->mean[sc], nbars - 1, 100 * tb->mean[sc]);
    else fprintf(f, "nan nan\n");
    int rc = close_data(f, dir, name, msg);
    if (rc != GNNKD_OK) return rc;
    if (nbars == 0) {
        fprintf(gp, "  set xtics autofreq norotate\n");
        empty_panel(gp);
        return GNNKD_OK;
    }
    fprintf(gp, "  set xrange [-0.7:%d.7]\n  unset xlabel\n  set ylabel '%s (%%)'\n  set boxwidth 0.7\n"
                "  set style fill solid 0.5\n  set key below\n",
            nbars - 1, s->score == BENCH_PROD ? "test accuracy, prod" : "test accuracy");
    const char *sep = "  plot ";
    for (int m = 0; m < g->nmethods; m++) {
        if (!present[m]) continue;
        fprintf(gp, "%s'%s' index %d using 1:2:3 with boxerrorbars lc rgb '%s' notitle", sep, name, m,
                method_color(g, m));
        sep = ", \\\n       ";
    }
    if (tb->n > 0) {
        fprintf(gp, "%s'%s' index %d using 1:2 with lines lc rgb 'black' dt 3 title ", sep, name, g->nmethods);
        snprintf(label, sizeof label, "teacher %s", g->teacher[t]);
        gp_str(gp, label);
    }
    fprintf(gp, "\n  set xrange [*:*]\n  set xtics autofreq norotate\n  unset boxwidth\n"
                "  set style fill empty\n  set ylabel\n");
    return GNNKD_OK;
}

/* ---- the script ------------------------------------------------------------------- */

static int write_script(const bench_summary *s, const char *dir, int cap, char *msg) {
    const bench_grid *g = s->grid;
    char path[PATH_LEN], tmp[GNNKD_OUTPUT_STATE_LEN], title[256];
    snprintf(path, sizeof path, "%s/plots/plots.gp", dir);
    FILE *gp;
    int rc = gnnkd_output_open(&gp, tmp, path, msg);
    if (rc != GNNKD_OK) return rc;
    fprintf(gp,
            "# plots.gp — written by gnnkd bench; run `gnuplot plots.gp` in this folder.\n"
            "set encoding utf8\n"
            "pngterm = strstrt(GPVAL_TERMINALS, 'pngcairo') > 0 ? 'pngcairo' : 'png'\n"
            "terminal(fmt, w, h) = fmt eq 'svg' \\\n"
            "  ? sprintf(\"set terminal svg size %%d,%%d dynamic noenhanced font 'sans,10' background rgb 'white'\", w, h) \\\n"
            "  : pngterm eq 'pngcairo' \\\n"
            "  ? sprintf(\"set terminal pngcairo size %%d,%%d noenhanced font 'sans,10' background rgb 'white'\", w, h) \\\n"
            "  : sprintf('set terminal png size %%d,%%d noenhanced', w, h)\n"
            "set grid\n");

    const char *plural = g->seeds > 1 ? "s" : "";
    const int nt = bench_needs_teacher(g) ? s->nt : 1;
    snprintf(title, sizeof title, "Test accuracy against KD temperature (mean ± std over %d seed%s)",
             g->seeds, plural);
    figure_begin(gp, "accuracy_vs_temperature", 440 * g->nstudents, 380 * g->ndatasets * nt + 40,
                 g->ndatasets * nt, g->nstudents, title);
    for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++)
        for (int t = 0; rc == GNNKD_OK && t < nt; t++)
            for (int st = 0; rc == GNNKD_OK && st < g->nstudents; st++)
                rc = temperature_panel(gp, s, d, t, st, dir, msg);
    figure_end(gp);

    snprintf(title, sizeof title, "Test accuracy against student size (chosen settings, %d seed%s)",
             g->seeds, plural);
    figure_begin(gp, "accuracy_vs_size", 460 * g->ndatasets, 460 * nt, nt, g->ndatasets, title);
    for (int t = 0; rc == GNNKD_OK && t < nt; t++)
        for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++) rc = size_panel(gp, s, d, t, dir, msg);
    figure_end(gp);

    snprintf(title, sizeof title, "Validation accuracy per epoch, seed %ld", g->seed0);
    figure_begin(gp, "curves", 480 * g->ndatasets, 500 * nt, nt, g->ndatasets, title);
    for (int t = 0; rc == GNNKD_OK && t < nt; t++)
        for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++) rc = curves_panel(gp, s, d, t, cap, dir, msg);
    figure_end(gp);

    snprintf(title, sizeof title, "%s by student and method (chosen settings, mean ± std over %d seed%s)",
             s->score == BENCH_PROD ? "Test accuracy (prod)" : "Test accuracy", g->seeds, plural);
    figure_begin(gp, "accuracy_by_method", 120 + 60 * g->nstudents * g->nmethods, 420 * g->ndatasets * nt + 40,
                 g->ndatasets * nt, 1, title);
    for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++)
        for (int t = 0; rc == GNNKD_OK && t < nt; t++) rc = method_panel(gp, s, d, t, dir, msg);
    figure_end(gp);
    int rc2 = gnnkd_output_close(gp, tmp, path, rc == GNNKD_OK, msg);
    return rc != GNNKD_OK ? rc : rc2;
}

int bench_plots_write(const bench_summary *s, const char *dir, int cap, int *made, char *msg) {
    char pdir[PATH_LEN], log[PATH_LEN];
    *made = 0;
    snprintf(pdir, sizeof pdir, "%s/plots", dir);
    if (mkdir(pdir, 0777) != 0 && errno != EEXIST) {
        util_msg(msg, "%s: %s", pdir, strerror(errno));
        return GNNKD_EIO;
    }
    int rc = write_script(s, dir, cap, msg);
    if (rc != GNNKD_OK) return rc;

    snprintf(log, sizeof log, "%s/plots/gnuplot.log", dir);
    const char *argv[] = {"gnuplot", "plots.gp", NULL};
    int status = util_run_program(argv, pdir, log, NULL, 0);
    if (status == 127 || status < 0) {
        fprintf(stderr, "gnnkd bench: warning: could not run gnuplot, so no plots were drawn; the data "
                        "and script are in %s (install gnuplot, e.g. gnuplot-nox, and run "
                        "`gnuplot plots.gp` there)\n", pdir);
        return GNNKD_OK;
    }
    if (status != 0) {
        fprintf(stderr, "gnnkd bench: warning: gnuplot failed (exit %d), see %s\n", status, log);
        return GNNKD_OK;
    }
    /* gnuplot may succeed and still draw nothing (an unknown terminal) */
    const char *images[] = {"accuracy_vs_temperature", "accuracy_vs_size", "curves", "accuracy_by_method"};
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 2; k++) {
            char path[PATH_LEN];
            struct stat st;
            snprintf(path, sizeof path, "%s/plots/%s.%s", dir, images[i], k ? "png" : "svg");
            if (stat(path, &st) != 0 || st.st_size == 0) {
                fprintf(stderr, "gnnkd bench: warning: gnuplot did not draw %s, see %s\n", path, log);
                return GNNKD_OK;
            }
        }
    *made = 1;
    return GNNKD_OK;
}
