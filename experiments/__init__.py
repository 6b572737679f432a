"""Validation studies: each folder holds a spec (README.md), a script (study.py) and the
figure and table it writes. ``python experiments/run_all.py [--quick]`` regenerates them."""
