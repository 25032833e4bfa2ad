#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-half
#flux: --output=urgency-half.out
#flux: --error=urgency-half.err
#flux: --urgency=16

./a.out

