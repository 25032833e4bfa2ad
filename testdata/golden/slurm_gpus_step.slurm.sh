#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="gpus-step"
#SBATCH --output="gpus-step.out"
#SBATCH --error="gpus-step.err"
#SBATCH --comment "Step gpus-step."
#SBATCH --gres=gpu:4

./a.out

