#!/bin/bash
#flux: -N 1
#flux: -t 3600s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=wt-hhmmss
#flux: --output=wt-hhmmss.out
#flux: --error=wt-hhmmss.err

./a.out

