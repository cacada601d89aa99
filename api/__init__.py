"""The HTTP API (FastAPI): `api.app.create_app()`; started by `rag serve`."""
