"""Walking distances: the graph, building it from streets or OSM, snapping, distances, service areas."""
