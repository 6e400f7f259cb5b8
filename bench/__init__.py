"""The benchmark behind `make bench`: optimised pages against textbook ones, and load.

Nothing here is part of the site. See bench/run.py for what a run measures.
"""
