"""Inflow content index: lesson parsing and validation, embeddings, FAISS + SQLite index versions."""
