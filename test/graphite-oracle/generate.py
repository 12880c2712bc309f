#!/usr/bin/python3
"""
Ground truth for src/graphite/functions: calls graphite-web's own render functions on hand-built series
and writes what they return to src/graphite/functions/fixtures/graphite-web.json.

Needs Debian's graphite-web (apt-get install graphite-web: 1.1.8 with Django) run with /usr/bin/python3.
By default it loads graphite-web 1.1.10's functions.py (the version the reference follows), given as
GRAPHITE_FUNCTIONS, e.g. from a clone of graphite-project/graphite-web:
  git show 1.1.10:webapp/graphite/render/functions.py > /tmp/functions_1110.py
  GRAPHITE_FUNCTIONS=/tmp/functions_1110.py /usr/bin/python3 test/graphite-oracle/generate.py
The series model (datalib) and maxDataPoints (views.renderViewJson) come from the installed package.
CI does not run this; it only reads the committed fixture.
"""
import copy, datetime, importlib.util, json, math, os, sys, warnings

warnings.simplefilter("ignore")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
import django  # noqa: E402

django.setup()
from django.conf import settings  # noqa: E402

# 1.1.10 settings that the 1.1.8 package lacks, at their 1.1.10 defaults.
settings.AUTOCOMPRESS_GAPS_IN_DERIVATIVE_FUNCTIONS = False
from graphite.render.datalib import TimeSeries  # noqa: E402
import graphite.render.evaluator as evaluator  # noqa: E402

path = os.environ.get("GRAPHITE_FUNCTIONS")
if path:
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import functions_1110  # noqa: E402

    F = functions_1110.load(path)
    version = ("1.1.10 functions.py (with master's _nonNegativeDelta null fix) on graphite-web 1.1.8 (Debian) "
               "datalib and views, whose TimeSeries and renderViewJson are unchanged in 1.1.10")
else:
    from graphite.render import functions as F
    version = "1.1.8 (Debian)"
from graphite.render.views import renderViewJson  # noqa: E402

UTC = datetime.timezone.utc
FROM, UNTIL, NOW = 1795737600, 1795737600 + 20 * 60, 1795737600 + 20 * 60
STEP = 60

# Generated data served by the fake fetch (the same formula is in functions/fixture.case.ts).
GEN = {"gen.*.x": ["gen.a.x", "gen.b.x", "gen.c.x"], "gen.a.x": ["gen.a.x"], "gen.b.x": ["gen.b.x"], "gen.c.x": ["gen.c.x"]}


def gen_value(k, t):
    i = t // STEP
    if (i + k) % 5 == 0:
        return None
    return ((i + 3 * k) * 7) % 23


def gen_fetch(expr, frm, until):
    if expr.startswith("group(") and expr.endswith(")"):
        return [s for part in expr[6:-1].split(",") for s in gen_fetch(part, frm, until)]
    out = []
    for name in GEN[expr]:
        k = int(ord(name.split(".")[1]) - ord("a"))
        start = frm - frm % STEP + STEP
        end = until - until % STEP + STEP
        values = [gen_value(k, t) for t in range(start, end, STEP)]
        out.append(TimeSeries(name, start, end, STEP, values, pathExpression=expr, xFilesFactor=0))
    return out


def epoch(dt):
    return int(dt.timestamp())


def fake_evaluate(ctx, target):
    return gen_fetch(target, epoch(ctx["startTime"]), epoch(ctx["endTime"]))


F.evaluateTarget = fake_evaluate


T0 = FROM
# Hand-built inputs: nulls, gaps, negatives, several series, one with a coarser step.
DATA = {
    "A": [
        ("servers.web1.cpu.user", "servers.*.cpu.user", T0, 60, [1, 2, None, 4, 5, None, None, 8, 9, 10]),
        ("servers.web2.cpu.user", "servers.*.cpu.user", T0, 60, [10, None, 30, 40, None, 60, 70, 80, 90, None]),
        ("servers.web3.cpu.user", "servers.*.cpu.user", T0, 60, [None, None, None, None, None, None, None, None, None, None]),
    ],
    "B": [("servers.web1.cpu.system", "servers.web1.cpu.system", T0, 60, [2, 2, 0, None, 5, 1, 4, 0, 3, 2])],
    "C": [("counters.c1", "counters.c1", T0, 60, [10, 20, 30, 5, 15, None, 25, 35, 0, 10])],
    "S": [("slow.s1", "slow.s1", T0, 120, [100, 200, None, 400, 500])],
    "N": [
        ("neg.a", "neg.*", T0, 60, [-3.5, 2.25, None, 0, 7, -1, 1e6, 0.5, None, 3]),
        ("neg.b", "neg.*", T0, 60, [1, 1, 1, 2, 2, None, 3, 3, 3, 3]),
    ],
    "W": [("counters.wrap", "counters.wrap", T0, 60, [250, 253, 255, 1, 3, None, 10, 256, 5, 7])],
    "E": [],
    "P": [
        ("pool.p%d" % i, "pool.*", T0, 60, vals)
        for i, vals in enumerate([[1, 5, 3, 8, 2, 9], [4, 4, 4, 4, 4, 4], [10, 0, 7, 1, 6, 2], [2, 3, 2, 3, 2, 3], [50, 60, 55, 65, 70, 52]])
    ],
    "G": [("gappy.g", "gappy.g", T0, 60, [None, 5, None, None, 7, None, None, 9, None, None, 11, None])],
    "Q": [
        ("disk.h1.used", "disk.*.*", T0, 60, [10, 20, None, 40]),
        ("disk.h1.total", "disk.*.*", T0, 60, [100, 100, 100, 0]),
        ("disk.h2.used", "disk.*.*", T0, 60, [5, None, 15, 20]),
        ("disk.h2.total", "disk.*.*", T0, 60, [50, 50, 50, 50]),
    ],
}


def build(key):
    # Floats, as whisper returns them (it matters where graphite-web prints a value with %s).
    return [TimeSeries(n, s, s + len(v) * st, st, [None if x is None else float(x) for x in v], pathExpression=p, xFilesFactor=0) for (n, p, s, st, v) in DATA[key]]


def encode_value(v):
    if v is None:
        return None
    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


def encode(series):
    return {
        "name": series.name,
        "pathExpression": series.pathExpression,
        "start": series.start,
        "end": series.end,
        "step": series.step,
        "values": [encode_value(v) for v in list(series)],
    }


CASES = []


def case(fn, *args, **kwargs):
    CASES.append((fn, list(args), kwargs))


# Combine
for f in ["sumSeries", "averageSeries", "maxSeries", "minSeries", "diffSeries", "multiplySeries", "rangeOfSeries", "stddevSeries", "countSeries"]:
    case(f, "$A")
    case(f, "$A", "$B")
case("sumSeries", "$C", "$S")
case("multiplySeries", "$B")
case("sumSeries", "$E")
for func in ["sum", "avg", "average", "median", "min", "max", "diff", "stddev", "count", "range", "multiply", "last", "avg_zero", "sumSeries", "total", "current", "rangeOf"]:
    case("aggregate", "$A", func)
case("aggregate", "$A", "sum", 0.5)
case("percentileOfSeries", "$A", 50)
case("percentileOfSeries", "$A", 90, True)
case("percentileOfSeries", "$N", 25)
case("group", "$A", "$B")
case("groupByNode", "$A", 1)
case("groupByNode", "$A", 1, "sum")
case("groupByNode", "$A", 3, "sumSeries")
case("groupByNode", "$A", -1, "max")
case("groupByNodes", "$A", "sum", 0, 3)
case("groupByNodes", "$A", "average", 1, 2)
case("sumSeriesWithWildcards", "$A", 1)
case("averageSeriesWithWildcards", "$A", 1)
case("multiplySeriesWithWildcards", "$A", 1)
case("divideSeries", "$A", "$B")
case("divideSeries", "$A", "$E")
case("divideSeries", "$C", "$S")
case("divideSeriesLists", "$N", "$N")
case("asPercent", "$A")
case("asPercent", "$A", "$B")
case("asPercent", "$A", 50)
case("asPercent", "$A", 12.5)
case("asPercent", "$N", "$N")
case("asPercent", "$A", None, 1)
# asPercent(list, totalList, node) raises UnboundLocalError in 1.1.10 (a 500): not a case.
# Transform
for f in ["absolute", "squareRoot", "invert", "derivative", "integral", "offsetToZero", "isNonNull", "changed", "minMax", "keepLastValue", "interpolate", "nonNegativeDerivative", "perSecond", "cumulative", "logit", "sigmoid"]:
    case(f, "$N")
    case(f, "$C")
case("exp", "$B")
for k in [2, 2.5, -1, 0.1, 1000000, 1e-05, 123456789]:
    case("scale", "$N", k)
case("offset", "$A", 10)
case("offset", "$A", -0.5)
case("pow", "$N", 2)
case("pow", "$N", 0.5)
case("scaleToSeconds", "$C", 1)
case("scaleToSeconds", "$S", 30)
case("log", "$N")
case("log", "$N", 2)
case("nonNegativeDerivative", "$W", 255)
case("nonNegativeDerivative", "$W", None, 1)
case("nonNegativeDerivative", "$W", 255, 1)
case("perSecond", "$W", 255)
case("keepLastValue", "$A", 1)
case("keepLastValue", "$A", 2)
case("interpolate", "$A", 1)
case("transformNull", "$A")
case("transformNull", "$A", -1)
case("transformNull", "$A", 2.5, "$B")
case("delay", "$C", 2)
case("delay", "$C", -3)
case("delay", "$C", 20)
case("round", "$N")
case("round", "$N", 1)
case("integralByInterval", "$C", "3min")
for interval in ["3min", "5min", "1h", "120s"]:
    case("summarize", "$A", interval)
    case("summarize", "$C", interval, "max", True)
case("summarize", "$N", "4min", "avg")
case("summarize", "$N", "4min", "last", True)
case("hitcount", "$C", "3min")
case("hitcount", "$C", "150s")
case("hitcount", "$S", "5min")
case("smartSummarize", "$A", "3min")
case("smartSummarize", "$A", "4min", "average")
case("consolidateBy", "$A", "max")
# Calculate
for w in [1, 3, 5, "3min", "5min"]:
    case("movingAverage", "@gen.*.x", w)
    case("movingSum", "@gen.*.x", w)
    case("movingMedian", "@gen.*.x", w)
case("movingMin", "@gen.a.x", 4)
case("movingMax", "@gen.a.x", "4min")
case("movingWindow", "@gen.*.x", 3, "median")
case("movingWindow", "@gen.*.x", 4, "sum", 0.75)
case("movingAverage", "@gen.b.x", 3, 0.5)
case("exponentialMovingAverage", "@gen.*.x", 3)
case("exponentialMovingAverage", "@gen.a.x", 5)
case("timeShift", "@gen.*.x", "5min")
case("timeShift", "@gen.a.x", "-10min")
case("timeShift", "@gen.a.x", "+3min")
case("timeShift", "@gen.a.x", "5min", False)
case("timeStack", "@gen.a.x", "5min", 0, 3)
for n in [50, 90, 99, 1, 100]:
    case("nPercentile", "$A", n)
case("nPercentile", "$N", 33.3)
case("stdev", "$N", 3)
case("stdev", "$A", 4, 0.5)
# Filter series, filter data, sorting
for f in ["highestCurrent", "highestMax", "highestAverage", "lowestCurrent", "lowestAverage"]:
    case(f, "$A", 2)
    case(f, "$N", 1)
    case(f, "$N")  # n is required: an error
case("highest", "$A", 2, "sum")
case("lowest", "$A", 1, "max")
case("highest", "$A")
for f in ["currentAbove", "currentBelow", "averageAbove", "averageBelow", "maximumAbove", "maximumBelow", "minimumAbove", "minimumBelow"]:
    case(f, "$A", 9)
    case(f, "$A", 10)
case("filterSeries", "$A", "max", ">", 9)
case("filterSeries", "$A", "sum", "<=", 20)
case("limit", "$A", 2)
case("exclude", "$A", "web[12]")
case("grep", "$A", "web[12]")
case("grep", "$A", "^servers\\.web2")
case("removeEmptySeries", "$A")
case("removeEmptySeries", "$A", 0.8)
case("removeAboveValue", "$A", 8)
case("removeBelowValue", "$A", 8.5)
case("removeAbovePercentile", "$A", 50)
case("removeBelowPercentile", "$A", 50)
case("sortByName", "$N", False, True)
case("sortByMaxima", "$A")
case("sortByMinima", "$A")
case("sortByMinima", "$N")
case("sortByTotal", "$A")
case("sortBy", "$A")
case("sortBy", "$A", "max", True)
case("mostDeviant", "$A", 2)
case("unique", "$A", "$A")
# Alias and special
case("alias", "$A", "x")
case("aliasByNode", "$A", 1)
case("aliasByNode", "$A", 1, 3)
case("aliasByNode", "$A", -1)
case("aliasByNode", "$A", 7)
case("aliasByMetric", "$A")
case("aliasSub", "$A", "^servers\\.(web\\d+)\\..*$", "\\1 host")
case("aliasSub", "$A", "(?P<host>web\\d)", "[\\g<host>]")
case("aliasSub", "$A", "(^.*$)", "\\1 A")
case("aliasSub", "$A", "\\.", "_")
case("substr", "$A", 1, 3)
case("substr", "$A", 2)
case("legendValue", "$A", "avg", "max")
case("legendValue", "$A", "total", "last")
case("cactiStyle", "$N")
case("constantLine", 100.0)  # the HTTP parser turns an int into a float here
case("constantLine", 0.5)
case("countSeries")
case("color", "$B", "red")
case("secondYAxis", "$B")
case("dashed", "$B")
case("stacked", "$B")
case("lineWidth", "$B", 3)

case("add", "$N", 2)
case("add", "$N", 2.5)
case("aggregateLine", "$A")
case("aggregateLine", "$A", "max", True)
case("aggregateSeriesLists", "$N", "$N", "max")
case("sumSeriesLists", "$N", "$N")
case("diffSeriesLists", "$P", "$P")
case("multiplySeriesLists", "$N", "$N")
case("sumSeriesLists", "$N", "$B")
case("powSeries", "$N")
case("powSeries", "$B", "$B")
case("averageOutsidePercentile", "$P", 30)
case("averageOutsidePercentile", "$P", 80)
case("removeBetweenPercentile", "$P", 30)
case("removeBetweenPercentile", "$P", 90)
case("fallbackSeries", "$E", "$B")
case("fallbackSeries", "$A", "$B")
case("setXFilesFactor", "$A", 0.5)
case("upper", "$A")
case("upper", "$A", 0, 2, -1)
case("lower", "$N")
case("timeFunction", "t")
case("timeFunction", "t", 120)
case("sinFunction", "s", 2, 300)
case("compressPeriodicGaps", "$G")
case("compressPeriodicGaps", "$A")
case("linearRegression", "@gen.a.x")
case("weightedAverage", "$P", "$P", 1)
case("weightedAverage", "$Q", "$Q", 1)
case("aliasQuery", "$B", "^.*$", "gen.a.x", "v=%d")
case("useSeriesAbove", "$P", 8.5, "^pool\\.p\\d$", "gen.a.x")
case("areaBetween", "$N")
case("groupByTags", "$A", "sum", "name")
case("aliasByTags", "$A", "name")
case("aliasByTags", "$A", 1, "name")
case("pct", "$A")
case("identity", "i")
case("legendValue", "$N", "avg", "max", "si")
case("legendValue", "$W", "total", "binary")
case("cactiStyle", "$N", "si")
case("cactiStyle", "$W", "binary", "b")
case("cactiStyle", "$A", None, "req")
case("hitcount", "@gen.a.x", "5min", True)
case("hitcount", "@gen.*.x", "7min")
case("smartSummarize", "@gen.a.x", "5min", "sum", "5min")  # alignTo is a unit, not an interval: an error
case("smartSummarize", "@gen.a.x", "5min", "sum", "minutes")
case("smartSummarize", "@gen.*.x", "10min", "max", "hours")
case("smartSummarize", "@gen.*.x", "7min", "avg", "days")
case("cactiStyle", "$N", "sec")
case("exponentialMovingAverage", "@gen.b.x", "5min")
case("movingWindow", "@gen.*.x", "4min", "max")
case("movingWindow", "@gen.*.x", 3, "diff")
case("movingWindow", "@gen.*.x", 3, "stddev", 0.5)
case("movingWindow", "@gen.a.x", 6, "last")
case("aggregateWithWildcards", "$A", "sum", 1)
case("aggregateWithWildcards", "$A", "max", 1, 3)
case("alpha", "$B", 0.5)
case("drawAsInfinite", "$B")
case("avg", "$A")
case("sum", "$A", "$B")
case("sin", "s")
case("time", "t", 300)
case("xFilesFactor", "$A", 0.3)
case("threshold", 5.0)  # the HTTP parser hands a float here
case("threshold", 5.5, "lbl", "red")
case("applyByNode", "@gen.*.x", 1, "%.x")
case("applyByNode", "@gen.*.x", 1, "%.x", "%-x")
case("timeSlice", "$A", str(T0 + 120), str(T0 + 400))
# verticalLine without a label names its series None (JSON null): ours is "", not a case.
case("verticalLine", str(T0 + 300), "deploy", "blue")
case("holtWintersForecast", "@gen.*.x", "1h", "10min")
case("holtWintersForecast", "@gen.a.x")
case("holtWintersConfidenceBands", "@gen.*.x", 2, "1h", "10min")
case("holtWintersConfidenceBands", "@gen.b.x")
case("holtWintersAberration", "@gen.*.x", 1, "1h", "10min")
case("holtWintersConfidenceArea", "@gen.a.x", 3, "2h", "15min")

# Chains: names of derived series feed the next function (pathExpression rules of §5.1).
CHAINS = [
    ("sumSeries", [["scale", "$A", 2]], {}),
    ("aliasByNode", [["sumSeries", "$A"], 1], {}),
    ("aliasByMetric", [["scale", "$B", 2]], {}),
    ("sumSeries", [["alias", "$A", "x"]], {}),
    ("aliasByNode", [["movingAverage", "@gen.*.x", 2], 1], {}),
    ("averageSeries", [["scale", "$A", 2], ["offset", "$B", 1]], {}),
    ("reduceSeries", [["mapSeries", "$Q", 1], "divideSeries", 2, "used", "total"], {}),
    ("reduceSeries", [["mapSeries", "$Q", 1], "asPercent", 2, "used", "total"], {}),
    ("lower", [["upper", "$A"]], {}),
    ("reduce", [["map", "$Q", 1], "divideSeries", 2, "used", "total"], {}),
    ("aliasByNode", [["scale", ["sumSeries", "$A"], 2], 1, 2], {}),
    ("groupByNode", [["scale", "$A", 3], 1, "sum"], {}),
]


def resolve(arg, ctx):
    if isinstance(arg, str) and arg.startswith("$"):
        return build(arg[1:])
    if isinstance(arg, str) and arg.startswith("@"):
        ctx["args"] = [arg[1:]]
        return gen_fetch(arg[1:], FROM, UNTIL)
    return arg


def context():
    return {
        "startTime": datetime.datetime.fromtimestamp(FROM, UTC),
        "endTime": datetime.datetime.fromtimestamp(UNTIL, UTC),
        "now": datetime.datetime.fromtimestamp(NOW, UTC),
        "localOnly": False,
        "data": [],
        "prefetch": {},
        "args": [],
        "xFilesFactor": 0,
        "tzinfo": UTC,
    }


def run_call(fn, args, kwargs):
    ctx = context()
    values = []
    for a in args:
        if isinstance(a, list) and a and isinstance(a[0], str) and a[0] in F.SeriesFunctions:
            values.append(run_call(a[0], a[1:], {}))
        else:
            values.append(resolve(a, ctx))
    return F.SeriesFunctions[fn](ctx, *values, **kwargs)


def spec_of(fn, args, kwargs):
    def enc(a):
        if isinstance(a, list):
            return {"call": a[0], "args": [enc(x) for x in a[1:]]}
        if isinstance(a, str) and a[:1] in "$@":
            return {"series": a}
        if isinstance(a, float) and math.isinf(a):
            return {"inf": True}
        return a

    return {"fn": fn, "args": [enc(a) for a in args], "kwargs": kwargs}


out_cases = []
for fn, args, kwargs in CASES + CHAINS:
    entry = spec_of(fn, args, kwargs)
    try:
        entry["expected"] = [encode(s) for s in run_call(fn, args, kwargs)]
    except Exception as err:  # graphite-web rejected it: we must reject it too
        entry["error"] = type(err).__name__ + ": " + str(err)
    out_cases.append(entry)

# maxDataPoints: graphite-web 1.1.10's own test_render.py tables plus the reference §7 case,
# through the installed renderViewJson.
MDP = []
for start, cf, xff in [(1, "sum", None), (3, "sum", None), (5, "sum", None), (1, "sum", 1), (3, "sum", 1)]:
    vals = list(range(start, start + 20))
    for mdp in list(range(1, 22)):
        s = TimeSeries("test", start, start + 20, 1, vals, consolidate=cf, xFilesFactor=xff)
        body = json.loads(renderViewJson({"maxDataPoints": mdp}, [s]).content)
        MDP.append({"series": {"start": start, "end": start + 20, "step": 1, "values": vals, "consolidationFunc": cf, "xFilesFactor": xff or 0}, "maxDataPoints": mdp, "datapoints": body[0]["datapoints"] if body else []})
T = 1795737600 - 1795737600 % 3600
vals60 = [None if i % 7 == 0 else i for i in range(60)]
for cf in ["average", "sum", "min", "max", "first", "last", "avg_zero"]:
    for mdp in [1, 7, 10, 20, 59, 60, 100]:
        s = TimeSeries("test", T, T + 3600, 60, vals60, consolidate=cf, xFilesFactor=0)
        body = json.loads(renderViewJson({"maxDataPoints": mdp}, [s]).content)
        MDP.append({"series": {"start": T, "end": T + 3600, "step": 60, "values": vals60, "consolidationFunc": cf, "xFilesFactor": 0}, "maxDataPoints": mdp, "datapoints": body[0]["datapoints"]})

fixture = {
    "generatedBy": "test/graphite-oracle/generate.py",
    "graphiteWeb": version,
    "range": {"from": FROM, "until": UNTIL, "now": NOW},
    "gen": {"step": STEP, "expressions": GEN},
    "data": {k: [{"name": n, "pathExpression": p, "start": s, "end": s + len(v) * st, "step": st, "values": v} for (n, p, s, st, v) in rows] for k, rows in DATA.items()},
    "cases": out_cases,
    "maxDataPoints": MDP,
}
dest = os.path.join(os.path.dirname(__file__), "..", "..", "src", "graphite", "functions", "fixtures", "graphite-web.json")
with open(dest, "w") as fh:
    json.dump(fixture, fh, indent=1)
    fh.write("\n")
print("%d cases, %d maxDataPoints cases, %d errors -> %s" % (len(out_cases), len(MDP), sum(1 for c in out_cases if "error" in c), dest))

# /functions: every function's group, params (Param.toJSON) and signature text as graphite-web builds them
# (functionInfo uses inspect.getargspec, which Python 3.11 lacks; inspect.signature gives the same text).
import inspect  # noqa: E402


def signature_text(name, func):
    parts = []
    for i, p in enumerate(inspect.signature(func).parameters.values()):
        if i == 0:
            continue
        if p.kind == p.VAR_POSITIONAL:
            parts.append("*" + p.name)
        elif p.kind == p.VAR_KEYWORD:
            parts.append("**" + p.name)
        elif p.default is not p.empty:
            parts.append("%s=%r" % (p.name, p.default))
        else:
            parts.append(p.name)
    return "%s(%s)" % (name, ", ".join(parts))


def json_default(v):
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return v


FUNCS = {}
for name, func in sorted(F.SeriesFunctions.items()):
    params = []
    for p in getattr(func, "params", None) or []:
        j = p.toJSON()
        if "default" in j:
            j["default"] = json_default(j["default"])
        params.append(j)
    FUNCS[name] = {"function": signature_text(name, func), "group": getattr(func, "group", "Ungrouped"), "params": params}
funcs_dest = os.path.join(os.path.dirname(dest), "graphite-web-functions.json")
with open(funcs_dest, "w") as fh:
    json.dump({"generatedBy": "test/graphite-oracle/generate.py", "graphiteWeb": version, "functions": FUNCS}, fh, indent=1, sort_keys=True)
    fh.write("\n")
print("%d functions -> %s" % (len(FUNCS), funcs_dest))

# Number formatting inside names (§5.2): Python's '%g', repr(float) and '%d', for series.test.ts.
NUMBERS = [0, -0.0, 1, 2, 2.5, -1, 0.1, 0.5, 1.5, 10, 100, 1000000, 999999, 999999.5, 1234567, 123456789, 1e-05, 0.0001, 0.00012345,
           1.23456789, 3.14159265, 2.0 / 3, 1e16, 1e15, 123456789012345678, 1e-7, 1.5e-10, -2.5e-5, 12.5, 99.99, 100.0, 0.3, 1e22,
           5e-324, 1.7976931348623157e308, 4.35, 0.000123456789, 65536, 33.3]
NUMBERS += [0.125, 0.375, 2.675, 1.005, 0.5, 1.5, 2.5, -0.125, 1234.5678, 0.045, 99.995, 1e-3]
fmt = [{"v": v, "g": "%g" % v, "repr": repr(float(v)), "d": "%d" % v, "round6": round(v, 6), "f2": "%.2f" % v, "f0": "%.0f" % v} for v in NUMBERS]
fmt_dest = os.path.join(os.path.dirname(dest), "python-numbers.json")
with open(fmt_dest, "w") as fh:
    json.dump({"generatedBy": "test/graphite-oracle/generate.py", "python": sys.version.split()[0], "numbers": fmt}, fh, indent=1)
    fh.write("\n")
print("%d numbers -> %s" % (len(fmt), fmt_dest))

# aliasSub is Python's re.sub on the name: the translation to JavaScript regexes is checked against re itself.
import re  # noqa: E402

NAMES = ["servers.web1.cpu.user", "servers.web-02.cpu.system", "a.b", "Disk.Used;dc=east", "x"]
SUBS = [
    (r"(^.*$)", r"\1 A"), (r"^servers\.(web\d+)\..*$", r"\1"), (r"(?P<host>web[-\d]+)", r"[\g<host>]"), (r"\.", "_"),
    (r"\.", r"\\"), (r"(\w+)\.(\w+)", r"\2.\1"), (r"^(.*)$", r"\g<0>!"), (r"u", "$1"), (r"(?i)disk", "D"),
    (r"[aeiou]", ""), (r"(\w)(?=\.)", r"<\1>"), (r".*", "X"), (r"^", "pre."), (r"$", ".post"), (r"(\d)+", r"#\1"),
    (r"(?P<a>\w)\.(?P=a)", "same"), (r"\A\w+", "start"), (r"\w+\Z", "end"), (r"(a)|(b)", r"[\1\2]"),
    (r"cpu\.(user|system)", r"\1\t"), (r"(?s).", "."), (r"\d", r"\n"), (r"web(\d)", r"\g<1>0"), (r"[.;=]", "/"),
    (r"(?:servers|a)\.", ""), (r"e+?", "E"), (r"(.)\1", "dbl"), (r"\bcpu\b", "CPU"), (r"\s|\S", "-"),
]
re_cases = []
for pattern, repl in SUBS:
    for name in NAMES:
        try:
            out = re.sub(pattern, repl, name)
        except re.error as err:
            out = {"error": str(err)}
        re_cases.append({"pattern": pattern, "replace": repl, "name": name, "result": out})
re_dest = os.path.join(os.path.dirname(dest), "python-re-sub.json")
with open(re_dest, "w") as fh:
    json.dump({"generatedBy": "test/graphite-oracle/generate.py", "python": sys.version.split()[0], "cases": re_cases}, fh, indent=1)
    fh.write("\n")
print("%d re.sub cases -> %s" % (len(re_cases), re_dest))
