#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:10
#BSUB -J run-lulesh_CPT.1.TASKS.8
#BSUB -o run-lulesh_CPT.1.TASKS.8.%J.out
#BSUB -e run-lulesh_CPT.1.TASKS.8.%J.err

export OMP_NUM_THREADS=1

jsrun --nrs 8 -b rs -a 1 -r 8 -c 1 ./lulesh2.0 -s 100 -i 100 -p >& out.log

