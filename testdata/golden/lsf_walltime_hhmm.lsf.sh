#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:10
#BSUB -J hhmm
#BSUB -o hhmm.%J.out
#BSUB -e hhmm.%J.err

./a.out

