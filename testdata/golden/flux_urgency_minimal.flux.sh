#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=urgency-minimal
#flux: --output=urgency-minimal.out
#flux: --error=urgency-minimal.err
#flux: --urgency=1

./a.out

