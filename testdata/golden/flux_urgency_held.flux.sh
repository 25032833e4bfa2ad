#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-held
#flux: --output=urgency-held.out
#flux: --error=urgency-held.err
#flux: --urgency=0

./a.out

