"""Retrieval-augmented question answering that answers only with cited, verbatim quotes."""

__version__ = "0.1.0"
