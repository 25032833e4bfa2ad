#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="cores"
#SBATCH --output="cores.out"
#SBATCH --error="cores.err"
#SBATCH --comment "Step cores."

srun -n 4 -N 2 -c 9 ./omp.exe
srun -n 2 -N 1 -c 9 ./omp.exe

