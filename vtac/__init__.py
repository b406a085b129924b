"""vtac: a compiler for the VTA deep-learning accelerator."""
