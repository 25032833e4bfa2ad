#!/bin/bash
#flux: -N 1
#flux: -t 600s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=wt-minutes
#flux: --output=wt-minutes.out
#flux: --error=wt-minutes.err

./a.out

