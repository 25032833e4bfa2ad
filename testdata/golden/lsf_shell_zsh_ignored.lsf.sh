#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 
#BSUB -J zsh
#BSUB -o zsh.%J.out
#BSUB -e zsh.%J.err

jsrun --nrs 2 -b rs -a 1 -r 1 -c 1 ./a.out

