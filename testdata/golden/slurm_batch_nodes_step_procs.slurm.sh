#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="prepend-procs"
#SBATCH --output="prepend-procs.out"
#SBATCH --error="prepend-procs.err"
#SBATCH --comment "Step prepend-procs."

srun -n 1 echo "Test print #1"

