#!/bin/zsh
#flux: -n 1
#flux: -q pdebug
#flux: --bank=guests
#flux: --job-name=fl-zsh
#flux: --output=fl-zsh.out
#flux: --error=fl-zsh.err

flux run -n 1 -N 1 -c 1 print hi

