#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="plain"
#SBATCH --output="plain.out"
#SBATCH --error="plain.err"
#SBATCH --comment "Step plain."

srun -n 8 -N 2 ./a.out

