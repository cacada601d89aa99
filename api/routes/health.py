"""GET /healthz (alive), /readyz (index loaded) and /version (which model and corpus answer)."""

from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter

from api.errors import error_responses
from api.schemas import HealthStatus, ReadyStatus, VersionInfo
from api.state import Components, State
from rag.settings import Settings


def service_version() -> str:
    try:
        return version("nato-space-rag")
    except PackageNotFoundError:
        return "unknown"


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(tags=["service"])

    @routes.get("/healthz", response_model=HealthStatus)
    def healthz() -> HealthStatus:
        """The process is alive (answers at once, also while the index loads)."""
        return HealthStatus()

    @routes.get("/readyz", response_model=ReadyStatus, responses=error_responses(503))
    def readyz(state: State) -> ReadyStatus:
        """Ready to answer: the model and index are loaded. 503 before, or when loading failed (the message
        says why)."""
        parts = state.require()
        return ReadyStatus(
            documents=len(parts.index.documents), chunks=len(parts.index.chunks), load_seconds=state.load_seconds
        )

    @routes.get("/version", response_model=VersionInfo, responses=error_responses(503))
    def version_info(parts: Components) -> VersionInfo:
        """The service version, the embedding model and the corpus and index that citations belong to.

        Citation offsets point into the original files of the corpus named by `corpus_hash`; a rebuilt
        index of the same corpus has the same hash and resolves every citation to the same text."""
        manifest = parts.index.manifest
        model = manifest.get("model", {})
        return VersionInfo(
            service_version=service_version(),
            model_name=model.get("name", parts.settings.model_name),
            model_dimension=model.get("dimension"),
            model_weights_sha256=model.get("weights_sha256"),
            corpus_hash=manifest["corpus_hash"],
            documents=len(parts.index.documents),
            chunks=len(parts.index.chunks),
            index_build_id=manifest["build_id"],
            index_built_at=manifest["built_at"],
            index_format=manifest["format"],
            dense_index=dict(manifest.get("dense_index", {})),
        )

    return routes
