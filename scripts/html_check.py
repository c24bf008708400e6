#!/usr/bin/env python3
"""kiln's HTML pages in a real headless browser (Debian chromium).

For `kiln status --format html` (examples/lemo, examples/hyperpod, and a pool whose model
name is markup) and `kiln diff --format html` (a git repository with a pool, a Service and a
job changed), each page is loaded by chromium from a local server that is also chromium's
only proxy, so every request the page makes is seen:

- the page loads with no console message and no request but its own;
- the numbers in the DOM (`data-*` attributes) equal `--format json`'s;
- text from the repository stays text (no element the page did not write);
- a screenshot goes to target/html/ for a person to look at.

Usage: scripts/html_check.py [KILN]   (default target/debug/kiln)
"""
import html.parser
import http.server
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import threading

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHOTS = ROOT / "target" / "html"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Chromium's own background requests (network time, component updates, sign-in), made with
# or without a page: they go through the proxy too, but they are not the page's. Anything
# else that reaches the proxy (a font, a script, an image on any other host) is a failure,
# and the page's Content-Security-Policy would also report it on the console.
BROWSER_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com",
                 "clientservices.googleapis.com", "safebrowsingohttpgateway.googleapis.com",
                 "content-autofill.googleapis.com", "optimizationguide-pa.googleapis.com"}


def host(request):
    """The host a proxied request goes to (`CONNECT host:443`, or an absolute URL)."""
    target = request.split(" ", 1)[1] if request.startswith("CONNECT ") else request.split("://", 1)[-1]
    return target.split("/", 1)[0].split(":", 1)[0]


class Pages(http.server.BaseHTTPRequestHandler):
    pages = {}
    requests = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        Pages.requests.append(self.path)
        name = self.path.rsplit("/", 1)[-1]
        body = Pages.pages.get(name)
        if body is None or not self.path.startswith("http://kiln.test/"):
            self.send_response(404)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.end_headers()
        self.wfile.write(body.encode())

    def do_CONNECT(self):  # noqa: N802
        Pages.requests.append("CONNECT " + self.path)
        self.send_response(403)
        self.end_headers()

    def log_message(self, *args):
        pass


def chromium(port, profile, *args):
    command = [
        CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-default-browser-check",
        "--metrics-recording-only", "--no-pings",
        "--disable-features=MediaRouter,OptimizationHints,Translate,NetworkTimeServiceQuerying",
        f"--user-data-dir={profile}", f"--proxy-server=http://127.0.0.1:{port}",
        "--proxy-bypass-list=<-loopback>", "--enable-logging=stderr", "--log-level=0",
        *args,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120)


class Dom(html.parser.HTMLParser):
    """Every element with its attributes, and the text of the page."""

    def __init__(self):
        super().__init__()
        self.elements = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def kiln_out(kiln, *args, cwd=None, codes=(0,)):
    result = subprocess.run([kiln, *args], capture_output=True, text=True, cwd=cwd, env={"PATH": os.environ["PATH"]})
    if result.returncode not in codes:
        sys.exit(f"html_check: kiln {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
    return result.stdout


def status_numbers(dom, report):
    """Problems where the status page's DOM and the JSON report disagree."""
    problems = []
    pools = [a for t, a in dom.elements if "data-pool" in a]
    if len(pools) != len(report["pools"]):
        problems.append(f"{len(pools)} pools in the page, {len(report['pools'])} in JSON")
    for attrs, pool in zip(pools, report["pools"]):
        want = {"data-pool": f"{pool['namespace']}/{pool['name']}", "data-replicas": str(pool["replicas"]),
                "data-gpus": str(pool["gpus"]), "data-removable": str(pool["removable"])}
        for key, value in want.items():
            if attrs.get(key) != value:
                problems.append(f"pool {want['data-pool']}: {key} {attrs.get(key)!r} != {value!r}")
    slices = [a for t, a in dom.elements if t == "tr" and "data-business" in a]
    json_slices = [s for p in report["pools"] for s in p["distribution"]]
    if [(a["data-business"], a["data-replicas"], a.get("data-max-replicas")) for a in slices] != [
        (s["business"], str(s["replicas"]), str(s["maxReplicas"]) if "maxReplicas" in s else None) for s in json_slices
    ]:
        problems.append("the slices in the page differ from JSON")
    jobs = [a for t, a in dom.elements if "data-job" in a]
    if len(jobs) != len(report["jobs"]):
        problems.append(f"{len(jobs)} jobs in the page, {len(report['jobs'])} in JSON")
    for attrs, job in zip(jobs, report["jobs"]):
        name = f"{job['namespace']}/{job['name']}"
        want = {"data-job": name, "data-min-replicas": str(job["minReplicas"]), "data-max-replicas": str(job["maxReplicas"])}
        hours = job.get("taskManagerHoursPerWeek")
        if hours:
            want["data-hours-min"] = f"{hours['min']:.1f}"
            want["data-hours-max"] = f"{hours['max']:.1f}"
        for key, value in want.items():
            if attrs.get(key) != value:
                problems.append(f"job {name}: {key} {attrs.get(key)!r} != {value!r}")
    # Every job's chart has 168 hours, each within its job's range.
    hours = [a for t, a in dom.elements if t == "rect" and "data-hour" in a]
    if len(hours) != 168 * len(report["jobs"]):
        problems.append(f"{len(hours)} hour columns for {len(report['jobs'])} jobs")
    for index, job in enumerate(report["jobs"]):
        week = hours[index * 168:(index + 1) * 168]
        floors = [int(a["data-floor"]) for a in week]
        ceilings = [int(a["data-ceiling"]) for a in week]
        if week and (min(floors) < job["minReplicas"] or max(ceilings) > job["maxReplicas"]):
            problems.append(f"job {job['name']}: the chart leaves the range {job['minReplicas']}-{job['maxReplicas']}")
    sessions = [a for t, a in dom.elements if "data-session" in a]
    json_sessions = report.get("sessions", [])
    if len(sessions) != len(json_sessions):
        problems.append(f"{len(sessions)} sessions in the page, {len(json_sessions)} in JSON")
    for attrs, session in zip(sessions, json_sessions):
        name = f"{session['namespace']}/{session['name']}"
        want = {"data-session": name, "data-slots-in-use": str(session["slotsInUse"]),
                "data-slots": str(session["slots"]) if "slots" in session else None}
        for key, value in want.items():
            if attrs.get(key) != value:
                problems.append(f"session {name}: {key} {attrs.get(key)!r} != {value!r}")
    session_jobs = [(a["data-session-job"], a["data-parallelism"]) for t, a in dom.elements if "data-session-job" in a]
    if session_jobs != [(j["name"], str(j["parallelism"])) for s in json_sessions for j in s["jobs"]]:
        problems.append(f"the session jobs in the page differ from JSON: {session_jobs}")
    return problems


def diff_numbers(dom, report):
    problems = []
    sections = [a for t, a in dom.elements if "data-added" in a]
    if len(sections) != len(report["environments"]):
        return [f"{len(sections)} reports in the page, {len(report['environments'])} in JSON"]
    for attrs, env in zip(sections, report["environments"]):
        for key in ["added", "removed", "changed", "unchanged"]:
            if attrs.get("data-" + key) != str(env["summary"][key]):
                problems.append(f"summary {key}: {attrs.get('data-' + key)!r} != {env['summary'][key]}")
    impacts = [a["data-impact"] for t, a in dom.elements if "data-impact" in a]
    if impacts != [n["impact"] for e in report["environments"] for n in e["notes"]]:
        problems.append(f"impact notes differ: {impacts}")
    changes = [a["data-change"] for t, a in dom.elements if "data-change" in a]
    if changes != [c["change"] for e in report["environments"] for c in e["changes"]]:
        problems.append(f"changes differ: {changes}")
    return problems


def pages(kiln, work):
    """(name, html, json report, check) for every page to load."""
    for example in ["lemo", "hyperpod", "lifecycle"]:
        root = ROOT / "examples" / example
        yield (f"status-{example}", kiln_out(kiln, "status", str(root), "--format", "html"),
               json.loads(kiln_out(kiln, "status", str(root), "--format", "json")), status_numbers)
    # A model name that is markup: the page must show it as text.
    evil = work / "evil"
    evil.mkdir()
    (evil / "kiln.yaml").write_text("apiVersion: kiln.dev/v1alpha1\nkind: Config\ndefaults: {namespace: ns}\n")
    (evil / "pool.yaml").write_text(
        "apiVersion: kiln.dev/v1alpha1\nkind: ModelPool\nmetadata: {name: evil}\nspec:\n"
        "  engine: vllm\n  model: \"<script>alert(1)</script><img src=x>\"\n  replicas: 2\n"
        "  assignments: {chat: 1}\n  image: vllm/vllm-openai:v0.11.0\n")
    yield ("status-markup", kiln_out(kiln, "status", str(evil), "--format", "html"),
           json.loads(kiln_out(kiln, "status", str(evil), "--format", "json")), status_numbers)
    # A diff: a git repository holding examples/hyperpod and examples/lemo's jobs, changed.
    repo = work / "repo"
    shutil.copytree(ROOT / "examples" / "hyperpod", repo)
    git = lambda *args: subprocess.run(["git", "-c", "user.email=t@example.com", "-c", "user.name=t", *args],
                                       cwd=repo, check=True, capture_output=True)
    git("init", "-q")
    git("add", "-A")
    git("commit", "-qm", "base")
    pool = repo / "pools" / "qwen-06b.yaml"
    pool.write_text(pool.read_text().replace("replicas: 4", "replicas: 5").replace("production: 2", "production: 3"))
    service = repo / "services" / "production-chat.yaml"
    service.write_text(service.read_text().replace("exposure: internal", "exposure: external"))
    yield ("diff", kiln_out(kiln, "diff", ".", "--base", "HEAD", "--format", "html", cwd=repo, codes=(1,)),
           json.loads(kiln_out(kiln, "diff", ".", "--base", "HEAD", "--format", "json", cwd=repo, codes=(1,))),
           diff_numbers)


def main():
    # Absolute: the diff runs kiln from inside a temporary repository.
    kiln = str(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ROOT / "target/debug/kiln").resolve())
    if not os.path.exists(CHROMIUM):
        sys.exit("html_check: chromium is required (apt-get install chromium)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    failures, checked = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        work = pathlib.Path(tmp)
        # The check must see what it is for: a page that fetches an image and runs a script.
        Pages.pages["self-check.html"] = ('<!DOCTYPE html><html><body><img src="http://cdn.example.com/x.png">'
                                          '<script>console.error("boom")</script></body></html>')
        Pages.requests.clear()
        probe = chromium(port, work / "profile-self-check", "--dump-dom", "http://kiln.test/self-check.html")
        seen = [r for r in Pages.requests if host(r) == "cdn.example.com"]
        said = [l for l in probe.stderr.splitlines() if "CONSOLE" in l and "boom" in l]
        if not seen or not said:
            sys.exit(f"html_check: the check did not see a page's request ({seen}) or console error ({said}); refusing to trust it")
        for name, page, report, check in pages(kiln, work):
            Pages.pages[name + ".html"] = page
            Pages.requests.clear()
            url = f"http://kiln.test/{name}.html"
            profile = work / ("profile-" + name)
            loaded = chromium(port, profile, "--dump-dom", url)
            problems = []
            if loaded.returncode != 0:
                problems.append(f"chromium exited {loaded.returncode}: {loaded.stderr[-500:]}")
            others = [r for r in Pages.requests if r != url and host(r) not in BROWSER_HOSTS]
            if Pages.requests.count(url) != 1 or others:
                problems.append(f"requests besides the page: {others}")
            console = [l for l in loaded.stderr.splitlines() if "CONSOLE" in l or "Refused to" in l]
            if console:
                problems.append(f"console messages: {console}")
            dom = Dom()
            dom.feed(loaded.stdout)
            if not any(t == "body" for t, _ in dom.elements):
                problems.append("no body in the loaded DOM")
            tags = {t for t, _ in dom.elements}
            if tags & {"script", "img", "iframe", "link", "object"}:
                problems.append(f"elements the page never writes: {sorted(tags & {'script', 'img', 'iframe', 'link', 'object'})}")
            if name == "status-markup" and "<script>alert(1)</script><img src=x>" not in "".join(dom.text):
                problems.append("the model name is not shown as text")
            problems += check(dom, report)
            shot = chromium(port, profile, f"--screenshot={SHOTS / (name + '.png')}", "--window-size=1280,1800",
                            "--hide-scrollbars", url)
            if shot.returncode != 0 or not (SHOTS / (name + ".png")).is_file():
                problems.append("no screenshot")
            checked += 1
            for problem in problems:
                failures.append(f"{name}: {problem}")
            print(f"  {name}: {'ok' if not problems else 'FAILED'}")
    server.shutdown()
    for failure in failures:
        print(failure)
    print(f"html_check: {checked} pages in chromium, {len(failures)} problems; screenshots in {SHOTS}")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
