#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="excl-false"
#SBATCH --output="excl-false.out"
#SBATCH --error="excl-false.err"
#SBATCH --comment "Step excl-false."

./a.out

