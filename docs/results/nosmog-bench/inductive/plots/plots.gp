# plots.gp — written by gnnkd bench; run `gnuplot plots.gp` in this folder.
set encoding utf8
pngterm = strstrt(GPVAL_TERMINALS, 'pngcairo') > 0 ? 'pngcairo' : 'png'
terminal(fmt, w, h) = fmt eq 'svg' \
  ? sprintf("set terminal svg size %d,%d dynamic noenhanced font 'sans,10' background rgb 'white'", w, h) \
  : pngterm eq 'pngcairo' \
  ? sprintf("set terminal pngcairo size %d,%d noenhanced font 'sans,10' background rgb 'white'", w, h) \
  : sprintf('set terminal png size %d,%d noenhanced', w, h)
set grid

do for [fmt in 'svg png'] {
  eval terminal(fmt, 880, 1180)
  set output 'accuracy_vs_temperature.'.fmt
  set multiplot layout 3,2 title 'Test accuracy against KD temperature (mean ± std over 10 seeds)'
  set title 'cora, teacher gcn:64, student mlp:64'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_0_0_0.dat' index 0 using 1:3:4 with filledcurves fc rgb '#7f7f7f' fs transparent solid 0.2 notitle, \
       '' index 0 using 1:2 with lines lc rgb '#7f7f7f' dt 2 title 'scratch', \
       'temperature_0_0_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_0_0_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 title 'kd+position α=0.9', \
       'temperature_0_0_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 title 'kd+rsd α=0.9 rsd=1', \
       'temperature_0_0_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 title 'nosmog α=0.9 rsd=1', \
       'temperature_0_0_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  set title 'cora, teacher gcn:64, student cpf:8,128'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_0_0_1.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_0_0_1.dat' index 5 using 1:3:4 with filledcurves fc rgb '#000080' fs transparent solid 0.2 notitle, \
       '' index 5 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf', \
       'temperature_0_0_1.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  set title 'citeseer, teacher gcn:64, student mlp:64'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_1_0_0.dat' index 0 using 1:3:4 with filledcurves fc rgb '#7f7f7f' fs transparent solid 0.2 notitle, \
       '' index 0 using 1:2 with lines lc rgb '#7f7f7f' dt 2 title 'scratch', \
       'temperature_1_0_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_1_0_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 title 'kd+position α=0.9', \
       'temperature_1_0_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 title 'kd+rsd α=0.9 rsd=1', \
       'temperature_1_0_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 title 'nosmog α=0.9 rsd=3', \
       'temperature_1_0_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  set title 'citeseer, teacher gcn:64, student cpf:8,128'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_1_0_1.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_1_0_1.dat' index 5 using 1:3:4 with filledcurves fc rgb '#000080' fs transparent solid 0.2 notitle, \
       '' index 5 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf', \
       'temperature_1_0_1.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  set title 'pubmed, teacher gcn:64, student mlp:64'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_2_0_0.dat' index 0 using 1:3:4 with filledcurves fc rgb '#7f7f7f' fs transparent solid 0.2 notitle, \
       '' index 0 using 1:2 with lines lc rgb '#7f7f7f' dt 2 title 'scratch', \
       'temperature_2_0_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_2_0_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 title 'kd+position α=0.9', \
       'temperature_2_0_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 title 'kd+rsd α=0.9 rsd=1', \
       'temperature_2_0_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 title 'nosmog α=0.9 rsd=1', \
       'temperature_2_0_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  set title 'pubmed, teacher gcn:64, student cpf:8,128'
  set logscale x 2
  set xrange [0.8:1.25]
  set xtics ('1' 1)
  set xlabel 'temperature T'
  set ylabel 'test accuracy (%)'
  set key below maxrows 3
  plot 'temperature_2_0_1.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 title 'kd α=0.9', \
       'temperature_2_0_1.dat' index 5 using 1:3:4 with filledcurves fc rgb '#000080' fs transparent solid 0.2 notitle, \
       '' index 5 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf', \
       'temperature_2_0_1.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher'
  unset logscale x
  set xrange [*:*]
  set xtics autofreq
  unset multiplot
  set output
}

do for [fmt in 'svg png'] {
  eval terminal(fmt, 1380, 460)
  set output 'accuracy_vs_size.'.fmt
  set multiplot layout 1,3 title 'Test accuracy against student size (chosen settings, 10 seeds)'
  set title 'cora, teacher gcn:64'
  set logscale x 10
  set format x '%.0s%c'
  set xlabel 'parameters'
  set ylabel 'test accuracy (%)'
  set key below maxrows 4
  set offsets graph 0.1, graph 0.1, 0, 0
  plot 'size_0_0.dat' index 0 using 1:2:3 with yerrorlines lc rgb '#7f7f7f' pt 7 dt 1 title 'mlp scratch', \
       'size_0_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 dt 1 title 'mlp kd', \
       'size_0_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 dt 1 title 'mlp kd+position', \
       'size_0_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 dt 1 title 'mlp kd+rsd', \
       'size_0_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 dt 1 title 'mlp nosmog', \
       'size_0_0.dat' index 7 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 9 dt 2 title 'cpf kd', \
       'size_0_0.dat' index 11 using 1:2:3 with yerrorlines lc rgb '#000080' pt 9 dt 2 title 'cpf cpf', \
       'size_0_0.dat' index 12 using 1:2:3 with yerrorbars lc rgb 'black' pt 5 title 'teacher gcn:64'
  unset logscale x
  set format x '% h'
  set offsets 0, 0, 0, 0
  set title 'citeseer, teacher gcn:64'
  set logscale x 10
  set format x '%.0s%c'
  set xlabel 'parameters'
  set ylabel 'test accuracy (%)'
  set key below maxrows 4
  set offsets graph 0.1, graph 0.1, 0, 0
  plot 'size_1_0.dat' index 0 using 1:2:3 with yerrorlines lc rgb '#7f7f7f' pt 7 dt 1 title 'mlp scratch', \
       'size_1_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 dt 1 title 'mlp kd', \
       'size_1_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 dt 1 title 'mlp kd+position', \
       'size_1_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 dt 1 title 'mlp kd+rsd', \
       'size_1_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 dt 1 title 'mlp nosmog', \
       'size_1_0.dat' index 7 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 9 dt 2 title 'cpf kd', \
       'size_1_0.dat' index 11 using 1:2:3 with yerrorlines lc rgb '#000080' pt 9 dt 2 title 'cpf cpf', \
       'size_1_0.dat' index 12 using 1:2:3 with yerrorbars lc rgb 'black' pt 5 title 'teacher gcn:64'
  unset logscale x
  set format x '% h'
  set offsets 0, 0, 0, 0
  set title 'pubmed, teacher gcn:64'
  set logscale x 10
  set format x '%.0s%c'
  set xlabel 'parameters'
  set ylabel 'test accuracy (%)'
  set key below maxrows 4
  set offsets graph 0.1, graph 0.1, 0, 0
  plot 'size_2_0.dat' index 0 using 1:2:3 with yerrorlines lc rgb '#7f7f7f' pt 7 dt 1 title 'mlp scratch', \
       'size_2_0.dat' index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 7 dt 1 title 'mlp kd', \
       'size_2_0.dat' index 2 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' pt 7 dt 1 title 'mlp kd+position', \
       'size_2_0.dat' index 3 using 1:2:3 with yerrorlines lc rgb '#8c564b' pt 7 dt 1 title 'mlp kd+rsd', \
       'size_2_0.dat' index 4 using 1:2:3 with yerrorlines lc rgb '#bcbd22' pt 7 dt 1 title 'mlp nosmog', \
       'size_2_0.dat' index 7 using 1:2:3 with yerrorlines lc rgb '#d62728' pt 9 dt 2 title 'cpf kd', \
       'size_2_0.dat' index 11 using 1:2:3 with yerrorlines lc rgb '#000080' pt 9 dt 2 title 'cpf cpf', \
       'size_2_0.dat' index 12 using 1:2:3 with yerrorbars lc rgb 'black' pt 5 title 'teacher gcn:64'
  unset logscale x
  set format x '% h'
  set offsets 0, 0, 0, 0
  unset multiplot
  set output
}

do for [fmt in 'svg png'] {
  eval terminal(fmt, 1440, 500)
  set output 'curves.'.fmt
  set multiplot layout 1,3 title 'Validation accuracy per epoch, seed 0'
  set title 'cora, teacher gcn:64'
  set xlabel 'epoch'
  set ylabel 'validation accuracy (%)'
  set key below maxrows 4
  plot 'curves_0_0.dat' index 0 using 1:2 with lines lw 2 lc rgb 'black' title 'teacher gcn:64', \
       'curves_0_0.dat' index 1 using 1:2 with lines lc rgb '#7f7f7f' dt 1 title 'mlp:64 scratch', \
       'curves_0_0.dat' index 2 using 1:2 with lines lc rgb '#d62728' dt 1 title 'mlp:64 kd (T=1, α=0.9)', \
       'curves_0_0.dat' index 3 using 1:2 with lines lc rgb '#ff7f0e' dt 1 title 'mlp:64 kd+position (T=1, α=0.9)', \
       'curves_0_0.dat' index 4 using 1:2 with lines lc rgb '#8c564b' dt 1 title 'mlp:64 kd+rsd (T=1, α=0.9, rsd=1)', \
       'curves_0_0.dat' index 5 using 1:2 with lines lc rgb '#bcbd22' dt 1 title 'mlp:64 nosmog (T=1, α=0.9, rsd=1)', \
       'curves_0_0.dat' index 8 using 1:2 with lines lc rgb '#d62728' dt 2 title 'cpf:8,128 kd (T=1, α=0.9)', \
       'curves_0_0.dat' index 12 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf:8,128 cpf'
  set title 'citeseer, teacher gcn:64'
  set xlabel 'epoch'
  set ylabel 'validation accuracy (%)'
  set key below maxrows 4
  plot 'curves_1_0.dat' index 0 using 1:2 with lines lw 2 lc rgb 'black' title 'teacher gcn:64', \
       'curves_1_0.dat' index 1 using 1:2 with lines lc rgb '#7f7f7f' dt 1 title 'mlp:64 scratch', \
       'curves_1_0.dat' index 2 using 1:2 with lines lc rgb '#d62728' dt 1 title 'mlp:64 kd (T=1, α=0.9)', \
       'curves_1_0.dat' index 3 using 1:2 with lines lc rgb '#ff7f0e' dt 1 title 'mlp:64 kd+position (T=1, α=0.9)', \
       'curves_1_0.dat' index 4 using 1:2 with lines lc rgb '#8c564b' dt 1 title 'mlp:64 kd+rsd (T=1, α=0.9, rsd=1)', \
       'curves_1_0.dat' index 5 using 1:2 with lines lc rgb '#bcbd22' dt 1 title 'mlp:64 nosmog (T=1, α=0.9, rsd=3)', \
       'curves_1_0.dat' index 8 using 1:2 with lines lc rgb '#d62728' dt 2 title 'cpf:8,128 kd (T=1, α=0.9)', \
       'curves_1_0.dat' index 12 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf:8,128 cpf'
  set title 'pubmed, teacher gcn:64'
  set xlabel 'epoch'
  set ylabel 'validation accuracy (%)'
  set key below maxrows 4
  plot 'curves_2_0.dat' index 0 using 1:2 with lines lw 2 lc rgb 'black' title 'teacher gcn:64', \
       'curves_2_0.dat' index 1 using 1:2 with lines lc rgb '#7f7f7f' dt 1 title 'mlp:64 scratch', \
       'curves_2_0.dat' index 2 using 1:2 with lines lc rgb '#d62728' dt 1 title 'mlp:64 kd (T=1, α=0.9)', \
       'curves_2_0.dat' index 3 using 1:2 with lines lc rgb '#ff7f0e' dt 1 title 'mlp:64 kd+position (T=1, α=0.9)', \
       'curves_2_0.dat' index 4 using 1:2 with lines lc rgb '#8c564b' dt 1 title 'mlp:64 kd+rsd (T=1, α=0.9, rsd=1)', \
       'curves_2_0.dat' index 5 using 1:2 with lines lc rgb '#bcbd22' dt 1 title 'mlp:64 nosmog (T=1, α=0.9, rsd=1)', \
       'curves_2_0.dat' index 8 using 1:2 with lines lc rgb '#d62728' dt 2 title 'cpf:8,128 kd (T=1, α=0.9)', \
       'curves_2_0.dat' index 12 using 1:2 with lines lc rgb '#000080' dt 2 title 'cpf:8,128 cpf'
  unset multiplot
  set output
}

do for [fmt in 'svg png'] {
  eval terminal(fmt, 840, 1300)
  set output 'accuracy_by_method.'.fmt
  set multiplot layout 3,1 title 'Test accuracy (prod) by student and method (chosen settings, mean ± std over 10 seeds)'
  set title 'cora, teacher gcn:64'
  set xtics rotate by -35 left ('mlp:64 scratch' 0, 'mlp:64 kd' 1, 'cpf:8,128 kd' 2, 'mlp:64 kd+position' 3, 'mlp:64 kd+rsd' 4, 'mlp:64 nosmog' 5, 'cpf:8,128 cpf' 6)
  set xrange [-0.7:6.7]
  unset xlabel
  set ylabel 'test accuracy, prod (%)'
  set boxwidth 0.7
  set style fill solid 0.5
  set key below
  plot 'methods_0_0.dat' index 0 using 1:2:3 with boxerrorbars lc rgb '#7f7f7f' notitle, \
       'methods_0_0.dat' index 1 using 1:2:3 with boxerrorbars lc rgb '#d62728' notitle, \
       'methods_0_0.dat' index 2 using 1:2:3 with boxerrorbars lc rgb '#ff7f0e' notitle, \
       'methods_0_0.dat' index 3 using 1:2:3 with boxerrorbars lc rgb '#8c564b' notitle, \
       'methods_0_0.dat' index 4 using 1:2:3 with boxerrorbars lc rgb '#bcbd22' notitle, \
       'methods_0_0.dat' index 5 using 1:2:3 with boxerrorbars lc rgb '#000080' notitle, \
       'methods_0_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher gcn:64'
  set xrange [*:*]
  set xtics autofreq norotate
  unset boxwidth
  set style fill empty
  set ylabel
  set title 'citeseer, teacher gcn:64'
  set xtics rotate by -35 left ('mlp:64 scratch' 0, 'mlp:64 kd' 1, 'cpf:8,128 kd' 2, 'mlp:64 kd+position' 3, 'mlp:64 kd+rsd' 4, 'mlp:64 nosmog' 5, 'cpf:8,128 cpf' 6)
  set xrange [-0.7:6.7]
  unset xlabel
  set ylabel 'test accuracy, prod (%)'
  set boxwidth 0.7
  set style fill solid 0.5
  set key below
  plot 'methods_1_0.dat' index 0 using 1:2:3 with boxerrorbars lc rgb '#7f7f7f' notitle, \
       'methods_1_0.dat' index 1 using 1:2:3 with boxerrorbars lc rgb '#d62728' notitle, \
       'methods_1_0.dat' index 2 using 1:2:3 with boxerrorbars lc rgb '#ff7f0e' notitle, \
       'methods_1_0.dat' index 3 using 1:2:3 with boxerrorbars lc rgb '#8c564b' notitle, \
       'methods_1_0.dat' index 4 using 1:2:3 with boxerrorbars lc rgb '#bcbd22' notitle, \
       'methods_1_0.dat' index 5 using 1:2:3 with boxerrorbars lc rgb '#000080' notitle, \
       'methods_1_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher gcn:64'
  set xrange [*:*]
  set xtics autofreq norotate
  unset boxwidth
  set style fill empty
  set ylabel
  set title 'pubmed, teacher gcn:64'
  set xtics rotate by -35 left ('mlp:64 scratch' 0, 'mlp:64 kd' 1, 'cpf:8,128 kd' 2, 'mlp:64 kd+position' 3, 'mlp:64 kd+rsd' 4, 'mlp:64 nosmog' 5, 'cpf:8,128 cpf' 6)
  set xrange [-0.7:6.7]
  unset xlabel
  set ylabel 'test accuracy, prod (%)'
  set boxwidth 0.7
  set style fill solid 0.5
  set key below
  plot 'methods_2_0.dat' index 0 using 1:2:3 with boxerrorbars lc rgb '#7f7f7f' notitle, \
       'methods_2_0.dat' index 1 using 1:2:3 with boxerrorbars lc rgb '#d62728' notitle, \
       'methods_2_0.dat' index 2 using 1:2:3 with boxerrorbars lc rgb '#ff7f0e' notitle, \
       'methods_2_0.dat' index 3 using 1:2:3 with boxerrorbars lc rgb '#8c564b' notitle, \
       'methods_2_0.dat' index 4 using 1:2:3 with boxerrorbars lc rgb '#bcbd22' notitle, \
       'methods_2_0.dat' index 5 using 1:2:3 with boxerrorbars lc rgb '#000080' notitle, \
       'methods_2_0.dat' index 6 using 1:2 with lines lc rgb 'black' dt 3 title 'teacher gcn:64'
  set xrange [*:*]
  set xtics autofreq norotate
  unset boxwidth
  set style fill empty
  set ylabel
  unset multiplot
  set output
}
