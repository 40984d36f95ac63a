"""How the runner's kernels start: numerical libraries on one thread each, and forked from a warmed
process that imported the libraries and page modules once.

A report runs seven notebooks, each in a fresh kernel that starts Python and ipykernel (0.5 s) and
imports pandas, geopandas, matplotlib and its page module (0.8–1.7 s): on the sample about a quarter of
the notebooks' own time. A server imports ipykernel (and the debugger every kernel loads as it starts,
``KERNEL_LIBRARIES``), the modules the notebooks import (``notebook_imports``) and the libraries most
pages load when they first show a table (``SHARED_LIBRARIES``) once, then forks a kernel for each
notebook on request; while no request waits it imports what only some pages load (``LATER_LIBRARIES``),
one at a time, so that a kernel asked for is kept waiting for one such import at most. The
kernel is the same ipykernel with the same connection file, working folder, environment and
command-line arguments that a started one would have; only the imports are done already
(tests/test_kernels.py runs a probe notebook both ways and compares what it sees). The server imports
with the garbage collector off and freezes what it imported before it forks (``gc.freeze``, as Python's
documentation advises for fork without exec): a kernel's collections then leave the 300,000 objects of
the imported libraries alone instead of walking them, and copying the pages they sit on, again and
again: the seven kernels of a report spent 4.0–4.2 s collecting, now 1.5–1.8 s.

The runner started as a command (``python -m helpers.report.runner``, ``make report``) starts the
server before its own imports (``start_shared``, the modules of every notebook in ``notebooks/``), so
that the two import side by side; a run started otherwise (``runner.main`` from Python, a batch before
its first run) starts one for its own notebooks (``server``).

The server forks a kernel only when the request is exactly what it can reproduce: the standard Python
kernel command (``<this interpreter> -m ipykernel_launcher -f <file>``) and the server's own
environment (apart from the ``JPY_`` variables Jupyter adds). Anything else — another kernel, a changed
environment, a server that died or could not start, a platform without ``fork`` — starts the kernel the
usual way, with a line on standard error saying why. ``python -m helpers.report.runner --cold-kernels``
starts every kernel the usual way.

Either way a kernel talks to the runner over Unix sockets in a private folder of its own
(``LocalKernelManager``), not TCP ports on localhost, and is asked to shut down without being
interrupted first: ipykernel 7.4 otherwise logs a warning about unencrypted TCP and, now and then, a
``KeyboardInterrupt`` error for every kernel of a report.

    python -m helpers.report.kernels LISTENING_SOCKET_FD [MODULE ...]

is the server (started by ``server``, not by hand).
"""

from __future__ import annotations

import ast
import atexit
import contextlib
import gc
import io
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from queue import Empty

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from jupyter_client.provisioning import LocalProvisioner
from traitlets import CaselessStrEnum, Type

from helpers.core import paths

KERNEL_THREADS = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
"""Each kernel's numerical libraries run on one thread (unless the user set these variables):
notebooks run side by side, and two kernels each starting a thread per core slow each other
(determinants and hot spots at 100,000 parcels, side by side: 16.8 and 16.4 s, on one thread each
13.0 and 13.6 s on two cores); and a report's figures do not depend on how many notebooks ran at a
time."""
LAUNCHER = ["-m", "ipykernel_launcher"]  # the standard Python kernel's command after the interpreter
OWN_VARIABLES = ("JPY_",)  # environment variables Jupyter sets per kernel; they may differ from the server's
MATPLOTLIB_INLINE = "module://matplotlib_inline.backend_inline"
SOCKET_NAME = "kernels.sock"
PARENT_CHECK_S = 1.0  # how often the server checks that the runner still lives (seconds)
MAX_SOCKET_PATH = 100  # AF_UNIX paths are limited to 104–108 bytes
# libraries the pages import only when they first show something, but most pages do: imported once
# by the server rather than in six kernels of seven (pandas' Styler, and jinja2 with it: 0.6–0.8 s of
# the kernels' CPU per report, sampled)
SHARED_LIBRARIES = ("pandas.io.formats.style",)
# libraries that three of the seven pages load for a chart (seaborn, and scipy.stats and statsmodels with
# it: 0.55 s a kernel), imported by the server after the rest, one at a time while no request waits: a
# request that comes meanwhile waits for the import under way only, not for those after it, and a request
# that comes before the first begins is served at once (on the sample the runner's first requests came
# while seaborn was being imported and waited up to 0.14 s for it)
LATER_LIBRARIES = ("seaborn",)
# what ipykernel imports as every kernel starts, after the command line is read (its debugger, and with
# it debugpy: 0.1 s of CPU a kernel), imported by the server too. These set variables in their
# environment (debugpy: PYDEVD_USE_FRAME_EVAL), which the runner asking for kernels has not: the server
# takes them out of its own and gives them to each kernel it forks, as the kernel's import would have.
KERNEL_LIBRARIES = ("ipykernel.debugger",)
IOPUB_QUIET_S = 0.2  # jupyter_client's wait for one more IOPub message before a kernel counts as ready (s)
SHUTDOWN_POLL_S = 0.005  # how often a kernel asked to shut down is checked for having ended (jupyter_client: 0.1 s)


def kernel_environment() -> dict[str, str]:
    """The environment kernels start with: this process's, with ``KERNEL_THREADS`` where the user set
    none of them."""
    return {**{name: value for name, value in KERNEL_THREADS.items() if name not in os.environ}, **os.environ}


@contextlib.contextmanager
def kernel_threads():
    """Within it, kernels start with ``KERNEL_THREADS`` (a variable the user set is kept); the
    environment is restored after."""
    saved = {name: os.environ.get(name) for name in KERNEL_THREADS}
    os.environ.update(kernel_environment())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)


def available() -> bool:
    """Forking a warmed process is safe here: Linux (macOS's system frameworks refuse to run
    after ``fork`` without ``exec``; Windows has no ``fork``)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def notebook_imports(notebooks: list[Path]) -> list[str]:
    """The ``helpers`` modules the notebooks' code cells import, in the order first met (``from
    helpers.report import tracker_page`` gives ``helpers.report.tracker_page``; a name that is not a
    module, such as a function's, is skipped when the server imports). A notebook that
    cannot be read or parsed adds nothing (its run reports it). Read as plain JSON: this runs before
    the runner imports nbformat."""
    found: dict[str, None] = {}
    for notebook in notebooks:
        try:
            raw = json.loads(Path(notebook).read_text(encoding="utf-8"))["cells"]
            cells = [
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in raw if c["cell_type"] == "code"
            ]
        except (OSError, ValueError, KeyError, TypeError):  # the run itself reports an unreadable notebook
            continue
        for source in cells:
            try:
                tree = ast.parse(source)
            except SyntaxError:  # magics, or a cell the kernel will reject itself
                continue
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
                else:
                    continue
                found.update((n, None) for n in names if n == "helpers" or n.startswith("helpers."))
    return list(found)


def server_environment(environ: dict[str, str]) -> dict[str, str]:
    """``environ`` as the server compares it with a kernel's: without Jupyter's per-kernel variables."""
    return {k: v for k, v in environ.items() if not k.startswith(OWN_VARIABLES)}


def refusal(request: dict, environ: dict[str, str]) -> str | None:
    """Why the server cannot fork the kernel ``request`` asks for (None: it can). ``environ``: the
    server's environment after its imports. Only the names of differing variables are given (their
    values may be secrets)."""
    argv = request.get("argv") or []
    if len(argv) < 5 or os.path.abspath(argv[0]) != os.path.abspath(sys.executable) or argv[1:3] != LAUNCHER:
        return f"not the standard Python kernel of {sys.executable}: {' '.join(map(str, argv[:3]))}"
    if "-f" not in argv[3:]:
        return "no connection file"
    env = request.get("env")
    if not isinstance(env, dict):
        return "no environment"
    theirs, ours = server_environment(env), server_environment(environ)
    changed = sorted(k for k in theirs.keys() | ours.keys() if theirs.get(k) != ours.get(k))
    if changed:
        return f"environment differs from the server's: {', '.join(changed[:5])}"
    if not Path(str(request.get("cwd", ""))).is_dir():
        return f"no such working folder: {request.get('cwd')}"
    return None


# --- the server ---------------------------------------------------------------------------------


KERNEL_PANDAS_DEFAULTS = {"display.max_columns": 20, "display.encoding": "UTF-8"}
"""Two display defaults pandas takes from its surroundings when imported (``pandas.core.config_init``:
no column limit in a terminal, 20 in a Jupyter kernel; the encoding of ``sys.stdout``, which in a
kernel is ipykernel's stream, "UTF-8"). The server imported pandas outside a kernel, so its kernels
are given the values a kernel's own import gives (tests/test_kernels.py compares every option)."""


def _pandas_as_in_a_kernel() -> None:
    """Set ``KERNEL_PANDAS_DEFAULTS`` as defaults and values, if the server imported pandas."""
    config = sys.modules.get("pandas._config.config")
    if config is None:
        return
    registered = config._registered_options
    for key, value in KERNEL_PANDAS_DEFAULTS.items():
        if key in registered:
            registered[key] = registered[key]._replace(defval=value)
            config.set_option(key, value)


def _launcher_path() -> None:
    """``sys.path`` as a kernel's is when the notebook's first cell runs: without the working folder
    ``python -m`` put first (ipykernel_launcher removes it) and with ``''`` before the first
    site-packages (IPython's ``init_path``, unless Python runs with a safe path)."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]
    if "" in sys.path or sys.flags.safe_path:
        return
    at = next((i for i, p in enumerate(sys.path) if os.path.basename(p) in ("site-packages", "dist-packages")), 0)
    sys.path.insert(at, "")


_SET_BY_KERNEL_LIBRARIES: dict[str, str] = {}  # the variables the server's import of KERNEL_LIBRARIES set


def _run_kernel(request: dict) -> int:
    """In the forked child: become what ``python -m ipykernel_launcher -f FILE`` started by
    jupyter_client would be (own session, the request's folder, environment and arguments), run the
    kernel until it is shut down, and give its exit code."""
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.setsid()  # as jupyter_client's start_new_session: interrupts go to the kernel's own group
    cwd = str(request["cwd"])
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(request["env"])
    for name, value in _SET_BY_KERNEL_LIBRARIES.items():  # as the kernel's own import of them would
        os.environ.setdefault(name, value)
    parent = os.getppid()
    os.environ["JPY_PARENT_PID"] = str(parent)  # the kernel ends when the server does
    null = os.open(os.devnull, os.O_RDONLY)  # a started kernel's stdin is a pipe nobody writes to
    os.dup2(null, 0)
    os.close(null)
    _pandas_as_in_a_kernel()
    import ipykernel
    from ipykernel import kernelapp

    args = [str(a) for a in request["argv"][3:]]
    sys.argv = [str(Path(ipykernel.__file__).parent.parent / "ipykernel_launcher.py"), *args]
    try:
        # ipykernel read JPY_PARENT_PID when the server imported it: the parent is given here instead
        kernelapp.IPKernelApp.launch_instance(argv=args, parent_handle=parent)
        return 0
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)


def _fork_kernel(request: dict, listener: socket.socket, connection: socket.socket) -> int:
    """Fork the kernel ``request`` asks for; its process id. The child never returns: it runs the
    kernel, the exit handlers, and ends."""
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        listener.close()
        connection.close()
        code = _run_kernel(request)
    except BaseException:  # noqa: BLE001 - reported on stderr like a kernel that fails to start
        import traceback

        traceback.print_exc()
    finally:
        with contextlib.suppress(BaseException):
            atexit._run_exitfuncs()
        with contextlib.suppress(BaseException):
            sys.stdout.flush()
            sys.stderr.flush()
        os._exit(code)


def _import_later(name: str) -> None:
    """Import ``name`` as the server's first imports were made (collector off, what it made frozen,
    its errors left to the notebook that imports it)."""
    import importlib

    gc.disable()
    with contextlib.suppress(Exception):
        importlib.import_module(name)
    gc.freeze()
    gc.enable()


def serve(listener_fd: int, modules: list[str]) -> None:
    """Import ipykernel, ``modules``, ``SHARED_LIBRARIES`` and ``KERNEL_LIBRARIES``, then fork a kernel
    for each request on the listening socket ``listener_fd`` (one JSON line: argv, env, cwd) and answer
    its process id, or why not; between requests, while none waits, import ``LATER_LIBRARIES`` one by
    one. The runner made the socket before starting the server, so requests made while it imports wait.
    Ends when the runner that started it ends or terminates it."""
    gc.disable()  # imports make objects that live as long as the server: nothing to collect meanwhile
    parent = os.getppid()
    own_backend = "MPLBACKEND" not in os.environ
    os.environ.setdefault("MPLBACKEND", MATPLOTLIB_INLINE)  # as ipykernel does before a notebook's first import
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a ^C in the terminal is the runner's to handle
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # finished kernels are reaped by the system
    listener = socket.socket(fileno=listener_fd)
    _launcher_path()
    import importlib

    import ipykernel.kernelapp  # noqa: F401 - what every kernel imports first

    for name in [*modules, *SHARED_LIBRARIES]:
        with contextlib.suppress(Exception):  # the notebook meets the same error in its own cell
            importlib.import_module(name)
    before = dict(os.environ)
    for name in KERNEL_LIBRARIES:
        # what they print as they load (debugpy: a warning about frozen modules) a kernel's import
        # sends to its output stream before any cell, where no one sees it; the kernel meets the same
        # error as it starts
        quiet = io.StringIO()
        with contextlib.suppress(Exception), contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            importlib.import_module(name)
    _SET_BY_KERNEL_LIBRARIES.update({k: v for k, v in os.environ.items() if k not in before})
    for name in _SET_BY_KERNEL_LIBRARIES:
        del os.environ[name]
    if own_backend:
        del os.environ["MPLBACKEND"]
    # kernels' environments are compared with the server's after its imports: some set variables
    # (pyogrio and pyproj their CA bundles), as they did in the runner that asks for the kernels
    environ = dict(os.environ)
    gc.freeze()  # what is imported is shared with every kernel and never scanned by its collections
    gc.enable()
    later = list(LATER_LIBRARIES)
    listener.settimeout(0.0 if later else PARENT_CHECK_S)  # with imports left, only a look for a request
    while os.getppid() == parent:
        try:
            connection, _ = listener.accept()
        except (TimeoutError, BlockingIOError):  # no request: the next import, if any is left
            if later:
                _import_later(later.pop(0))
                if not later:
                    listener.settimeout(PARENT_CHECK_S)
            continue
        with connection:
            connection.settimeout(30)
            try:
                with connection.makefile("r", encoding="utf-8") as lines:  # closed before the fork
                    request = json.loads(lines.readline())
                reason = refusal(request, environ)
                answer = {"refused": reason} if reason else {"pid": _fork_kernel(request, listener, connection)}
                connection.sendall((json.dumps(answer) + "\n").encode("utf-8"))
            except (OSError, ValueError) as exc:
                with contextlib.suppress(OSError):
                    connection.sendall((json.dumps({"refused": f"bad request: {exc}"}) + "\n").encode("utf-8"))


# --- the runner's side ---------------------------------------------------------------------------


class ForkedKernel:
    """The part of ``subprocess.Popen`` jupyter_client uses, for a kernel the server forked (a child
    of the server, not of this process: it is watched by its process id)."""

    def __init__(self, pid: int):
        self.pid = pid
        self.returncode: int | None = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self) -> int | None:
        """None while the kernel runs; 0 once it has ended (its exit status is its parent's to know)."""
        if self.returncode is None:
            try:
                os.kill(self.pid, 0)
                with open(f"/proc/{self.pid}/stat", encoding="ascii") as stat:  # a zombie has ended too
                    ended = stat.read().rsplit(")", 1)[1].split()[0] == "Z"
            except (ProcessLookupError, PermissionError, FileNotFoundError):  # ended and reaped
                ended = True
            if ended:
                self.returncode = 0
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired(str(self.pid), timeout or 0)
            time.sleep(0.05)
        return self.returncode or 0

    def send_signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)


def request_kernel(socket_path: str, argv: list[str], env: dict, cwd: str) -> tuple[int | None, str | None]:
    """Ask the server at ``socket_path`` for a kernel: its process id, or None and why not."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.connect(socket_path)
            s.sendall((json.dumps({"argv": argv, "env": env, "cwd": cwd}) + "\n").encode("utf-8"))
            line = s.makefile("r", encoding="utf-8").readline()
    except OSError as exc:
        return None, f"no kernel server ({exc.strerror or exc})"
    try:
        answer = json.loads(line)
    except ValueError:
        return None, "the kernel server ended while starting"
    if "pid" in answer:
        return int(answer["pid"]), None
    return None, str(answer.get("refused"))


class WarmProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, launching through the server when it can."""

    socket_path: str = ""

    async def launch_kernel(self, cmd: list[str], **kwargs):
        cwd = str(kwargs.get("cwd") or os.getcwd())
        pid, reason = request_kernel(self.socket_path, list(cmd), dict(kwargs.get("env") or os.environ), cwd)
        if pid is None:
            print(f"warm kernels: {reason}; starting this kernel the usual way", file=sys.stderr, flush=True)
            return await super().launch_kernel(cmd, **kwargs)
        self.process = ForkedKernel(pid)  # type: ignore[assignment]
        self.pid = pid
        self.pgid = pid  # the kernel leads its own session
        self.cwd = cwd
        return self.connection_info


def _is_idle_after(msg: dict, request_id: str | None) -> bool:
    """``msg`` is the IOPub status message by which the kernel says it has finished ``request_id``."""
    return (
        msg.get("msg_type") == "status"
        and msg.get("content", {}).get("execution_state") == "idle"
        and msg.get("parent_header", {}).get("msg_id") == request_id
    )


class ReadyKernelClient(AsyncKernelClient):
    """jupyter_client's asynchronous client, ready as soon as the kernel has finished the request that
    showed it ready. jupyter_client's ``wait_for_ready`` asks for the kernel's info until a reply comes
    and an IOPub message shows the subscription delivers, then reads IOPub until nothing has come for
    ``IOPUB_QUIET_S``: every kernel of a report waited those 0.2 s with nothing left to come (0.34–0.39 s
    from the fork to ready, the kernel itself ready after 0.06). Here the same loop, and the reading
    of IOPub stops at the kernel's ``idle`` for the answered request — which ipykernel sends after every
    request, last of what it sends for it — or after ``IOPUB_QUIET_S`` of silence, as before, when no
    such message comes. Messages after it are left for the notebook's client, which takes only
    those that answer its own requests."""

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        while True:
            self.kernel_info()
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                try:
                    seen = await self.iopub_channel.get_msg(timeout=IOPUB_QUIET_S)  # IOPub delivers
                except Empty:
                    pass
                else:
                    self._handle_kernel_info_reply(reply)
                    break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:g} seconds")
        answered = reply["parent_header"].get("msg_id")
        while not _is_idle_after(seen, answered):
            try:
                seen = await self.iopub_channel.get_msg(timeout=IOPUB_QUIET_S)
            except Empty:
                break


class LocalKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel talks over Unix sockets in a private folder (0700, its
    own, removed with the kernel) instead of TCP ports on localhost (POSIX): no other user of the
    machine can reach it, and ipykernel (7.4 and later) has no reason to warn, once per kernel, that
    it runs over TCP without encryption. Windows keeps TCP."""

    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc" if os.name == "posix" else "tcp", config=True)
    client_factory = Type(ReadyKernelClient, klass=AsyncKernelClient, config=True)
    _ipc_folder: str | None = None

    def _ip_default(self) -> str:
        if self.transport == "ipc":  # a short path: a Unix socket's name may not exceed 107 bytes
            self._ipc_folder = tempfile.mkdtemp(prefix="mujun-ipc-")
            # removed with the kernel's resources, and at the latest with this manager (nbclient does not
            # clean up after a kernel that died)
            weakref.finalize(self, shutil.rmtree, self._ipc_folder, True)
            return os.path.join(self._ipc_folder, "k")
        return super()._ip_default()

    async def _async_interrupt_kernel(self) -> None:
        # jupyter_client interrupts every kernel before asking it to shut down; an idle ipykernel then
        # logs "KeyboardInterrupt caught in kernel" as an error. A shutdown request needs no interrupt
        # (it goes over the control channel, and an unresponsive kernel is terminated after it).
        if self.shutting_down:
            return
        await super()._async_interrupt_kernel()

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart and self._ipc_folder:
            shutil.rmtree(self._ipc_folder, ignore_errors=True)

    cleanup_resources = _async_cleanup_resources  # AsyncKernelManager binds the name to its own

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        # a kernel asked to shut down ends some milliseconds later; jupyter_client looks every 0.1 s,
        # so each notebook waited 0.1 s for a kernel already gone
        await super()._async_wait(pollinterval=min(pollinterval, SHUTDOWN_POLL_S))


class WarmKernelManager(LocalKernelManager):
    """A ``LocalKernelManager`` whose kernels come from the server at ``socket_path``."""

    socket_path: str = ""

    async def _async_pre_start_kernel(self, **kw):
        if self.provisioner is None:
            self.kernel_id = self.kernel_id or kw.pop("kernel_id", str(uuid.uuid4()))
            provisioner = WarmProvisioner(kernel_id=self.kernel_id, kernel_spec=self.kernel_spec, parent=self)
            provisioner.socket_path = self.socket_path
            self.provisioner = provisioner
        return await super()._async_pre_start_kernel(**kw)


def manager_class(socket_path: str | None) -> type[AsyncKernelManager]:
    """The kernel manager class papermill should use: kernels from the server at ``socket_path``, or
    started the usual way when there is none; over Unix sockets either way (``LocalKernelManager``)."""
    if socket_path is None:
        return LocalKernelManager
    return type("WarmKernelManager", (WarmKernelManager,), {"socket_path": socket_path})


@dataclass
class Server:
    """A running kernel server: its process, and the private folder holding its socket."""

    process: subprocess.Popen
    folder: str

    @property
    def socket_path(self) -> str | None:
        """The socket to ask for kernels at; None once the server has ended."""
        return os.path.join(self.folder, SOCKET_NAME) if self.process.poll() is None else None

    @classmethod
    def start(cls, modules: list[str], env: dict[str, str]) -> Server | None:
        """Start a server that imports ``modules``, with ``env`` (the kernels' environment) and the
        project root as working folder. The runner makes the socket and passes it to the server, so a
        kernel asked for while the server imports waits for it. None where it cannot start."""
        if not available():
            return None
        folder = tempfile.mkdtemp(prefix="mujun-kernels-")  # 0700: only this user may ask for kernels
        socket_path = os.path.join(folder, SOCKET_NAME)
        try:
            if len(socket_path.encode()) > MAX_SOCKET_PATH:
                raise OSError(f"socket path too long: {socket_path}")
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as listener:
                listener.bind(socket_path)
                listener.listen(64)
                process = subprocess.Popen(
                    [sys.executable, "-m", "helpers.report.kernels", str(listener.fileno()), *modules],
                    cwd=str(paths.PROJECT_ROOT),
                    env=env,
                    stdin=subprocess.DEVNULL,
                    pass_fds=[listener.fileno()],
                )
        except OSError:
            shutil.rmtree(folder, ignore_errors=True)
            return None
        return cls(process, folder)

    def stop(self) -> None:
        """Terminate the server (kernels it forked end with it) and remove its socket folder."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


_shared: Server | None = None


def start_shared(notebooks_dir: Path = paths.NOTEBOOKS_DIR) -> None:
    """Start the process's shared server, importing the modules of every notebook in
    ``notebooks_dir``; stopped by ``stop_shared`` or when the process exits. Called by the runner's
    command before its own imports."""
    global _shared
    if _shared is None:
        _shared = Server.start(notebook_imports(sorted(Path(notebooks_dir).glob("*.ipynb"))), kernel_environment())
        if _shared is not None:
            atexit.register(stop_shared)


def stop_shared() -> None:
    """Stop the shared server, if there is one."""
    global _shared
    if _shared is not None:
        _shared.stop()
        _shared = None


@contextlib.contextmanager
def server(notebooks: list[Path], enabled: bool = True) -> Iterator[str | None]:
    """The socket of a kernel server for a run of ``notebooks`` (None: start kernels the usual way):
    the shared one when it runs, else one started now and stopped on leaving."""
    if not enabled:
        yield None
        return
    if _shared is not None and _shared.socket_path:
        yield _shared.socket_path
        return
    own = Server.start(notebook_imports(notebooks), kernel_environment())
    try:
        yield own.socket_path if own else None
    finally:
        if own:
            own.stop()


if __name__ == "__main__":
    serve(int(sys.argv[1]), sys.argv[2:])
