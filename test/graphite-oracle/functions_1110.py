"""
graphite-web 1.1.10's render/functions.py loaded over Debian's graphite-web 1.1.8 package, as the oracle
(generate.py) and the side-by-side server (test/graphite-web/graphite_web.py) both serve it: the module is
installed as graphite.render.functions, and `_nonNegativeDelta` gets master's null fix (1.1.10 raises
TypeError on a null with maxValue/minValue, a 500).
"""
import importlib.util, sys


def _nonNegativeDelta_master(val, prev, maxValue, minValue):
    if val is None:
        return None, None
    if maxValue is not None and val > maxValue:
        return None, None
    if minValue is not None and val < minValue:
        return None, None
    if prev is None:
        return None, val
    if val >= prev:
        return val - prev, val
    if maxValue is not None:
        return maxValue + 1 + val - prev - (minValue or 0), val
    if minValue is not None:
        return val - minValue, val
    return None, val


def load(path):
    """The functions module at `path`, installed in place of the packaged one."""
    spec = importlib.util.spec_from_file_location("graphite.render.functions", path)
    F = importlib.util.module_from_spec(spec)
    sys.modules["graphite.render.functions"] = F
    spec.loader.exec_module(F)
    F._nonNegativeDelta = _nonNegativeDelta_master
    return F
