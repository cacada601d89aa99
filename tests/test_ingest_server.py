"""`rag serve` with RAG_API_KEYS, checked by eval/check_documents.py: a document the seeds never mention is
added and answered from with a citation satisfying the invariant, then removed (and the question abstained
on); writes without the key get 401. (That an acknowledged write survives the process is
tests/test_crash.py's: killed after the commit, the new corpus loads.)"""

import importlib.util
from pathlib import Path

import pytest

from rag.settings import Settings
from tests.documents import backup_store

from .conftest import REPO, SEEDS
from .server import rag_serve

pytestmark = pytest.mark.slow

KEY = "serve-test-key"


def _check_module():
    spec = importlib.util.spec_from_file_location("check_documents", REPO / "eval" / "check_documents.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_serve_add_ask_remove(components, tmp_path: Path):
    index = backup_store(components.settings.index_dir, tmp_path / "index")
    settings = Settings(seeds_dir=SEEDS, index_dir=index)
    with rag_serve(settings, tmp_path / "serve.log", {"RAG_API_KEYS": f"another,{KEY}"}) as base:
        _check_module().run_check(base, KEY)
