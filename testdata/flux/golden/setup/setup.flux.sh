#!/bin/bash

echo "steps=100" > input.cfg

