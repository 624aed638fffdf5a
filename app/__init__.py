"""mpscope: a live visualizer of Python multiprocessing for learning and teaching."""

__version__ = "0.1.0"
