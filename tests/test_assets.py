"""The browser scripts in assets/ against the Python side: the component IDs they name are those of
callbacks/ids.py, the clientside functions the callbacks name exist, and the scripts share only through the
core script, which Dash loads first."""

from __future__ import annotations

import re
from pathlib import Path

from callbacks import ids

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CORE = "00_core.js"


def scripts() -> dict[str, str]:
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(ASSETS.glob("*.js"))}


def code_and_strings(source: str) -> tuple[str, list[str]]:
    """The source without its comments, and its string literals (quotes and backticks)."""
    code: list[str] = []
    strings: list[str] = []
    i = 0
    while i < len(source):
        if source.startswith("/*", i):
            end = source.index("*/", i + 2)
            i = end + 2
        elif source.startswith("//", i):
            end = source.find("\n", i)
            i = len(source) if end < 0 else end
        elif source[i] in "\"'`":
            quote = source[i]
            j = i + 1
            while source[j] != quote:
                j += 2 if source[j] == "\\" else 1
            strings.append(source[i + 1 : j])
            code.append(source[i : j + 1])
            i = j + 1
        else:
            code.append(source[i])
            i += 1
    return "".join(code), strings


def core_ids() -> dict[str, str]:
    code, _ = code_and_strings(scripts()[CORE])
    block = re.search(r"const IDS = Object\.freeze\(\{(.*?)\}\);", code, re.S)
    assert block, f"{CORE} has no `const IDS = Object.freeze({{...}});`"
    return dict(re.findall(r'(\w+):\s*"([^"]*)"', block.group(1)))


def component_ids() -> set[str]:
    return {value for name, value in vars(ids).items() if name.isupper() and isinstance(value, str)}


def id_literals(strings: list[str]) -> set[str]:
    """Component IDs written out in string literals: CSS id selectors, and callback prop ids ("id.prop") of
    the IDs callbacks/ids.py defines (Plotly's attribute paths, "marker.color", look alike)."""
    known = component_ids()
    found = set()
    for text in strings:
        if re.fullmatch(r"#[0-9a-fA-F]{3,8}", text):
            continue  # a colour
        found.update(re.findall(r"#([A-Za-z_][\w-]*)", text))
        prop = re.fullmatch(r"([a-z][\w-]*)\.([a-z_]+)", text)
        if prop and prop.group(1) in known:
            found.add(prop.group(1))
    return found


def test_the_core_is_loaded_first():
    assert next(iter(scripts())) == CORE  # Dash loads assets/ in alphanumeric order


def test_the_core_ids_are_those_of_callbacks_ids():
    named = core_ids()
    assert "LIST_PICK" in named
    for name, value in named.items():
        assert hasattr(ids, name), f"{CORE} names {name}, which callbacks/ids.py does not define"
        assert getattr(ids, name) == value, f"{CORE}: {name} is {value!r}, callbacks/ids.py says {getattr(ids, name)!r}"


def test_scripts_name_component_ids_only_through_the_core():
    named = core_ids()
    for name, source in scripts().items():
        code, strings = code_and_strings(source)
        if name == CORE:
            strings = code_and_strings(re.sub(r"const IDS = Object\.freeze\(\{.*?\}\);", "", source, flags=re.S))[1]
        literal = id_literals(strings)
        assert not literal, f"{name} writes out component IDs {sorted(literal)}: name them through the core's IDS"
        for used in set(re.findall(r"\bIDS\.(\w+)", code)):
            assert used in named, f"{name} uses IDS.{used}, which {CORE} does not define"
        for value in re.findall(r"set_props\(\s*[\"'`]([^\"'`]*)", code) + re.findall(
            r"getElementById\(\s*[\"'`]([^\"'`]*)", code
        ):
            assert value.startswith("_dash-"), f"{name} names the component {value!r}: use the core's IDS"


def test_scripts_share_only_through_the_core():
    globals_by_file = {}
    for name, source in scripts().items():
        code, _ = code_and_strings(source)
        assigned = set(re.findall(r"window\.(projector\w*)\s*=(?!=)", code))
        read = set(re.findall(r"window\.(projector\w*)", code)) - assigned
        if name == CORE:
            assert assigned == {"projectorCore"} and not read
        else:
            assert read <= {"projectorCore"}, f"{name} reaches {sorted(read - {'projectorCore'})}, not the core"
            assert "projectorCore" not in assigned
        for g in assigned:
            assert g not in globals_by_file, f"{g} is set by {globals_by_file[g]} and {name}"
            globals_by_file[g] = name


def test_every_clientside_function_the_callbacks_name_is_registered():
    registered = set()
    for source in scripts().values():
        code, _ = code_and_strings(source)
        for namespace, body in re.findall(r"core\.clientside\(\s*\"(\w+)\"\s*,\s*\{([^{}]*)\}", code):
            registered.update((namespace, key) for key in re.findall(r"(\w+)\s*:", body))
    wanted = set()
    for path in (ROOT / "callbacks").glob("*.py"):
        wanted.update(re.findall(r"ClientsideFunction\(\s*\"(\w+)\"\s*,\s*\"(\w+)\"\s*\)", path.read_text()))
    assert wanted, "no ClientsideFunction found in callbacks/"
    assert wanted <= registered, f"not registered by any script in assets/: {sorted(wanted - registered)}"


def plotly_js_version(path: Path) -> str:
    head = path.read_text(encoding="utf-8", errors="replace")[:400]
    found = re.search(r"plotly\.js v(\d+\.\d+\.\d+)", head)
    assert found, f"{path} does not say its plotly.js version in its first lines"
    return found.group(1)


def test_the_vendored_plotly_is_the_version_the_plotly_package_draws_for():
    import plotly

    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    vendored = ASSETS / "vendor" / "plotly.min.js"
    assert plotly_js_version(vendored) == plotly_js_version(bundled), "rebuild assets/vendor with `make plotly`"
