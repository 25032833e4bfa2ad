#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-high
#flux: --output=urgency-high.out
#flux: --error=urgency-high.err
#flux: --urgency=24

./a.out

