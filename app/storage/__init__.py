"""Storage: runs and their events kept compactly in memory and on disk, below the engine that fills them."""
