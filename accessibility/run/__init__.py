"""The main job: study files, loading what is found, coverage, plan, outputs and the manifest."""
