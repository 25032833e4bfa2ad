#!/bin/bash
#flux: -N 3
#flux: -n 6
#flux: -g 2
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=flux-batch
#flux: --output=flux-batch.out
#flux: --error=flux-batch.err

flux run -n 6 -N 3 -c 1 -g 2 ./a.out

