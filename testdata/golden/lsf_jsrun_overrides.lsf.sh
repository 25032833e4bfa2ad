#!/bin/bash
#BSUB -nnodes 2
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 01:00
#BSUB -J jsrun-overrides
#BSUB -o jsrun-overrides.%J.out
#BSUB -e jsrun-overrides.%J.err

jsrun --nrs 8 -b packed:4 -g 1 -B rs -a 2 -r 4 -c 10 ./a.out

