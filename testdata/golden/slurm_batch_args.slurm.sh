#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="batch-args"
#SBATCH --output="batch-args.out"
#SBATCH --error="batch-args.err"
#SBATCH --comment "Step batch-args."
#SBATCH --mem-per-cpu=2G
#SBATCH --requeue
#SBATCH --mail-type=END

srun -n 2 -N 1 ./a.out

