"""Shared pytest fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from openai_server import OpenAIServer


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    """A fresh local OpenAI-compatible server (see tests/openai_server.py), stopped afterwards."""
    with OpenAIServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _isolated_llm_cache(tmp_path_factory, monkeypatch) -> None:
    """Keep every test's LLM response cache out of the user's ~/.cache."""
    monkeypatch.setenv("FORMALIZE_CACHE_DIR", str(tmp_path_factory.mktemp("llm-cache")))
