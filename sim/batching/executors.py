"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three are `concurrent.futures.Executor`s, so the batch runner does not care.
"""

import os
import re
import signal
import sys
import threading
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from sim.errors import Problem, ScenarioError, arg
from sim.scenario.limits import check_workers

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
CONNECT_SECONDS = 10  # a scheduler that does not answer in this time is reported, not waited on
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx)://[^\s/:]+(:\d{1,5})?$|^[^\s/:]+:\d{1,5}$")


class InlineExecutor(Executor):
    """Runs each task at once in this process (one worker, no pool to start)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


class _Pool(ProcessPoolExecutor):
    """A process pool whose workers (and their forkserver) are started with SIGINT blocked.

    `submit` starts them (the forkserver, at the first, imports the model for seconds).
    A Ctrl-C then reaches only the batch's own process, after the submit, which stops the
    batch and shuts the pool down: it never cuts a worker's start in half (a traceback from
    the forkserver or a half-started worker, after the one-line message), and the workers
    (children of the forkserver, which inherit its mask) never see it."""

    def submit(self, fn, /, *args, **kwargs):
        if not hasattr(signal, "pthread_sigmask") or threading.current_thread() is not \
                threading.main_thread():  # fmt: skip
            return super().submit(fn, *args, **kwargs)
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            return super().submit(fn, *args, **kwargs)
        finally:  # a Ctrl-C that came meanwhile is raised here, as KeyboardInterrupt
            signal.pthread_sigmask(signal.SIG_SETMASK, old)


UNGUARDED = 86  # a worker's exit status: it was started by a script that starts a pool on import
GUARD = 'if __name__ == "__main__":'


def _check_main(workers: int) -> None:
    """Before a process pool starts: each worker imports the caller's script again (as
    `__mp_main__`), so a script that starts a batch at its top level would start one in every
    worker. Such a worker ends at once, quietly, with status UNGUARDED (`broken` then says
    why, in one line); a script piped on stdin, which a worker cannot import, is refused."""
    import multiprocessing

    if getattr(multiprocessing.current_process(), "_inheriting", False):
        os._exit(UNGUARDED)  # a worker importing the script: no traceback of its own
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if getattr(main, "__spec__", None) is None and path and not os.path.isfile(path):
        raise _refuse(arg("workers", workers), "worker processes cannot import a script that is not a "
                      f"file ({path}); save it as one, with the call under `{GUARD}`, or use "
                      "1 worker")  # fmt: skip


def broken(pool, workers: int) -> ScenarioError:
    """The one line a process pool whose worker ended abruptly (BrokenProcessPool) gets."""
    procs = getattr(pool, "_processes", None) or {}
    if any(p.exitcode == UNGUARDED for p in procs.values()):
        msg = (f"the worker processes imported this script again and it started a batch; "
               f"put the call under `{GUARD}` (or use 1 worker)")  # fmt: skip
    else:
        msg = "a worker process ended abruptly (out of memory, or killed); nothing of its chunk was kept"
    return _refuse(arg("workers", workers), msg)


def _refuse(where: str, message: str) -> ScenarioError:
    return ScenarioError([Problem(where, None, "", message)])


def _watch_parent(parent: int) -> None:
    """Worker initializer: exit at once when the batch's process dies (even by kill -9).

    A pool's workers are children of the forkserver, not of the batch, so they watch
    the batch's pid itself: a pidfd becomes readable when that process ends.
    """
    import select

    def watch():
        try:
            fd = os.pidfd_open(parent)
        except (AttributeError, OSError):  # gone already, or no pidfd: poll instead
            fd = None
        while True:
            if fd is not None:
                select.select([fd], [], [])
                os._exit(1)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            threading.Event().wait(0.5)

    threading.Thread(target=watch, name="watch-parent", daemon=True).start()


def _dask_client(scheduler: str):
    from distributed import Client

    if not _ADDRESS.match(scheduler.strip()):
        raise _refuse(f"--scheduler {scheduler}", "not a scheduler address; give tcp://HOST:PORT")
    try:
        return Client(scheduler.strip(), timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        msg = f"cannot reach the Dask scheduler within {CONNECT_SECONDS} s ({type(exc).__name__})"
        raise _refuse(f"--scheduler {scheduler}", msg) from None


def make_executor(kind: str, workers: int, scheduler: str | None = None):
    """An Executor and the function that shuts it down.

    Raises ScenarioError for more workers than the machine's limit, a malformed or
    unreachable scheduler, or a missing `cluster` extra.
    """
    if kind == "dask" and scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise _refuse(
                "--executor dask", "needs the `cluster` extra: pip install -e '.[cluster]'"
            ) from None
        client = _dask_client(scheduler)
        return client.get_executor(), client.close
    check_workers(workers)
    if kind == "dask":
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise ScenarioError(
                [
                    Problem(
                        "--executor dask",
                        None,
                        "",
                        "needs the `cluster` extra: pip install -e '.[cluster]'",
                    )
                ]
            ) from None
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0"
        )
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client.get_executor(), close
    if workers <= 1:
        return InlineExecutor(), lambda: None
    _check_main(workers)
    import multiprocessing

    # One BLAS thread per worker: the workers are the parallelism, and oversubscribed
    # threads slow every worker down. Workers inherit this environment.
    saved = {var: os.environ.get(var) for var in THREAD_VARS}
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    # forkserver, not fork: forking a process that has threads can deadlock.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.batching.forkserver", "sim.batching.worker"])
    pool = _Pool(
        max_workers=workers, mp_context=context, initializer=_watch_parent, initargs=(os.getpid(),)
    )

    def close():
        pool.shutdown(wait=True, cancel_futures=True)
        for var, value in saved.items():  # leave the caller's environment as it was
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value

    return pool, close
