"""Drill (d): PostgreSQL killed under load, then started again, while patients post diary
entries (`common`: each retried with its UUID until acknowledged).

    .venv/bin/python bench/drills/postgres_killed.py [--down 5]

The database is a private cluster the drill makes with initdb (`common.PrivatePostgres`: a
temporary folder, its own port on 127.0.0.1, removed afterwards), never the machine's shared
server. After 5 s of posting it is stopped with `pg_ctl stop -m immediate` (as a crash: every
connection cut, no checkpoint), left down for `--down` seconds, and started again; 15 s more
of posting follow. While the database is away the site must answer 503, never 500, and be
back within 5 s of the database; nothing acknowledged may be lost (the restart replays the
write-ahead log). Prints the figures of `common` and the status codes seen while it was down.
"""

from __future__ import annotations

import argparse
import sys
import time

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=6, help="client threads posting")
    parser.add_argument("--down", type=float, default=5, help="seconds the database is down")
    args = parser.parse_args()
    with common.drill_dir("postgres") as tmp:
        cluster = server = None
        try:
            cluster = common.PrivatePostgres()
            common.say(f"private PostgreSQL cluster on 127.0.0.1:{cluster.port} "
                       f"({cluster.bin.parent.name}) in {cluster.root}")
            site = common.make_site(tmp, cluster.url)
            people = common.make_people(args.clients)
            server = common.Server(site)
            server.start()
            common.say(f"mitra serve ready in {server.wait_ready():.1f} s; posting")
            load = common.DiaryLoad(site, people.client_sessions, deadline=90).start()
            time.sleep(5)
            cluster.kill()
            down_at = time.monotonic()
            common.say(f"t={down_at - load.started:.1f} s: PostgreSQL stopped with -m immediate")
            time.sleep(args.down)
            cluster.start()
            up_at = time.monotonic()
            common.say(f"t={up_at - load.started:.1f} s: PostgreSQL started again "
                       f"({up_at - down_at:.1f} s down)")
            time.sleep(15)
            load.stop()
            result = common.figures(load, people.patient_ids, up_at)
        finally:
            if server is not None:
                server.stop()
            if cluster is not None:
                cluster.remove()
    print(f"  answers while the database was down: {common.answers_between(load, down_at, up_at)}")
    return common.finish(f"drill (d): PostgreSQL killed (-m immediate) for {args.down:g} s and "
                         f"started again ({args.clients} clients)", result)


if __name__ == "__main__":
    sys.exit(main())
