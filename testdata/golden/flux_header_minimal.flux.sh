#!/bin/bash
#flux: -n 1
#flux: --job-name=flux-min
#flux: --output=flux-min.out
#flux: --error=flux-min.err

flux run -n 1 -N 1 -c 1 ./a.out

