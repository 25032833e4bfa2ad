#!/bin/bash
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-default-nodes
#flux: --output=fl-default-nodes.out
#flux: --error=fl-default-nodes.err

flux run -n 4 -N 1 -c 1 ./a.out

