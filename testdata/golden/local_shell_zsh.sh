#!/bin/zsh

print hello

