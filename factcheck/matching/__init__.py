"""Embedding and vector search adapters."""
