#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="mixed"
#SBATCH --output="mixed.out"
#SBATCH --error="mixed.err"
#SBATCH --comment "Step mixed."

cd build
srun -n 4 -N 2 ./full.exe
srun -n 2 -N 1 ./half.exe
echo "array=${A[0]}"
srun -n 3 ./three.exe

