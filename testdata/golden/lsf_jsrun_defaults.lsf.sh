#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:10
#BSUB -J jsrun-defaults
#BSUB -o jsrun-defaults.%J.out
#BSUB -e jsrun-defaults.%J.err

jsrun --nrs 4 -b rs -a 1 -r 1 -c 1 ./a.out

