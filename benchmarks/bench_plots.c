/* bench_plots.c — the benchmark's plots: data files and one gnuplot script
 * in <out>/plots, drawn as SVG and PNG by running gnuplot there. The script
 * stays behind so that a figure can be restyled without rerunning anything.
 *   accuracy_vs_temperature  KD's test accuracy against T (at the chosen
 *                            alpha), scratch and compression as bands
 *   accuracy_vs_size         test accuracy against student parameters
 *   curves                   validation accuracy per epoch, first seed */
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
    fprintf(gp, "  set label 1 'no data' at graph 0.5,0.5 center\n"
                "  plot [0:1][0:1] 2 notitle\n  unset label 1\n");
}

/* ---- (a) accuracy against temperature ---------------------------------------- */

/* Blocks: 0 KD (T, mean, std); 1 scratch, 2 compression, 3 teacher as
 * (x, mean, lo, hi) at both ends of the x range. Percent. */
static int temperature_panel(FILE *gp, const bench_summary *s, int d, int st, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    char name[64];
    int kd = bench_chosen(s, d, st, GNNKD_METHOD_KD), cp = bench_chosen(s, d, st, GNNKD_METHOD_COMPRESS);
    const bench_stat *sc = bench_stat_at(s, d, st, 0);
    fprintf(gp, "  set title ");
    char title[256];
    snprintf(title, sizeof title, "%s, student %s", g->dataset[d], g->student[st]);
    gp_str(gp, title);
    fprintf(gp, "\n");
    if (kd < 0) {
        empty_panel(gp);
        return GNNKD_OK;
    }
    gnnkd_method method;
    int ti, ai;
    bench_config(g, kd, &method, &ti, &ai);
    double tmin = g->temp[0], tmax = g->temp[0];
    for (int t = 1; t < g->ntemps; t++) {
        if (g->temp[t] < tmin) tmin = g->temp[t];
        if (g->temp[t] > tmax) tmax = g->temp[t];
    }
    double x0 = tmin / 1.25, x1 = tmax * 1.25;

    snprintf(name, sizeof name, "temperature_%d_%d.dat", d, st);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) return GNNKD_EIO;
    fprintf(f, "# KD at alpha=%g: T, mean, std of test accuracy (%%)\n", g->alpha[ai]);
    for (int t = 0; t < g->ntemps; t++) {
        const bench_stat *b = bench_stat_at(s, d, st, 1 + t * g->nalphas + ai);
        if (b->n > 0) fprintf(f, "%g %.4f %.4f\n", g->temp[t], 100 * b->test_mean, 100 * b->test_std);
    }
    const bench_stat *band[2] = {sc, cp >= 0 ? bench_stat_at(s, d, st, cp) : NULL};
    const char *what[2] = {"scratch", "compression"};
    for (int k = 0; k < 2; k++) {
        fprintf(f, "\n\n# %s: x, mean, mean - std, mean + std\n", what[k]);
        const bench_stat *b = band[k];
        if (b == NULL || b->n == 0) {
            fprintf(f, "nan nan nan nan\n");
            continue;
        }
        for (int e = 0; e < 2; e++)
            fprintf(f, "%g %.4f %.4f %.4f\n", e ? x1 : x0, 100 * b->test_mean,
                    100 * (b->test_mean - b->test_std), 100 * (b->test_mean + b->test_std));
    }
    fprintf(f, "\n\n# teacher: x, mean\n%g %.4f\n%g %.4f\n", x0, 100 * s->teacher_mean[d], x1,
            100 * s->teacher_mean[d]);
    int rc = close_data(f, dir, name, msg);
    if (rc != GNNKD_OK) return rc;

    fprintf(gp, "  set logscale x 2\n  set xrange [%g:%g]\n  set xtics (", x0, x1);
    for (int t = 0; t < g->ntemps; t++) fprintf(gp, "%s'%g' %g", t ? ", " : "", g->temp[t], g->temp[t]);
    fprintf(gp, ")\n  set xlabel 'temperature T'\n  set ylabel 'test accuracy (%%)'\n"
                "  set key below maxrows 2\n  plot ");
    if (sc->n > 0)
        fprintf(gp, "'%s' index 1 using 1:3:4 with filledcurves fc rgb '#7f7f7f' fs transparent solid 0.2 notitle, \\\n"
                    "       '' index 1 using 1:2 with lines lc rgb '#7f7f7f' dt 2 title 'scratch', \\\n       ",
                name);
    if (cp >= 0) {
        int cti, cai;
        bench_config(g, cp, &method, &cti, &cai);
        fprintf(gp, "'%s' index 2 using 1:3:4 with filledcurves fc rgb '#2ca02c' fs transparent solid 0.2 notitle, \\\n"
                    "       '' index 2 using 1:2 with lines lc rgb '#2ca02c' dt 4 title 'compression α=%g', \\\n       ",
                name, g->alpha[cai]);
    }
    fprintf(gp, "'%s' index 3 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher', \\\n"
                "       '' index 0 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'KD α=%g'\n"
                "  unset logscale x\n  set xrange [*:*]\n  set xtics autofreq\n",
            name, g->alpha[ai]);
    return GNNKD_OK;
}

/* ---- (b) accuracy against student size ----------------------------------------- */

static const char *METHOD_COLOR[3] = {"#7f7f7f", "#d62728", "#2ca02c"};
static const char *METHOD_TITLE[3] = {"scratch", "KD", "compression"};

/* Blocks: (kind, method) for kind gcn, mlp and method scratch, KD,
 * compression (chosen settings), each (params, mean, std) by size; then the
 * teacher. Percent. */
static int size_panel(FILE *gp, const bench_summary *s, int d, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    char name[64];
    int order[BENCH_MAX_LIST], present[6] = {0};
    fprintf(gp, "  set title ");
    gp_str(gp, g->dataset[d]);
    fprintf(gp, "\n");

    /* students by parameter count */
    for (int st = 0; st < g->nstudents; st++) {
        int k = st;
        long long p = bench_stat_at(s, d, st, 0)->student_params;
        while (k > 0 && bench_stat_at(s, d, order[k - 1], 0)->student_params > p) {
            order[k] = order[k - 1];
            k--;
        }
        order[k] = st;
    }
    snprintf(name, sizeof name, "size_%d.dat", d);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) return GNNKD_EIO;
    for (int kind = 0; kind < 2; kind++)
        for (int m = 0; m < 3; m++) {
            fprintf(f, "%s# %s %s: parameters, mean, std of test accuracy (%%)\n",
                    kind || m ? "\n\n" : "", kind ? "mlp" : "gcn", METHOD_TITLE[m]);
            for (int j = 0; j < g->nstudents; j++) {
                int st = order[j], k = bench_chosen(s, d, st, (gnnkd_method)m);
                if (strncmp(g->student[st], kind ? "mlp" : "gcn", 3) || k < 0) continue;
                const bench_stat *b = bench_stat_at(s, d, st, k);
                if (b->n == 0) continue;
                fprintf(f, "%lld %.4f %.4f\n", b->student_params, 100 * b->test_mean, 100 * b->test_std);
                present[kind * 3 + m] = 1;
            }
            if (!present[kind * 3 + m]) fprintf(f, "nan nan nan\n");
        }
    fprintf(f, "\n\n# teacher %s\n%lld %.4f %.4f\n", g->teacher, s->teacher_params[d],
            100 * s->teacher_mean[d], 100 * s->teacher_std[d]);
    int rc = close_data(f, dir, name, msg);
    if (rc != GNNKD_OK) return rc;

    fprintf(gp, "  set logscale x 10\n  set format x '%%.0s%%c'\n  set xlabel 'parameters'\n"
                "  set ylabel 'test accuracy (%%)'\n  set key below maxrows 4\n  set offsets graph 0.1, graph 0.1, 0, 0\n"
                "  plot ");
    for (int b = 0; b < 6; b++) {
        if (!present[b]) continue;
        fprintf(gp, "'%s' index %d using 1:2:3 with yerrorlines lc rgb '%s' pt %d dt %d title '%s %s', \\\n       ",
                name, b, METHOD_COLOR[b % 3], b < 3 ? 7 : 9, b < 3 ? 1 : 2, b < 3 ? "GCN" : "MLP",
                METHOD_TITLE[b % 3]);
    }
    fprintf(gp, "'%s' index 6 using 1:2:3 with yerrorbars lc rgb 'black' pt 5 title ", name);
    char title[128];
    snprintf(title, sizeof title, "teacher %s", g->teacher);
    gp_str(gp, title);
    fprintf(gp, "\n  unset logscale x\n  set format x '%% h'\n  set offsets 0, 0, 0, 0\n");
    return GNNKD_OK;
}

/* ---- (c) validation curves -------------------------------------------------------- */

/* Reads the validation accuracy curve of key from curves.csv into acc (cap
 * epochs); a key that appears twice (a job rerun after a kill) keeps its last
 * curve. Returns the number of epochs found. */
static int read_curve(double *acc, int cap, const char *path, const bench_row *key) {
    FILE *f = fopen(path, "r");
    if (f == NULL) return 0;
    char *line = NULL, *field[14];
    size_t len = 0;
    int n = 0;
    while (getline(&line, &len, f) > 0) {
        line[strcspn(line, "\r\n")] = '\0';
        if (bench_csv_split(line, field, 13) != 13) continue;
        char *end;
        long seed = strtol(field[7], &end, 10);
        if (*end || seed != key->seed || strcmp(field[0], key->dataset) || strcmp(field[1], key->teacher) ||
            strcmp(field[2], key->student) || strcmp(field[3], key->method) || strcmp(field[4], key->T) ||
            strcmp(field[5], key->alpha) || strcmp(field[6], key->transfer))
            continue;
        long epoch = strtol(field[8], &end, 10);
        if (*end || epoch < 1 || epoch > cap) continue;
        if (epoch == 1) n = 0;
        acc[epoch - 1] = strtod(field[11], NULL);
        if (epoch > n) n = (int)epoch;
    }
    free(line);
    fclose(f);
    return n;
}

/* Blocks: the teacher, then per student scratch, KD and compression (chosen
 * settings): (epoch, validation accuracy %). */
static int curves_panel(FILE *gp, const bench_summary *s, int d, const char *dir, char *msg) {
    const bench_grid *g = s->grid;
    enum { MAX_SERIES = 1 + 3 * BENCH_MAX_LIST };
    char name[64], path[PATH_LEN], title[MAX_SERIES][160], set[64];
    int present[MAX_SERIES] = {0};
    const int nseries = 1 + 3 * g->nstudents;
    gnnkd_train_options o;
    gnnkd_train_options_default(&o); /* the teacher's epochs */
    const int cap = o.epochs > g->epochs ? o.epochs : g->epochs;
    double *acc = calloc((size_t)cap, sizeof *acc);
    if (acc == NULL) {
        util_msg(msg, "plots: out of memory");
        return GNNKD_ENOMEM;
    }
    snprintf(path, sizeof path, "%s/curves.csv", dir);
    snprintf(name, sizeof name, "curves_%d.dat", d);
    FILE *f = open_data(dir, name, msg);
    if (f == NULL) {
        free(acc);
        return GNNKD_EIO;
    }
    int any = 0;
    for (int b = 0; b < nseries; b++) {
        bench_row key;
        int st = b ? (b - 1) / 3 : 0, m = b ? (b - 1) % 3 : 0;
        int k = b ? bench_chosen(s, d, st, (gnnkd_method)m) : 0;
        bench_row_key(&key, g, d, st, k < 0 ? 0 : k, 0);
        if (b == 0) {
            snprintf(key.student, sizeof key.student, "%s", g->teacher);
            snprintf(key.method, sizeof key.method, "teacher");
            snprintf(title[b], sizeof title[b], "teacher %s", g->teacher);
        } else {
            set[0] = '\0';
            if (m > 0 && k >= 0) {
                gnnkd_method method;
                int ti, ai;
                bench_config(g, k, &method, &ti, &ai);
                if (ti >= 0) snprintf(set, sizeof set, " (T=%g, α=%g)", g->temp[ti], g->alpha[ai]);
                else snprintf(set, sizeof set, " (α=%g)", g->alpha[ai]);
            }
            snprintf(title[b], sizeof title[b], "%s %s%s", g->student[st], METHOD_TITLE[m], set);
        }
        int n = k < 0 ? 0 : read_curve(acc, cap, path, &key);
        fprintf(f, "%s# %s\n", b ? "\n\n" : "", title[b]);
        for (int e = 0; e < n; e++) fprintf(f, "%d %.4f\n", e + 1, 100 * acc[e]);
        if (n == 0) fprintf(f, "nan nan\n");
        present[b] = n > 0;
        any |= present[b];
    }
    free(acc);
    int rc = close_data(f, dir, name, msg);

    fprintf(gp, "  set title ");
    gp_str(gp, g->dataset[d]);
    fprintf(gp, "\n  set xlabel 'epoch'\n  set ylabel 'validation accuracy (%%)'\n  set key below maxrows 4\n");
    if (!any) {
        empty_panel(gp);
        return rc;
    }
    const char *sep = "  plot ";
    for (int b = 0; b < nseries; b++) {
        if (!present[b]) continue;
        /* a colour per student, a dash per method; the teacher thick and black */
        if (b == 0) fprintf(gp, "%s'%s' index 0 using 1:2 with lines lw 2 lc rgb 'black' title ", sep, name);
        else
            fprintf(gp, "%s'%s' index %d using 1:2 with lines lt %d dt %d title ", sep, name, b,
                    1 + (b - 1) / 3, (b - 1) % 3 == 0 ? 3 : (b - 1) % 3 == 1 ? 1 : 2);
        gp_str(gp, title[b]);
        sep = ", \\\n       ";
    }
    fprintf(gp, "\n");
    return rc;
}

/* ---- the script ------------------------------------------------------------------- */

static int write_script(const bench_summary *s, const char *dir, char *msg) {
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
    snprintf(title, sizeof title, "Test accuracy against KD temperature (mean ± std over %d seed%s)",
             g->seeds, plural);
    figure_begin(gp, "accuracy_vs_temperature", 440 * g->nstudents, 380 * g->ndatasets + 40,
                 g->ndatasets, g->nstudents, title);
    for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++)
        for (int st = 0; rc == GNNKD_OK && st < g->nstudents; st++) rc = temperature_panel(gp, s, d, st, dir, msg);
    figure_end(gp);

    snprintf(title, sizeof title, "Test accuracy against student size (chosen settings, %d seed%s)",
             g->seeds, plural);
    figure_begin(gp, "accuracy_vs_size", 460 * g->ndatasets, 460, 1, g->ndatasets, title);
    for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++) rc = size_panel(gp, s, d, dir, msg);
    figure_end(gp);

    snprintf(title, sizeof title, "Validation accuracy per epoch, seed %ld", g->seed0);
    figure_begin(gp, "curves", 480 * g->ndatasets, 500, 1, g->ndatasets, title);
    for (int d = 0; rc == GNNKD_OK && d < g->ndatasets; d++) rc = curves_panel(gp, s, d, dir, msg);
    figure_end(gp);
    int rc2 = gnnkd_output_close(gp, tmp, path, rc == GNNKD_OK, msg);
    return rc != GNNKD_OK ? rc : rc2;
}

int bench_plots_write(const bench_summary *s, const char *dir, int *made, char *msg) {
    char pdir[PATH_LEN], log[PATH_LEN];
    *made = 0;
    snprintf(pdir, sizeof pdir, "%s/plots", dir);
    if (mkdir(pdir, 0777) != 0 && errno != EEXIST) {
        util_msg(msg, "%s: %s", pdir, strerror(errno));
        return GNNKD_EIO;
    }
    int rc = write_script(s, dir, msg);
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
    const char *images[] = {"accuracy_vs_temperature", "accuracy_vs_size", "curves"};
    for (int i = 0; i < 3; i++)
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
