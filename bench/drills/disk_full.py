"""Drill (e): SQLite on a full disk, while patients post diary entries (`common`: each retried
with its UUID until acknowledged).

    .venv/bin/python bench/drills/disk_full.py [--size-mb 48] [--full 5]

The database file lives on a small tmpfs the drill mounts (root only: without it the drill
says so and exits 0, skipped) and unmounts at the end. After 5 s of posting, a file fills the
tmpfs to its last byte; `--full` seconds later the file is removed; 15 s more of posting
follow. While the disk is full the site must answer 503, never 500, and be back within 5 s
of the space returning; nothing acknowledged may be lost. Prints the figures of `common` and
the status codes seen while the disk was full.
"""

from __future__ import annotations

import argparse
import sys
import time

import common


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=6, help="client threads posting")
    parser.add_argument("--size-mb", type=int, default=48, help="the tmpfs's size")
    parser.add_argument("--full", type=float, default=5, help="seconds the disk stays full")
    args = parser.parse_args()
    with common.drill_dir("disk") as tmp:
        server = None
        try:
            with common.tmpfs(tmp / "disk", args.size_mb) as disk:
                site = common.make_site(tmp, f"sqlite:///{disk / 'drill.sqlite3'}")
                people = common.make_people(args.clients)
                server = common.Server(site)
                server.start()
                common.say(f"mitra serve ready in {server.wait_ready():.1f} s; posting to "
                            f"SQLite on a {args.size_mb} MB tmpfs")
                load = common.DiaryLoad(site, people.client_sessions, deadline=90).start()
                time.sleep(5)
                filler = disk / "filler"
                written = common.fill(filler)
                full_at = time.monotonic()
                common.say(f"t={full_at - load.started:.1f} s: the disk is full "
                           f"({written / 2**20:.1f} MB written)")
                time.sleep(args.full)
                filler.unlink()
                freed_at = time.monotonic()
                common.say(f"t={freed_at - load.started:.1f} s: the space is back")
                time.sleep(15)
                load.stop()
                result = common.figures(load, people.patient_ids, freed_at)
                server.stop()
                server = None
                common.close_db()
        except common.Skip as skipped:
            print(f"drill (e) skipped: {skipped}")
            return 0
        finally:
            if server is not None:
                server.stop()
    print(f"  answers while the disk was full: {common.answers_between(load, full_at, freed_at)}")
    return common.finish(f"drill (e): SQLite on a full disk (tmpfs) for {args.full:g} s "
                         f"({args.clients} clients)", result)


if __name__ == "__main__":
    sys.exit(main())
