"""Where chunks run: in this process, in a local process pool, or on a Dask cluster.

All three are `concurrent.futures.Executor`s, so the batch runner does not care.
"""

from concurrent.futures import Executor, Future, ProcessPoolExecutor

from sim.errors import Problem, ScenarioError

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


class InlineExecutor(Executor):
    """Runs each task at once in this process (one worker, no pool to start)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the caller through the future
            future.set_exception(exc)
        return future


def make_executor(kind: str, workers: int, scheduler: str | None = None):
    """An Executor and the function that shuts it down."""
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
        if scheduler:
            client = Client(scheduler)
            return client.get_executor(), client.close
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
        )
        client = Client(cluster)

        def close():
            client.close()
            cluster.close()

        return client.get_executor(), close
    if workers <= 1:
        return InlineExecutor(), lambda: None
    import multiprocessing
    import os

    # One BLAS thread per worker: the workers are the parallelism, and oversubscribed
    # threads slow every worker down. Workers inherit this environment.
    saved = {var: os.environ.get(var) for var in THREAD_VARS}
    for var in THREAD_VARS:
        os.environ.setdefault(var, "1")
    # forkserver, not fork: forking a process that has threads can deadlock.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["sim.batching.worker"])
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)

    def close():
        pool.shutdown(wait=True, cancel_futures=True)
        for var, value in saved.items():  # leave the caller's environment as it was
            if value is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = value

    return pool, close
