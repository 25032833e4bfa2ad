#!/bin/bash

./a.out

