#!/bin/bash
#SBATCH --nodes=3
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="nodes-only"
#SBATCH --output="nodes-only.out"
#SBATCH --error="nodes-only.err"
#SBATCH --comment "Step nodes-only."

./setup.sh

