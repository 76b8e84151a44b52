"""The package's layers, read from the source: which layer may import which, and no import circles.

Dependencies point inwards: `tui` and `cli` (and the benchmarks) -> the façade (`service.py` and the
modules it composes) -> `checklist`, `drafting`, `answering`, `retrieval` -> `core`. Every import is
counted, at module level or inside a function, since a lazy import is a dependency all the same.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "assistant"
LOWER = ("retrieval", "answering", "drafting", "checklist")
FACADE = ("service", "service_team", "service_drafts", "freshness", "parts", "contract")
FRONT = ("tui", "cli", "bench")
SHARED_LEAVES = ("resources",)  # finds shipped files; stdlib only, so every layer may use it
ONLY_RETRIEVAL = ("llama_index", "llama_cpp", "chromadb", "sentence_transformers", "torch")
ONLY_TUI = ("textual",)
# The memory benchmark imports llama-index itself so that its import counts in the "stores opened" phase.
MEASURED_IMPORTS = {("assistant.bench.scale", "llama_index")}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> tuple[set[str], set[str]]:
    """(modules of the package, top-level third-party names) that a module imports anywhere in it."""
    ours, theirs = set(), set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in MODULES else base for alias in node.names]
        for target in targets:
            if target == "assistant" or target.startswith("assistant."):
                while target not in MODULES:  # `import assistant.x.y` names a module; trim to the one that exists
                    target = target.rpartition(".")[0]
                if target != name:
                    ours.add(target)
            else:
                theirs.add(target.split(".")[0])
    return ours, theirs


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "assistant"


def _violations(allowed) -> list[str]:
    return sorted(f"{name} imports {target}" for name, (ours, _) in GRAPH.items() for target in ours
                  if not allowed(_layer(name), _layer(target), target))


def test_the_layers_are_found():
    layers = {_layer(m) for m in MODULES}
    assert {"core", *LOWER, *FACADE, *FRONT} <= layers
    assert GRAPH["assistant.cli.main"][0], "the reader sees imports"


def test_core_imports_no_other_layer():
    assert _violations(lambda src, dst, _: src != "core" or dst == "core") == []


def test_lower_layers_import_only_core_and_themselves():
    """retrieval, answering, drafting and checklist never import the façade, the front ends, or each other."""
    assert _violations(lambda src, dst, _: src not in LOWER or dst in (src, "core", *SHARED_LEAVES)) == []


def test_the_facade_imports_no_front_end():
    assert _violations(lambda src, dst, _: src not in FACADE or dst not in FRONT) == []


def test_the_tui_never_imports_the_cli():
    assert _violations(lambda src, dst, _: src != "tui" or dst not in ("cli", "bench")) == []


def test_the_cli_only_launches_the_tui_app():
    assert _violations(lambda src, dst, target: src != "cli" or dst != "tui" or target == "assistant.tui.app") == []


def test_heavy_libraries_stay_in_their_layer():
    wrong = sorted(f"{name} imports {lib}" for name, (_, theirs) in GRAPH.items() for lib in theirs
                   if (lib in ONLY_RETRIEVAL and _layer(name) != "retrieval" and (name, lib) not in MEASURED_IMPORTS)
                   or (lib in ONLY_TUI and _layer(name) != "tui"))
    assert wrong == []


def test_no_import_circles():
    """No module reaches itself through the package's imports (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []
    edges = defaultdict(set, {name: ours for name, (ours, _) in GRAPH.items()})

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(edges[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    for name in sorted(MODULES):
        if name not in index:
            visit(name)
    assert circles == []
