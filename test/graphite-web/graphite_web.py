"""
Real carbon-cache and graphite-web (Debian's graphite-carbon 1.1.7, graphite-web 1.1.8 under gunicorn) as child
processes on loopback, over a temporary storage directory: what capture.py and bench/render.ts measure against.

Nothing under /etc is read or changed: carbon gets its own carbon.conf, storage-schemas.conf and
storage-aggregation.conf, and graphite-web a settings module in the temporary directory (GRAPHITE_SETTINGS_MODULE
on PYTHONPATH) with STORAGE_DIR/WHISPER_DIR there, TIME_ZONE=UTC, a SQLite database there (migrated on start), no
carbonlink (points are read from the whisper files once carbon has written them).

`fake_now` runs every process under libfaketime (Debian package `faketime`) starting at that unix time: whisper
picks its archive and clamps `until` by the wall clock, not by the `now=` parameter, so a fixed clock is what makes
the answers repeatable.

`functions_1110` (a path to graphite-web 1.1.10's render/functions.py) serves the render functions of 1.1.10 instead
of the packaged 1.1.8 ones, as test/graphite-oracle/generate.py does: 1.1.10 settings the 1.1.8 package lacks get
their 1.1.10 defaults, `_nonNegativeDelta` gets master's null fix (1.1.10 raises on a null with maxValue), and
`inspect.getargspec` (gone in Python 3.11, which makes 1.1.8's and 1.1.10's /functions a 500) is supplied.
"""
import json, os, shutil, signal, socket, subprocess, sys, tempfile, time, urllib.request

PY = "/usr/bin/python3"
# Debian's layout: the graphite package and its WSGI entry.
GRAPHITE_PKG = "/usr/lib/python3/dist-packages/graphite"
GUNICORN = "/usr/bin/gunicorn"
CARBON_CACHE = "/usr/bin/carbon-cache"
ORACLE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "graphite-oracle")
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

WSGI_1110 = r'''
import importlib.util, inspect, os, sys
from collections import namedtuple

# Python 3.11 dropped inspect.getargspec, which graphite.functions uses to describe functions for /functions.
if not hasattr(inspect, "getargspec"):
    _ArgSpec = namedtuple("ArgSpec", "args varargs keywords defaults")
    def _getargspec(f):
        s = inspect.getfullargspec(f)
        return _ArgSpec(s.args, s.varargs, s.varkw, s.defaults)
    inspect.getargspec = _getargspec

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "graphite.settings")
import django
django.setup()
from django.conf import settings
settings.AUTOCOMPRESS_GAPS_IN_DERIVATIVE_FUNCTIONS = False

path = os.environ.get("GRAPHITE_FUNCTIONS")
if path:
    sys.path.insert(0, {oracle!r})
    import functions_1110
    F = functions_1110.load(path)
    import graphite.render
    graphite.render.functions = F

from graphite.wsgi import application  # noqa: E402
'''

SETTINGS = '''
SECRET_KEY = "graphite-web-side-by-side"
TIME_ZONE = "UTC"
DEBUG = False
LOG_ROTATION = False
LOG_RENDERING_PERFORMANCE = False
LOG_CACHE_PERFORMANCE = False
DEFAULT_XFILES_FACTOR = 0
GRAPHITE_ROOT = "/usr/share/graphite-web"
STATIC_ROOT = "/usr/share/graphite-web/static"
CONF_DIR = {conf!r}
STORAGE_DIR = {storage!r}
WHISPER_DIR = {whisper!r}
LOG_DIR = {logs!r}
INDEX_FILE = {index!r}
CARBONLINK_HOSTS = []
FUNCTION_PLUGINS = []
URL_PREFIX = {url_prefix!r}
DATABASES = {{"default": {{"NAME": {db!r}, "ENGINE": "django.db.backends.sqlite3", "USER": "", "PASSWORD": "", "HOST": "", "PORT": ""}}}}
'''

CARBON_CONF = '''
[cache]
STORAGE_DIR = {storage}
LOCAL_DATA_DIR = {whisper}
WHITELISTS_DIR = {conf}
LOG_DIR = {logs}
PID_DIR = {storage}
ENABLE_LOGROTATION = False
USER =
MAX_CACHE_SIZE = inf
MAX_UPDATES_PER_SECOND = 100000
MAX_CREATES_PER_MINUTE = inf
LINE_RECEIVER_INTERFACE = 127.0.0.1
LINE_RECEIVER_PORT = {line_port}
ENABLE_UDP_LISTENER = False
PICKLE_RECEIVER_INTERFACE = 127.0.0.1
PICKLE_RECEIVER_PORT = {pickle_port}
CACHE_QUERY_INTERFACE = 127.0.0.1
CACHE_QUERY_PORT = {query_port}
LOG_LISTENER_CONN_SUCCESS = False
LOG_UPDATES = False
LOG_CREATES = False
LOG_CACHE_HITS = False
WHISPER_AUTOFLUSH = False
CARBON_METRIC_INTERVAL = 0
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def faketime_env(fake_now):
    if fake_now is None:
        return {}
    if not os.path.exists(FAKETIME_LIB):
        raise SystemExit("libfaketime is missing: apt-get install -y faketime")
    # "@<date>" starts the clock there and lets it run.
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(fake_now))
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": "@" + stamp, "TZ": "UTC", "FAKETIME_NO_CACHE": "1"}


class Stack:
    """carbon-cache plus one or more graphite-web instances over one storage directory."""

    def __init__(self, schemas, aggregation, fake_now=None, keep=False):
        self.dir = tempfile.mkdtemp(prefix="graphite-web-side-")
        self.keep = keep
        self.fake_now = fake_now
        self.conf = os.path.join(self.dir, "conf")
        self.storage = os.path.join(self.dir, "storage")
        self.whisper = os.path.join(self.storage, "whisper")
        self.logs = os.path.join(self.dir, "log")
        for d in (self.conf, self.whisper, self.logs):
            os.makedirs(d)
        with open(os.path.join(self.conf, "storage-schemas.conf"), "w") as f:
            f.write(schemas)
        with open(os.path.join(self.conf, "storage-aggregation.conf"), "w") as f:
            f.write(aggregation)
        self.carbon = None
        self.webs_running = []
        self.webs = 0
        self.carbon_port = None
        # A SIGTERM (a timeout, a parent stopping us) still stops the children: __exit__ runs on SystemExit.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    def env(self, extra=None):
        env = dict(os.environ)
        env.update(faketime_env(self.fake_now))
        env.update(extra or {})
        return env

    # ---- carbon ----------------------------------------------------------------
    def start_carbon(self):
        self.carbon_port = free_port()
        conf = os.path.join(self.conf, "carbon.conf")
        with open(conf, "w") as f:
            f.write(CARBON_CONF.format(storage=self.storage, whisper=self.whisper, conf=self.conf, logs=self.logs,
                                       line_port=self.carbon_port, pickle_port=free_port(), query_port=free_port()))
        log = open(os.path.join(self.logs, "carbon.out"), "w")
        p = subprocess.Popen([PY, CARBON_CACHE, "--config", conf, "--pidfile", os.path.join(self.storage, "carbon.pid"), "--debug", "start"],
                             stdout=log, stderr=subprocess.STDOUT, env=self.env({"GRAPHITE_ROOT": self.dir}), start_new_session=True)
        self.carbon = p
        deadline = time.time() + 30
        while time.time() < deadline:
            if p.poll() is not None:
                raise SystemExit("carbon-cache exited:\n" + open(os.path.join(self.logs, "carbon.out")).read())
            try:
                socket.create_connection(("127.0.0.1", self.carbon_port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.2)
        raise SystemExit("carbon-cache did not listen")

    def send(self, lines):
        """Plaintext lines ("name value timestamp") to carbon over one TCP connection."""
        with socket.create_connection(("127.0.0.1", self.carbon_port)) as s:
            s.sendall("".join(l + "\n" for l in lines).encode())

    def wait_written(self, expected, timeout=120):
        """Poll the whisper files until each holds `expected[name]` non-null points (carbon writes asynchronously)."""
        deadline = time.time() + timeout
        pending = dict(expected)
        while pending and time.time() < deadline:
            for name, want in list(pending.items()):
                path = os.path.join(self.whisper, *name.split(".")) + ".wsp"
                if not os.path.exists(path):
                    continue
                try:
                    got = count_points(path)
                except Exception:  # a file carbon is still creating
                    continue
                if got >= want:
                    del pending[name]
            time.sleep(0.3)
        if pending:
            log = open(os.path.join(self.logs, "carbon.out")).read()[-3000:]
            raise SystemExit("carbon did not write: %r\n%s" % (sorted(pending.items())[:5], log))

    # ---- graphite-web -----------------------------------------------------------
    def start_web(self, workers=2, functions_1110=None, url_prefix=""):
        """graphite-web under gunicorn on a free loopback port; returns its base URL."""
        self.webs += 1
        n = self.webs
        mod = "side_settings_%d" % n
        site = os.path.join(self.dir, "site%d" % n)
        os.makedirs(site)
        with open(os.path.join(site, mod + ".py"), "w") as f:
            f.write(SETTINGS.format(conf=self.conf, storage=self.storage, whisper=self.whisper, logs=self.logs,
                                    index=os.path.join(self.storage, "index"), db=os.path.join(site, "graphite.db"), url_prefix=url_prefix))
        with open(os.path.join(site, "side_wsgi.py"), "w") as f:
            f.write(WSGI_1110.replace("{oracle!r}", repr(ORACLE_DIR)))
        env = self.env({
            "PYTHONPATH": site,
            "GRAPHITE_SETTINGS_MODULE": mod,
            "DJANGO_SETTINGS_MODULE": "graphite.settings",
            "GRAPHITE_FUNCTIONS": functions_1110 or "",
            "PYTHONDONTWRITEBYTECODE": "1",
        })
        # The tag database's tables (and Django's own).
        subprocess.run([PY, "-m", "django", "migrate", "--run-syncdb", "-v", "0"], env=env, check=True, cwd=site,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port = free_port()
        log = open(os.path.join(self.logs, "gunicorn%d.out" % n), "w")
        p = subprocess.Popen([PY, GUNICORN, "--bind", "127.0.0.1:%d" % port, "--workers", str(workers), "--timeout", "120",
                              "--chdir", site, "side_wsgi:application"],
                             stdout=log, stderr=subprocess.STDOUT, env=env, cwd=site, start_new_session=True)
        self.webs_running.append(p)
        base = "http://127.0.0.1:%d%s" % (port, url_prefix.rstrip("/"))
        deadline = time.time() + 60
        while time.time() < deadline:
            if p.poll() is not None:
                raise SystemExit("gunicorn exited:\n" + open(log.name).read())
            try:
                urllib.request.urlopen(base + "/version", timeout=5).read()
                return base
            except Exception:
                time.sleep(0.3)
        raise SystemExit("graphite-web did not answer:\n" + open(log.name).read())

    def stop_carbon(self):
        self._stop([self.carbon] if self.carbon else [])
        self.carbon = None

    def stop_web(self):
        self._stop(self.webs_running)
        self.webs_running = []

    def stop(self):
        self._stop(self.webs_running + ([self.carbon] if self.carbon else []))
        self.webs_running, self.carbon = [], None
        if not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)

    @staticmethod
    def _stop(procs):
        for p in procs:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in procs:
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def count_points(path):
    """Non-null points in the finest archive of a whisper file."""
    import whisper
    info = whisper.info(path)
    with open(path, "rb") as fh:
        archive = info["archives"][0]
        fh.seek(archive["offset"])
        raw = fh.read(archive["size"])
    import struct
    n = 0
    for i in range(archive["points"]):
        (t, v) = struct.unpack_from("!Ld", raw, i * 12)
        if t != 0:
            n += 1
    return n
