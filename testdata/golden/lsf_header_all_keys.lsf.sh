#!/bin/bash
#BSUB -nnodes 2
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 02:30
#BSUB -J lsf-all
#BSUB -o lsf-all.%J.out
#BSUB -U dat_lsf
#BSUB -e lsf-all.%J.err

jsrun --nrs 8 -b rs -a 1 -r 1 -c 1 ./a.out

