"""Services never speak HTTP: no module under studio/services imports rest_framework or django.http, and no
call to a Refusal (or a service error class, all of which subclass it) passes a status: an integer argument
or a status= keyword. Read with `ast`, so a comment or a string mentioning 404 does not count."""
import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parents[1] / "studio" / "services"
HTTP_MODULES = ("rest_framework", "django.http")


def _modules():
    files = sorted(SERVICES.rglob("*.py"))
    assert len(files) > 20, "expected to find the service modules"
    return [(path, ast.parse(path.read_text(), filename=str(path))) for path in files]


def _refusal_classes() -> set[str]:
    """Names of the classes defined under studio/services that descend from Refusal (by name, to a fixpoint)."""
    bases = {}
    for _, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr for b in node.bases
                    if isinstance(b, (ast.Name, ast.Attribute)))
    found = {"Refusal"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def _imported(node) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.module:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    return []


def test_no_service_module_imports_http():
    offenders = [
        f"{path.relative_to(SERVICES)}:{node.lineno} imports {name}"
        for path, tree in _modules() for node in ast.walk(tree)
        for name in _imported(node) if name.startswith(HTTP_MODULES)
    ]
    assert not offenders, offenders


def test_no_refusal_is_raised_with_a_status_number():
    classes = _refusal_classes()
    assert {"RunRefused", "AnnotationError", "ImportFailed", "JobRefused", "ExportError"} <= classes
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name not in classes:
                continue
            # Positional arguments are (message, field); ints belong only in named extras such as row= or line=.
            for value in node.args:
                if isinstance(value, ast.Constant) and type(value.value) is int:
                    offenders.append(f"{path.relative_to(SERVICES)}:{node.lineno} {name}(..., {value.value})")
            for keyword in node.keywords:
                if keyword.arg in ("status", "status_code", "code"):
                    offenders.append(f"{path.relative_to(SERVICES)}:{node.lineno} {name}({keyword.arg}=...)")
    assert not offenders, offenders
