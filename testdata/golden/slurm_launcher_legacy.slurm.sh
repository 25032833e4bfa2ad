#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="legacy"
#SBATCH --output="legacy.out"
#SBATCH --error="legacy.err"
#SBATCH --comment "Step legacy."

srun -n 2 -N 1 ./a.out
srun -n 4 -N 2 ./b.out

