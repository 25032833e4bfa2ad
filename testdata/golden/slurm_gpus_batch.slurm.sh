#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="gpus-batch"
#SBATCH --output="gpus-batch.out"
#SBATCH --error="gpus-batch.err"
#SBATCH --comment "Step gpus-batch."
#SBATCH --gres=gpu:2

./a.out

