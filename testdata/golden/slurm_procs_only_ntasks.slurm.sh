#!/bin/bash
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="hello"
#SBATCH --output="hello.out"
#SBATCH --error="hello.err"
#SBATCH --comment "Step hello."
#SBATCH --ntasks=1

srun -n 1 echo hello > hello.txt

