#!/usr/bin/python3
"""
graphite-web for bench/render.ts: whisper files written directly with python3-whisper (app.<i>.latency: SERIES
series × 1,440 minute points ending now; f.l1_<a>.l2_<b>.m<c>: NAMES names for find, empty .wsp files, as find
never opens them), then Debian's graphite-web under gunicorn (2 workers) over them, on loopback.

  /usr/bin/python3 bench/render-graphite-web.py SERIES NAMES

Prints one JSON line {"url", "now", "build_s"} once graphite-web answers, and serves until stdin closes or SIGTERM;
then stops gunicorn and removes the files. The values are the ones bench/render.ts writes into torus.
"""
import json, os, sys, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "graphite-web"))
from graphite_web import Stack  # noqa: E402
import whisper  # noqa: E402

MINUTES = 1440


def value(i, m):
    return ((i * 7 + m * 3) % 97) + 0.5


def name_parts(n):
    """The find tree: f.l1_<a>.l2_<b>.m<c>, 100 children under every l2 node and 100 l2 nodes under every l1."""
    return n // 10000, (n // 100) % 100, n % 100


def main():
    series, names = int(sys.argv[1]), int(sys.argv[2])
    started = time.time()
    now = int(time.time())
    first = now - now % 60 - (MINUTES - 1) * 60
    with Stack("[all]\npattern = .*\nretentions = 60s:1d\n", "[all]\npattern = .*\nxFilesFactor = 0\naggregationMethod = average\n") as stack:
        for i in range(series):
            d = os.path.join(stack.whisper, "app", str(i))
            os.makedirs(d)
            path = os.path.join(d, "latency.wsp")
            whisper.create(path, [(60, MINUTES)], xFilesFactor=0, aggregationMethod="average")
            whisper.update_many(path, [(first + m * 60, value(i, m)) for m in range(MINUTES)], now=now)
        made = set()
        for n in range(names):
            a, b, c = name_parts(n)
            d = os.path.join(stack.whisper, "f", "l1_%d" % a, "l2_%d" % b)
            if d not in made:
                os.makedirs(d)
                made.add(d)
            open(os.path.join(d, "m%d.wsp" % c), "w").close()
        url = stack.start_web(workers=2)
        print(json.dumps({"url": url, "now": now, "build_s": round(time.time() - started, 1)}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
