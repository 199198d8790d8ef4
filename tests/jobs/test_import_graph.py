"""The shape of the code's imports, read from the source with `ast` (module-level and function-level imports
alike, relative ones resolved): services never import tasks, no two modules import each other round a cycle,
and the engine (elicitation/) never imports Django or the studio."""
from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO_ROOT

PACKAGES = ("studio", "elicitation")


def module_files() -> dict[str, Path]:
    """Dotted module name → its file, for every .py under the packages."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # generated; they import only django
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(module: str, path: Path, level: int, name: str | None) -> str:
    """The absolute name of `from <level dots><name> import ...` written in `module`."""
    if not level:
        return name or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, name] if name else base)


def imports_of(module: str, path: Path, known: set[str]) -> set[str]:
    """The project modules `module` imports, anywhere in its body. `from X import Y` counts X.Y when that is a
    module, else X (importing X.Y also runs X's package __init__, which is an edge of its own only if written)."""
    edges = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node.level, node.module)
            targets = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]
        else:
            continue
        for target in targets:
            # `import a.b.c` of a project module; a name outside the project is kept for the engine check
            while target and target not in known and "." in target and target.split(".")[0] in PACKAGES:
                target = target.rsplit(".", 1)[0]
            if target and target != module:
                edges.add(target)
    return edges


def import_graph() -> dict[str, set[str]]:
    files = module_files()
    known = set(files)
    return {module: imports_of(module, path, known) for module, path in files.items()}


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan), as a closed path."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = [0]

    def connect(v: str) -> None:  # iterative enough for this codebase's depth
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in graph:
                continue
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(set(component))

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_a_cycle_in(graph, component) for component in components]


def _a_cycle_in(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest closed path through the component's first module (breadth-first back to itself)."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & component):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    return sorted(component)


def test_the_graph_reader_sees_function_level_and_relative_imports(tmp_path):
    """The reader itself: a lazy import inside a function and a relative import both count."""
    pkg = tmp_path / "studio" / "services"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    body = "from .jobs import queue\n\ndef f():\n    from studio.tasks import elicitation\n"
    (pkg / "runs.py").write_text(body)
    known = {"studio", "studio.services", "studio.services.jobs", "studio.services.runs", "studio.tasks",
             "studio.tasks.elicitation"}
    assert imports_of("studio.services.runs", pkg / "runs.py", known) == {"studio.services.jobs",
                                                                          "studio.tasks.elicitation"}
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]


def test_services_never_import_tasks():
    """Tasks are queued by name (studio.services.jobs); a service importing a task module makes a circle."""
    bad = sorted(f"{m} imports {t}" for m, targets in import_graph().items() if m.startswith("studio.services")
                 for t in targets if t == "studio.tasks" or t.startswith("studio.tasks."))
    assert not bad, "services import tasks:\n" + "\n".join(bad)


def test_no_module_imports_itself_round_a_cycle():
    cycles = find_cycles(import_graph())
    assert not cycles, "import cycles:\n" + "\n".join(" → ".join(c) for c in cycles)


def test_the_engine_never_imports_django_or_the_studio():
    bad = sorted(f"{m} imports {t}" for m, targets in import_graph().items() if m.split(".")[0] == "elicitation"
                 for t in targets if t.split(".")[0] in ("django", "rest_framework", "celery", "studio"))
    assert not bad, "the engine must stay free of the studio:\n" + "\n".join(bad)
