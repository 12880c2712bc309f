#!/usr/bin/python3
"""
Ground truth for the find endpoints (src/query/graphite-api/find-routes.ts): graphite-web 1.1.10's
metrics/views.py, run on Debian's graphite-web 1.1.8 package (its storage and standard finder), over
whisper files made for the names below; writes src/query/graphite-api/fixtures/graphite-web-find.json.

  git -C <graphite-web clone> show 1.1.10:webapp/graphite/metrics/views.py > /tmp/views_1110.py
  GRAPHITE_VIEWS=/tmp/views_1110.py /usr/bin/python3 test/graphite-oracle/find-oracle.py

graphite-web shuffles the paths it found before sorting them by name, so when two paths share a name
the answer can vary: each case is run under 30 seeds and every distinct answer is kept.
CI does not run this; it only reads the committed fixture.
"""
import importlib.util, json, os, random, shutil, sys, tempfile, warnings

warnings.simplefilter("ignore")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402
import whisper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "src", "query", "graphite-api", "fixtures", "graphite-web-find.json")

NAMES = [
    "servers.web1.cpu.user", "servers.web1.cpu.system", "servers.web2.cpu.user", "servers.web2.cpu.idle",
    "servers.web3.mem", "servers.db1.cpu.user", "test.a.cpu", "test.a.cpu.core0", "test.b.cpu",
    "test.c.cpu.core1", "top", "enc.a%20b+c",
]
QUERIES = ["*", "servers.*", "servers.web*.cpu.*", "servers.{web1,db1}.cpu.user", "test.?.cpu", "test.a.*",
           "test.*.cpu.*", "servers.web[12].*", "servers.web[!1].*", "enc.*", "nothing.*", "top", "t*", "*.*.cpu",
           "servers.web1.cpu.user", "servers.web1", "*e*", "servers.*w*"]

root = tempfile.mkdtemp()
for name in NAMES:
    path = os.path.join(root, *name.split(".")) + ".wsp"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    whisper.create(path, [(60, 60)])
settings.STANDARD_DIRS = [root]
settings.WHISPER_DIR = root
settings.STORAGE_FINDERS = ["graphite.finders.standard.StandardFinder"]
settings.TAGDB = None
import graphite.storage as storage  # noqa: E402

storage.STORE = storage.Store()
views_path = os.environ.get("GRAPHITE_VIEWS")
if views_path:
    spec = importlib.util.spec_from_file_location("graphite.metrics.views", views_path)
    V = importlib.util.module_from_spec(spec)
    sys.modules["graphite.metrics.views"] = V
    spec.loader.exec_module(V)
    version = "1.1.10 metrics/views.py on graphite-web 1.1.8 (Debian) storage and standard finder"
else:
    from graphite.metrics import views as V
    version = "1.1.8 (Debian)"
V.STORE = storage.STORE
# No user database here: the profile's advancedUI is off, as for an anonymous user.
V.getProfile = lambda request: type("Profile", (), {"advancedUI": False})()
from django.test import RequestFactory  # noqa: E402

rf = RequestFactory()


def strip_intervals(body):
    if isinstance(body, list):
        for e in body:
            if isinstance(e, dict):
                e.pop("intervals", None)
    return body


def run(view, method, params):
    answers = []
    for seed in range(30):
        random.seed(seed)
        req = rf.get("/x", params) if method == "GET" else rf.post("/x", params)
        res = view(req)
        text = res.content.decode()
        try:
            body = strip_intervals(json.loads(text))
        except ValueError:
            body = None
        answer = {"status": res.status_code, "body": body}
        if answer not in answers:
            answers.append(answer)
    return answers


cases = []
for q in QUERIES:
    for extra in [{}, {"wildcards": "1"}, {"leavesOnly": "1"}, {"format": "completer"}, {"format": "completer", "wildcards": "1"}, {"format": "json"}]:
        params = dict(extra, query=q)
        cases.append({"endpoint": "/metrics/find", "method": "POST", "params": params, "answers": run(V.find_view, "POST", params)})
for params in [{"query": ["servers.*", "test.*.cpu"]}, {"query": ["test.*.cpu"], "leavesOnly": "1"},
               {"query": ["servers.*", "test.*.cpu"], "groupByExpr": "1"}, {"query": ["*.*.cpu", "test.a.*"]}, {}]:
    cases.append({"endpoint": "/metrics/expand", "method": "GET", "params": params, "answers": run(V.expand_view, "GET", params)})
cases.append({"endpoint": "/metrics/index.json", "method": "GET", "params": {}, "answers": run(V.index_json, "GET", {})})
for params in [{}, {"query": ""}, {"query": "a", "format": "nope"}, {"query": "a", "wildcards": "x"}, {"query": "a", "from": "notatime"}]:
    cases.append({"endpoint": "/metrics/find", "method": "GET", "params": params, "answers": run(V.find_view, "GET", params)})

shutil.rmtree(root)
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    json.dump({"graphite_web": version, "names": NAMES, "cases": cases}, f, indent=1, sort_keys=True)
    f.write("\n")
print(f"{len(cases)} cases, {sum(len(c['answers']) > 1 for c in cases)} with more than one answer -> {os.path.relpath(OUT)}")
