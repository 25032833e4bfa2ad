#!/bin/bash
#flux: -N 3
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-brackets-batch
#flux: --output=fl-brackets-batch.out
#flux: --error=fl-brackets-batch.err

flux run -n 4 -N 3 -c 1 ./b.out

