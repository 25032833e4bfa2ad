#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 12:45
#BSUB -J hhmmss
#BSUB -o hhmmss.%J.out
#BSUB -e hhmmss.%J.err

./a.out

