/* bench_plots.h — the plots of a run, drawn by gnuplot from its summary
 * (bench_plots.c). */
#ifndef GNNKD_BENCH_PLOTS_H
#define GNNKD_BENCH_PLOTS_H

#include "bench_summary.h"

/* Writes the plots' data and gnuplot script into dir/plots and runs gnuplot
 * there. A missing or failing gnuplot is a warning on stderr, not an error:
 * *made is set to 1 only if the images were drawn. Errors are I/O errors.
 * cap: the longest training in epochs (the curves' length). */
int bench_plots_write(const bench_summary *s, const char *dir, int cap, int *made, char *msg);

#endif
