"""Connect ipyparallel's Client to a cluster, print "connected" and exit.

The benchmark measures the wall time from spawning this process to reading the line: interpreter start,
`import ipyparallel`, and the Client's connection_request/reply round trip.
"""
import sys

import ipyparallel

client = ipyparallel.Client(sys.argv[1], timeout=30)
sys.stdout.write("connected %d\n" % len(client.ids))
sys.stdout.flush()
client.close(linger=0)
