"""The module map in docs/architecture.md is the law: every module under Sources/ has a row,
and imports only the modules of ours that its row allows. A static check, no server."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(
    r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:public\s+|package\s+|internal\s+|private\s+|fileprivate\s+)?"
    r"import\s+(?:(?:struct|class|enum|protocol|func|var|let|typealias)\s+)?([A-Za-z0-9_]+)",
    re.MULTILINE,
)


def allowed_imports() -> dict[str, set[str]]:
    text = (ROOT / "docs" / "architecture.md").read_text()
    table = text.split("<!-- imports:", 1)[1].split("\n\n", 1)[0]
    rules = {}
    for line in table.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[0].startswith("`"):
            continue
        module = cells[0].strip("`")
        rules[module] = set(re.findall(r"`([A-Za-z0-9_]+)`", cells[2]))
    return rules


def modules() -> dict[str, set[str]]:
    """Each module under Sources/ and the modules of ours its files import."""
    ours = {p.name for p in (ROOT / "Sources").iterdir() if p.is_dir()}
    found = {}
    for module in sorted(ours):
        imported = set()
        for source in (ROOT / "Sources" / module).rglob("*.swift"):
            imported |= set(IMPORT.findall(source.read_text())) & ours
        found[module] = imported - {module}
    return found


def test_every_module_has_a_row_in_the_map():
    rules = allowed_imports()
    assert rules, "docs/architecture.md has no module table after its imports marker"
    missing = sorted(set(modules()) - set(rules))
    assert not missing, f"modules without a row in docs/architecture.md: {missing}"


def test_modules_import_only_what_the_map_allows():
    rules = allowed_imports()
    broken = {
        module: sorted(imported - rules.get(module, set()))
        for module, imported in modules().items()
        if imported - rules.get(module, set())
    }
    assert not broken, f"imports that docs/architecture.md does not allow: {broken}"


def test_package_dependencies_stay_inside_the_map():
    """Package.swift may not link a module the map forbids, even one no file imports yet."""
    rules = allowed_imports()
    ours = set(modules())
    package = (ROOT / "Package.swift").read_text()
    broken = {}
    for match in re.finditer(r'\.(?:executableTarget|target)\(\s*name: "(\w+)",\s*dependencies: \[(.*?)\]', package, re.DOTALL):
        module, deps = match.group(1), set(re.findall(r'^\s*"(\w+)"|,\s*"(\w+)"', match.group(2), re.MULTILINE))
        names = {name for pair in deps for name in pair if name} & ours
        if module in rules and names - rules[module]:
            broken[module] = sorted(names - rules[module])
    assert not broken, f"Package.swift links what docs/architecture.md does not allow: {broken}"


def test_nothing_that_ships_links_the_test_support_module():
    shipped = [m for m in modules() if m != "TestSupport"]
    users = [m for m in shipped if "TestSupport" in modules()[m]]
    assert not users, f"shipping modules import TestSupport: {users}"
    package = (ROOT / "Package.swift").read_text()
    pier_target = re.search(r'\.executableTarget\(\s*name: "pier",(.*?)swiftSettings', package, re.DOTALL)
    assert pier_target and "Server" in pier_target.group(1)
    assert "TestSupport" not in pier_target.group(1)
