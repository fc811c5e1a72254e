"""Connect ipyparallel's Client to a cluster, print "connected <engines> <phases JSON>" and exit.

The benchmark measures the wall time from spawning this process to reading the line: interpreter start,
`import ipyparallel`, and the Client's connection_request/reply round trip. The phases (ms) say where the
time went; "boot" is measured from the process start time in /proc (10 ms resolution).
"""
import json
import os
import sys
import time


def since_start_ms():
    with open("/proc/self/stat") as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    with open("/proc/uptime") as f:
        uptime = float(f.read().split()[0])
    return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1e3


boot = since_start_ms()
t0 = time.perf_counter()
import ipyparallel  # noqa: E402  (timed on purpose)

t1 = time.perf_counter()
client = ipyparallel.Client(sys.argv[1], timeout=30)
t2 = time.perf_counter()
phases = {"boot": boot, "load": (t1 - t0) * 1e3, "connect": (t2 - t1) * 1e3}
sys.stdout.write("connected %d %s\n" % (len(client.ids), json.dumps(phases)))
sys.stdout.flush()
client.close(linger=0)
