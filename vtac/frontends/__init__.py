"""Frontends: models from other formats as nn functions (ONNX: :mod:`vtac.frontends.onnx`)."""
