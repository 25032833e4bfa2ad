#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-medium
#flux: --output=urgency-medium.out
#flux: --error=urgency-medium.err
#flux: --urgency=16

./a.out

