#!/usr/bin/env python3
"""Argo CD health checks run by a real Lua 5.1 interpreter, as Argo CD runs them.

Argo CD evaluates `resource_customizations/<group>/<Kind>/health.lua` with gopher-lua (Lua
5.1): the live object is the global `obj` (a table decoded from the object's JSON, null
fields absent), and the script returns a table `{status, message}`. Each `health_test.yaml`
lists `{healthStatus: {status, message}, inputPath}` cases, compared exactly (a missing
message is the empty string), as Argo CD's own Go test does.

This runs every `health_test.yaml` under kiln's `deploy/argocd/health/` and, first, under
`tests/data/argocd/resource_customizations/` (Argo CD v3.5.1's own checks for
FlinkDeployment and KEDA, with their test data): if the runner did not agree with Argo CD on
its own checks, its verdict on kiln's would mean nothing.

Usage: argocd_health.py [LUA]   (default: lua5.1 on PATH)
"""

import os
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), ".."))
TREES = [
    ("Argo CD's own", os.path.join(ROOT, "tests/data/argocd/resource_customizations")),
    ("kiln's", os.path.join(ROOT, "deploy/argocd/health")),
]

DRIVER = """
local check = assert(loadfile(%s))
local hs = check()
io.write(tostring(hs.status or ""), "\\0", tostring(hs.message or ""))
"""


def lua_string(text):
    """A Lua string literal for any text (decimal escapes; Lua 5.1 has no \\x)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char.isalnum() or char in " .,:;-_/()[]{}'=+*!?@#$%^&|<>~`":
            out.append(char)
        else:
            out.append("\\%d" % byte)
    return '"' + "".join(out) + '"'


def lua_value(value):
    """A Lua expression for a decoded JSON/YAML value (null values are left out, as
    Argo CD's decoding leaves them nil)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return lua_string(value)
    if isinstance(value, list):
        return "{" + ", ".join(lua_value(v) for v in value if v is not None) + "}"
    if isinstance(value, dict):
        return "{" + ", ".join(
            "[%s] = %s" % (lua_string(str(k)), lua_value(v))
            for k, v in value.items()
            if v is not None
        ) + "}"
    if value is None:
        return "nil"
    # Dates and other YAML scalars reach Argo CD as JSON strings.
    return lua_string(str(value))


def run_check(lua, health, obj):
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write("obj = %s\n" % lua_value(obj))
        script.write(DRIVER % lua_string(health))
        path = script.name
    try:
        result = subprocess.run([lua, path], capture_output=True, timeout=30)
    finally:
        os.unlink(path)
    if result.returncode != 0:
        return None, result.stderr.decode("utf-8", "replace").strip()
    status, _, message = result.stdout.decode("utf-8").partition("\0")
    return status, message


def main():
    lua = sys.argv[1] if len(sys.argv) > 1 else "lua5.1"
    version = subprocess.run([lua, "-v"], capture_output=True, text=True)
    banner = (version.stdout + version.stderr).strip()
    if not banner.startswith("Lua 5.1"):
        sys.exit("argocd_health: %s is not Lua 5.1 (%s)" % (lua, banner))
    passed = failed = 0
    for label, tree in TREES:
        checks = 0
        for folder, _, files in sorted(os.walk(tree)):
            if "health_test.yaml" not in files:
                continue
            health = os.path.join(folder, "health.lua")
            with open(os.path.join(folder, "health_test.yaml")) as f:
                tests = yaml.safe_load(f)["tests"]
            for test in tests:
                with open(os.path.join(folder, test["inputPath"])) as f:
                    obj = yaml.safe_load(f)
                expected = test["healthStatus"]
                want = (expected.get("status", ""), expected.get("message", "") or "")
                got = run_check(lua, health, obj)
                name = "%s %s" % (os.path.relpath(folder, tree), test["inputPath"])
                if got == want:
                    passed += 1
                else:
                    failed += 1
                    print("FAIL %s: %s: expected %r, got %r" % (label, name, want, got))
            checks += 1
        if checks == 0:
            print("FAIL %s: no health_test.yaml under %s" % (label, tree))
            failed += 1
        else:
            print("ok: %s health checks (%d kinds)" % (label, checks))
    print("argocd health: %d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
