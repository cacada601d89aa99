"""HTTP API package (FastAPI). The application itself is built in its own issue; see README."""
