#!/bin/bash
#SBATCH --nodes=1
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --job-name="comment"
#SBATCH --output="comment.out"
#SBATCH --error="comment.err"
#SBATCH --comment "First line of the description. Second line. Third line. "

./a.out

