"""Outputs for people: printable maps, the interactive map and the report."""
