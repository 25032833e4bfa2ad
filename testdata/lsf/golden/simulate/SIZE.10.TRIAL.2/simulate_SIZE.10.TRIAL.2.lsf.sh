#!/bin/bash
#BSUB -nnodes 1
#BSUB -q pdebug
#BSUB -G wbronze
#BSUB -W 00:05
#BSUB -J simulate_SIZE.10.TRIAL.2
#BSUB -o simulate_SIZE.10.TRIAL.2.%J.out
#BSUB -e simulate_SIZE.10.TRIAL.2.%J.err

jsrun --nrs 1 -b rs -a 1 -r 1 -c 1 echo "size 10 trial 2 with $(cat /STUDY/setup/input.cfg)" > result.SIZE.10.TRIAL.2.txt

