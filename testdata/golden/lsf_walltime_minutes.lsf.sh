#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 10
#BSUB -J make-lulesh
#BSUB -o make-lulesh.%J.out
#BSUB -e make-lulesh.%J.err

make

