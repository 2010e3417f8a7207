#!/usr/bin/env python3
"""ftcal on a Dask cluster: the map step (`ftcal stats`, one task per shard) on the workers, the reduce
step (`ftcal evaluate|calibrate|curve --stats`) here. The merged result equals one run over all rows.

    python3 map_reduce.py --logits 'shards/logits-*.npy' --labels 'shards/labels-*.npy' \
        --groups groups.json --stats-dir stats/ [--scheduler tcp://host:8786 | --workers 2] \
        -- evaluate --json

Shards pair up in name order (logits-000.npy with labels-000.npy). Each task runs the ftcal binary on
the worker, so every worker needs ftcal (and the shards, e.g. on a shared file system) at the same path.
Everything after `--` is the reduce command, run here with `--stats <every statistics file>` added.
"""

import argparse
import glob
import json
import os
import shlex
import subprocess
import sys

from dask.distributed import Client, LocalCluster, get_worker


def ftcal_stats(ftcal, logits, labels, out, options, threads):
    """One map task: `ftcal stats` on one shard. Returns the statistics file, ftcal's summary, the worker."""
    env = dict(os.environ, FTCAL_CPU_THREADS=str(threads))
    cmd = [*ftcal, "stats", "--logits", logits, "--labels", labels, "--out", out, "--json", *options]
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        # ftcal's own one-line message says what was wrong with this shard.
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr.strip() else f"exit {done.returncode}")
    return out, json.loads(done.stdout), get_worker().address


def shards(pattern):
    found = sorted(glob.glob(pattern))
    if not found:
        sys.exit(f"map_reduce.py: {pattern}: no file matches this pattern; check the pattern")
    return found


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--ftcal", default="ftcal", help="how to run ftcal on the workers, e.g. 'node /opt/ftcal/ftcal.mjs'")
    p.add_argument("--logits", required=True, help="glob of the logits shards")
    p.add_argument("--labels", required=True, help="glob of the labels shards (same count, same name order)")
    p.add_argument("--stats-dir", required=True, help="where the workers write the statistics files")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (default: a local cluster)")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local cluster")
    p.add_argument("--threads", type=int, default=1, help="CPU threads per ftcal task (FTCAL_CPU_THREADS)")
    p.add_argument("--groups", help="class groups file, passed to ftcal stats")
    p.add_argument("--stats-option", action="append", default=[], help="any other ftcal stats option, e.g. --stats-option=--nan-policy=skip")
    p.add_argument("reduce", nargs=argparse.REMAINDER, help="-- then the reduce command: evaluate, curve or calibrate and its options")
    a = p.parse_args(argv)

    ftcal = shlex.split(a.ftcal)
    logits, labels = shards(a.logits), shards(a.labels)
    if len(logits) != len(labels):
        sys.exit(f"map_reduce.py: {len(logits)} logits shards but {len(labels)} labels shards; pair each shard with its labels")
    os.makedirs(a.stats_dir, exist_ok=True)
    options = [*(["--groups", a.groups] if a.groups else []), *a.stats_option]
    outs = [os.path.join(a.stats_dir, os.path.basename(z).rsplit(".", 1)[0] + ".stats.npz") for z in logits]

    cluster = None if a.scheduler else LocalCluster(n_workers=a.workers, threads_per_worker=1, processes=True, dashboard_address=None)
    with Client(a.scheduler or cluster) as client:
        futures = [
            client.submit(ftcal_stats, ftcal, z, y, out, options, a.threads, pure=False, key=f"ftcal-stats-{i}")
            for i, (z, y, out) in enumerate(zip(logits, labels, outs))
        ]
        results = client.gather(futures)
        workers = len(client.scheduler_info()["workers"])
    if cluster is not None:
        cluster.close()
    for out, summary, worker in results:
        print(f"{summary['source']}: {summary['rows']} rows -> {out} (on {worker})", file=sys.stderr)
    print(f"map_reduce.py: {len(results)} tasks on {workers} workers", file=sys.stderr)

    reduce = a.reduce[1:] if a.reduce[:1] == ["--"] else a.reduce
    if not reduce:
        return 0
    # The reduce step, in shard order: exactly the single-run result.
    return subprocess.run([*ftcal, *reduce, "--stats", *[out for out, _, _ in results]]).returncode


if __name__ == "__main__":
    sys.exit(main())
