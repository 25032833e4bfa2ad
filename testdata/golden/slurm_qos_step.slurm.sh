#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="qos-step"
#SBATCH --output="qos-step.out"
#SBATCH --error="qos-step.err"
#SBATCH --comment "Step qos-step."
#SBATCH --qos=expedite

./a.out

