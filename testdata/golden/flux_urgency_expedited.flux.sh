#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-expedited
#flux: --output=urgency-expedited.out
#flux: --error=urgency-expedited.err
#flux: --urgency=31

./a.out

