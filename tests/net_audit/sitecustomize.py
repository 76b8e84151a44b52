"""Put on PYTHONPATH by tests/test_no_outbound.py: records every network attempt the process makes.

A Python audit hook sees each socket connect, send-to and name lookup, whichever library makes it,
and appends one JSON line per attempt to the file named by AIMS_NET_AUDIT_LOG. Unix sockets
(local IPC) are not network and are not recorded.
"""

import json
import os
import socket
import sys

_LOG = os.environ.get("AIMS_NET_AUDIT_LOG")
_INET = (socket.AF_INET, socket.AF_INET6)


def _record(entry: dict) -> None:
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (json.dumps(entry) + "\n").encode())
    finally:
        os.close(fd)


def _hook(event: str, args: tuple) -> None:
    if not event.startswith("socket."):
        return
    if event in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        sock, address = args[0], args[1]
        if sock.family in _INET and address is not None:
            _record({"event": event, "pid": os.getpid(), "host": str(address[0]), "port": int(address[1])})
    elif event == "socket.getaddrinfo":
        _record({"event": event, "pid": os.getpid(), "host": str(args[0]), "port": args[1]})
    elif event in ("socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr", "socket.getnameinfo"):
        _record({"event": event, "pid": os.getpid(), "host": str(args[0]), "port": None})


if _LOG:
    sys.addaudithook(_hook)
