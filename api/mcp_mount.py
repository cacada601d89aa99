"""The MCP tools (rag/mcp_server.py) on the HTTP app: streamable HTTP at `/mcp`, answered by the same
loaded components and model threads as the REST routes (so MCP calls are micro-batched with them)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import FastAPI
from mcp.server.mcpserver import MCPServer

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


def mount_mcp(app: FastAPI, state: ServiceState) -> MCPServer:
    """Add the `/mcp` route to `app`; the app's lifespan must run the returned server's `session_manager`.

    Only the SDK's one route is added (not the SDK's app mounted at a prefix), so `/mcp` needs no trailing
    slash and every other path keeps the API's JSON 404. Stateless: each request stands alone, no session
    is kept in memory between calls. The SDK's DNS-rebinding protection admits loopback hosts only."""
    server = build_mcp_server(state.settings, ServiceBackend(state))
    sdk_app = server.streamable_http_app(streamable_http_path=MCP_PATH, stateless_http=True)
    app.router.routes.extend(sdk_app.routes)
    return server
