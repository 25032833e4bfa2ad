#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --time=00:30:00
#SBATCH --job-name="restartable"
#SBATCH --output="restartable.out"
#SBATCH --error="restartable.err"
#SBATCH --comment "Step restartable."

srun -n 2 ./sim --restart latest.chk

