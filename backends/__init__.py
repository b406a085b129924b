"""Backends: the VTA assembler and program image, and the numpy reference."""
