#!/bin/bash
#SBATCH --nodes=4
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="procs-only"
#SBATCH --output="procs-only.out"
#SBATCH --error="procs-only.err"
#SBATCH --comment "Step procs-only."

srun -n 4 ./a.out

