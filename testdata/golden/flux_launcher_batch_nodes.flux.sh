#!/bin/bash
#flux: -N 3
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-batch-nodes
#flux: --output=fl-batch-nodes.out
#flux: --error=fl-batch-nodes.err

flux run -n 4 -N 3 -c 1 ./a.out

