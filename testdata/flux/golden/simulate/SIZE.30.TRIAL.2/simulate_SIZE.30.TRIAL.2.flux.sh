#!/bin/bash
#flux: -N 1
#flux: -n 1
#flux: -t 300s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=simulate_SIZE.30.TRIAL.2
#flux: --output=simulate_SIZE.30.TRIAL.2.out
#flux: --error=simulate_SIZE.30.TRIAL.2.err

flux run -n 1 -N 1 -c 1 echo "size 30 trial 2 with $(cat /STUDY/setup/input.cfg)" > result.SIZE.30.TRIAL.2.txt

