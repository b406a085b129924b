"""Whole networks from ONNX: import, power-of-two quantization, partitioning and running.

- :mod:`~vtac.frontends.onnx.importer`: a quantized ONNX model (QDQ form, QLinearConv and
  QLinearMatMul) as one nn function, requantization by shifts;
- :mod:`~vtac.frontends.onnx.quantize`: a float ONNX model to a QDQ model with power-of-two,
  per-tensor, symmetric int8 scales from calibration inputs;
- :mod:`~vtac.frontends.onnx.partition`: the nn function cut into VTA programs (contractions
  with their epilogues, chained when they can be) and host steps (everything else);
- :mod:`~vtac.frontends.onnx.network`: the programs compiled, run on the simulator with the host
  steps between them, saved as one network image and loaded back;
- :mod:`~vtac.frontends.onnx.models`: float models built without downloads (ResNet-18);
- :mod:`~vtac.frontends.onnx.commands`: ``vtac import``, ``vtac quantize`` and the ONNX side of
  ``vtac run``, ``compile`` and ``sim``.

The importer is ``importer.py`` rather than ``import.py``: ``import`` is a Python keyword, so a
module of that name could not be imported with an import statement.

The ``onnx`` package is an optional dependency (``pip install vtac[onnx]``): only the importer
and the quantizer import it, and they say so when it is missing.
"""

from vtac.errors import InvalidInputError


class OnnxError(InvalidInputError, ValueError):
    """A model vtac cannot import, quantize or run (the message names the node, its operator and
    the reason), or a missing ``onnx`` package."""

    what = "ONNX model"


def require_onnx():  # type: ignore[no-untyped-def]
    """The ``onnx`` module, or an :class:`OnnxError` saying how to install it."""
    try:
        import onnx
    except ImportError:
        raise OnnxError(
            "this needs the onnx package: pip install 'vtac[onnx]' (or pip install onnx)"
        ) from None
    return onnx
