"""Network guard for tests: put this folder on PYTHONPATH and every Python process started with
that environment (the runner and the Jupyter kernels it starts) refuses any connection or name
lookup that is not to this machine, and writes each attempt to the file named by
MUJUN_NETGUARD_LOG. Loopback stays open: the kernels talk to their client over 127.0.0.1."""

import ipaddress
import os
import socket

_LOG = os.environ.get("MUJUN_NETGUARD_LOG")
_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", ""}


def _is_local(host) -> bool:
    if host is None:
        return True
    host = host.decode() if isinstance(host, bytes) else str(host)
    if host in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _refuse(what: str, target) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()} {what} {target!r}\n")
    raise OSError(f"network blocked by tests/netguard: {what} {target!r}")


_connect, _connect_ex, _getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo


def _guard(connect):
    def guarded(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _is_local(address[0]):
            _refuse("connect", address)
        return connect(self, address)

    return guarded


def _guarded_getaddrinfo(host, *args, **kwargs):
    if not _is_local(host):
        _refuse("getaddrinfo", host)
    return _getaddrinfo(host, *args, **kwargs)


socket.socket.connect = _guard(_connect)
socket.socket.connect_ex = _guard(_connect_ex)
socket.getaddrinfo = _guarded_getaddrinfo
