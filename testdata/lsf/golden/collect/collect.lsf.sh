#!/bin/bash

cat /STUDY/simulate/*/result.*.txt | sort > all_results.txt
wc -l < all_results.txt

