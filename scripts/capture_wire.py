"""Records signed ipyparallel wire traffic from a live cluster, as fixtures for the unit tests.

Usage (the cluster's own Python, and its PYTHONPATH for 9.x):
    python3 scripts/capture_wire.py <ipcontroller-client.json> <out.json> [<cluster-<id>.json>]

It drives ipyparallel's own Python Client (connection, execute, apply, load-balanced apply, abort, interrupt,
resubmit, db queries, the broadcast scheduler) with jupyter_client's Session patched to record every
message as it is signed or as it arrives: routing frames, signature, and the four JSON frames decoded.
Buffers are kept as {len, head_hex}. Every frame is checked to be exactly what json.dumps(json.loads(frame),
ensure_ascii=False) gives back ("python" style), so that the unit tests can rebuild the bytes. The file
holds the key of the cluster, which must be a throwaway test cluster, stopped after the capture.
"""
import json
import sys
import time

import ipyparallel as ipp
import jupyter_client
import zmq
from jupyter_client import session as jsession

FRAMES = ("header", "parent_header", "metadata", "content")
records = []
current = {"label": "connection"}


def _bytes(f):
    return f.bytes if hasattr(f, "bytes") else bytes(f)


def _routing(idents):
    out = []
    for r in idents:
        b = _bytes(r)
        try:
            t = b.decode("utf8")
            out.append({"text": t} if t.isprintable() else {"hex": b.hex()})
        except UnicodeDecodeError:
            out.append({"hex": b.hex()})
    return out


def _record(direction, socket, idents, signature, frames, buffers):
    decoded = {}
    for name, raw in zip(FRAMES, frames):
        text = raw.decode("utf8")
        value = json.loads(text)
        if json.dumps(value, ensure_ascii=False) != text:
            raise SystemExit(f"{name} of a {direction} message is not python-style JSON: cannot be rebuilt")
        decoded[name] = value
    records.append(
        {
            "label": f"{current['label']}: {decoded['header'].get('msg_type')}",
            "socket": socket,
            "direction": direction,
            "json_style": "python",
            "routing_frames": _routing(idents),
            "signature": signature.decode("ascii"),
            **decoded,
            "buffers": [{"len": len(b), "head_hex": b[:16].hex()} for b in buffers],
        }
    )


_serialize = jsession.Session.serialize
_feed = jsession.Session.feed_identities
_deserialize = jsession.Session.deserialize
_QUERY = "connection queue result history db purge resubmit".split()
_CONTROL = "abort clear shutdown signal".split()
_IOPUB = "stream status execute_input execute_result error display_data".split()


def _socket_of(msg_type):
    """The channel a message travels on, from its type (and the step's label for requests and replies)."""
    prefix = msg_type.split("_")[0]
    if msg_type.endswith("_notification"):
        return "notification"
    if prefix in _QUERY:
        return "registration"
    if prefix in _CONTROL:
        return "control"
    if msg_type in _IOPUB:
        return "iopub"
    label = current["label"]
    return "broadcast" if "broadcast" in label else "task" if "load-balanced" in label or "resubmit" in label else "mux"


def serialize(self, msg, ident=None):
    wire = _serialize(self, msg, ident)
    at = wire.index(jsession.DELIM)
    buffers = [_bytes(b) for b in wire[at + 6 :]]
    _record("client->controller", _socket_of(msg["header"]["msg_type"]), wire[:at], wire[at + 1], wire[at + 2 : at + 6], buffers)
    return wire


def feed_identities(self, msg_list, copy=True):
    idents, rest = _feed(self, msg_list, copy)
    self._capture_idents = idents
    return idents, rest


def deserialize(self, msg_list, content=True, copy=True):
    frames = [_bytes(f) for f in msg_list]
    msg = _deserialize(self, msg_list, content, copy)
    socket = _socket_of(msg["header"].get("msg_type", ""))
    _record("controller->client", socket, getattr(self, "_capture_idents", []), frames[0], frames[1:5], frames[5:])
    return msg


jsession.Session.serialize = serialize
jsession.Session.feed_identities = feed_identities
jsession.Session.deserialize = deserialize


def step(label, fn):
    current["label"] = label
    try:
        return fn()
    finally:
        time.sleep(0.3)  # let iopub and replies for this step arrive under its label


def main():
    conn_file, out = sys.argv[1], sys.argv[2]
    cluster_file = sys.argv[3] if len(sys.argv) > 3 else None
    rc = step("connection", lambda: ipp.Client(conn_file, timeout=30))
    rc.wait_for_engines(2, timeout=60)
    dv = rc[:]
    lb = rc.load_balanced_view()
    step("execute", lambda: dv.execute("a = 6 * 7\nprint('hi')", block=True))
    step("execute_result", lambda: rc[0].execute("a", silent=False, block=True))
    step("apply", lambda: dv.apply_sync(lambda x: x + 1, 41))
    step("apply load-balanced", lambda: lb.apply_sync(lambda: "lb"))

    def abort():
        blocker = rc[0].apply_async(time.sleep, 2)
        queued = rc[0].apply_async(lambda: "never")
        rc.abort(queued, targets=[0], block=True)
        blocker.get(10)
        try:
            queued.get(10)
        except Exception:
            pass

    step("abort", abort)

    def interrupt():
        r = rc[1].execute("import time; time.sleep(30)", block=False)
        time.sleep(1)
        rc.send_signal(2, targets=[1], block=True)
        try:
            r.get(15)
        except Exception:
            pass

    step("interrupt", interrupt)
    done = lb.apply_async(lambda: 5)
    done.get(10)
    step("resubmit", lambda: rc.resubmit(done.msg_ids, block=True).get(10))
    step("queue_status", lambda: rc.queue_status(verbose=True))
    step("db_query", lambda: rc.db_query({"msg_id": {"$in": done.msg_ids}}, keys=["msg_id", "completed", "engine_uuid"]))
    step("result_status", lambda: rc.result_status(done.msg_ids))
    step("history", lambda: rc.hub_history())
    step("purge_results", lambda: rc.purge_results(done.msg_ids))
    if "broadcast" in rc._config and hasattr(rc, "broadcast_view"):
        bv = rc.broadcast_view()
        step("broadcast execute", lambda: bv.execute("b = 1", block=True))
        step("broadcast apply", lambda: bv.apply_sync(lambda: "bc"))
    current["label"] = "close"
    rc.close()
    with open(conn_file) as f:
        connection = json.load(f)
    result = {
        "about": "Real messages captured by scripts/capture_wire.py (ipyparallel's Python Client, Session patched "
        "to record signed frames) against a local test cluster. 'key' is the HMAC key of that (now stopped) cluster.",
        "versions": {
            "ipyparallel": ipp.__version__,
            "jupyter_client": jupyter_client.__version__,
            "pyzmq": zmq.__version__,
            "libzmq": zmq.zmq_version(),
        },
        "connection_file": connection,
        "key": connection["key"],
        "signature_scheme": connection.get("signature_scheme", "hmac-sha256"),
        "examples": records,
    }
    if cluster_file:
        with open(cluster_file) as f:
            result["cluster_file"] = json.load(f)
    with open(out, "w") as f:
        json.dump(result, f, indent=1, ensure_ascii=False)
        f.write("\n")
    print(f"{len(records)} messages written to {out}")


if __name__ == "__main__":
    main()
