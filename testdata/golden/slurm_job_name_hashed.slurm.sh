#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="a1b2c3d4e5"
#SBATCH --output="a1b2c3d4e5.out"
#SBATCH --error="a1b2c3d4e5.err"
#SBATCH --comment "Step hashed."

./a.out

