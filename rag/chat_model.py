"""The optional chat model, built from `RAG_CHAT_MODEL` ('provider:model'): used by the generative answerer
(`rag.generative`) and the chat-model judge (`rag.chat_judge`). LangChain's `init_chat_model` maps the
provider name to its class when the `langchain` package is installed; otherwise only 'openai' (and
OpenAI-compatible endpoints) is built, through `langchain_openai`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel

from rag.errors import RagError
from rag.settings import Settings

LLM_EXTRA_HINT = "install the optional extra: .venv/bin/pip install -c constraints.txt -e '.[llm]'"


class ChatModelError(RagError):
    """The configured chat model cannot be built (bad `provider:model`, unknown provider, missing package)."""


def build_chat_model(settings: Settings) -> BaseChatModel:
    """The chat model named by `settings.chat_model` ('provider:model'), with the base URL, temperature and
    time-out from settings; ChatModelError when it cannot be built."""
    spec = settings.chat_model
    provider, _, model = (spec or "").partition(":")
    provider, model = provider.strip().lower().replace("-", "_"), model.strip()
    if not provider or not model:
        raise ChatModelError(f"RAG_CHAT_MODEL must be 'provider:model' (e.g. 'openai:gpt-4o-mini'), got {spec!r}")
    kwargs: dict[str, Any] = {"temperature": settings.chat_temperature, "timeout": settings.chat_timeout_s}
    if settings.chat_base_url:
        kwargs["base_url"] = settings.chat_base_url
    try:
        init_chat_model = _init_chat_model()
        if init_chat_model is not None:
            return init_chat_model(model, model_provider=provider, **kwargs)
        if provider != "openai":
            raise ChatModelError(
                f"unknown chat model provider {provider!r} in RAG_CHAT_MODEL={spec!r}: without the `langchain` "
                "package only 'openai' (and OpenAI-compatible endpoints, with RAG_CHAT_BASE_URL) is supported; "
                "for another provider install `langchain` and its langchain-<provider> package"
            )
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(model=model, **kwargs)
    except ImportError as exc:
        raise ChatModelError(
            f"RAG_CHAT_MODEL={spec!r} needs a package that is not installed ({exc}). For 'openai' (or an "
            f"OpenAI-compatible endpoint), {LLM_EXTRA_HINT}; for another provider, its langchain-<provider> package"
        ) from exc
    except ChatModelError:
        raise
    except Exception as exc:  # unknown provider (ValueError), bad option, missing API key...
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ChatModelError(f"RAG_CHAT_MODEL={spec!r} cannot be used: {first_line}") from exc


def _init_chat_model() -> Callable[..., BaseChatModel] | None:
    """LangChain's `init_chat_model` (provider name -> chat model class) when the `langchain` package is
    installed; None otherwise. (langchain-classic's copy is deprecated, so it is not used.)"""
    try:
        from langchain.chat_models import init_chat_model
    except ImportError:
        return None
    return init_chat_model
