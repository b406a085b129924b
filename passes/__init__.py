"""Passes of vtac and the pipeline registry."""
