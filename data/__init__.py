"""The dataset catalogue (catalogue.json), installed as the package accessibility.data."""
