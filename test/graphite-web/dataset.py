"""
The deterministic data set graphite-web and torus are both fed for the side-by-side fixtures: the same points,
written to carbon over TCP by capture.py and to karbon over TCP by render-compare.test.ts (from the fixture).

Every name is stored at 60s for 1 day and 300s for 7 days. Names ending in `.count` are counters (carbon sums them
into the 300s archive; torus stores them in a `count` schema); every other name is averaged (torus: a `series`
schema, whose bucket value is the mean of its points). The minute points run over the 3 hours up to NOW, with
nulls (missing points) in a fixed pattern; some names also have one point per 5 minutes two days back, which
only the 300s archive holds.
"""

NOW = 1795738200  # 2026-11-27 00:10:00 UTC, a multiple of 3600 + 600
STEP = 60
MINUTES = 180
DAY = 86400

CARBON_SCHEMAS = """[counts]
pattern = \\.count$
retentions = 60s:1d,300s:7d

[default]
pattern = .*
retentions = 60s:1d,300s:7d
"""

CARBON_AGGREGATION = """[counts]
pattern = \\.count$
xFilesFactor = 0
aggregationMethod = sum

[default]
pattern = .*
xFilesFactor = 0
aggregationMethod = average
"""

# The same retentions for torus: 1,440 minute buckets and 2,016 five-minute buckets.
TORUS_SCHEMAS = {
    "counts": {"type": "count", "match": "\\.count$", "intervals": {"minute": {"step": 60, "steps": 1440}, "five": {"step": 300, "steps": 2016}}},
    "gauges": {"type": "series", "match": "^(?!.*\\.count$)", "intervals": {"minute": {"step": 60, "steps": 1440}, "five": {"step": 300, "steps": 2016}}},
}

GAUGES = [
    "test.a", "test.a.cpu", "test.b.cpu", "test.c.cpu",
    "servers.web1.cpu.user", "servers.web2.cpu.user", "servers.web3.cpu.user",
    "servers.web1.cpu.system", "servers.web2.cpu.system", "servers.web3.cpu.system",
    "app.api.latency", "app.db.latency", "app.web.latency",
    "neg.x",
]
COUNTS = ["counters.requests.count", "counters.errors.count"]
OLD = ["servers.web1.cpu.user", "servers.web2.cpu.user", "old.only.gauge"]  # 5-minute points two days back


def minute_times():
    return range(NOW - (MINUTES - 1) * STEP, NOW + 1, STEP)


def gauge_value(k, t):
    i = t // STEP
    if (i + k) % 9 == 0:
        return None
    return ((i * 7 + k * 11) % 23) + 0.25 * (k % 4)


def points():
    """{name: [(timestamp, value), ...]} in time order; a missing point is simply absent."""
    out = {}
    for k, name in enumerate(GAUGES):
        series = []
        for t in minute_times():
            v = gauge_value(k, t)
            if v is None:
                continue
            if name == "neg.x":
                v = v - 12.5
            series.append((t, v))
        out[name] = series
    for k, name in enumerate(COUNTS):
        out[name] = [(t, (t // STEP * 3 + k) % 5) for t in minute_times() if (t // STEP + k) % 13 != 0]
    # A monotonic counter that wraps at 1000 (for nonNegativeDerivative / perSecond).
    total, series = 0, []
    for t in minute_times():
        total = (total + (t // STEP) % 37 + 5) % 1000
        if (t // STEP) % 17 != 0:
            series.append((t, total))
    out["counters.bytes.total"] = series
    # Mostly empty: a point every 4 minutes.
    out["gappy.g"] = [(t, float((t // STEP) % 11)) for t in minute_times() if (t // STEP) % 4 == 0]
    old_times = range(NOW - 2 * DAY, NOW - DAY - 3600, 300)
    for k, name in enumerate(OLD):
        out.setdefault(name, [])
        out[name] = [(t, float((t // 300 + k) % 17)) for t in old_times] + out[name]
    return out


def finest_archive_counts(data):
    """How many points of each name carbon writes into the 60s archive (the rest only reach the 300s one)."""
    return {name: sum(1 for (t, _) in pts if NOW - t < DAY - 600) for name, pts in data.items()}
