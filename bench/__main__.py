"""`python -m bench [NAME ...]`: run the benchmarks (all by default)."""
import sys

from . import (
    attack,
    burst,
    cluster,
    dashboard,
    detect,
    drain,
    evaluate,
    freshness,
    ingest,
    memory,
    public,
    reads,
    relay,
    statuspage,
    visibility,
)

BENCHMARKS = {"ingest": ingest.main, "burst": burst.main, "relay": relay.main, "freshness": freshness.main,
              "drain": drain.main, "memory": memory.main, "visibility": visibility.main, "evaluate": evaluate.main,
              "dashboard": dashboard.main, "detect": detect.main, "statuspage": statuspage.main,
              "cluster": cluster.main, "attack": attack.main, "reads": reads.main,
              "public": public.main}

names = sys.argv[1:] or list(BENCHMARKS)
unknown = [n for n in names if n not in BENCHMARKS]
if unknown:
    sys.exit(f"unknown benchmark(s) {', '.join(unknown)} — known: {', '.join(BENCHMARKS)}")
for name in names:
    BENCHMARKS[name]()
