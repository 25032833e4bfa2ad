#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="batch-procs"
#SBATCH --output="batch-procs.out"
#SBATCH --error="batch-procs.err"
#SBATCH --comment "Step batch-procs."
#SBATCH --ntasks=16

srun -n 16 -N 2 ./a.out

