#!/bin/bash
#flux: -N 1
#flux: -t 93600s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=wt-days
#flux: --output=wt-days.out
#flux: --error=wt-days.err

./a.out

