#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="procs-batch"
#SBATCH --output="procs-batch.out"
#SBATCH --error="procs-batch.err"
#SBATCH --comment "Step procs-batch."
#SBATCH --ntasks=6

srun -n 6 -N 2 ./a.out

