#!/bin/bash

echo again

