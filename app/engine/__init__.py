"""The engine: the book of runs and the feeders that fill it (scenario launches, traces, imports).

Every run, however its events arrive, is opened, fed batches and ended through `RunBook`'s public
API. The engine publishes to a `Publisher` (app/engine/ports.py) that the web layer implements; it never
imports the web layer (the import-linter contract in pyproject.toml holds it to that).
"""
