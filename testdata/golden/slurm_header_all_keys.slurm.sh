#!/bin/bash
#SBATCH --nodes=2
#SBATCH --partition=pbatch
#SBATCH --account=baasic
#SBATCH --time=01:00:00
#SBATCH --job-name="simulate"
#SBATCH --output="simulate.out"
#SBATCH --error="simulate.err"
#SBATCH --comment "Run the simulation with every resource set."
#SBATCH --reservation="res_step"
#SBATCH --gres=gpu:2
#SBATCH --ntasks=4
#SBATCH --exclusive
#SBATCH --qos=standby
#SBATCH --mem=8G
#SBATCH --constraint=haswell

srun -n 4 -N 2 ./sim.exe

