"""Layering rules, read from the source: thin views, and no import cycles between the CLI and its commands.

These read the code's import statements (with ``ast``) instead of importing it,
so a violation is reported with its file and line.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "factcheck"

#: What a view may not import: the rows and the query tools belong to the services.
FORBIDDEN_IN_WEB = ("factcheck.models", "factcheck.db", "sqlmodel", "sqlalchemy")
#: The one web module that hands the request's session to views (it imports factcheck.db).
SESSION_PROVIDER = PACKAGE / "web" / "context.py"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking_block(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and (
        (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING")
        or (isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING"))


def _imports(path: Path, *, top_level_only: bool) -> list[tuple[str, int]]:
    """``(module, line)`` of each import, leaving out ``if TYPE_CHECKING:`` blocks (type hints only).

    With ``top_level_only``, imports inside functions are left out too: those
    run when called, so they cannot make an import cycle.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if _is_type_checking_block(child):
                continue
            if top_level_only and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                continue
            if isinstance(child, ast.Import):
                found.extend((alias.name, child.lineno) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.append((child.module, child.lineno))
                found.extend((f"{child.module}.{alias.name}", child.lineno) for alias in child.names)
            visit(child)

    visit(tree)
    return found


def _matches(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_web_views_reach_the_database_only_through_services():
    offenders = []
    for path in sorted((PACKAGE / "web").glob("*.py")):
        for name, line in _imports(path, top_level_only=False):
            if path == SESSION_PROVIDER and _matches(name, "factcheck.db"):
                continue
            if any(_matches(name, forbidden) for forbidden in FORBIDDEN_IN_WEB):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {name}")
    assert offenders == []


def test_web_views_build_no_queries():
    # Calls that only make sense on a session or a statement: views hand the session to services instead.
    query_methods = {"exec", "execute", "query", "scalars", "scalar", "add", "add_all", "delete", "commit",
                     "flush", "refresh"}
    offenders = []
    for path in sorted((PACKAGE / "web").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr in query_methods and isinstance(node.func.value, ast.Name)
                    and node.func.value.id in {"session", "db"}):
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} session.{node.func.attr}()")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "select":
                offenders.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} select()")
    assert offenders == []


def test_the_api_serialises_through_presenters():
    # Every JSON shape lives in factcheck/web/presenters.py; the API only picks which one.
    tree = ast.parse((PACKAGE / "web" / "api.py").read_text(encoding="utf-8"))
    dict_literals_with_row_fields = [
        node.lineno for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        and {"id", "text"} <= {k.value for k in node.keys if isinstance(k, ast.Constant)}
    ]
    assert dict_literals_with_row_fields == []


def _import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported, _line in _imports(path, top_level_only=True):
            if imported in modules and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def _reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    seen, stack = set(), [start]
    while stack:
        node = stack.pop()
        if node == goal:
            return True
        if node in seen:
            continue
        seen.add(node)
        stack.extend(graph.get(node, ()))
    return False


def test_cli_and_its_command_modules_do_not_import_each_other_in_a_cycle():
    graph = _import_graph()
    command_modules = [name for name in graph if _matches(name, "factcheck.commands")]
    assert "factcheck.commands._common" in command_modules
    cycles = [name for name in command_modules if _reaches(graph, name, "factcheck.cli")]
    assert cycles == [], f"these command modules import factcheck.cli (directly or not): {cycles}"
    # The CLI does register them: it imports the package.
    assert _reaches(graph, "factcheck.cli", "factcheck.commands")
