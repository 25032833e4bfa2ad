#!/bin/bash
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-brackets-default
#flux: --output=fl-brackets-default.out
#flux: --error=fl-brackets-default.err

flux run -n 2 -N 1 -c 1 ./b.out

