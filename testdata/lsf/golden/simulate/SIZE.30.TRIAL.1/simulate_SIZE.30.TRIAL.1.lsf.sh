#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:05
#BSUB -J simulate_SIZE.30.TRIAL.1
#BSUB -o simulate_SIZE.30.TRIAL.1.%J.out
#BSUB -e simulate_SIZE.30.TRIAL.1.%J.err

jsrun --nrs 1 -b rs -a 1 -r 1 -c 1 echo "size 30 trial 1 with $(cat /STUDY/setup/input.cfg)" > result.SIZE.30.TRIAL.1.txt

