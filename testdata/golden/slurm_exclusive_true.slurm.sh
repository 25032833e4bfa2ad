#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="excl-true"
#SBATCH --output="excl-true.out"
#SBATCH --error="excl-true.err"
#SBATCH --comment "Step excl-true."
#SBATCH --exclusive

./a.out

