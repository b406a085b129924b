"""Dialects of vtac: nn (tensor ops), tile (loops over on-chip buffers), vta (intrinsics)."""
