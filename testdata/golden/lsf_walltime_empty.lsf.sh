#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 
#BSUB -J no-walltime
#BSUB -o no-walltime.%J.out
#BSUB -e no-walltime.%J.err

./a.out

