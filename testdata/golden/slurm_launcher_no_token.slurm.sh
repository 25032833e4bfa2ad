#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="no-token"
#SBATCH --output="no-token.out"
#SBATCH --error="no-token.err"
#SBATCH --comment "Step no-token."

echo "Test print #1"

