"""The MCP tools (rag/mcp_server.py) on the HTTP app: streamable HTTP at `/mcp`, answered by the same
loaded components and model threads as the REST routes (so MCP calls are micro-batched with them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from api.state import ServiceState
from rag.mcp_server import build_mcp_server
from rag.service import QAComponents

T = TypeVar("T")
MCP_PATH = "/mcp"


class ServiceBackend:
    """The tools' view of the running service: its components once loaded, its model threads."""

    def __init__(self, state: ServiceState) -> None:
        self._state = state

    def components(self) -> QAComponents:
        return self._state.require()  # NotReady while loading: a tool error saying so

    async def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        return await self._state.model_thread.run(fn, *args, **kwargs)


class MCPEndpoint:
    """The ASGI app of `/mcp`: the SDK's streamable-HTTP app, made anew each time the app's lifespan starts
    (`run`), since an SDK session manager can run only once (tests start an app's lifespan many times)."""

    def __init__(self, server: MCPServer) -> None:
        self.server = server
        self._sdk_app: Starlette | None = None

    @asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        # Stateless: each request stands alone, no session is kept in memory between calls.
        sdk_app = self.server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True)
        async with self.server.session_manager.run():
            self._sdk_app = sdk_app
            try:
                yield
            finally:
                self._sdk_app = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._sdk_app is None:
            await PlainTextResponse("the MCP endpoint is not running", status_code=503)(scope, receive, send)
            return
        await self._sdk_app(scope, receive, send)


def mount_mcp(app: FastAPI, state: ServiceState) -> MCPEndpoint:
    """Add the `/mcp` route to `app`; the app's lifespan must enter the returned endpoint's `run()`.

    One route at exactly `/mcp` (not the SDK's app mounted at a prefix), so no trailing slash is needed and
    every other path keeps the API's JSON 404. The SDK's DNS-rebinding protection admits loopback hosts."""
    endpoint = MCPEndpoint(build_mcp_server(state.settings, ServiceBackend(state)))
    app.router.routes.append(Route(MCP_PATH, endpoint=endpoint))
    return endpoint
