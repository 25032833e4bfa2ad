#!/bin/bash
#SBATCH --nodes=4
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="procs-nodes"
#SBATCH --output="procs-nodes.out"
#SBATCH --error="procs-nodes.err"
#SBATCH --comment "Step procs-nodes."

srun -n 4 -N 2 ./a.out

