"""Drill (b): kill -9 of a gunicorn worker under `mitra serve`, while patients post diary
entries (`common`: each retried with its UUID until acknowledged).

    .venv/bin/python bench/drills/worker_killed.py [--db sqlite|postgres] [--kills 2]

After 5 s of posting, one worker is killed with SIGKILL; 10 s later the other one (the
first's replacement by then), then 10 s more of posting. gunicorn's master starts a new
worker for each; requests in flight on the dead worker fail and are sent again. Prints the
figures of `common`, how long each replacement took to appear, and after each kill the
longest time without an acknowledged post.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    common.common_arguments(parser)
    parser.add_argument("--kills", type=int, default=2, help="workers killed, 10 s apart")
    args = parser.parse_args()
    with common.drill_dir("worker") as tmp:
        url, cluster = common.database_for(args.db, tmp)
        server = None
        try:
            site = common.make_site(tmp, url)
            people = common.make_people(args.clients)
            server = common.Server(site)
            server.start()
            common.say(f"mitra serve ready in {server.wait_ready():.1f} s; posting")
            load = common.DiaryLoad(site, people.client_sessions, deadline=60).start()
            replaced, kills = [], []
            for kill in range(args.kills):
                time.sleep(5 if kill == 0 else 10)
                workers = server.gunicorn_workers()
                victim = workers[0]
                os.kill(victim, signal.SIGKILL)
                killed_at = time.monotonic()
                common.say(f"t={killed_at - load.started:.1f} s: killed gunicorn worker "
                           f"{victim} (kill -9); workers were {workers}")
                while time.monotonic() - killed_at < 30:
                    now = server.gunicorn_workers()
                    if victim not in now and len(now) == len(workers):
                        replaced.append(time.monotonic() - killed_at)
                        break
                    time.sleep(0.05)
                kills.append(killed_at)  # the fault is the kill itself: back = next answer
            time.sleep(10)
            ended = time.monotonic()
            load.stop()
            result = common.figures(load, people.patient_ids, kills[-1])
            outages = [common.outage(load, t, end)
                       for t, end in zip(kills, [*kills[1:], ended], strict=True)]
        finally:
            if server is not None:
                server.stop()
            if cluster is not None:
                cluster.remove()
    print(f"  workers replaced by gunicorn's master in "
          f"{', '.join(f'{s:.1f}' for s in replaced) or '-'} s; longest time without an "
          f"acknowledged post after each kill {', '.join(f'{s:.1f}' for s in outages)} s")
    late = [s for s in outages if s > common.TARGET_BACK_SECONDS]
    return common.finish(f"drill (b): {args.kills} gunicorn workers killed with SIGKILL under "
                         f"mitra serve ({args.db}, {args.clients} clients)", result,
                         [f"{len(late)} kills not recovered from within 5 s"] if late else [])


if __name__ == "__main__":
    sys.exit(main())
