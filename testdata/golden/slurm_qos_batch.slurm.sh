#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="qos-batch"
#SBATCH --output="qos-batch.out"
#SBATCH --error="qos-batch.err"
#SBATCH --comment "Step qos-batch."
#SBATCH --qos=normal

./a.out

