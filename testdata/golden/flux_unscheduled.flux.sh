#!/bin/bash

hostname

