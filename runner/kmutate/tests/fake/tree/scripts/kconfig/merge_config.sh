#!/bin/sh
# Fake merge_config.sh -m -O OUT BASE FRAGMENT: later lines win, as in a .config.
cat "$5" >> "$4"
