#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="first-bracket"
#SBATCH --output="first-bracket.out"
#SBATCH --error="first-bracket.err"
#SBATCH --comment "Step first-bracket."

srun -n 1 -N 1 a [x] srun -n 1 b

