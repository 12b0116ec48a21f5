"""The import graph of ``src/synthesizrr``: no circle, and no module imports a layer above
its own (docs/architecture.md draws the layers). Imports inside functions count; imports
under ``if TYPE_CHECKING:`` do not (they never run)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "synthesizrr"

#: Lowest first. A module may import its own layer and the layers below, never above.
LAYERS: list[set[str]] = [
    {"errors", "version", "layout", "filemode", "fileio", "settings_base"},  # the ground floor
    # where the embedded models live (llm.embedded assembles the chunked GGUF); the Hub
    {"models", "hub_access", "llm.embedded"},
    {"embeddings", "corpus", "prompts", "llm"},
    {"retrieval", "generation", "metrics", "distill"},
    {"refine", "report"},
    {"executors"},
    {"config", "overrides"},
    {"pipeline"},
    {"api", "demo", "testing", "config_export"},
    {"cli", "console", "interrupt", ""},  # "" is the package face, synthesizrr/__init__.py
]


def _modules() -> dict[str, Path]:
    out = {}
    for path in (SRC / PACKAGE).rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST, modules: dict[str, Path]) -> set[str]:
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == PACKAGE)
        elif (
            isinstance(node, ast.ImportFrom)
            and node.level == 0
            and (node.module or "").split(".")[0] == PACKAGE
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else str(node.module))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {m for m in found if m in modules}


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {
        name: _imports(ast.parse(path.read_text("utf-8")), modules) - {name}
        for name, path in modules.items()
    }


def layer_of(module: str) -> int:
    """The layer of the longest entry of LAYERS that names the module or a package above it."""
    parts = module.split(".")[1:]
    for n in range(len(parts), -1, -1):
        key = ".".join(parts[:n])
        for i, layer in enumerate(LAYERS):
            if key in layer:
                return i
    raise AssertionError(f"module {module} is in no layer; add it to LAYERS and the docs")


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def strong(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return out


def test_every_module_is_in_a_layer() -> None:
    for module in import_graph():
        layer_of(module)


def test_no_module_imports_a_layer_above_its_own() -> None:
    upward = [
        f"{src} (layer {layer_of(src)}) imports {dst} (layer {layer_of(dst)})"
        for src, dsts in sorted(import_graph().items())
        for dst in sorted(dsts)
        if layer_of(dst) > layer_of(src)
    ]
    assert upward == []


def test_the_import_graph_has_no_circle() -> None:
    assert _cycles(import_graph()) == []


def test_the_checker_sees_circles_and_upward_imports() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert layer_of("synthesizrr.cli") > layer_of("synthesizrr.pipeline.runner")
    assert layer_of("synthesizrr.errors") == 0


def test_every_stage_module_reads_on_its_own() -> None:
    """A stage module imports no other stage module (shared pieces live below them)."""
    prefix = f"{PACKAGE}.pipeline.stages."
    crossing = [
        f"{src} imports {dst}"
        for src, dsts in sorted(import_graph().items())
        if src.startswith(prefix)
        for dst in sorted(dsts)
        if dst.startswith(prefix)
    ]
    assert crossing == []
