#!/usr/bin/python3
"""
Ground truth for src/query/graphite-api/render-format.ts: graphite-web's own `/render` body writers
(render/views.py renderViewJson, renderViewCsv, renderViewRaw) run on hand-built series, written to
src/query/graphite-api/fixtures/render-views.json.

Needs Debian's graphite-web (1.1.8); run with /usr/bin/python3 from the repository root. These three
writers are the same in 1.1.8 and 1.1.10 (1.1.10 only adds `maxStep` to the request options).
CI does not run this; it only reads the committed fixture.
"""
import json, os, warnings

warnings.simplefilter("ignore")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
import django  # noqa: E402

django.setup()
import pytz  # noqa: E402
from graphite.render.datalib import TimeSeries  # noqa: E402
from graphite.render.views import renderViewCsv, renderViewJson, renderViewRaw  # noqa: E402

INF = float("inf")
SERIES = [
    {"name": "a.b", "start": 60, "end": 360, "step": 60, "values": [1.0, None, "inf", "-inf", 2.5]},
    {"name": 'sum(a,"b")\u00e9', "start": 0, "end": 180, "step": 60, "values": [1e-05, 123456789012345.6, 0.1]},
    {"name": "c;dc=east", "start": 1795737600, "end": 1795741200, "step": 60,
     "values": [None if i % 7 == 0 else float(i) for i in range(60)]},
]


def decode(v):
    return INF if v == "inf" else -INF if v == "-inf" else v


def series(which):
    return [TimeSeries(s["name"], s["start"], s["end"], s["step"], [decode(v) for v in s["values"]], xFilesFactor=0) for s in (SERIES[i] for i in which)]


# `series`: indexes into SERIES (maxDataPoints spans every series of the answer, so far-apart starts do not mix).
CASES = [
    {"format": "json", "series": [0, 1, 2], "options": {}},
    {"format": "json", "series": [0, 1, 2], "options": {"noNullPoints": True}},
    {"format": "json", "series": [0, 1], "options": {"maxDataPoints": 2}},
    {"format": "json", "series": [2], "options": {"maxDataPoints": 1}},
    {"format": "json", "series": [2], "options": {"maxDataPoints": 7}},
    {"format": "json", "series": [2], "options": {"maxDataPoints": 20}},
    {"format": "json", "series": [2], "options": {"maxDataPoints": 1000}},
    {"format": "json", "series": [0], "options": {"jsonp": "cb"}},
    {"format": "csv", "series": [0, 1, 2], "options": {"tz": "UTC"}},
    {"format": "csv", "series": [0, 1], "options": {"tz": "Europe/Paris"}},
    {"format": "raw", "series": [0, 1, 2], "options": {}},
]

out = []
for case in CASES:
    opts = dict(case["options"])
    if case["format"] == "json":
        res = renderViewJson(opts, series(case["series"]))
    elif case["format"] == "csv":
        res = renderViewCsv({"tzinfo": pytz.timezone(opts["tz"])}, series(case["series"]))
    else:
        res = renderViewRaw(opts, series(case["series"]))
    out.append({**case, "contentType": res["Content-Type"], "body": res.content.decode()})

path = os.path.join("src", "query", "graphite-api", "fixtures", "render-views.json")
with open(path, "w") as f:
    json.dump({"generatedBy": "test/graphite-oracle/render-views.py", "graphiteWeb": "1.1.8 (Debian) render/views.py, unchanged in 1.1.10 for these writers",
               "series": SERIES, "cases": out}, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(path, len(out), "cases")
