"""lib/'s shape: no module imports itself round a loop, counting imports inside functions, and
tests patch names where they are defined. (The layer contracts in pyproject.toml are checked
by `lint-imports` in .ci/run.)"""

from __future__ import annotations

import ast
from pathlib import Path

import grimp

from lib.base.paths import ROOT


def _cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """Every loop a depth-first walk of the module graph closes (empty when there is none)."""
    state: dict[str, int] = {}  # 1 = on the walk's path, 2 = done
    found: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        path.append(module)
        for other in sorted(graph.find_modules_directly_imported_by(module)):
            if state.get(other) == 1:
                found.append(path[path.index(other):] + [other])
            elif other not in state:
                walk(other, path)
        path.pop()
        state[module] = 2

    for module in sorted(graph.modules):
        if module not in state:
            walk(module, [])
    return found


def test_the_cycle_finder_finds_a_loop():
    # a -> b -> c -> a, and d -> a outside the loop.
    graph = grimp.ImportGraph()
    for importer, imported in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]:
        graph.add_import(importer=importer, imported=imported)
    assert [sorted(set(cycle)) for cycle in _cycles(graph)] == [["a", "b", "c"]]


def test_no_module_of_lib_is_in_an_import_cycle():
    graph = grimp.build_graph("lib")
    assert _cycles(graph) == []


def _defined_names(module: str) -> set[str]:
    """Names a module of lib/ binds itself at its top level (functions, classes, assignments),
    not the ones it imports."""
    path = (ROOT / module.replace(".", "/")).with_suffix(".py")
    if not path.is_file():
        path = ROOT / module.replace(".", "/") / "__init__.py"
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def _is_lib_module(name: str) -> bool:
    base = ROOT / name.replace(".", "/")
    return name.startswith("lib") and (base.with_suffix(".py").is_file() or (base / "__init__.py").is_file())


def _module_aliases(tree: ast.Module) -> dict[str, str]:
    """Names a test file binds to modules of lib/ (`from lib.x import y as z`, `import lib.x`)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("lib"):
            for alias in node.names:
                full = f"{node.module}.{alias.name}"
                if _is_lib_module(full):
                    aliases[alias.asname or alias.name] = full
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("lib") and alias.asname:
                    aliases[alias.asname] = alias.name
    return aliases


def _target_module(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The lib module an expression such as `drafts_module.store` names, if it names one."""
    if isinstance(node, ast.Name):
        return aliases.get(node.id)
    if isinstance(node, ast.Attribute):
        parent = _target_module(node.value, aliases)
        if parent and _is_lib_module(f"{parent}.{node.attr}"):
            return f"{parent}.{node.attr}"
    return None


def _patches(path: Path) -> list[tuple[int, str, str]]:
    """(line, module, name) for each monkeypatch.setattr of a name in a lib module in a test file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases = _module_aliases(tree)
    found = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "setattr" and node.args):
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value.startswith("lib."):
            module, _, name = first.value.rpartition(".")
            found.append((node.lineno, module, name))
        elif len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) and isinstance(node.args[1].value, str):
            module = _target_module(first, aliases)
            if module:
                found.append((node.lineno, module, node.args[1].value))
    return found


def test_the_patch_finder_sees_both_forms(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "from lib.store import publish\n"
        "def test_x(monkeypatch):\n"
        "    monkeypatch.setattr(publish, 'KEEP', 1)\n"
        "    monkeypatch.setattr('lib.store.db.SCHEMA_VERSION', 9)\n", encoding="utf-8")
    assert _patches(sample) == [(3, "lib.store.publish", "KEEP"), (4, "lib.store.db", "SCHEMA_VERSION")]
    assert "KEEP" in _defined_names("lib.store.publish")
    assert "db" not in _defined_names("lib.store.publish")  # imported there, not defined


def test_tests_patch_names_where_they_are_defined():
    """A stand-in set on a module that only imported the name would not reach the code that uses
    the defining module's name, so every patch targets the module that defines it."""
    wrong = [f"{path.name}:{line} patches {module}.{name}"
             for path in sorted((ROOT / "tests").glob("*.py"))
             for line, module, name in _patches(path)
             if name not in _defined_names(module)]
    assert wrong == []


MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80
#: A longer function says why in its docstring, with these words.
LONG_REASON = "long because"


def _oversized(root: Path) -> list[str]:
    """Modules over MAX_MODULE_LINES and functions over MAX_FUNCTION_LINES (without a stated reason)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        where = path.relative_to(root.parent)
        if len(text.splitlines()) > MAX_MODULE_LINES:
            found.append(f"{where}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES and LONG_REASON not in (ast.get_docstring(node) or ""):
                    found.append(f"{where}: {node.name} is {length} lines")
    return found


def test_the_size_check_sees_a_long_module_and_a_long_function(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (package / "long.py").write_text(f"def f():\n{body}\n", encoding="utf-8")
    (package / "excused.py").write_text(f'def g():\n    """It is {LONG_REASON} of a table."""\n{body}\n',
                                        encoding="utf-8")
    (package / "big.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1), encoding="utf-8")
    assert _oversized(package) == [f"pkg/big.py: {MAX_MODULE_LINES + 1} lines",
                                   f"pkg/long.py: f is {MAX_FUNCTION_LINES + 1} lines"]


def test_no_module_of_lib_is_over_500_lines_nor_a_function_over_80():
    assert _oversized(ROOT / "lib") == []
