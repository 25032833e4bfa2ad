#!/bin/bash
#BSUB -nnodes 2
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 
#BSUB -J jsrun-brackets
#BSUB -o jsrun-brackets.%J.out
#BSUB -e jsrun-brackets.%J.err

jsrun --nrs 2 -b rs -a 1 -r 1 -c 2 ./a.out
jsrun --nrs 3 -b rs -a 1 -r 1 -c 2 ./b.out
jsrun --nrs 4 -b rs -a 1 -r 1 -c 2 ./c.out

