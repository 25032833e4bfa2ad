#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:10
#BSUB -J lsf-res-step
#BSUB -o lsf-res-step.%J.out
#BSUB -U step_res
#BSUB -e lsf-res-step.%J.err

./a.out

