#!/bin/bash
#flux: -N 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=flux-shared
#flux: --output=flux-shared.out
#flux: --error=flux-shared.err

./a.out

