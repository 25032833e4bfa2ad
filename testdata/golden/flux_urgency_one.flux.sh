#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-one
#flux: --output=urgency-one.out
#flux: --error=urgency-one.err
#flux: --urgency=31

./a.out

