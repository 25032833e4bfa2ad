#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 
#BSUB -J jsrun-gpus-zero
#BSUB -o jsrun-gpus-zero.%J.out
#BSUB -e jsrun-gpus-zero.%J.err

jsrun --nrs 2 -b rs -a 1 -r 1 -c 1 ./a.out

