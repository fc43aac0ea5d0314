"""Hearth: a self-hostable practice assistant for psychotherapists."""

__version__ = "0.1.0"
