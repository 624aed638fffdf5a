"""A run's events out of mpscope and back in: NDJSON, Chrome trace JSON (Perfetto), an offline page,
and the import feeder that loads an NDJSON file back into the book as a new run."""
