#!/usr/bin/env python3
"""Lists import cycles between the modules of each crate under crates/.

A module is a file under src/ (src/a/b.rs and src/a/b/mod.rs are `a::b`). An edge a -> b means
a file of module a names `crate::b…` (in a `use` or a path), or `super::b` resolved from a. A
module importing its own submodule or its parent is not counted: that is how Rust declares and
re-exports children. Exit status 1 when any crate has a cycle, so CI can run it.
"""

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
PATH = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
GROUP = re.compile(r"\b(crate|super)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*?)\}", re.S)


def module_of(src: pathlib.Path, file: pathlib.Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] in ("mod", "lib", "main"):
        parts = parts[:-1]
    return tuple(parts)


def strip_comments(text: str) -> str:
    text = re.sub(r"//[^\n]*", "", text)
    text = re.sub(r'"(?:\\.|[^"\\])*"', '""', text)
    return text


def referenced(module: tuple, text: str, modules: set) -> set:
    targets = set()
    paths = [(m.group(1), m.group(2)) for m in PATH.finditer(text)]
    for g in GROUP.finditer(text):
        for item in g.group(3).split(","):
            item = item.strip().split(" as ")[0].strip()
            if item and item != "self":
                paths.append((g.group(1), g.group(2) + "::" + item.split("::")[0]))
    for root, rest in paths:
        names = [n for n in rest.split("::") if n]
        base = list(module) if root == "super" else []
        if root == "super":
            base = base[:-1]
        candidate = tuple(base + names)
        # The longest prefix that is a module is what the path reaches.
        while candidate and candidate not in modules:
            candidate = candidate[:-1]
        if candidate:
            targets.add(candidate)
    return targets


def related(a: tuple, b: tuple) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def cycles(src: pathlib.Path) -> list:
    """The groups of modules that import each other, directly or through others."""
    files = {module_of(src, f): f for f in src.rglob("*.rs")}
    modules = set(files)
    edges = {m: set() for m in modules}
    for module, file in files.items():
        text = strip_comments(file.read_text())
        text = text.split("#[cfg(test)]")[0]
        for target in referenced(module, text, modules):
            if not related(module, target):
                edges[module].add(target)
    # Tarjan's strongly connected components; a component of two or more is a cycle.
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(modules):
        if node not in index:
            visit(node)
    return groups


def main() -> int:
    status = 0
    for src in sorted(ROOT.glob("crates/*/src")):
        for group in cycles(src):
            status = 1
            names = ", ".join("::".join(m) or "(crate root)" for m in group)
            print(f"{src.parent.name}: these modules import each other: {names}")
    if status == 0:
        print("no module import cycles")
    return status


if __name__ == "__main__":
    sys.exit(main())
