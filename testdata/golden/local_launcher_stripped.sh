#!/bin/bash

echo one
a [x] b

