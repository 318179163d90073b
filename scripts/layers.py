#!/usr/bin/env python3
"""Checks that resso-server's top-level modules import only from lower layers.

An import is any `crate::NAME` path, or a name in a `use crate::{…}` group, outside comments and
outside test-only code (`#[cfg(test)]` items and the files they include). Each top-level module
has a rank below; a module may import only modules of a lower rank, so the graph is acyclic and
siblings of one rank never import each other. A new top-level module must be given a rank here.

usage: scripts/layers.py [SRC_DIR]   exit 1 and print the offending imports if any
"""
import os
import re
import sys

# The layers of docs/architecture.md, low to high.
RANKS = {
    # leaves
    "config": 1, "rate": 1, "ids": 1, "deadline": 1, "ws": 1, "metrics": 1, "refusals": 1, "tap": 1,
    "apps": 2, "admission": 2, "tls": 2,
    # values and actors
    "broadcast": 3,
    "outbox": 4, "webhooks": 4,
    # state
    "registry": 5,
    # protocol logic and adapters on the state
    "client_event": 6, "store": 6,
    "session": 7, "cluster": 7, "ingest": 7,
    # tasks and codecs
    "connection": 8,
    "pusher": 9, "socketio": 9,
    # edge
    "http": 10,
    # root
    "server": 11, "tests": 11,
}

MOD_DECL = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;")
CFG_TEST = re.compile(r"#\[cfg\(test\)\]")


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return "\n".join(line.split("//", 1)[0] for line in text.split("\n"))


def drop_test_blocks(text):
    """Removes each `#[cfg(test)]` item: a `mod x;` line, or a braced block."""
    out, i = [], 0
    while True:
        m = CFG_TEST.search(text[i:])
        if not m:
            out.append(text[i:])
            return "".join(out)
        start = i + m.start()
        out.append(text[i:start])
        j = i + m.end()
        semi, brace = text.find(";", j), text.find("{", j)
        if brace == -1 or (semi != -1 and semi < brace):
            i = semi + 1
            continue
        depth, k = 0, brace
        while k < len(text):
            depth += {"{": 1, "}": -1}.get(text[k], 0)
            k += 1
            if depth == 0:
                break
        i = k


def test_only_files(src):
    """Files reached only through `#[cfg(test)] mod x;` declarations."""
    skip = set()
    for root, _, files in os.walk(src):
        for f in files:
            if not f.endswith(".rs"):
                continue
            path = os.path.join(root, f)
            lines = open(path, encoding="utf-8").read().split("\n")
            here = root if f in ("mod.rs", "lib.rs", "main.rs") else os.path.join(root, f[:-3])
            for prev, line in zip([""] + lines, lines):
                m = MOD_DECL.match(line)
                if m and CFG_TEST.match(prev.strip()):
                    base = os.path.join(here, m.group(1))
                    skip.update({base + ".rs", os.path.join(base, "mod.rs")})
                    skip.add(base + os.sep)
    return skip


def imports(text):
    names = set(re.findall(r"\bcrate::([a-z_][a-z0-9_]*)", text))
    for group in re.findall(r"\buse\s+crate::\{(.*?)\};", text, flags=re.S):
        depth, item = 0, ""
        for ch in group + ",":
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                m = re.match(r"\s*([a-z_][a-z0-9_]*)", item)
                if m:
                    names.add(m.group(1))
                item = ""
            else:
                item += ch
    return names


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "crates/resso-server/src"
    skip = test_only_files(src)
    bad, unknown, edges = [], set(), 0
    for root, _, files in os.walk(src):
        for f in sorted(files):
            path = os.path.join(root, f)
            if not f.endswith(".rs") or path in skip or any(path.startswith(s) for s in skip if s.endswith(os.sep)):
                continue
            top = os.path.relpath(path, src).split(os.sep)[0].removesuffix(".rs")
            if top in ("lib", "main"):
                continue
            if top not in RANKS:
                unknown.add(top)
                continue
            text = drop_test_blocks(strip_comments(open(path, encoding="utf-8").read()))
            for name in sorted(imports(text) - {top}):
                if name not in RANKS:
                    continue
                edges += 1
                if RANKS[name] >= RANKS[top]:
                    bad.append(f"{os.path.relpath(path, src)}: {top} (layer {RANKS[top]}) imports {name} (layer {RANKS[name]})")
    for name in sorted(unknown):
        bad.append(f"{name}: a top-level module with no layer in scripts/layers.py")
    if bad:
        print("\n".join(bad))
        sys.exit(1)
    print(f"{len(RANKS)} modules in {max(RANKS.values())} ranks, {edges} file-level imports, all downward")


if __name__ == "__main__":
    main()
