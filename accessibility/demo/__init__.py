"""The synthetic demo region, written in the official file formats and read back through the loaders."""
