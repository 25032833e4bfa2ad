#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="gpus-zero"
#SBATCH --output="gpus-zero.out"
#SBATCH --error="gpus-zero.err"
#SBATCH --comment "Step gpus-zero."

./a.out

