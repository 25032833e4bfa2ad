#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-zero
#flux: --output=urgency-zero.out
#flux: --error=urgency-zero.err
#flux: --urgency=0

./a.out

