#!/usr/bin/env python3
"""Engine conformance: every pod kiln renders starts the engine the way that release expects.

For every vLLM and SGLang release in the table of docs/modelpool.md ("Supported engine
versions"), this script
  1. fetches the release from PyPI (the sdist, or the wheel where no sdist exists) -- never
     installs it -- and reads with Python's `ast` what that release accepts: the option strings
     of every `add_argument` call of its server's parsers (and the dataclass fields that vLLM
     turns into flags), whether its `vllm serve` copies a positional model, the image
     entrypoint of `docker/Dockerfile` (stage `vllm-openai`) where the sdist has it, the HTTP
     routes (`/health`, `/metrics`), the Prometheus metric names and, for SGLang, what
     `/health` does and how long it may take;
  2. renders ModelPools for that release with kiln (every field: tensor parallelism, engine
     arguments, LoRA adapters, autoscaling on each metric, drain, placement);
  3. fails on any flag the release would reject or accept only as an argparse prefix, a
     positional model it would reject or ignore, a probe or scrape path it does not serve, a
     probe timeout shorter than its health check takes, a metric it does not export, and on
     a LoRA error from kiln for a release that does serve LoRA adapters (or no error for one
     that does not).

What it reads from each release is cached as small JSON (one file per release file, keyed by
its immutable PyPI file name) under $KILN_ENGINE_CACHE (default ~/.cache/kiln/engines), so a
warm run needs no network. `tests/data/engines/facts.json` holds the facts kiln's renders
depend on, for review; the run fails when a release no longer matches it (`--update` rewrites
it after review).

Usage: scripts/engines.py [path/to/kiln] [--update]
"""
import ast
import io
import json
import os
import pathlib
import re
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs/modelpool.md"
FACTS = ROOT / "tests/data/engines/facts.json"
CACHE = pathlib.Path(os.environ.get("KILN_ENGINE_CACHE", pathlib.Path.home() / ".cache/kiln/engines"))
INDEX = "https://pypi.org/simple/{}/"
EXTRACTOR_VERSION = 7  # bump when extraction changes: cached facts are re-read
IMAGES = {"vllm": "vllm/vllm-openai:v{}", "sglang": "lmsysorg/sglang:v{}"}
METRIC = re.compile(r"^(vllm|sglang):[a-z_]+$")


# ---------------------------------------------------------------------------------------------
# The supported versions: docs/modelpool.md is the one list.


def supported_versions():
    """(engine, version) rows of the docs' table between its two marker comments."""
    text = DOCS.read_text()
    start = text.index("<!-- engine-versions:start -->")
    end = text.index("<!-- engine-versions:end -->")
    rows = []
    for line in text[start:end].splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[0] in ("vLLM", "SGLang") and re.match(r"^\d", cells[1]):
            rows.append(({"vLLM": "vllm", "SGLang": "sglang"}[cells[0]], cells[1]))
    if not rows:
        sys.exit("engines: no versions found in docs/modelpool.md's engine-versions table")
    return rows


# ---------------------------------------------------------------------------------------------
# Fetching a release: only the files the check reads, held in memory.

WANTED = re.compile(
    r"(^|/)(docker/Dockerfile|Dockerfile|setup\.py|pyproject\.toml)$"
    r"|(^|/)(vllm|sglang)/.*\.py$|\.dist-info/entry_points\.txt$"
)


def release_file(engine, version):
    """The PyPI file to read: the sdist, else a wheel (SGLang publishes only wheels lately)."""
    request = urllib.request.Request(INDEX.format(engine), headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        files = json.load(response)["files"]
    names = {f["filename"]: f["url"] for f in files}
    sdist = f"{engine}-{version}.tar.gz"
    if sdist in names:
        return sdist, names[sdist]
    wheels = sorted(n for n in names if n.startswith(f"{engine}-{version}-") and n.endswith(".whl"))
    # Pure-python wheels first, then x86_64 Linux: the Python sources are the same in each.
    wheels.sort(key=lambda n: (not n.endswith("none-any.whl"), "x86_64" not in n))
    if not wheels:
        sys.exit(f"engines: {engine} {version}: no sdist or wheel on PyPI")
    return wheels[0], names[wheels[0]]


def read_release(filename, url):
    """{relative path: text} of the wanted files (the archive's top folder stripped)."""
    with urllib.request.urlopen(url, timeout=600) as response:
        data = response.read()
    files = {}
    if filename.endswith(".tar.gz"):
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive:
                path = member.name.split("/", 1)[1] if "/" in member.name else member.name
                # SGLang's sdists keep the package under python/ in some releases.
                path = path[len("python/"):] if path.startswith("python/") else path
                if member.isfile() and WANTED.search(path):
                    files[path] = archive.extractfile(member).read().decode("utf-8", "replace")
    else:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for name in archive.namelist():
                if WANTED.search(name):
                    files[name] = archive.read(name).decode("utf-8", "replace")
    return files


# ---------------------------------------------------------------------------------------------
# Reading a release with ast.


def parse(files, path):
    try:
        return ast.parse(files[path])
    except (KeyError, SyntaxError):
        return None


def calls(tree, name):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            if (isinstance(func, ast.Attribute) and func.attr == name) or (isinstance(func, ast.Name) and func.id == name):
                yield node


def option_strings(tree):
    """Every option string of every add_argument call; and the positional names."""
    flags, positionals = set(), set()
    for call in calls(tree, "add_argument"):
        for arg in call.args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                (flags if arg.value.startswith("-") else positionals).add(arg.value)
    return flags, positionals


def generated_flags(tree):
    """vLLM's frontend turns dataclass fields into flags (`f"--{key.replace('_', '-')}"` over
    `get_kwargs(cls)`): the fields of such a class and of its subclasses in the same file."""
    classes = {c.name: c for c in ast.walk(tree) if isinstance(c, ast.ClassDef)}
    generating = set()
    for name, cls in classes.items():
        for node in ast.walk(cls):
            if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant) and node.values[0].value == "--":
                generating.add(name)
    changed = True
    while changed:  # subclasses (cls may be one)
        changed = False
        for name, cls in classes.items():
            if name not in generating and any(isinstance(b, ast.Name) and b.id in generating for b in cls.bases):
                generating.add(name)
                changed = True
    flags = set()
    # SGLang derives flags from `A[T, "help"]` / `A[T, Arg(...)]` fields of the classes handed
    # to `add_cli_args_from_dataclass`: `--field-name` or `cli_name`, plus `aliases`.
    # Newer releases keep those fields in namespaces under sglang/srt/arg_groups/fields/.
    for cls in classes.values():
        flags |= annotated_flags(cls)
    for name in generating:
        for node in classes[name].body:
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                annotation = ast.unparse(node.annotation)
                if "ClassVar" not in annotation and not node.target.id.startswith("_"):
                    flags.add("--" + node.target.id.replace("_", "-"))
    return flags


def annotated_flags(cls):
    flags = set()
    for node in cls.body:
        if not (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)):
            continue
        annotation = node.annotation
        if not (isinstance(annotation, ast.Subscript) and ast.unparse(annotation.value) in ("A", "Annotated", "typing.Annotated")):
            continue
        parts = annotation.slice.elts if isinstance(annotation.slice, ast.Tuple) else [annotation.slice]
        meta = parts[1:]
        if not meta:
            continue
        names = ["--" + node.target.id.replace("_", "-")]
        arg = next((m for m in meta if isinstance(m, ast.Call) and ast.unparse(m.func) == "Arg"), None)
        if arg is None and not any(isinstance(m, ast.Constant) and isinstance(m.value, str) for m in meta):
            continue
        if arg is not None:
            keywords = {k.arg: k.value for k in arg.keywords}
            if isinstance(keywords.get("no_cli"), ast.Constant) and keywords["no_cli"].value is True:
                continue
            if isinstance(keywords.get("cli_name"), ast.Constant):
                names = [keywords["cli_name"].value]
            if isinstance(keywords.get("aliases"), ast.List):
                names += [e.value for e in keywords["aliases"].elts if isinstance(e, ast.Constant)]
        flags.update(names)
    return flags


def copies_model_tag(tree):
    """`args.model = args.model_tag` (or `= model_tag`): the positional becomes the model."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Attribute) and t.attr == "model" for t in node.targets):
            source = ast.unparse(node.value)
            if "model_tag" in source:
                return True
    return False


def get_routes(files, package):
    """Paths of GET routes (`@x.get("/p")`) and of mounted or listed paths such as /metrics."""
    routes = set()
    for path, text in files.items():
        if not path.startswith(package + "/") or "/tests/" in path or not ("/health" in text or "/metrics" in text):
            continue
        tree = parse(files, path)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for decorator in node.decorator_list:
                    if isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) and decorator.func.attr in ("get", "api_route", "route"):
                        if decorator.args and isinstance(decorator.args[0], ast.Constant):
                            routes.add(decorator.args[0].value)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name | ast.Attribute):
                func = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
                if func in ("Mount", "mount", "add_route") and node.args and isinstance(node.args[0], ast.Constant):
                    routes.add(node.args[0].value)
    return routes


def metric_names(files, package):
    names = set()
    for path, text in files.items():
        if path.startswith(package + "/") and "/tests/" not in path and f"{package}:" in text:
            for match in re.finditer(r"\"((?:vllm|sglang):[a-z_]+)\"", text):
                names.add(match.group(1))
    return names


def dockerfile_entrypoint(files, stage):
    """The ENTRYPOINT of a stage of docker/Dockerfile (or ./Dockerfile), or None."""
    text = files.get("docker/Dockerfile") or files.get("Dockerfile")
    if text is None:
        return None
    current, entrypoints = None, {}
    for line in text.splitlines():
        match = re.match(r"^FROM\s+\S+\s+AS\s+(\S+)", line, re.I)
        if match:
            current = match.group(1)
        match = re.match(r"^ENTRYPOINT\s+(\[.*\])", line)
        if match and current:
            entrypoints[current] = json.loads(match.group(1))
    return entrypoints.get(stage)


def console_script(files, name):
    """The `module:function` of a console script, from pyproject.toml or setup.py."""
    if "pyproject.toml" in files:
        scripts = tomllib.loads(files["pyproject.toml"]).get("project", {}).get("scripts", {})
        if name in scripts:
            return scripts[name]
    for path, text in files.items():  # a wheel's entry_points.txt
        if path.endswith(".dist-info/entry_points.txt"):
            match = re.search(rf"^{name}\s*=\s*([\w.]+:\w+)", text, re.M)
            if match:
                return match.group(1)
    match = re.search(rf"[\"']{name}\s*=\s*([\w.]+:\w+)[\"']", files.get("setup.py", ""))
    return match.group(1) if match else None


def program(files, paths):
    """Flags and positional handling of a parser built from these files."""
    flags, positionals, copies = set(), set(), False
    for path in paths:
        tree = parse(files, path)
        if tree is None:
            continue
        f, p = option_strings(tree)
        flags |= f | generated_flags(tree)
        positionals |= p
    return {"flags": sorted(flags), "positionals": sorted(positionals)}


def vllm_facts(files):
    # The serve parser's builder moved between releases (openai/, launchers/, common/).
    make = [p for p in files if re.match(r"vllm/entrypoints/(\w+/)?cli_args\.py$", p) and "def make_arg_parser" in files[p]]
    parser_files = make + ["vllm/engine/arg_utils.py"]
    script = console_script(files, "vllm")
    serve_file = "vllm/scripts.py" if script and script.startswith("vllm.scripts") else "vllm/entrypoints/cli/serve.py"
    programs = {}
    if script:
        serve = program(files, parser_files + [serve_file])
        serve["copiesPositionalToModel"] = copies_model_tag(parse(files, serve_file))
        programs["vllm serve"] = serve
    entrypoint = dockerfile_entrypoint(files, "vllm-openai")
    api = program(files, parser_files + ["vllm/entrypoints/openai/api_server.py"])
    api["copiesPositionalToModel"] = copies_model_tag(parse(files, "vllm/entrypoints/openai/api_server.py"))
    programs["python3 -m vllm.entrypoints.openai.api_server"] = api
    return {
        "entrypoint": entrypoint,
        "consoleScript": script,
        "programs": programs,
        "routes": sorted(r for r in get_routes(files, "vllm") if r in ("/health", "/metrics")),
        "metrics": sorted(metric_names(files, "vllm")),
    }


def sglang_facts(files):
    groups = sorted(p for p in files if p.startswith("sglang/srt/arg_groups/"))
    api = program(files, ["sglang/srt/server_args.py", *groups])
    api["copiesPositionalToModel"] = False
    http = "sglang/srt/entrypoints/http_server.py" if "sglang/srt/entrypoints/http_server.py" in files else "sglang/srt/server.py"
    tree = parse(files, http)
    health = {"generates": False, "timeoutSeconds": 0}
    for node in ast.walk(tree) if tree else []:
        if isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
            paths = [d.args[0].value for d in node.decorator_list if isinstance(d, ast.Call) and d.args and isinstance(d.args[0], ast.Constant)]
            if "/health" in paths:
                health["generates"] = "generate_request" in ast.unparse(node)
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "HEALTH_CHECK_TIMEOUT" for t in node.targets):
            numbers = [n.value for n in ast.walk(node.value) if isinstance(n, ast.Constant) and isinstance(n.value, int | float)]
            health["timeoutSeconds"] = numbers[-1] if numbers else 0
    # Early SGLang refuses LoRA adapters unless CUDA graphs and the radix cache are off.
    lora_needs_disabling = False
    server_args = parse(files, "sglang/srt/server_args.py")
    for node in ast.walk(server_args) if server_args else []:
        if isinstance(node, ast.Assert):
            test = ast.unparse(node.test)
            if "lora_paths" in test and "disable_radix_cache" in test:
                lora_needs_disabling = True
    # SIGTERM sets gracefully_exit; a watchdog exits once no request is left.
    manager = files.get("sglang/srt/managers/tokenizer_manager.py", "")
    drains = "def sigterm_watchdog" in manager and "gracefully_exit = True" in "".join(files.get(p, "") for p in files if p.startswith("sglang/srt/managers/"))
    return {
        "drainsOnSigterm": drains,
        "entrypoint": None,
        "modules": sorted(p for p in files if p == "sglang/launch_server.py"),
        "programs": {"python3 -m sglang.launch_server": api},
        "routes": sorted(r for r in get_routes(files, "sglang") if r in ("/health", "/metrics")),
        "metrics": sorted(metric_names(files, "sglang")),
        "health": health,
        "loraNeedsCudaGraphAndRadixCacheOff": lora_needs_disabling,
    }


def facts_of(engine, version):
    """What a release accepts, from the cache or from PyPI."""
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = sorted(CACHE.glob(f"{engine}-{version}[-.]*.json"))
    for path in cached:
        data = json.loads(path.read_text())
        if data.get("extractor") == EXTRACTOR_VERSION and data.get("version") == version:
            return data
    filename, url = release_file(engine, version)
    print(f"engines: reading {filename} from PyPI", flush=True)
    files = read_release(filename, url)
    data = vllm_facts(files) if engine == "vllm" else sglang_facts(files)
    data.update({"engine": engine, "version": version, "file": filename, "extractor": EXTRACTOR_VERSION})
    (CACHE / (filename + ".json")).write_text(json.dumps(data, indent=1, sort_keys=True))
    return data


# ---------------------------------------------------------------------------------------------
# Rendering pools with kiln for a release.


def pool_specs(engine, version, loras):
    """ModelPools that together use every field that changes the command line or probes."""
    image = IMAGES[engine].format(version)
    base = {"engine": engine, "model": "Qwen/Qwen3-0.6B", "image": image}
    specs = []
    for i, (metric, autoscaling_engine) in enumerate([("queue", "keda"), ("running", "kubernetes"), ("kvCache", "keda")]):
        spec = dict(base)
        spec.update({
            "replicas": 4,
            "assignments": {"production": 2, "testing": 1},
            "gpu": {"count": 2},
            "resources": {"cpu": "8", "memory": "64Gi"},
            "engineArgs": {"maxModelLen": 8192, "gpuMemoryUtilization": 0.9, "dtype": "bfloat16"},
            "servedModelName": "qwen",
            "hfTokenSecret": {"name": "hf", "key": "token"},
            "cache": {"emptyDir": {"sizeLimit": "50Gi"}},
            "drain": {"preStopSeconds": PRE_STOP, "shutdownTimeoutSeconds": IN_FLIGHT},
            "autoscaling": {"engine": autoscaling_engine, "metric": metric, "target": 0.8 if metric == "kvCache" else 5,
                            "max": {"production": 6}},
            "placement": {"spread": "zone", "priorityClassName": "inference"},
        })
        if loras and i == 0:
            spec["loras"] = [{"name": "sql-lora", "path": "/models/loras/sql"}, {"name": "chat-lora", "path": "/models/loras/chat"}]
        specs.append((f"p{i}", spec))
    plain = dict(base)
    plain.update({"replicas": 1, "gpu": {"count": 1}, "port": 9000})
    specs.append(("plain", plain))
    return specs


def render(kiln, engine, version, loras):
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        (root / "kiln.yaml").write_text(
            "apiVersion: kiln.dev/v1alpha1\nkind: Config\n"
            "defaults: {namespace: inference, prometheus: 'http://prometheus.monitoring:9090'}\n"
        )
        for name, spec in pool_specs(engine, version, loras):
            doc = {"apiVersion": "kiln.dev/v1alpha1", "kind": "ModelPool", "metadata": {"name": name}, "spec": spec}
            (root / f"{name}.yaml").write_text(json.dumps(doc))
        result = subprocess.run([kiln, "render", str(root), "--format", "json"], capture_output=True, text=True, env={})
        return result.returncode, result.stdout, result.stderr


def objects(stdout):
    data = json.loads(stdout)
    return data["items"] if isinstance(data, dict) and "items" in data else data


# ---------------------------------------------------------------------------------------------
# The checks.


def check_container(facts, container, problems, where):
    command = container.get("command") or facts.get("entrypoint")
    if command is None:
        problems.append(f"{where}: no command and no known image entrypoint")
        return
    name = " ".join(command)
    prog = facts["programs"].get(name)
    if prog is None:
        problems.append(f"{where}: runs {name!r}, which this release does not provide")
        return
    flags = set(prog["flags"])
    args = container.get("args") or []
    positionals = []
    for token in args:
        if token.startswith("--"):
            break
        positionals.append(token)
    if positionals:
        if not prog["positionals"]:
            problems.append(f"{where}: {name} rejects the positional {positionals[0]!r} (unrecognized arguments)")
        elif not prog["copiesPositionalToModel"]:
            problems.append(f"{where}: {name} ignores the positional {positionals[0]!r} and serves its default model")
    for token in args:
        if not token.startswith("--"):
            continue
        flag = token.split("=", 1)[0]
        if flag in flags:
            continue
        longer = sorted(f for f in flags if f.startswith(flag))
        if longer:
            problems.append(f"{where}: {flag} is only an argparse prefix of {', '.join(longer)}")
        else:
            problems.append(f"{where}: {name} has no {flag}")
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        http = (container.get(probe) or {}).get("httpGet") or {}
        if http.get("path") not in facts["routes"]:
            problems.append(f"{where}: {probe} path {http.get('path')!r} is not a route of this release")
        health = facts.get("health")
        if health and health["generates"] and probe != "startupProbe":
            needed = health["timeoutSeconds"] + 1  # the handler sleeps a second before its first look
            if container[probe].get("timeoutSeconds", 1) <= needed:
                problems.append(
                    f"{where}: {probe} timeout {container[probe].get('timeoutSeconds')}s; /health generates a token and may take {needed}s"
                )


IN_FLIGHT, PRE_STOP = 60, 5  # the drain every rendered pool asks for (pool_specs)


def check_drain(facts, pod, problems, where):
    """An in-flight request gets its IN_FLIGHT seconds on every release: the engine waits for
    it after SIGTERM, or the preStop sleep (during which the pod is out of the endpoints) does."""
    container = pod["containers"][0]
    args = container.get("args") or []
    sleep = int(((container.get("lifecycle") or {}).get("preStop") or {}).get("exec", {}).get("command", ["", "0"])[1])
    flag = int(args[args.index("--shutdown-timeout") + 1]) if "--shutdown-timeout" in args else 0
    drains_itself = flag >= IN_FLIGHT or facts.get("drainsOnSigterm", False)
    if not drains_itself and sleep < PRE_STOP + IN_FLIGHT:
        problems.append(f"{where}: this release aborts in-flight requests on SIGTERM and the preStop sleep is only {sleep}s")
    # The grace period counts from the preStop hook's start.
    if pod.get("terminationGracePeriodSeconds", 30) < sleep + (IN_FLIGHT if drains_itself else 0):
        problems.append(f"{where}: grace period {pod.get('terminationGracePeriodSeconds')}s does not cover the drain")


def check_release(kiln, engine, version, facts, problems):
    prog = next(iter(p for n, p in facts["programs"].items() if n in ("vllm serve", "python3 -m sglang.launch_server")), None)
    lora_flags = {"vllm": {"--enable-lora", "--lora-modules"}, "sglang": {"--lora-paths"}}[engine]
    serves_lora = prog is not None and lora_flags <= set(prog["flags"]) and not facts.get("loraNeedsCudaGraphAndRadixCacheOff")
    code, stdout, stderr = render(kiln, engine, version, loras=True)
    where = f"{engine} {version}"
    if code != 0:
        if serves_lora or f"{version}" not in stderr or "loras" not in stderr:
            problems.append(f"{where}: kiln refused the pools:\n{stderr}")
            return 0
        # kiln refuses LoRA for this release, as it should; render the rest.
        code, stdout, stderr = render(kiln, engine, version, loras=False)
        if code != 0:
            problems.append(f"{where}: kiln refused the pools:\n{stderr}")
            return 0
    elif not serves_lora:
        problems.append(f"{where}: kiln rendered LoRA adapters, but this release cannot serve them")
    checked = 0
    for obj in objects(stdout):
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind == "Deployment":
            pod = obj["spec"]["template"]["spec"]
            for container in pod["containers"]:
                check_container(facts, container, problems, f"{where}: {name}")
                checked += 1
            if name.startswith(f"{engine}-p"):
                check_drain(facts, pod, problems, f"{where}: {name}")
        elif kind == "PodMonitor":
            for endpoint in obj["spec"]["podMetricsEndpoints"]:
                if endpoint.get("path", "/metrics") not in facts["routes"]:
                    problems.append(f"{where}: {name} scrapes {endpoint.get('path')}, not a route of this release")
        elif kind in ("ScaledObject", "HorizontalPodAutoscaler"):
            text = json.dumps(obj)
            for metric in set(re.findall(r"(?:vllm|sglang):[a-z_]+", text)):
                if metric not in facts["metrics"]:
                    problems.append(f"{where}: {name} uses the metric {metric}, which this release does not export")
    return checked


def self_check(facts_by_release):
    """The check must catch the bug it was written for: a vLLM pod that leaves the command to
    an image whose entrypoint is the old api_server module, with the model as a positional."""
    caught = 0
    for (engine, version), facts in facts_by_release.items():
        if engine != "vllm" or not facts.get("entrypoint") or "api_server" not in " ".join(facts["entrypoint"]):
            continue
        problems = []
        container = {"args": ["Qwen/Qwen3-0.6B", "--port", "8000"], "startupProbe": {"httpGet": {"path": "/health"}},
                     "readinessProbe": {"httpGet": {"path": "/health"}}, "livenessProbe": {"httpGet": {"path": "/health"}}}
        check_container(facts, container, problems, "self-check")
        if not any("positional" in p for p in problems):
            sys.exit(f"engines: self-check: vLLM {version}'s api_server entrypoint took a positional model unnoticed")
        caught += 1
    if caught == 0:
        sys.exit("engines: self-check: no supported vLLM release has the api_server entrypoint to test against")
    problems = []
    check_container(next(iter(facts_by_release.values())), {"command": ["vllm", "serve"], "args": ["m", "--tensor-parallel"]}, problems, "self-check")
    if not any("prefix" in p or "has no" in p for p in problems):
        sys.exit("engines: self-check: an abbreviated flag passed unnoticed")
    return caught


def reviewed(facts):
    """The part of a release's facts that kiln's renders depend on, for tests/data/engines/facts.json."""
    interesting = re.compile(
        r"^--(port|host|model-path|served-model-name|tensor-parallel-size|tp-size|tp|max-model-len|context-length|"
        r"gpu-memory-utilization|mem-fraction-static|dtype|shutdown-timeout|enable-lora|lora-modules|max-loras|"
        r"max-lora-rank|lora-paths|max-loras-per-batch|enable-metrics|disable-radix-cache|disable-cuda-graph)$"
    )
    out = {"entrypoint": facts["entrypoint"], "routes": facts["routes"]}
    out["programs"] = {
        name: {
            "flags": [f for f in p["flags"] if interesting.match(f)],
            "positionals": p["positionals"],
            "copiesPositionalToModel": p["copiesPositionalToModel"],
        }
        for name, p in facts["programs"].items()
    }
    usable = {"vllm:num_requests_waiting", "vllm:num_requests_running", "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc",
              "sglang:num_queue_reqs", "sglang:num_running_reqs", "sglang:token_usage"}
    out["metrics"] = [m for m in facts["metrics"] if m in usable]
    for key in ("health", "loraNeedsCudaGraphAndRadixCacheOff", "drainsOnSigterm"):
        if key in facts:
            out[key] = facts[key]
    return out


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    update = "--update" in sys.argv
    kiln = args[0] if args else str(ROOT / "target/debug/kiln")
    releases = supported_versions()
    facts_by_release = {(e, v): facts_of(e, v) for e, v in releases}
    caught = self_check(facts_by_release)
    summary = {f"{e} {v}": reviewed(f) for (e, v), f in facts_by_release.items()}
    if update:
        FACTS.parent.mkdir(parents=True, exist_ok=True)
        FACTS.write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n")
    committed = json.loads(FACTS.read_text()) if FACTS.is_file() else {}
    failures = []  # "engine version: problem"
    for release, data in summary.items():
        if committed.get(release) != data:
            failures.append(f"{release}: the release's facts differ from tests/data/engines/facts.json (review, then --update)")
    containers, failed = 0, 0
    for (engine, version), facts in facts_by_release.items():
        problems = [f for f in failures if f.startswith(f"{engine} {version}:")]
        containers += check_release(kiln, engine, version, facts, problems)
        failed += bool(problems)
        for problem in problems:
            print(problem)
    print(f"engines: self-check caught the api_server positional on {caught} releases")
    print(f"engines: checked {containers} containers over {len(releases)} engine releases")
    print(f"engines: {len(releases) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
