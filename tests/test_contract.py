"""The contract between the front ends and the façade, and the façade's one freshness guard.

`Assistant` and the tests' `FakeService` both implement `assistant.contract.Service`; every public
method of `Assistant` is declared as reading the index, needing a team, or local, so the guard covers
each new entry point.
"""

from __future__ import annotations

import inspect

import pytest

from assistant import freshness
from assistant.config import load_settings
from assistant.contract import Service
from assistant.service import Assistant
from tests.fake_service import FakeService

MEMBERS = [name for name, value in vars(Service).items() if inspect.isfunction(value) and not name.startswith("_")]
ATTRIBUTES = list(Service.__annotations__)


def _parameters(function) -> list[tuple[str, object]]:
    signature = inspect.signature(inspect.unwrap(function))
    return [(p.name, p.default) for p in signature.parameters.values() if p.name != "self"]


@pytest.mark.parametrize("implementation", [Assistant, FakeService])
def test_each_implementation_keeps_the_contract(implementation, tmp_path):
    service = implementation(load_settings(index=tmp_path)) if implementation is Assistant else implementation(tmp_path)
    assert len(MEMBERS) >= 20 and "ask" in MEMBERS
    for name in MEMBERS:
        assert callable(getattr(implementation, name, None)), f"{implementation.__name__} lacks {name}"
        assert _parameters(getattr(implementation, name)) == _parameters(getattr(Service, name)), name
    for name in ATTRIBUTES:
        assert hasattr(service, name) or name in dir(implementation), f"{implementation.__name__} lacks {name}"
    assert not (tmp_path / "catalog.sqlite").exists(), "building the façade opens nothing"


def test_every_public_method_is_declared_for_the_guard():
    public = {name for name, value in vars(Assistant).items() if inspect.isfunction(value) and not name.startswith("_")}
    sets = (freshness.READS_INDEX, freshness.NEEDS_TEAM, freshness.LOCAL)
    assert public == set().union(*sets)
    assert sum(len(s) for s in sets) == len(public), "each method is in exactly one set"


def test_the_guard_refreshes_once_at_the_outermost_call(tmp_path, monkeypatch):
    assistant = Assistant(load_settings(index=tmp_path))
    synced = []
    monkeypatch.setattr(Assistant, "_sync", lambda self: synced.append(1))
    monkeypatch.setattr(Assistant, "_controls_or_none", lambda self, *a, **k: [])
    assistant.__dict__["manifest"] = type("Empty", (), {"chunk_count": lambda self: 0})()
    answer = assistant.ask("Who approves the policy?")  # ask -> ask_traced: one entry point, one refresh
    assert answer.status == "none" and synced == [1]
    assert assistant.item("A.2.2").id == "A.2.2" and synced == [1], "local methods read no index"


def test_team_entry_points_refuse_the_embedded_store_first(tmp_path):
    from assistant.core.models import TeamModeError

    assistant = Assistant(load_settings(index=tmp_path / "home"))
    with pytest.raises(TeamModeError, match="team commands need a Chroma server"):
        assistant.team_overview()
    assert not (tmp_path / "home" / "catalog.sqlite").exists(), "refused before anything was opened"
