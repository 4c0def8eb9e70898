"""Where the work runs: a Dask cluster started on this machine, or one already running elsewhere."""
from __future__ import annotations

import argparse
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Optional

from ..errors import DreamError

if TYPE_CHECKING:
    from distributed import Client

ADDRESS_ENV = "DASK_SCHEDULER_ADDRESS"
"""Dask's own variable for the scheduler to use; ``--address`` wins over it."""
KINDS = ("local", "dask")


@dataclass(frozen=True)
class ClusterOptions:
    kind: str = "local"  # local: started here and stopped at the end; dask: a running scheduler
    address: Optional[str] = None
    workers: Optional[int] = None  # local only; None: one per ``cpus`` cores
    cpus: int = 1  # cores each worker's torch uses, declared to the scheduler as resource CPU
    gpus: int = 0  # GPUs each task needs, declared as resource GPU

    def resources(self) -> dict[str, float]:
        """What every task asks of its worker; the scheduler runs it only where that is free."""
        return {"CPU": self.cpus, **({"GPU": self.gpus} if self.gpus else {})}


def cluster_arguments(p: argparse._ActionsContainer) -> None:
    """The flags saying where work runs, shared by `batch`, `microscope` and `dream-video --cluster`."""
    p.add_argument("--cluster", choices=KINDS, help="local: workers on this machine, no set-up (default); "
                   f"dask: a running Dask scheduler, from --address or ${ADDRESS_ENV}")
    p.add_argument("--address", metavar="HOST:PORT", help="the Dask scheduler (implies --cluster dask)")
    p.add_argument("--workers", type=int, metavar="N",
                   help="local worker processes (default: the machine's cores divided by --cpus-per-worker)")
    p.add_argument("--cpus-per-worker", dest="cpus", type=int, default=1, metavar="N",
                   help="threads each worker's network uses, declared as resource CPU (default 1)")
    p.add_argument("--gpus", type=int, default=0, metavar="N",
                   help="GPUs each task needs, declared as resource GPU; dreams then run on cuda (default 0)")


def options_from(args: argparse.Namespace) -> ClusterOptions:
    address = args.address or (os.environ.get(ADDRESS_ENV) if args.cluster == "dask" else None)
    kind = "dask" if address else (args.cluster or "local")
    if kind == "dask" and not address:
        raise DreamError(f"--cluster dask needs the scheduler's address: --address HOST:PORT or ${ADDRESS_ENV}")
    if args.cpus < 1 or args.gpus < 0 or (args.workers is not None and args.workers < 1):
        raise DreamError("--workers and --cpus-per-worker must be 1 or more, --gpus 0 or more")
    if kind == "dask" and args.workers is not None:
        raise DreamError("--workers is for --cluster local; a running cluster has the workers it was started with")
    return ClusterOptions(kind, address, args.workers, args.cpus, args.gpus)


def _need_dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise DreamError("this needs Dask: pip install 'dreamlayer[cluster]'") from None
    return distributed


def _check_resources(client: Client, options: ClusterOptions) -> None:
    """A task asking for resources no worker has would wait forever: say so at once instead."""
    workers = client.scheduler_info()["workers"].values()
    if not workers:
        raise DreamError(f"the Dask scheduler at {options.address} has no workers")
    wanted = options.resources()
    if not any(all(w.get("resources", {}).get(k, 0) >= v for k, v in wanted.items()) for w in workers):
        flags = ",".join(f"{k}={v:g}" for k, v in wanted.items())
        raise DreamError(f"no worker of {options.address} declares the resources {flags}; start workers with "
                         f"`dask worker {options.address} --nthreads 1 --resources {flags}`")


@contextmanager
def connect(options: ClusterOptions) -> Iterator[Client]:
    """A client of the cluster; a local one is started here (listening on 127.0.0.1 only) and stopped after."""
    distributed = _need_dask()
    if options.kind == "dask":
        try:
            client = distributed.Client(options.address, timeout="20s")
        except (OSError, TimeoutError) as error:
            raise DreamError(f"cannot reach the Dask scheduler at {options.address}: {error}") from None
        with client:
            _check_resources(client, options)
            yield client
        return
    workers = options.workers or max(1, (os.cpu_count() or 1) // options.cpus)
    with _environment_restored():
        cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=":0",
                                           resources=options.resources(),
                                           silence_logs=logging.CRITICAL)  # the driver reports failures
        with cluster, distributed.Client(cluster) as client:
            yield client


@contextmanager
def _environment_restored() -> Iterator[None]:
    """Dask's nanny sets its workers' variables (OMP_NUM_THREADS=1, ...) in this process's own
    environment before it spawns them; put the caller's back once the local cluster is gone."""
    before = dict(os.environ)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(before)
