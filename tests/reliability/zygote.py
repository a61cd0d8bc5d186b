"""A process that has imported the app once and forks a gunicorn master from it on request, so that the crash
rounds do not pay for importing everything on every restart. Each fork is a whole gunicorn (the same Arbiter,
argument parsing and workers as `gunicorn …` from the shell) in a new session and process group, with its output in
the log file; SIGKILL to that group kills it like any other.

Protocol on stdin/stdout, one line each: "start <log path> <gunicorn arguments…>" → "<pid>"; "quit" ends it.
"""
from __future__ import annotations

import os
import signal
import sys


def main() -> None:
    import gunicorn.app.wsgiapp  # noqa: F401  (warm: the server's code)
    import gunicorn.workers.sync  # noqa: F401

    from skotsel import create_app

    create_app()  # imports every module the app uses (the argon2 reference hash, the templates' Babel, …)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # forked servers are reaped by the kernel
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            return
        log_path, arguments = words[1], words[2:]
        pid = os.fork()
        if pid == 0:
            _serve(log_path, arguments)
        print(pid, flush=True)


def _serve(log_path: str, arguments: list[str]) -> None:
    try:
        os.setsid()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        null = os.open(os.devnull, os.O_RDONLY)
        log = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        os.dup2(null, 0)
        os.dup2(log, 1)
        os.dup2(log, 2)
        sys.stdin = open(0, closefd=False)
        sys.argv = ["gunicorn", *arguments]
        from gunicorn.app.wsgiapp import run

        run()
    finally:
        os._exit(1)


if __name__ == "__main__":
    main()
