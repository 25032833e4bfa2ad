#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-low
#flux: --output=urgency-low.out
#flux: --error=urgency-low.err
#flux: --urgency=9

./a.out

