#!/usr/bin/python3
"""
Capture graphite-web's HTTP answers for the cases in cases.py over the data set in dataset.py, into
fixtures/graphite-web.json (render-compare.test.ts replays them against torus; CI never runs this).

Needs Debian's graphite-web, graphite-carbon, gunicorn, python3-whisper and faketime, and graphite-web 1.1.10's
render/functions.py (the reference follows 1.1.10), e.g. from a clone of graphite-project/graphite-web:
  git show 1.1.10:webapp/graphite/render/functions.py > /tmp/functions-1.1.10.py
  GRAPHITE_FUNCTIONS=/tmp/functions-1.1.10.py /usr/bin/python3 test/graphite-web/capture.py

Every case is asked of two graphite-web instances over the same whisper files: one serving 1.1.10's functions
(the answer recorded) and the packaged 1.1.8 one; where they differ the 1.1.8 answer is kept beside it.
"""
import json, math, os, sys, time, urllib.error, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from graphite_web import Stack  # noqa: E402
import dataset  # noqa: E402
from cases import CASES  # noqa: E402

OUT = os.path.join(HERE, "fixtures", "graphite-web.json")

# Where torus answers differently on purpose: asserted as described, not as graphite-web's answer.
# "datapoints_as": torus's datapoints equal those of that other case (the series names stay this case's);
# "status": torus answers with that status and a {"error", "code"} body instead.
DIFFERENCES = {
    "truncated-target": {
        "reason": "a target with unbalanced parentheses is a 400 naming the position; graphite-web reads the text up to "
                  "where parsing stopped as a path (`sumSeries`), which matches nothing (reference section 1.8 allows rejecting it)",
        "status": 400,
    },
    "err-extra-paren": {"reason": "text after a complete target is a 400; graphite-web ignores what follows the parsed call", "status": 400},
    "mdp-0": {"reason": "maxDataPoints=0 is a 400; graphite-web divides by it (a 500)", "status": 400},
    "mdp-negative": {"reason": "a negative maxDataPoints is a 400; graphite-web skips consolidation", "status": 400},
    "err-mdp-abc": {"reason": "a maxDataPoints that is not a whole number is a 400; graphite-web ignores it", "status": 400},
    "err-arg-type": {"reason": "an argument of the wrong type is a 400; graphite-web raises in the function (a 500)", "status": 400},
    "err-missing-arg": {"reason": "a missing required argument is a 400; graphite-web raises (a 500: argument validation is off by default)", "status": 400},
    "err-too-many-args": {"reason": "too many arguments is a 400; graphite-web raises (a 500)", "status": 400},
    "err-bad-interval": {"reason": "an interval with an unknown unit is a 400; graphite-web raises in the function (a 500)", "status": 400},
    "mdp-counter": {
        "reason": "maxDataPoints consolidates a count schema by sum by default (graphite-web averages counters)",
        "datapoints_as": "mdp-counter-consolidateBy-sum",
    },
}


# Why 1.1.8's answer differs, where it is not the moving-window change (reference section 9).
# Keyed by the function call a case's id ends with.
MAXVALUE_NULL = ("1.1.8 and 1.1.10 both raise on a null with maxValue (a 500); the response is master's fix, which the reference "
                 "follows (section 9)")
NOTES_118 = {
    "nonNegativeDerivative(counters.bytes.total,999)": MAXVALUE_NULL,
    "perSecond(counters.bytes.total,999)": MAXVALUE_NULL,
}


def fetch(base, c):
    data = c.get("body")
    req = urllib.request.Request(base + c["path"], data=data.encode() if data is not None else None, method="POST" if data is not None else "GET")
    if data is not None:
        req.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(req, timeout=60) as res:
            status, ctype, text = res.status, res.headers.get("Content-Type", ""), res.read().decode()
    except urllib.error.HTTPError as e:
        status, ctype, text = e.code, e.headers.get("Content-Type", ""), e.read().decode(errors="replace")
    out = {"status": status}
    if c.get("status_only"):
        return out
    out["contentType"] = ctype.split(";")[0].strip()
    if out["contentType"] == "application/json":
        body = json.loads(text, parse_constant=lambda s: {"Infinity": "Infinity", "-Infinity": "-Infinity", "NaN": None}[s],
                          parse_float=lambda s: encode_float(float(s)))
        out["body"] = drop(body, c.get("drop", []))
    else:
        out["body"] = text
    return out


def encode_float(v):
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def drop(body, keys):
    if not keys:
        return body
    if isinstance(body, list):
        return [drop(b, keys) for b in body]
    if isinstance(body, dict):
        return {k: drop(v, keys) for k, v in body.items() if k not in keys}
    return body


def capture(stack, functions, prefix=""):
    """Every case for this URL prefix, asked of a fresh graphite-web (its clock starts at NOW)."""
    t0 = time.time()
    base = stack.start_web(workers=2, functions_1110=functions, url_prefix=prefix)
    root = base[: len(base) - len(prefix.rstrip("/"))]
    started = time.time()
    answers = {c["id"]: fetch(root, c) for c in CASES if c.get("prefix", "") == prefix}
    elapsed = time.time() - started
    stack.stop_web()
    # The fake clock runs from NOW while graphite-web is up: past a minute, "until=now" would move a step.
    if elapsed > 50:
        raise SystemExit("capture took %.0f s: the clock moved too far past NOW" % elapsed)
    print("captured %d cases in %.1f s (start %.1f s)" % (len(answers), elapsed, started - t0), file=sys.stderr)
    return answers


def dump(fixture):
    """JSON with one data series and one case per line, so a regenerated fixture diffs case by case."""
    compact = lambda v: json.dumps(v, separators=(",", ":"))  # noqa: E731
    parts = []
    for k, v in fixture.items():
        if k == "data":
            inner = ",\n".join("    %s:%s" % (compact(n), compact(p)) for n, p in v.items())
            parts.append('  "data":{\n%s\n  }' % inner)
        elif k == "cases":
            parts.append('  "cases":[\n%s\n  ]' % ",\n".join("    " + compact(c) for c in v))
        else:
            parts.append("  %s:%s" % (compact(k), compact(v)))
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main():
    functions = os.environ.get("GRAPHITE_FUNCTIONS")
    if not functions or not os.path.exists(functions):
        raise SystemExit("GRAPHITE_FUNCTIONS must name graphite-web 1.1.10's render/functions.py (see the header)")
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids)), "duplicate case ids"
    data = dataset.points()
    # carbon's clock starts a little before NOW so the newest point (at NOW) is not in its future.
    with Stack(dataset.CARBON_SCHEMAS, dataset.CARBON_AGGREGATION, fake_now=dataset.NOW) as stack:
        stack.fake_now = dataset.NOW - 30
        lines = ["%s %r %d" % (name, v, t) for name, pts in sorted(data.items()) for (t, v) in pts]
        for attempt in (1, 2):
            # Writing the same points again is harmless: a busy machine gets a second carbon.
            stack.start_carbon()
            stack.send(lines)
            try:
                stack.wait_written(dataset.finest_archive_counts(data))
                break
            except SystemExit as e:
                if attempt == 2:
                    raise
                print("carbon, first attempt: %s" % e, file=sys.stderr)
                stack.stop_carbon()
        time.sleep(3)  # the last batch of old-only points
        stack.stop_carbon()
        stack.fake_now = dataset.NOW
        v1110 = capture(stack, functions)
        v118 = capture(stack, None)
        for prefix in sorted({c["prefix"] for c in CASES if c.get("prefix")}):
            v1110.update(capture(stack, functions, prefix))
            v118.update(capture(stack, None, prefix))
    cases = []
    differing = 0
    for c in CASES:
        entry = {"id": c["id"], "request": {"method": "POST" if "body" in c else "GET", "path": c["path"]}}
        if "body" in c:
            entry["request"]["body"] = c["body"]
        if c.get("prefix"):
            entry["urlPrefix"] = c["prefix"]
        if c.get("status_only"):
            entry["statusOnly"] = True
        if c.get("drop"):
            entry["dropped"] = c["drop"]
        entry["response"] = v1110[c["id"]]
        if v118[c["id"]] != v1110[c["id"]]:
            differing += 1
            entry["graphiteWeb118"] = v118[c["id"]]
            entry["note"] = NOTES_118.get(c["id"].split(" ", 1)[-1], "graphite-web 1.1.8 answers differently (kept in graphiteWeb118); the response is 1.1.10's: "
                                          "the moving-window functions include the current point from 1.1.10 on (reference section 9)")
        if c["id"] in DIFFERENCES:
            entry["torusDiffers"] = DIFFERENCES[c["id"]]
        cases.append(entry)
    missing = [k for k in DIFFERENCES if k not in ids]
    assert not missing, missing
    fixture = {
        "generator": "GRAPHITE_FUNCTIONS=/tmp/functions-1.1.10.py /usr/bin/python3 test/graphite-web/capture.py "
                     "(functions.py from `git show 1.1.10:webapp/graphite/render/functions.py` of graphite-project/graphite-web; "
                     "needs apt-get install graphite-web graphite-carbon gunicorn python3-whisper faketime)",
        "graphiteWeb": "Debian graphite-web 1.1.8 (gunicorn, 2 workers) serving graphite-web 1.1.10's render functions with master's "
                       "_nonNegativeDelta null fix; carbon-cache 1.1.7 wrote the whisper files",
        "now": dataset.NOW,
        "clock": "carbon, graphite-web and torus all run with their wall clock starting at `now` (libfaketime; a Date.now shim for node)",
        "carbon": {"storage-schemas.conf": dataset.CARBON_SCHEMAS, "storage-aggregation.conf": dataset.CARBON_AGGREGATION},
        "torusSchemas": dataset.TORUS_SCHEMAS,
        "data": {name: [[t, v] for (t, v) in pts] for name, pts in sorted(data.items())},
        "cases": cases,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "w") as f:
        f.write(dump(fixture))
    print("wrote %s: %d cases, %d where 1.1.8 differs" % (OUT, len(cases), differing), file=sys.stderr)


if __name__ == "__main__":
    main()
