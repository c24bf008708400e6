#!/usr/bin/env python3
"""Conformance: every core object kiln renders is valid for Kubernetes.

Renders every example and every fixture that renders successfully with the kiln binary,
and checks all non-Flink objects with `kubernetes-validate --strict -k 1.30.0` (unknown
fields rejected). FlinkDeployments are checked against the operator's CRD by the Rust test
suite (tests/kiln/crd.rs). Usage: scripts/conformance.py [path/to/kiln]
"""
import pathlib
import subprocess
import sys
import tempfile

KUBE_VERSION = "1.30.0"
ROOT = pathlib.Path(__file__).resolve().parent.parent
# Custom resources: validated against their CRDs (unknown fields rejected) in tests/kiln/crd.rs.
SKIPPED_KINDS = {
    "FlinkDeployment",
    "FlinkBlueGreenDeployment",
    "FlinkSessionJob",
    "FlinkStateSnapshot",
    "ScaledObject",
    "PodMonitor",
}


def documents(stream):
    """Split kiln's YAML stream at its `---` lines (kiln writes one before every document)."""
    docs, current = [], []
    for line in stream.splitlines(keepends=True):
        if line == "---\n":
            if current:
                docs.append("".join(current))
            current = []
        else:
            current.append(line)
    if current:
        docs.append("".join(current))
    return docs


def kind(doc):
    for line in doc.splitlines():
        if line.startswith("kind:"):
            return line.split(":", 1)[1].strip()
    return ""


def validate(name, docs, workdir):
    path = workdir / (name.replace("/", "_") + ".yaml")
    path.write_text("".join("---\n" + d for d in docs))
    result = subprocess.run(
        ["kubernetes-validate", "--strict", "--quiet", "-k", KUBE_VERSION, str(path)],
        capture_output=True,
        text=True,
    )
    return result.returncode == 0, (result.stdout + result.stderr).strip()


def sources(kiln, workdir):
    """(name, rendered YAML) for every example, fixture, and the root `kiln init` creates."""
    roots = [("examples/" + p.name, p, []) for p in sorted((ROOT / "examples").iterdir()) if (p / "kiln.yaml").is_file()]
    initialized = workdir / "kiln-init"
    created = subprocess.run([kiln, "init", str(initialized)], capture_output=True, text=True, env={})
    if created.returncode != 0:
        sys.exit(f"conformance: kiln init failed:\n{created.stderr}")
    roots += [("kiln-init", initialized, []), ("kiln-init-prod", initialized, ["-e", "prod"])]
    for case in sorted((ROOT / "fixtures").iterdir()):
        if (case / "expected.yaml").is_file():
            args_file = case / "args"
            args = args_file.read_text().split() if args_file.is_file() else []
            root_file = case / "root"
            root = ROOT / root_file.read_text().strip() if root_file.is_file() else case / "input"
            roots.append(("fixtures/" + case.name, root, args))
    for name, root, args in roots:
        result = subprocess.run([kiln, "render", str(root), *args], capture_output=True, text=True, env={})
        if result.returncode != 0:
            sys.exit(f"conformance: {name} does not render:\n{result.stderr}")
        yield name, result.stdout


def main():
    kiln = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / "target/debug/kiln")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = pathlib.Path(tmp)
        # The validator must reject what Kubernetes rejects; prove it on a broken object first.
        broken = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {a: b}\nspecc: {}\n"
        ok, _ = validate("self-check", [broken], workdir)
        if ok:
            sys.exit("conformance: kubernetes-validate --strict accepted an unknown field; refusing to trust it")
        checked, failures, total_sources = 0, [], 0
        for name, stream in sources(kiln, workdir):
            total_sources += 1
            docs = [d for d in documents(stream) if kind(d) not in SKIPPED_KINDS]
            if not docs:
                continue
            ok, output = validate(name, docs, workdir)
            checked += len(docs)
            if not ok:
                failures.append(f"{name}:\n{output}")
    for failure in failures:
        print(failure)
    print(f"checked {checked} objects from {total_sources} renders against Kubernetes {KUBE_VERSION} (--strict)")
    print(f"conformance: {total_sources - len(failures)} passed, {len(failures)} failed")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
