#!/usr/bin/env python3
"""SQL conformance: the run_sql.py kiln renders runs SQL scripts as Flink's SQL client does,
proved with real Apache Flink.

Installs what it needs itself (a JDK from Debian when `java` is missing; PyFlink, at the
version of the main example's flinkVersion, from PyPI into a virtual environment cached in
~/.cache/kiln/pyflink-<version>), then:

1. copies tests/data/sql/repo to a temporary folder, replacing @OUT@ (an output folder),
   @DATA@ (tests/data/sql/data) and @PYTHON@ (PyFlink's python) in its files, and renders it
   with kiln;
2. runs every job's rendered run_sql.py on a local mini cluster, as the docs suggest for
   trying a script (`python run_sql.py --sql-file statements.sql`), with only built-in
   connectors, and checks its exit code, the rows its filesystem sinks hold and the rows the
   print connector writes (tests/data/sql/expected.json);
3. runs the jobs listed under "application" on a standalone application cluster built from
   the PyFlink package's own Flink distribution (standalone-job.sh with Flink's
   PythonDriver, as the operator starts a python job), which proves the driver path;
4. checks that kiln refuses tests/data/sql/refused with the expected messages.

Usage: scripts/flink_sql.py [path/to/kiln] [--wrapper FILE] [--only JOB,...]
--wrapper runs FILE instead of the rendered run_sql.py (to show what an older wrapper does).
"""
import argparse
import concurrent.futures
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "sql"
CACHE = pathlib.Path(os.environ.get("XDG_CACHE_HOME", pathlib.Path.home() / ".cache")) / "kiln"
RUN_TIMEOUT = 300
PRINTED_ROW = re.compile(r"^(\d+> )?\+I\[", re.MULTILINE)


def flink_version():
    """The main example's Flink version (examples/lemo/kiln.yaml defaults.flink.flinkVersion)."""
    text = (ROOT / "examples" / "lemo" / "kiln.yaml").read_text()
    match = re.search(r'flinkVersion:\s*"?(\d+\.\d+\.\d+)"?', text)
    if not match:
        sys.exit("flink_sql.py: no full flinkVersion in examples/lemo/kiln.yaml")
    return match.group(1)


def ensure_java():
    if shutil.which("java"):
        return
    print("flink_sql.py: installing a JDK (Debian openjdk-17-jre-headless)", flush=True)
    subprocess.run(["apt-get", "update", "-qq"], check=True)
    subprocess.run(
        ["apt-get", "install", "-y", "-qq", "openjdk-17-jre-headless"],
        check=True,
        env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"),
        stdout=subprocess.DEVNULL,
    )


def ensure_pyflink(version):
    """A virtual environment with apache-flink==version; returns its python."""
    venv = CACHE / f"pyflink-{version}"
    python = venv / "bin" / "python"
    marker = venv / ".kiln-installed"
    if marker.exists():
        return python
    print(f"flink_sql.py: installing PyFlink {version} into {venv}", flush=True)
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", f"apache-flink=={version}"],
        check=True,
    )
    marker.write_text(version)
    return python


def copy_with_placeholders(source, target, values):
    shutil.copytree(source, target)
    for path in target.rglob("*"):
        if path.suffix in (".sql", ".yaml"):
            text = path.read_bytes().decode("utf-8")
            for key, value in values.items():
                text = text.replace(key, value)
            path.write_bytes(text.encode("utf-8"))


def render(kiln, root):
    result = subprocess.run([kiln, "render", "--format", "json", str(root)], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"flink_sql.py: kiln render {root} failed:\n{result.stderr}")
    return json.loads(result.stdout)["items"]


def sql_jobs(items):
    """{job name: (run_sql.py, statements.sql)} from the rendered SQL ConfigMaps."""
    jobs = {}
    for item in items:
        if item["kind"] == "ConfigMap" and item["metadata"]["name"].endswith("-sql"):
            data = item["data"]
            jobs[item["metadata"]["name"][: -len("-sql")]] = (data["run_sql.py"], data["statements.sql"])
    return jobs


def sink_rows(folder):
    """Lines in a filesystem sink's finished files (in-progress files start with a dot)."""
    rows, text = 0, ""
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                content = path.read_text()
                rows += len(content.splitlines())
                text += content
    return rows, text


def check_outputs(name, expected, out, stdout):
    problems = []
    for sink, rows in expected.get("rows", {}).items():
        got, text = sink_rows(out / sink)
        if got != rows:
            problems.append(f"{sink}: {got} rows, expected {rows}")
        needle = expected.get("contains", {}).get(sink)
        if needle is not None and needle not in text:
            problems.append(f"{sink}: does not hold {needle!r}")
    if "printed" in expected:
        printed = len(PRINTED_ROW.findall(stdout))
        if printed != expected["printed"]:
            problems.append(f"printed {printed} rows, expected {expected['printed']}")
    return [f"{name}: {p}" for p in problems]


def tail(text, lines=15):
    kept = [line for line in text.splitlines() if not line.startswith("\tat ")]
    return "\n".join(kept[-lines:])


def write_job(work, name, wrapper, script, override):
    folder = work / name
    folder.mkdir(parents=True)
    (folder / "run_sql.py").write_text(override if override is not None else wrapper)
    (folder / "statements.sql").write_text(script)
    return folder


def run_local(python, folder, expected, out):
    """The job's wrapper on a local mini cluster; returns the problems found."""
    name = folder.name
    env = dict(os.environ)
    if expected.get("pythonpath"):
        env["PYTHONPATH"] = str(DATA / "data")
    started = time.monotonic()
    try:
        result = subprocess.run(
            [str(python), "run_sql.py", "--sql-file", "statements.sql"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return [f"{name}: still running after {RUN_TIMEOUT} s"]
    print(f"  local {name}: exit {result.returncode} in {time.monotonic() - started:.1f} s", flush=True)
    if result.returncode != 0:
        return [f"{name}: exit {result.returncode}\n{tail(result.stderr)}"]
    return check_outputs(name, expected, out, result.stdout)


def flink_home(python, work):
    """A FLINK_HOME made of the PyFlink package's distribution (its lib and opt as folders of
    links, which Flink's scripts and jar lookup need) with its own conf and log folders."""
    package = pathlib.Path(subprocess.run(
        [str(python), "-c", "import os, pyflink; print(os.path.dirname(pyflink.__file__))"],
        check=True, capture_output=True, text=True,
    ).stdout.strip())
    home = work / "flink-home"
    (home / "log").mkdir(parents=True)
    for name in ("bin", "plugins"):
        (home / name).symlink_to(package / name)
    for name in ("lib", "opt"):
        (home / name).mkdir()
        for jar in (package / name).glob("*.jar"):
            (home / name / jar.name).symlink_to(jar)
    shutil.copytree(package / "conf", home / "conf")
    with open(home / "conf" / "config.yaml", "a") as config:
        config.write(f"python:\n  client:\n    executable: {python}\n  executable: {python}\n")
    return home


def run_application(python, home, folder, expected, out):
    """The job on a standalone application cluster: a TaskManager, and a JobManager running
    Flink's PythonDriver with the wrapper, in the foreground until the application ends."""
    name = folder.name
    env = dict(os.environ, FLINK_HOME=str(home), _FLINK_HOME_DETERMINED="1", FLINK_LOG_DIR=str(home / "log"))
    if expected.get("pythonpath"):
        env["PYTHONPATH"] = str(DATA / "data")
    subprocess.run([str(home / "bin" / "taskmanager.sh"), "start"], env=env, check=True, capture_output=True)
    started = time.monotonic()
    try:
        result = subprocess.run(
            [str(home / "bin" / "standalone-job.sh"), "start-foreground",
             "--job-classname", "org.apache.flink.client.python.PythonDriver",
             "-py", str(folder / "run_sql.py"), "--sql-file", str(folder / "statements.sql")],
            env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return [f"{name} (application mode): still running after {RUN_TIMEOUT} s"]
    finally:
        subprocess.run([str(home / "bin" / "taskmanager.sh"), "stop"], env=env, capture_output=True)
    print(f"  application {name}: exit {result.returncode} in {time.monotonic() - started:.1f} s", flush=True)
    if result.returncode != 0:
        errors = "\n".join(line for line in result.stdout.splitlines() if " ERROR " in line or "Exception" in line)
        return [f"{name} (application mode): exit {result.returncode}\n{tail(errors)}"]
    return check_outputs(f"{name} (application mode)", expected, out, "")


def check_refused(kiln, expected):
    result = subprocess.run([kiln, "check", str(DATA / "refused")], capture_output=True, text=True)
    problems = []
    if result.returncode != 1:
        problems.append(f"kiln check refused/: exit {result.returncode}, expected 1\n{result.stderr}")
    for name, message in expected.items():
        if message not in result.stderr:
            problems.append(f"{name}: kiln check does not say {message!r}:\n{result.stderr}")
    return problems


# flinkConfiguration keys whose values kiln writes as durations (its own and the
# operator's); each one kiln renders must parse with the real Flink's TimeUtils.
DURATION_KEYS = {
    "execution.checkpointing.interval",
    "kubernetes.operator.periodic.savepoint.interval",
    "kubernetes.operator.savepoint.history.max.age",
    "jobmanager.adaptive-scheduler.resource-stabilization-timeout",
    "job.autoscaler.stabilization.interval",
    "job.autoscaler.metrics.window",
}

DURATION_CHECK = """
import json, sys
from pyflink.java_gateway import get_gateway
parse = get_gateway().jvm.org.apache.flink.util.TimeUtils.parseDuration
bad = []
for text in json.load(sys.stdin):
    try:
        parse(text)
    except Exception as e:
        bad.append(text)
print(json.dumps(bad))
"""


def check_durations(python):
    """Every duration kiln wrote into a fixture's FlinkDeployments (and the values users
    are known to write that kiln must convert) parses with Flink's own TimeUtils."""
    values = set()
    for expected in sorted((ROOT / "fixtures").glob("*/expected.yaml")):
        for doc in yaml.safe_load_all(expected.read_text()):
            if not isinstance(doc, dict) or doc.get("kind") not in ("FlinkDeployment", "FlinkBlueGreenDeployment"):
                continue
            spec = doc["spec"].get("template", {}).get("spec", doc["spec"])
            for key, value in (spec.get("flinkConfiguration") or {}).items():
                if key in DURATION_KEYS:
                    values.add(value)
    if not any(v.endswith("min") for v in values):
        return [f"durations: no converted value among {sorted(values)} (the fixtures changed?)"]
    result = subprocess.run([str(python), "-c", DURATION_CHECK], input=json.dumps(sorted(values)),
                            capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        return [f"durations: the check did not run: {tail(result.stderr)}"]
    bad = json.loads(result.stdout.strip().splitlines()[-1])
    print(f"flink_sql.py: {len(values)} durations kiln writes parse with Flink's TimeUtils", flush=True)
    return [f"durations: Flink cannot parse {v!r}" for v in bad]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kiln", nargs="?", default=str(ROOT / "target" / "debug" / "kiln"))
    parser.add_argument("--wrapper", help="run this file instead of the rendered run_sql.py")
    parser.add_argument("--only", help="comma-separated job names")
    args = parser.parse_args()
    expected = json.loads((DATA / "expected.json").read_text())
    override = pathlib.Path(args.wrapper).read_text() if args.wrapper else None
    only = set(args.only.split(",")) if args.only else None

    ensure_java()
    python = ensure_pyflink(flink_version())
    started = time.monotonic()
    problems = check_refused(args.kiln, expected["refused"])
    problems += check_durations(python)
    with tempfile.TemporaryDirectory(prefix="kiln-flink-sql-") as tmp:
        work = pathlib.Path(tmp)
        out = work / "out"
        values = {"@OUT@": str(out), "@DATA@": str(DATA / "data"), "@PYTHON@": str(python)}
        copy_with_placeholders(DATA / "repo", work / "repo", values)
        jobs = sql_jobs(render(args.kiln, work / "repo"))
        missing = set(expected["jobs"]) - set(jobs)
        problems += [f"{name}: not rendered" for name in sorted(missing)]
        problems += [f"{name}: rendered but has no expectation" for name in sorted(set(jobs) - set(expected["jobs"]))]
        names = [n for n in sorted(jobs) if n in expected["jobs"] and (only is None or n in only)]
        folders = {n: write_job(work / "local", n, *jobs[n], override) for n in names}
        for name in names:
            source = expected["jobs"][name].get("script")
            if source:  # the user's own file (with its byte-order mark), not kiln's copy
                shutil.copyfile(work / "repo" / source, folders[name] / "statements.sql")
        # Two at a time: each mini cluster is one JVM, and the machine has two cores.
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for found in pool.map(lambda n: run_local(python, folders[n], expected["jobs"][n], out), names):
                problems += found
        home = flink_home(python, work)
        applications = [n for n in expected["application"] if n in names]
        for name in applications:
            folder = write_job(work / "application", name, *jobs[name], override)
            app_out = out / "application"
            # The SQL names its sinks under @OUT@; point the application run at its own copy.
            script = (folder / "statements.sql").read_text().replace(str(out), str(app_out))
            (folder / "statements.sql").write_text(script)
            problems += run_application(python, home, folder, expected["jobs"][name], app_out)
    print(f"flink_sql.py: {len(names)} jobs locally, {len(expected['application'])} in application mode, "
          f"{time.monotonic() - started:.0f} s", flush=True)
    if problems:
        print("flink_sql.py: FAILED\n" + "\n".join(f"- {p}" for p in problems), file=sys.stderr)
        sys.exit(1)
    print("flink_sql.py: ok")


if __name__ == "__main__":
    main()
