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


@pytest.fixture(scope="session")
def local_outcomes(tmp_path_factory) -> dict[str, tuple]:
    """(status, objective, executed) by problem id of the examples run with `--model reference`
    on the local executor: what every other executor (tests/test_ray_*.py) must give."""
    from formalize.evaluation.bench import read_results, run_bench
    from formalize.evaluation.executors import LocalExecutor

    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    run_bench("examples", model="reference", out=out, progress=False, plot=False,
              executor=LocalExecutor())
    _, records = read_results(out)
    return {i: (r["status"], r["objective"], r["executed"]) for i, r in records.items()}
