#!/bin/bash
#BSUB -nnodes 4
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:20
#BSUB -J batch-nodes
#BSUB -o batch-nodes.%J.out
#BSUB -e batch-nodes.%J.err

jsrun --nrs 4 -b rs -a 1 -r 1 -c 1 ./a.out

