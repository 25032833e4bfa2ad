#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="res-batch"
#SBATCH --output="res-batch.out"
#SBATCH --error="res-batch.err"
#SBATCH --comment "Step res-batch."
#SBATCH --reservation="test_reservation"

./a.out

