"""`mpscope trace`: run an unmodified multiprocessing program and show its processes and shared state.

The tracer (this package, in the mpscope CLI process) starts the program with the same interpreter and
`boot/` on PYTHONPATH; `boot/sitecustomize.py` instruments multiprocessing in every Python process the
program starts, under any start method, and each process sends its events to the tracer over a Unix
socket. The tracer forwards them to an mpscope server or writes them to an NDJSON file.
"""
