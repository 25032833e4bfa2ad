#!/bin/bash
#flux: -N 2
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-step-nodes
#flux: --output=fl-step-nodes.out
#flux: --error=fl-step-nodes.err

flux run -n 4 -N 2 -c 1 ./a.out

