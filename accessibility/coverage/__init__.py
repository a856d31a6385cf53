"""Coverage: population on a grid, the stop rule, unit coverage, gaps and the summary figures."""
