#!/bin/bash
#flux: -N 1
#flux: -n 4
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-args
#flux: --output=fl-args.out
#flux: --error=fl-args.err

flux run -n 4 -N 1 -c 1 -o mpi=spectrum -o cpu-affinity=per-task ./a.out

