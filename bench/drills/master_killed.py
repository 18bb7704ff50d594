"""Drill (c): kill -9 of the master under a supervisor, while patients post diary entries
(`common`: each retried with its UUID until acknowledged).

    .venv/bin/python bench/drills/master_killed.py [--db sqlite|postgres]

`mitra serve` runs under a small restart loop standing in for systemd's Restart=on-failure
(`common.Supervisor`: deploy/mitra.service's RestartSec, no restart after exit 0 or 2).
After 5 s of posting, gunicorn's master is killed with SIGKILL; 30 s later (`--gap`),
`mitra serve` itself; then 30 s more of posting. Each time the site must come back by
itself: `mitra serve` has to exit non-zero when its master dies, and nothing of the old
server may keep the port. Prints the figures of `common`, the supervisor's restarts, and
after each kill the longest time without an acknowledged post (until the next kill or the
end: a site still down counts in full) and where that time went (gunicorn's log).
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
    parser.add_argument("--gap", type=float, default=30, help="seconds between the kills")
    args = parser.parse_args()
    with common.drill_dir("master") as tmp:
        url, cluster = common.database_for(args.db, tmp)
        supervisor = None
        try:
            site = common.make_site(tmp, url)
            people = common.make_people(args.clients)
            server = common.Server(site)
            supervisor = common.Supervisor(server)
            supervisor.start()
            common.say(f"mitra serve ready in {server.wait_ready():.1f} s; posting")
            load = common.DiaryLoad(site, people.client_sessions, deadline=90).start()
            kills: list[tuple[str, float]] = []
            walls: list[float] = []  # the same moments by the wall clock, for gunicorn's log
            for what in ("gunicorn master", "mitra serve"):
                time.sleep(5 if not kills else args.gap)
                assert server.proc is not None
                if server.proc.poll() is not None:
                    common.say(f"no {what} to kill: mitra serve is not running")
                    kills.append((what, time.monotonic()))
                    walls.append(time.time())
                    continue
                victim = server.gunicorn_master() if what == "gunicorn master" else server.proc.pid
                os.kill(victim, signal.SIGKILL)
                kills.append((what, time.monotonic()))
                walls.append(time.time())
                common.say(f"t={kills[-1][1] - load.started:.1f} s: killed the {what} "
                           f"({victim}) with SIGKILL")
            time.sleep(args.gap)
            ended = time.monotonic()
            load.stop()
            result = common.figures(load, people.patient_ids, kills[-1][1])
            ends = [t for _, t in kills[1:]] + [ended]
            outages = [(what, common.outage(load, t, end))
                       for (what, t), end in zip(kills, ends, strict=True)]
            events = server.gunicorn_events()
        finally:
            if supervisor is not None:
                supervisor.stop()
            if cluster is not None:
                cluster.remove()
    exits = ", ".join(str(status) for _, status in supervisor.exits) or "none"
    print(f"  mitra serve exit statuses seen by the supervisor: {exits}; restarts "
          f"{len(supervisor.starts) - 1} (RestartSec {supervisor.restart_sec:g} s)"
          + ("" if supervisor.gave_up is None else
             f"; after exit {supervisor.gave_up} it did not restart (on-failure)"))
    for what, killed in kills:
        exit_at = next((t for t, _ in supervisor.exits if t >= killed), None)
        start_at = next((t for t in supervisor.starts if t >= killed), None)
        first = common.back_after(load, start_at) if start_at is not None else None
        print(f"  after killing the {what}: mitra serve exited "
              f"{'-' if exit_at is None else f'{exit_at - killed:.1f} s'} later, was started "
              f"again at {'-' if start_at is None else f'{start_at - killed:.1f} s'}, and "
              f"answered a post {'-' if first is None else f'{first:.1f} s'} after that start")
    for (what, _), wall, end in zip(kills, walls, [*walls[1:], float("inf")], strict=True):
        marks = []
        for label, text in (("gunicorn started", "Starting gunicorn"),
                            ("listening", "Listening at"), ("a worker booting", "Booting")):
            at = next((t for t, message in events if wall - 1 < t < end and text in message),
                      None)
            marks.append(f"{label} {'-' if at is None else f'{at - wall:+.0f} s'}")
        print(f"    gunicorn's log after killing the {what} (to the second): " + ", ".join(marks))
    print("  longest time without an acknowledged post " + "; ".join(
        f"{seconds:.1f} s after killing the {what}" for what, seconds in outages))
    late = [what for what, seconds in outages if seconds > common.TARGET_BACK_SECONDS]
    return common.finish(
        f"drill (c): gunicorn's master, then mitra serve, killed with SIGKILL under a restart "
        f"loop ({args.db}, {args.clients} clients)", result,
        [f"not back within 5 s after killing the {what}" for what in late]
        + ([f"mitra serve exited {supervisor.gave_up} after a kill: not restarted"]
           if supervisor.gave_up is not None else []))


if __name__ == "__main__":
    sys.exit(main())
