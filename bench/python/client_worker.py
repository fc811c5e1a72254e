"""ipyparallel's own Python Client, driven by the benchmark over stdin/stdout.

One JSON command per stdin line, one JSON result per stdout line (nothing else is printed on stdout).
The worker stays up between commands so that connecting is paid once per measurement, outside the
timed window, exactly like our in-process client. Commands:

  {"op": "connect", "file": PATH}                    -> {"ok": true, "engines": [ids]}
  {"op": "latency", "samples": N, "engine": ID}      -> {"ok": true, "samplesMs": [...]}
  {"op": "lb", "n": N, "mode": "apply" | "execute"}  -> {"ok": true, "wallMs", "cpuMs", "tasks"}
  {"op": "all", "n": N}                              -> {"ok": true, "wallMs", "cpuMs", "tasks"}
  {"op": "run", "code": C, "samples": N, "targets": "all" | ID}
                                                  -> {"ok": true, "samplesMs": [...], "cpuMs": [...], "chars": [...]}
                                                     (each sample one execute, silent only for "pass", awaited to
                                                     reply + idle; chars: stdout characters received)
  {"op": "soak", "n": N}                             -> {"event": "halfway"} once half the tasks ended, then
                                                        {"ok": true, "tasks", "done", "error", "aborted", "neverTerminal", "wallMs"}
  {"op": "purge"}                                    -> {"ok": true}   (hub records of every client)
  {"op": "disconnect"}                               -> {"ok": true}
  {"op": "quit"}

Every wait has a deadline ("timeout" seconds in the command, default 300): a stuck cluster fails the
command instead of hanging the benchmark.
"""
import json
import sys
import time
import traceback

import ipyparallel
from ipyparallel.client.asyncresult import AsyncResult

# The metadata LoadBalancedView.apply sends (PROTOCOL.md §5.3).
LB_METADATA = {"after": [], "follow": [], "timeout": None, "targets": [], "retries": 0}

client = None


class BenchError(Exception):
    pass


def wait_all(ars, timeout):
    """Wait for every reply and then every idle (all output received), like our clients' wait()."""
    deadline = time.monotonic() + timeout
    for ar in ars:
        left = deadline - time.monotonic()
        if left <= 0 or not ar.wait(left):
            raise BenchError("timed out after %.0f s waiting for replies" % timeout)
        left = deadline - time.monotonic()
        if left <= 0 or not ar.wait_for_output(left):
            raise BenchError("timed out after %.0f s waiting for output (idle)" % timeout)


def lb_execute(code):
    """An execute_request on the task socket, sent by the Python Client's own machinery.

    LoadBalancedView has no execute() (PROTOCOL.md §5.3): this is what it would do, built from the same
    calls as LoadBalancedView.apply (send_*_request on the task socket with the LB metadata, then an
    AsyncResult on the future).
    """
    future = client.send_execute_request(client._task_socket, code, silent=True, metadata=dict(LB_METADATA))
    return AsyncResult(client, future, fname="execute", targets=None, owner=True)


def noop():
    return None


def warm_up(timeout):
    """Run on every engine and through the scheduler until output arrives, so the iopub subscription
    is live before anything is timed."""
    deadline = time.monotonic() + timeout
    while True:
        ars = [client[:].execute("pass", silent=True, block=False), lb_execute("pass")]
        try:
            wait_all(ars, 5)
            return
        except BenchError:
            if time.monotonic() > deadline:
                raise


def timed(submit, n, timeout):
    t0 = time.perf_counter()
    c0 = time.process_time()
    ars = [submit() for _ in range(n)]
    wait_all(ars, timeout)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"wallMs": wall * 1e3, "cpuMs": cpu * 1e3}


def soak(n, timeout):
    """n load-balanced executes; announce when half have ended (the benchmark then kills an engine), wait
    for the rest until the deadline, and count how each ended. A task with no reply by then never ended."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + timeout
    ars = [lb_execute("pass") for _ in range(n)]
    announced = False
    while True:
        ended = sum(1 for ar in ars if ar.ready())
        if not announced and ended >= n // 2:
            sys.stdout.write(json.dumps({"event": "halfway", "ended": ended}) + "\n")
            sys.stdout.flush()
            announced = True
        if ended == n or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    counts = {"done": 0, "error": 0, "aborted": 0, "neverTerminal": 0}
    for ar in ars:
        if not ar.ready():
            counts["neverTerminal"] += 1
        elif ar.successful():
            counts["done"] += 1
        else:
            try:
                ar.get(0)
            except ipyparallel.error.TaskAborted:
                counts["aborted"] += 1
            except Exception:
                counts["error"] += 1
    counts.update(tasks=n, wallMs=(time.perf_counter() - t0) * 1e3)
    return counts


def run_samples(cmd, timeout):
    """Sequential executes of one piece of code on all engines or one, each awaited to reply and idle
    (every output line received): wall time, client CPU time and stdout characters received per sample."""
    targets = cmd.get("targets", "all")
    view = client[:] if targets == "all" else client[int(targets)]
    code = cmd["code"]
    silent = code == "pass"
    samples, cpu, chars = [], [], []
    for _ in range(int(cmd["samples"])):
        t0 = time.perf_counter()
        c0 = time.process_time()
        ar = view.execute(code, silent=silent, block=False)
        wait_all([ar], timeout)
        samples.append((time.perf_counter() - t0) * 1e3)
        cpu.append((time.process_time() - c0) * 1e3)
        out = ar.stdout
        chars.append(sum(len(s) for s in out) if isinstance(out, list) else len(out))
        client.purge_local_results(ar)  # a 50 MB output is not kept across samples
        ar = out = None
    return {"samplesMs": samples, "cpuMs": cpu, "chars": chars}


def handle(cmd):
    global client
    op = cmd["op"]
    timeout = float(cmd.get("timeout", 300))
    if op == "connect":
        client = ipyparallel.Client(cmd["file"], timeout=timeout)
        client.wait_for_engines(int(cmd.get("engines", 1)), timeout=timeout)
        warm_up(timeout)
        return {"engines": list(client.ids)}
    if client is None:
        raise BenchError("not connected")
    if op == "latency":
        view = client[int(cmd.get("engine", client.ids[0]))]
        samples = []
        for _ in range(int(cmd["samples"])):
            t0 = time.perf_counter()
            ar = view.execute("pass", silent=True, block=False)
            wait_all([ar], timeout)
            samples.append((time.perf_counter() - t0) * 1e3)
        return {"samplesMs": samples}
    if op == "lb":
        n = int(cmd["n"])
        if cmd.get("mode", "apply") == "apply":
            view = client.load_balanced_view()
            result = timed(lambda: view.apply_async(noop), n, timeout)
        else:
            result = timed(lambda: lb_execute("pass"), n, timeout)
        result["tasks"] = n
        return result
    if op == "all":
        n = int(cmd["n"])
        view = client[:]
        result = timed(lambda: view.execute("pass", silent=True, block=False), n, timeout)
        result["tasks"] = n * len(view.targets)
        return result
    if op == "run":
        return run_samples(cmd, timeout)
    if op == "soak":
        return soak(int(cmd["n"]), timeout)
    if op == "purge":
        client.purge_everything()
        return {}
    if op == "disconnect":
        client.close(linger=0)
        client = None
        return {}
    raise BenchError("unknown op %r" % op)


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        cmd = json.loads(line)
        if cmd.get("op") == "quit":
            break
        try:
            result = handle(cmd)
            result["ok"] = True
        except Exception as exc:  # reported to the benchmark, which fails that measurement
            traceback.print_exc(file=sys.stderr)
            result = {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc)}
        out.write(json.dumps(result) + "\n")
        out.flush()
    if client is not None:
        client.close(linger=0)


if __name__ == "__main__":
    main()
