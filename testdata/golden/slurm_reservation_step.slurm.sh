#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="res-step"
#SBATCH --output="res-step.out"
#SBATCH --error="res-step.err"
#SBATCH --comment "Step res-step."
#SBATCH --reservation="dat_2024"

./a.out

