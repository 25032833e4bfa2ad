#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --time=00:10:00
#SBATCH --job-name="run-lulesh"
#SBATCH --output="run-lulesh.out"
#SBATCH --error="run-lulesh.err"
#SBATCH --comment "Step run-lulesh."
#SBATCH --exclusive

srun -n 27 -N 2 ./lulesh2.0 -s 100 -p > out.log

