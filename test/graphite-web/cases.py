"""
The requests captured from graphite-web: (id, path with query string[, options]). Times are absolute or relative to
`now=`, which is NOW (the clock graphite-web runs under too), so every answer is repeatable.
Options: "body" makes it a form POST (as Grafana sends /render and /metrics/find); "status_only" keeps only the
status (error cases: the HTML text is graphite-web's own); "drop" lists JSON keys whose values carry the wall clock.
"""
from urllib.parse import quote

from dataset import NOW

H1 = "from=%d&until=%d" % (NOW - 3600, NOW)
H3 = "from=%d&until=%d" % (NOW - 10800, NOW)
M20 = "from=%d&until=%d" % (NOW - 1200, NOW)
N = "now=%d" % NOW


def q(s):
    return quote(s, safe="*")


def render(target, rng=M20, extra="", fmt="json"):
    return "/render?target=%s&%s&%s&format=%s%s" % (q(target), rng, N, fmt, extra)


CASES = []


def case(cid, path, **opts):
    CASES.append(dict(id=cid, path=path, **opts))


# ---- plain paths, globs, braces ----
case("path", render("test.a.cpu"))
case("path-3h", render("test.b.cpu", H3))
case("leaf-and-branch-as-leaf", render("test.a"))
case("glob-star", render("servers.*.cpu.user"))
case("glob-question", render("test.?.cpu"))
case("glob-class", render("servers.web[12].cpu.user"))
case("glob-class-negated", render("servers.web[!1].cpu.user"))
case("glob-braces", render("servers.{web1,web3}.cpu.user"))
case("glob-braces-in-node", render("servers.web{1,3}.cpu.*"))
case("glob-two-levels", render("servers.*.cpu.*"))
case("glob-prefix-suffix", render("app.*b*.latency"))
case("no-match", render("nosuch.metric"))
case("no-data-in-range", render("old.only.gauge"))
case("negative-values", render("neg.x"))
case("counter", render("counters.requests.count"))
case("gappy", render("gappy.g"))
case("several-targets", "/render?target=test.a.cpu&target=servers.web2.cpu.user&target=nosuch.x&%s&%s&format=json" % (M20, N))
case("target-brackets", "/render?target[]=test.a.cpu&target[]=test.b.cpu&%s&%s&format=json" % (M20, N))
case("post-form", "/render", body="target=servers.*.cpu.system&target=test.c.cpu&%s&%s&format=json&maxDataPoints=300" % (M20, N))
case("post-merges-query", "/render?target=test.a.cpu&%s" % N, body="target=test.b.cpu&%s&format=json" % M20)

# ---- formats ----
case("csv", render("servers.web{1,2}.cpu.user", extra="", fmt="csv"))
case("raw", render("servers.web{1,2}.cpu.user", extra="", fmt="raw"))
case("csv-tz", render("servers.web1.cpu.user", extra="&tz=America/New_York", fmt="csv"))
case("csv-gappy", render("gappy.g", fmt="csv"))
case("raw-function", render("sumSeries(servers.*.cpu.user)", fmt="raw"))
case("jsonp", render("test.a.cpu", extra="&jsonp=cb"))
case("no-null-points", render("gappy.g", extra="&noNullPoints=1"))
case("no-null-points-empty-dropped", render("old.only.gauge", extra="&noNullPoints=1"))
case("no-null-points-several", render("servers.*.cpu.user", extra="&noNullPoints=true"))

# ---- from / until forms and alignment (reference 2.1, 2.2) ----
for cid, rng in [
    ("time-absolute-1h", H1),
    ("time-from-mid-step", "from=%d&until=%d" % (NOW - 600 + 30, NOW - 30)),
    ("time-same-step", "from=%d&until=%d" % (NOW - 600 + 1, NOW - 600 + 2)),
    ("time-until-now", "from=%d&until=now" % (NOW - 600)),
    ("time-until-future-clamped", "from=%d&until=%d" % (NOW - 600, NOW + 600)),
    ("time-relative-h", "from=-1h&until=now"),
    ("time-relative-min", "from=-30min"),
    ("time-relative-both", "from=-2h&until=-1h"),
    ("time-now-minus", "from=now-45min&until=now-15min"),
    ("time-relative-s", "from=-600s&until=-60s"),
    ("time-hhmm-yyyymmdd", "from=23:00_20261126&until=23:30_20261126"),
    ("time-swapped", "from=%d&until=%d" % (NOW, NOW - 600)),
    ("time-2d-coarse-archive", "from=%d&until=%d" % (NOW - 2 * 86400, NOW)),
    ("time-yyyymmdd-coarse", "from=20261126&until=%d" % NOW),
    ("time-tz-hhmm-yyyymmdd", "from=23:00_20261126&until=23:30_20261126&tz=Europe/Berlin"),
    ("time-midnight", "from=midnight&until=now"),
    ("time-yesterday-to-midnight", "from=yesterday&until=midnight"),
    ("time-mmddyy", "from=11/26/26&until=now"),
    ("time-month-day", "from=nov26&until=now"),
    ("time-1w-clamped", "from=-1w&until=now"),
    ("time-8d-clamped", "from=-8d&until=now"),
    ("time-before-retention", "from=-10d&until=-9d"),
    ("time-future-range", "from=%2B1h&until=%2B2h"),
    ("time-20h-fine-archive", "from=%d&until=%d" % (NOW - 20 * 3600, NOW - 19 * 3600)),
]:
    case(cid, "/render?target=servers.web1.cpu.user&%s&%s&format=json" % (rng, N))
case("time-coarse-counter", "/render?target=counters.requests.count&from=%d&until=%d&%s&format=json" % (NOW - 2 * 86400, NOW, N))
case("time-coarse-old-only", "/render?target=old.only.gauge&from=%d&until=%d&%s&format=json" % (NOW - 2 * 86400, NOW - 86400, N))

# ---- maxDataPoints (reference 7) over 3 h = 180 points ----
for mdp in [1, 2, 7, 20, 100, 179, 180, 1000]:
    case("mdp-%d" % mdp, render("servers.web1.cpu.user", H3, "&maxDataPoints=%d" % mdp))
for func in ["sum", "max", "min", "first", "last", "average", "avg_zero"]:
    case("mdp-consolidateBy-%s" % func, render("consolidateBy(servers.web2.cpu.user,'%s')" % func, H3, "&maxDataPoints=20"))
case("mdp-several-series", render("servers.*.cpu.user", H3, "&maxDataPoints=30"))
case("mdp-mixed-lengths", "/render?target=test.a.cpu&target=timeShift(test.b.cpu,'30min')&%s&%s&format=json&maxDataPoints=50" % (H3, N))
case("mdp-counter", render("counters.requests.count", H3, "&maxDataPoints=20"))
case("mdp-counter-consolidateBy-sum", render("consolidateBy(counters.requests.count,'sum')", H3, "&maxDataPoints=20"))
case("mdp-coarse-archive", "/render?target=servers.web1.cpu.user&from=%d&until=%d&%s&format=json&maxDataPoints=100" % (NOW - 2 * 86400, NOW, N))
case("mdp-0", render("servers.web1.cpu.user", H1, "&maxDataPoints=0"))
case("mdp-negative", render("servers.web1.cpu.user", H1, "&maxDataPoints=-1"))
case("mdp-csv-ignored", render("servers.web1.cpu.user", H3, "&maxDataPoints=10", fmt="csv"))

# ---- functions ----
FUNCS = [
    # Combine
    "sumSeries(servers.*.cpu.user)",
    "sum(servers.*.cpu.user)",
    "sumSeries(test.a.cpu,test.b.cpu)",
    "averageSeries(servers.*.cpu.user)",
    "maxSeries(servers.*.cpu.user)",
    "minSeries(servers.*.cpu.user)",
    "diffSeries(servers.web1.cpu.user,servers.web2.cpu.user)",
    "multiplySeries(servers.web1.cpu.user,servers.web2.cpu.user)",
    "rangeOfSeries(servers.*.cpu.user)",
    "stddevSeries(servers.*.cpu.user)",
    "countSeries(servers.*.cpu.user)",
    "percentileOfSeries(servers.*.cpu.user,50)",
    "aggregate(servers.*.cpu.user,'avg')",
    "group(test.a.cpu,servers.web1.cpu.*)",
    "groupByNode(servers.*.cpu.*,1,'sum')",
    "groupByNode(servers.*.cpu.*,3)",
    "groupByNodes(servers.*.cpu.*,'max',1,3)",
    "sumSeriesWithWildcards(servers.*.cpu.user,1)",
    "divideSeries(servers.*.cpu.user,servers.web1.cpu.system)",
    "asPercent(servers.*.cpu.user)",
    "asPercent(servers.web1.cpu.user,servers.web2.cpu.user)",
    "sumSeries(scale(servers.*.cpu.user,2))",
    "sumSeries(nosuch.*)",
    # Transform
    "scale(test.a.cpu,2.5)",
    "offset(neg.x,-1)",
    "absolute(neg.x)",
    "invert(test.a.cpu)",
    "pow(test.a.cpu,2)",
    "log(test.a.cpu)",
    "derivative(test.b.cpu)",
    "nonNegativeDerivative(counters.bytes.total)",
    "nonNegativeDerivative(counters.bytes.total,999)",
    "perSecond(counters.bytes.total)",
    "integral(counters.requests.count)",
    "keepLastValue(gappy.g)",
    "keepLastValue(gappy.g,1)",
    "transformNull(gappy.g,-1)",
    "interpolate(gappy.g)",
    "delay(test.a.cpu,2)",
    "timeShift(test.a.cpu,'10min')",
    "timeShift(test.a.cpu,'+5min')",
    "summarize(test.a.cpu,'5min')",
    "summarize(test.a.cpu,'5min','max',true)",
    "summarize(counters.requests.count,'10min','sum')",
    "hitcount(counters.requests.count,'3min')",
    "consolidateBy(test.a.cpu,'max')",
    "cumulative(test.a.cpu)",
    "changed(gappy.g)",
    "isNonNull(gappy.g)",
    "offsetToZero(neg.x)",
    "minMax(test.a.cpu)",
    "scaleToSeconds(counters.requests.count,1)",
    # Calculate
    "movingAverage(test.a.cpu,5)",
    "movingAverage(test.a.cpu,'5min')",
    "movingSum(counters.requests.count,3)",
    "movingMax(test.a.cpu,4)",
    "movingMin(test.a.cpu,4)",
    "movingMedian(test.a.cpu,5)",
    "movingWindow(test.a.cpu,3,'average')",
    "exponentialMovingAverage(test.a.cpu,5)",
    "nPercentile(test.a.cpu,90)",
    # Filter and sort
    "highestCurrent(servers.*.cpu.user,2)",
    "highestMax(servers.*.cpu.*,2)",
    "highestAverage(servers.*.cpu.*,1)",
    "lowestAverage(servers.*.cpu.user,1)",
    "currentAbove(servers.*.cpu.user,10)",
    "averageBelow(servers.*.cpu.user,11)",
    "maximumAbove(servers.*.cpu.*,21)",
    "limit(servers.*.cpu.*,2)",
    "exclude(servers.*.cpu.*,'web2')",
    "grep(servers.*.cpu.*,'sys')",
    "removeEmptySeries(group(test.a.cpu,old.only.gauge))",
    "removeBelowValue(test.a.cpu,10)",
    "removeAboveValue(test.a.cpu,10)",
    "sortByName(servers.*.cpu.*,false,true)",
    "sortByMaxima(servers.*.cpu.user)",
    "sortByTotal(servers.*.cpu.user)",
    # Alias
    "alias(servers.*.cpu.user,'x')",
    "aliasByNode(servers.*.cpu.user,1)",
    "aliasByNode(servers.*.cpu.*,1,3)",
    "aliasByNode(servers.*.cpu.user,-3)",
    "aliasByNode(sumSeries(servers.*.cpu.user),1)",
    "aliasByMetric(scale(servers.*.cpu.user,2))",
    "aliasSub(servers.*.cpu.user,'servers\\.(\\w+)\\..*','\\1')",
    "aliasSub(servers.*.cpu.user,'^servers\\.(?P<host>[^.]+).*','host=\\g<host>')",
    "aliasSub(test.a.cpu,\"(^.*$)\",\"\\1 A\")",
    "aliasSub(sumSeries(servers.*.cpu.user),\"(^.*$)\",\"\\1 B\")",
    "aliasSub(aliasByNode(servers.*.cpu.user,1),\"(^.*$)\",\"\\1 Panel_1\")",
    "substr(servers.web1.cpu.user,1,3)",
    "constantLine(100)",
    "aliasSub(constantLine(100),\"(^.*$)\",\"\\1 A\")",
    # More of each group
    "sumSeries(servers.*.cpu.user,servers.web1.cpu.user)",
    "asPercent(servers.*.cpu.user,50)",
    "asPercent(servers.*.cpu.*,None,1)",
    "countSeries()",
    "perSecond(counters.bytes.total,999)",
    "integralByInterval(counters.requests.count,'10min')",
    "summarize(test.a.cpu,'1h','avg')",
    "hitcount(counters.requests.count,'5min',true)",
    "timeShift(servers.web1.cpu.user,'1d')",
    "highest(servers.*.cpu.*,2,'max')",
    "lowest(servers.*.cpu.*,2,'current')",
    "sortByMinima(servers.*.cpu.user)",
    "sortBy(servers.*.cpu.*,'max',true)",
    "removeAbovePercentile(test.a.cpu,50)",
    "removeBelowPercentile(test.a.cpu,50)",
    "minimumBelow(servers.*.cpu.*,1)",
    "aliasByTags(servers.*.cpu.user,1,'name')",
    "constantLine(0.5)",
    "aliasByNode(servers.web1.cpu.user,7)",
    "stddevSeries(servers.*.cpu.user)|aliasSub('^(.*)$','sd')",
    # Pipes and nesting
    "servers.*.cpu.user|sumSeries()|scale(2)",
    "aliasByNode(movingAverage(app.*.latency,10),1)",
]
for i, f in enumerate(FUNCS):
    case("fn-%02d %s" % (i, f), render(f))
case("grafana-panel-wrapped", "/render", body="target=%s&target=%s&from=%d&until=%d&format=json&maxDataPoints=120&%s" % (
    q('aliasSub(servers.*.cpu.user, "(^.*$)", "\\1 A")'), q('aliasSub(sumSeries(app.*.latency), "(^.*$)", "\\1 B")'), NOW - 10800, NOW, N))
case("mdp-xFilesFactor", render("servers.web1.cpu.user", H3, "&maxDataPoints=20&xFilesFactor=0.9"))
case("duplicate-targets", "/render?target=servers.*.cpu.user&target=servers.web1.cpu.user&%s&%s&format=json" % (M20, N))
case("truncated-target", render("sumSeries(test.a.cpu"))
case("fn-movingAverage-3h-mdp", render("aliasByNode(movingAverage(app.*.latency,10),1)", H3, "&maxDataPoints=50"))
case("fn-grafana-health", "/render", body="target=%s&from=%d&until=%d&format=json&maxDataPoints=300&%s" % (q('aliasSub(constantLine(100), "(^.*$)", "\\1 A")'), NOW - 3600, NOW, N))

# ---- /metrics/find ----
for cid, query, extra in [
    ("find-root", "*", ""),
    ("find-level1", "servers.*", ""),
    ("find-level2-glob", "servers.web*.cpu.*", ""),
    ("find-question", "test.?.cpu", ""),
    ("find-leaf-and-branch", "test.*", ""),
    ("find-leaf-and-branch-exact", "test.a", ""),
    ("find-branch-exact", "servers", ""),
    ("find-braces", "servers.{web1,web3}.cpu.user", ""),
    ("find-class", "servers.web[12]", ""),
    ("find-class-negated", "servers.web[!1]", ""),
    ("find-typing", "servers.*w*", ""),
    ("find-no-match", "nosuch.*", ""),
    ("find-wildcards", "servers.*", "&wildcards=1"),
    ("find-wildcards-one-match", "test.b.*", "&wildcards=1"),
    ("find-leaves-only", "test.*", "&leavesOnly=1"),
    ("find-completer", "servers.web1.*", "&format=completer"),
    ("find-completer-leaf", "test.a*", "&format=completer"),
    ("find-completer-root", "*", "&format=completer"),
    ("find-json", "test.*", "&format=json"),
    ("find-leaf-exact", "test.a.cpu", ""),
    ("find-two-wildcards", "*.*", ""),
    ("find-leaves-only-deep", "servers.web1.cpu.*", "&leavesOnly=1"),
    ("find-treejson-explicit", "app.*", "&format=treejson"),
    ("find-below-leaf", "servers.web1.cpu.user.*", ""),
    ("find-trailing-dot", "servers.", ""),
    ("find-nested-braces", "servers.{web{1,2},nosuch}.cpu", ""),
    ("find-completer-empty", "nosuch*", "&format=completer"),
    ("find-from-until", "servers.*.cpu.*", "&from=%d&until=%d" % (NOW - 3600, NOW)),
]:
    opts = {"drop": ["intervals"]} if "format=json" in extra else {}
    case(cid, "/metrics/find?query=%s%s" % (q(query), extra), **opts)
case("find-post", "/metrics/find?from=%d&until=%d" % (NOW - 3600, NOW), body="query=servers.web1.*")
case("find-metrics-alias", "/metrics?query=test.*")

# ---- /metrics/expand and /metrics/index.json ----
case("expand", "/metrics/expand?query=servers.*.cpu.*")
case("expand-branches", "/metrics/expand?query=servers.*")
case("expand-several", "/metrics/expand?query=test.*&query=app.*.latency")
case("expand-group", "/metrics/expand?query=test.*&query=servers.web1.*&groupByExpr=1")
case("expand-leaves-only", "/metrics/expand?query=test.*&leavesOnly=1")
case("expand-braces", "/metrics/expand?query=servers.{web1,web2}.cpu.system")
case("index-json", "/metrics/index.json")
case("expand-no-match", "/metrics/expand?query=nosuch.*")
case("expand-leaf", "/metrics/expand?query=test.a.cpu")
case("expand-from-until", "/metrics/expand?query=counters.*&from=%d&until=%d" % (NOW - 3600, NOW))
case("render-no-target", "/render?%s&%s&format=json" % (M20, N))
case("render-empty-target", "/render?target=&%s&%s&format=json" % (M20, N))
case("no-null-points-function", render("keepLastValue(gappy.g,1)", extra="&noNullPoints=1"))

# ---- errors (status only) ----
for cid, path in [
    ("err-unknown-function", render("nosuchFunc(test.a.cpu)")),
    ("err-bad-offset-unit", "/render?target=test.a.cpu&from=-5m&%s&format=json" % N),
    ("err-fractional-offset", "/render?target=test.a.cpu&from=-1.5h&%s&format=json" % N),
    ("err-iso-date", "/render?target=test.a.cpu&from=2026-11-26&%s&format=json" % N),
    ("err-empty-range", "/render?target=test.a.cpu&from=%d&until=%d&%s&format=json" % (NOW - 600, NOW - 600, N)),
    ("err-divide-two-divisors", render("divideSeries(servers.web1.cpu.user,servers.*.cpu.system)")),
    ("err-find-no-query", "/metrics/find"),
    ("err-mdp-abc", render("test.a.cpu", extra="&maxDataPoints=abc")),
    ("err-extra-paren", render("sumSeries(test.a.cpu))")),
    ("err-arg-type", render("scale(test.a.cpu,'x')")),
    ("err-missing-arg", render("scale(test.a.cpu)")),
    ("err-too-many-args", render("absolute(test.a.cpu,1,2)")),
    ("err-asPercent-lengths", render("asPercent(servers.*.cpu.user,group(test.a.cpu,test.b.cpu))")),
    ("err-bad-interval", render("summarize(test.a.cpu,'5x')")),
    ("err-unknown-aggfunc", render("aggregate(servers.*.cpu.user,'nosuch')")),
]:
    case(cid, path, status_only=True)

# ---- under URL_PREFIX (graphite-web and torus both configured with "/graphite") ----
PREFIX = "/graphite"
case("prefix-render", PREFIX + render("servers.*.cpu.user"), prefix=PREFIX)
case("prefix-render-post", PREFIX + "/render", body="target=sumSeries(test.*.cpu)&%s&%s&format=json&maxDataPoints=5" % (M20, N), prefix=PREFIX)
case("prefix-find", PREFIX + "/metrics/find?query=servers.*", prefix=PREFIX)
case("prefix-find-post", PREFIX + "/metrics/find", body="query=test.*", prefix=PREFIX)
case("prefix-expand", PREFIX + "/metrics/expand?query=app.*", prefix=PREFIX)
case("prefix-index-json", PREFIX + "/metrics/index.json", prefix=PREFIX)
case("prefix-root-render-missing", render("test.a.cpu"), prefix=PREFIX, status_only=True)
case("prefix-root-find-missing", "/metrics/find?query=*", prefix=PREFIX, status_only=True)
