#!/bin/bash
#flux: -N 2
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-brackets
#flux: --output=fl-brackets.out
#flux: --error=fl-brackets.err

flux run -n 4 -N 2 -c 1 ./a.out
flux run -n 1 -N 1 -c 1 ./c.out
flux run -n 3 -N 1 -c 1 ./d.out

