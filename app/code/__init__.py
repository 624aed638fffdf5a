"""Code runs: a program typed into the page, run as `mpscope trace` runs a script, but contained
(sandbox.py, jail.py) and fed into the book by the server itself (feeder.py). docs/security.md."""
