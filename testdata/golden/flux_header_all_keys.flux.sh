#!/bin/bash
#flux: -N 2
#flux: -n 8
#flux: -c 4
#flux: -g 1
#flux: -t 3600s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=flux-all
#flux: --output=flux-all.out
#flux: --error=flux-all.err
#flux: --urgency=24
#flux: --exclusive
#flux: --flags=waitable

flux run -n 8 -N 2 -c 4 -g 1 ./a.out

