#!/usr/bin/env python3
"""tests/integration/serve_abuse.py -- bad input and abusive clients against `tierbench serve`:
malformed JSON, wrong types, unknown fields and models, a 100 MB body (with and without a
length), slow-drip clients, a thousand idle connections and a client that never reads its stream,
while a well-behaved client keeps being served; the server's memory stays bounded. Prints
"ok NAME" / "FAIL NAME: why" per check.
usage: serve_abuse.py BASE_URL MODEL SERVER_PID"""
import json
import socket
import sys
import threading
import time
import urllib.parse

base, model, pid = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = urllib.parse.urlparse(base)
HOST, PORT = u.hostname, u.port
failed = 0


def check(name, cond, why=""):
    global failed
    if cond:
        print("ok", name, flush=True)
    else:
        failed += 1
        print("FAIL %s: %s" % (name, why), flush=True)


def rss_kb():
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def request(method, path, body=None, headers=None, timeout=60):
    """One HTTP/1.1 request on a fresh connection: (status, headers dict, body bytes)."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    data = body if isinstance(body, bytes) else (body or "").encode()
    h = {"Host": "x", "Connection": "close"}
    if body is not None:
        h["Content-Type"] = "application/json"
        h["Content-Length"] = str(len(data))
    h.update(headers or {})
    s.sendall(("%s %s HTTP/1.1\r\n" % (method, path) + "".join("%s: %s\r\n" % kv for kv in h.items())
               + "\r\n").encode() + data)
    buf = b""
    while True:
        try:
            c = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not c:
            break
        buf += c
    s.close()
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else -1
    hdrs = {l.split(":", 1)[0].lower(): l.split(":", 1)[1].strip() for l in lines[1:] if ":" in l}
    if hdrs.get("transfer-encoding") == "chunked":
        out, r = b"", rest
        while r:
            n, _, r = r.partition(b"\r\n")
            n = int(n or b"0", 16)
            if n == 0:
                break
            out, r = out + r[:n], r[n + 2:]
        rest = out
    return status, hdrs, rest


def completion(max_tokens=8, **kw):
    body = {"model": model, "prompt": "def add_two(x):\n", "max_tokens": max_tokens, "temperature": 0}
    body.update(kw)
    return request("POST", "/v1/completions", json.dumps(body))


def err_code(body):
    try:
        return json.loads(body)["error"]["code"]
    except Exception:
        return "unparsed: %r" % body[:200]


def served(name):
    t0 = time.time()
    st, _, b = completion()
    check(name, st == 200 and json.loads(b)["choices"][0]["text"] != "",
          "status %d after %.1f s: %r" % (st, time.time() - t0, b[:200]))


rss0 = rss_kb()

# Bad bodies: each answered in OpenAI's error shape, the server unharmed.
st, _, b = request("POST", "/v1/chat/completions", '{"messages": [{"role": "user", "content": "x"}')
check("abuse_malformed_json_is_400", st == 400 and json.loads(b)["error"]["type"] == "invalid_request_error",
      "%d %r" % (st, b[:200]))
st, _, b = request("POST", "/v1/chat/completions", b"\xff\xfe{}")
check("abuse_binary_body_is_400", st == 400, "%d %r" % (st, b[:200]))
st, _, b = request("POST", "/v1/chat/completions", json.dumps({"messages": [{"role": "user", "content": {"a": 1}}]}))
check("abuse_wrong_type_is_400", st == 400 and err_code(b) == "invalid_type", "%d %r" % (st, b[:200]))
st, _, b = completion(max_tokens="lots")
check("abuse_wrong_type_max_tokens_is_400", st == 400 and err_code(b) == "invalid_type", "%d %r" % (st, b[:200]))
st, _, b = completion(frobnicate={"deep": [1, 2, {"x": None}]}, tools=[], user="u1")
check("abuse_unknown_fields_are_ignored", st == 200, "%d %r" % (st, b[:200]))
st, _, b = completion(model="gpt-5")
check("abuse_unknown_model_is_404", st == 404 and err_code(b) == "model_not_found", "%d %r" % (st, b[:200]))
st, _, b = request("POST", "/v1/completions", "[" * 100000 + "]" * 100000)
check("abuse_deep_nesting_is_400", st == 400, "%d %r" % (st, b[:200]))
st, _, b = request("DELETE", "/v1/completions")
check("abuse_wrong_method_is_405", st == 405, "%d %r" % (st, b[:200]))
st, _, b = request("GET", "/v1/" + "a" * 100000)
check("abuse_huge_url_is_refused", st in (400, 404, 414, 431) or st == -1, "%d" % st)
st, _, b = request("GET", "/health", headers={"X-Big": "b" * 200000})
check("abuse_huge_header_is_431", st == 431, "%d" % st)

# A 100 MB body with its length: refused, read and dropped without being kept.
big = 100 << 20
s = socket.create_connection((HOST, PORT), timeout=60)
s.sendall(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Content-Length: %d\r\n\r\n" % big).encode())
chunk = b"x" * (1 << 20)
peak = 0
try:
    for i in range(100):
        s.sendall(chunk)
        if i % 10 == 0:
            peak = max(peak, rss_kb())
except (BrokenPipeError, ConnectionResetError):
    pass
resp = b""
try:
    while True:
        c = s.recv(65536)
        if not c:
            break
        resp += c
except (ConnectionResetError, socket.timeout):
    pass
s.close()
check("abuse_100mb_body_is_413", resp.startswith(b"HTTP/1.1 413"), repr(resp[:100]))
check("abuse_100mb_body_memory_bounded", peak - rss0 < 64 * 1024, "RSS grew %d kB" % (peak - rss0))

# The same without a length (chunked): dropped as it comes, 413 at its end.
s = socket.create_connection((HOST, PORT), timeout=60)
s.sendall(b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          b"Transfer-Encoding: chunked\r\n\r\n")
try:
    for i in range(100):
        s.sendall(b"100000\r\n" + chunk + b"\r\n")
        if i % 10 == 0:
            peak = max(peak, rss_kb())
    s.sendall(b"0\r\n\r\n")
except (BrokenPipeError, ConnectionResetError):
    pass
resp = s.recv(200)
s.close()
check("abuse_100mb_chunked_body_is_413", resp.startswith(b"HTTP/1.1 413"), repr(resp[:100]))
check("abuse_100mb_chunked_memory_bounded", peak - rss0 < 64 * 1024, "RSS grew %d kB" % (peak - rss0))
served("abuse_served_after_bad_bodies")

# Slow-drip clients: 20 connections sending their headers a byte at a time.
stop = threading.Event()


def drip():
    try:
        s = socket.create_connection((HOST, PORT), timeout=30)
        msg = b"POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 20\r\n"
        for c in msg:
            if stop.is_set():
                break
            s.send(bytes([c]))
            time.sleep(0.05)
        s.close()
    except OSError:
        pass


drips = [threading.Thread(target=drip) for _ in range(20)]
for t in drips:
    t.start()
time.sleep(0.3)
served("abuse_served_beside_slow_drip_clients")

# A thousand idle connections: open, say nothing.
idle = []
try:
    for _ in range(1000):
        idle.append(socket.create_connection((HOST, PORT), timeout=10))
except OSError as e:
    print("# opened %d idle connections: %s" % (len(idle), e))
check("abuse_thousand_idle_connections_open", len(idle) == 1000, "%d opened" % len(idle))
time.sleep(0.3)
served("abuse_served_beside_idle_connections")
st, _, b = request("GET", "/health")
check("abuse_health_beside_idle_connections", st == 200, "%d" % st)
for c in idle:
    c.close()
stop.set()
for t in drips:
    t.join()

# A client that never reads its stream: a small receive window, a long generation.
lazy = socket.socket()
lazy.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
lazy.connect((HOST, PORT))
body = json.dumps({"model": model, "prompt": "Once upon a time", "max_tokens": 1500, "temperature": 1.5,
                   "seed": 1, "stream": True, "logprobs": 5})
lazy.sendall(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: %d\r\n\r\n" % len(body) + body).encode())
time.sleep(1.0)
served("abuse_served_beside_a_client_that_never_reads")
lazy.close()

time.sleep(0.5)
st, _, b = request("GET", "/health")
check("abuse_server_stays_up", st == 200, "%d" % st)
check("abuse_memory_stays_bounded", rss_kb() - rss0 < 128 * 1024, "RSS grew %d kB" % (rss_kb() - rss0))
sys.exit(1 if failed else 0)
