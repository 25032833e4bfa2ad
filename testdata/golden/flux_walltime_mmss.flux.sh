#!/bin/bash
#flux: -N 1
#flux: -t 330s
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=wt-mmss
#flux: --output=wt-mmss.out
#flux: --error=wt-mmss.err

./a.out

