"""Fail when modules of backend_django import each other in a cycle.

Counts every import, at the top of a module or inside a function (grimp,
import-linter's graph), and ignores tests and migrations. Run by
scripts/lint: ``python -m backend_django.testing.import_cycles``.
"""

import sys

import grimp

IGNORED = (".tests", ".migrations", ".conftest")


def _kept(module: str) -> bool:
    return not any(part in f".{module}." or module.endswith(part) for part in IGNORED)


def cycles(package: str = "backend_django") -> list[list[str]]:
    """Every group of modules that import each other (strongly connected, more than one)."""
    graph = grimp.build_graph(package, cache_dir=None)
    modules = sorted(module for module in graph.modules if _kept(module))
    edges = {
        module: sorted(other for other in graph.find_modules_directly_imported_by(module) if _kept(other))
        for module in modules
    }
    # Tarjan's strongly connected components, iteratively.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges.get(child, []))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def main() -> int:
    found = cycles()
    for component in found:
        print("import cycle:", " <-> ".join(component))
    if found:
        print(f"{len(found)} import cycle(s): break them (docs/architecture.md, 'Layers').")
        return 1
    print("no import cycles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
