#!/bin/zsh
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="zsh"
#SBATCH --output="zsh.out"
#SBATCH --error="zsh.err"
#SBATCH --comment "Step zsh."
#SBATCH --ntasks=2

srun -n 2 print hello

