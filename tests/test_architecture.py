"""lib/'s shape: no module imports itself round a loop, counting imports inside functions.
(The layer contracts in pyproject.toml are checked by `lint-imports` in .ci/run.)"""

from __future__ import annotations

import grimp


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
