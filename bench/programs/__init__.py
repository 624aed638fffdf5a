"""Small, ordinary multiprocessing programs that bench/trace.py runs plainly and under tracers."""
