"""The house rules of `helpers`: what the lessons' star import hands out, and no import cycles."""

from __future__ import annotations

import ast
import json
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "helpers"


def test_the_star_import_hands_out_no_module():
    """`from helpers import *` gives functions and classes, never a module that shadows one
    (the trap that made `diagnose(ncco)` fail with "'module' object is not callable")."""
    names: dict = {}
    exec("from helpers import *", names)
    modules = sorted(k for k, v in names.items()
                     if not k.startswith("__") and isinstance(v, types.ModuleType))
    assert modules == []
    assert callable(names["diagnose"]) and callable(names["check_live"])
    assert callable(names["timeline"])


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, level: int, target: str | None) -> str:
    """The absolute name of a (possibly relative) import target."""
    if level == 0:
        return target or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[:len(base) - (level - 1)]
    return ".".join(base + ([target] if target else []))


def _runtime_nodes(tree: ast.AST):
    """Every node that can run: all of them but the body of `if TYPE_CHECKING:` blocks."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                stack.extend(child.orelse)
            else:
                stack.append(child)


def import_graph() -> dict[str, set[str]]:
    """module -> the helpers modules it imports, at any depth of the file (top level or inside
    a function: a lazy import still makes a cycle, it only hides it until the call)."""
    files = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in files}
    for name, path in files.items():
        is_package = path.name == "__init__.py"
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node.level, node.module)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base
                           for a in node.names]
            for target in targets:
                while target and target not in files:  # helpers.x.y -> helpers.x
                    target = target.rpartition(".")[0]
                if target and target != name and not name.startswith(target + "."):
                    graph[name].add(target)  # a package's own parents are not edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_no_import_cycle_inside_helpers():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


@pytest.mark.parametrize("graph, cyclic", [
    ({"a": {"b"}, "b": {"c"}, "c": set()}, False),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, True),
    ({"a": {"a.b"}, "a.b": {"a"}}, True),
])
def test_the_cycle_finder_finds_cycles(graph, cyclic):
    assert (find_cycle(graph) is not None) is cyclic


def test_the_graph_sees_lazy_relative_imports(tmp_path, monkeypatch):
    """The test above can fail: a cycle through an import inside a function is found."""
    package = tmp_path / "helpers"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from .sub import b\n")
    (package / "sub" / "__init__.py").write_text("")
    (package / "sub" / "b.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from .. import a\n"
        "def f():\n    from ..a import x\n")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    monkeypatch.setattr(sys.modules[__name__], "PACKAGE", package)
    assert find_cycle(import_graph()) == ["helpers.a", "helpers.sub.b", "helpers.a"]


def test_the_simulator_stays_out_of_a_plain_import():
    """The lab's shared data (callees, rules) does not pull in the simulator's server."""
    import subprocess
    import sys

    code = ("import sys, helpers.callees, helpers.rules, helpers.call_timeline; "
            "print(any(m.startswith('helpers.simulator') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.strip()
    assert out == "False"


def test_every_lesson_opens_with_the_same_first_cell():
    firsts = {}
    for path in sorted((ROOT / "notebooks").glob("[0-9]*.ipynb")):
        cells = [c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code"]
        firsts[path.name] = "".join(cells[0]["source"])
    assert len(set(firsts.values())) == 1, firsts


def test_lesson_11_and_11b_drills_are_generated_from_the_case_library():
    """No ticket's NCCO is pasted by hand: tools/make_drills.py writes them from tickets.json,
    and no drill asks for the diagnoser's internal finding codes."""
    import subprocess
    import sys

    reply = subprocess.run([sys.executable, "tools/make_drills.py", "--check"], cwd=ROOT,
                           capture_output=True, text=True)
    assert reply.returncode == 0, reply.stdout + reply.stderr
    for path in sorted((ROOT / "notebooks").glob("11*_*.ipynb")):
        assert "check_answer(" not in path.read_text(), path.name
