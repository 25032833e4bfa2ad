#!/bin/bash
#SBATCH --nodes=4
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="nodes-procs"
#SBATCH --output="nodes-procs.out"
#SBATCH --error="nodes-procs.err"
#SBATCH --comment "Step nodes-procs."

srun -n 4 -N 2 ./a.out

