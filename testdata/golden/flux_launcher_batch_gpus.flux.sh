#!/bin/bash
#flux: -N 1
#flux: -n 4
#flux: -g 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-batch-gpus
#flux: --output=fl-batch-gpus.out
#flux: --error=fl-batch-gpus.err

flux run -n 4 -N 1 -c 1 -g 4 ./a.out

