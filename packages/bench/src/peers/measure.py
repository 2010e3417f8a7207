"""Runs a command and writes its wall time, CPU time and peak resident memory as JSON.

    python3 measure.py OUT.json -- CMD [ARGS...]

The command's stdout and stderr pass through; OUT.json gets {"code", "wall_ms", "user_s", "sys_s",
"max_rss_kb"} from getrusage(RUSAGE_CHILDREN) (kilobytes on Linux): what the bench reports for ftcal's CLI
runs, which Node's child_process cannot measure itself.
"""

import json
import resource
import subprocess
import sys
import time


def main():
    out, sep, *cmd = sys.argv[1:]
    if sep != "--" or not cmd:
        sys.exit("usage: measure.py OUT.json -- CMD [ARGS...]")
    t0 = time.perf_counter()
    code = subprocess.run(cmd).returncode
    wall = (time.perf_counter() - t0) * 1e3
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(out, "w") as f:
        json.dump({"code": code, "wall_ms": wall, "user_s": ru.ru_utime, "sys_s": ru.ru_stime, "max_rss_kb": ru.ru_maxrss}, f)
    sys.exit(code)


if __name__ == "__main__":
    main()
