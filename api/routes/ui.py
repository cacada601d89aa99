"""GET / (the web chat page) and /static/* (its script, style and icon), served by the API itself.

The page is plain HTML, CSS and JavaScript modules in `api/static/`: a few hundred lines that need no
build step, no node_modules and no committed bundle to keep in sync with its source, and that the app
serves itself, so the page makes no request to any other host. Neither route is in the OpenAPI schema:
they are not part of the API.
"""

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from rag.settings import Settings

STATIC_DIR = Path(__file__).resolve().parents[1] / "static"

# The browser itself refuses anything the page might load from elsewhere, and inline script or style.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def router(settings: Settings) -> APIRouter:
    routes = APIRouter(include_in_schema=False)

    @routes.api_route("/", methods=["GET", "HEAD"])
    def page() -> FileResponse:
        """The chat page; it works while the index loads and says so (it polls `/readyz`)."""
        return FileResponse(
            STATIC_DIR / "index.html",
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-cache"},
        )

    # Under /static only, so no file can shadow an API route or /docs.
    routes.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return routes
