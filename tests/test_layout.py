"""The package's shape: its module graph (every import, at the top or inside a function) has no
circle, and the dotted names the docs mention exist."""

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "keras_reg"


def _imports(path):
    """The keras_reg modules a module imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("keras_reg"):
            for alias in node.names:  # a submodule by its own name, else the module it is taken from
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("keras_reg.")}
    return {name for name in found if name in MODULES}


def _name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


# Every module and package of keras_reg but its top: ``keras_reg/__init__.py`` imports the studies
# to register them, so every module depends on it by Python's rules, not by design.
MODULES = {_name(p) for p in PACKAGE.rglob("*.py")} - {"keras_reg"}


def test_the_module_graph_has_no_circle():
    graph = {_name(p): _imports(p) for p in PACKAGE.rglob("*.py") if _name(p) != "keras_reg"}
    state = {}

    def visit(module, path):
        if state.get(module) == "open":
            raise AssertionError("import circle: " + " -> ".join(path[path.index(module) :] + [module]))
        if state.get(module) == "done":
            return
        state[module] = "open"
        for other in sorted(graph.get(module, ())):
            visit(other, path + [module])
        state[module] = "done"

    for module in sorted(graph):
        visit(module, [])


def test_the_dotted_names_in_the_docs_exist():
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(PACKAGE.glob("studies/*/README.md"))]
    missing = []
    for path in texts:
        for name in sorted(set(re.findall(r"keras_reg(?:\.[A-Za-z_]\w*)+", path.read_text()))):
            parts = name.split(".")
            for split in range(len(parts), 0, -1):  # the longest importable module, then attributes
                try:
                    target = importlib.import_module(".".join(parts[:split]))
                except ImportError:
                    continue
                try:
                    for attribute in parts[split:]:
                        target = getattr(target, attribute)
                except AttributeError:
                    missing.append(f"{path.name}: {name}")
                break
            else:
                missing.append(f"{path.name}: {name}")
    assert not missing, missing


def test_the_files_the_docs_name_exist():
    texts = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), *sorted(PACKAGE.glob("studies/*/README.md"))]
    missing = []
    for path in texts:
        for name in sorted(
            set(re.findall(r"`((?:tests|keras_reg|scripts|docs|paper_figures)/[\w./+-]+)`", path.read_text()))
        ):
            if not (ROOT / name).exists():
                missing.append(f"{path.name}: {name}")
        for link in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", path.read_text()):  # relative Markdown links
            if "://" not in link and not (path.parent / link).exists():
                missing.append(f"{path.name}: ({link})")
    assert not missing, missing


def test_the_package_index_description_has_no_links_or_images_that_break_there():
    import configparser

    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["metadata"]["long_description"] == "file: docs/package_index.md"
    text = (ROOT / "docs" / "package_index.md").read_text()
    assert "![" not in text and "<img" not in text
    links = re.findall(r"\]\(([^)\s]+)\)", text)
    assert links and all(link.startswith("https://") for link in links), links


def test_the_citation_names_this_version():
    import keras_reg

    assert f"version: {keras_reg.__version__}\n" in (ROOT / "CITATION.cff").read_text()
