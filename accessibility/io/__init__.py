"""Loaders and writers: dataset discovery and downloads, units, population, stops, sites, OSM, tables.

The bottom layer: every layer a study uses enters here, is checked and put in EPSG:3059 once, and
leaves marked as checked (see ``accessibility._layers``).
"""
