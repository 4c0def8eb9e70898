"""The dream line on its own: jobs run one at a time in the order put, and a waiting job hears
its place only while it waits, only ever falling, never for dreams already cancelled."""
import threading

from dreamlayer.engine.dream_line import DreamJob, DreamLine
from dreamlayer.protocol import Message

WAIT_S = 30


def _job(number: int, ran: list, heard: list, gate: threading.Event) -> DreamJob:
    def run(job: DreamJob) -> None:
        ran.append(job.id)
        assert gate.wait(WAIT_S)

    return DreamJob(number, Message("dream"), run, lambda ahead: heard.append((number, ahead)))


def test_jobs_run_in_order_and_waiting_ones_hear_their_place_fall():
    ran, heard, gates = [], [], [threading.Event() for _ in range(3)]
    line = DreamLine()
    jobs = [_job(n, ran, heard, gates[n]) for n in range(3)]
    started = threading.Event()
    first_run = jobs[0].run
    jobs[0].run = lambda job: (started.set(), first_run(job))
    line.put(jobs[0])
    assert started.wait(WAIT_S)
    line.put(jobs[1])
    line.put(jobs[2])
    assert heard == [(1, 1), (2, 2)]
    last = threading.Event()
    last_run = jobs[2].run
    jobs[2].run = lambda job: (last_run(job), last.set())
    for gate in gates:
        gate.set()
    assert last.wait(WAIT_S)
    line.close()
    assert ran == [0, 1, 2]
    assert heard == [(1, 1), (2, 2), (2, 1)]


def test_a_job_hears_nothing_once_started_nothing_higher_than_before_and_nothing_when_cancelled():
    heard: list = []
    job = DreamJob(1, Message("dream"), lambda job: None, lambda ahead: heard.append(ahead))
    job.tell(2)
    job.tell(3)  # computed a moment earlier by the other thread: stale
    job.tell(1)
    job.start()
    job.tell(1)
    assert heard == [2, 1]
    cancelled = DreamJob(2, Message("dream"), lambda job: None, lambda ahead: heard.append(ahead))
    cancelled.cancel.set()
    cancelled.tell(1)
    assert heard == [2, 1]
