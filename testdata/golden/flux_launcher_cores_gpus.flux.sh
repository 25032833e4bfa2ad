#!/bin/bash
#flux: -N 1
#flux: -n 4
#flux: -c 2
#flux: -g 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-cores-gpus
#flux: --output=fl-cores-gpus.out
#flux: --error=fl-cores-gpus.err

flux run -n 4 -N 1 -c 2 -g 1 ./a.out

