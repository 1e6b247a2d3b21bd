#!/usr/bin/env python3
"""tests/integration/load_server.py -- an OpenAI-compatible server for the load tests that
behaves like a serving engine with a fixed number of slots: a request waits for a free slot,
then spends PREFILL_MS before its first token and TPOT_MS per further token, streamed as
server-sent events (with usage in the last chunk when asked) or answered whole. /v1/completions
answers plain prompts, /v1/chat/completions messages (either refuses the other's body with 400);
each request's path is written to stderr (followed by " ignore_eos" when it asks for that).

usage: load_server.py SLOTS PREFILL_MS TPOT_MS; prints the port it listens on (127.0.0.1)."""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SLOTS = threading.Semaphore(int(sys.argv[1]))
PREFILL = float(sys.argv[2]) / 1000
TPOT = float(sys.argv[3]) / 1000


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        req = json.loads(self.rfile.read(n) or b"{}")
        plain = not self.path.endswith("/chat/completions")
        sys.stderr.write("POST %s%s\n" % (self.path, " ignore_eos" if req.get("ignore_eos") is True else ""))
        sys.stderr.flush()
        if plain != ("prompt" in req) or plain == ("messages" in req):
            self.send_response(400)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        toks = int(req.get("max_completion_tokens") or req.get("max_tokens") or 16)
        prompt = len(req["prompt"].split()) if plain else \
            sum(len(m.get("content", "").split()) for m in req.get("messages", []))
        with SLOTS:
            time.sleep(PREFILL)
            if req.get("stream"):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                self.end_headers()
                for i in range(toks):
                    if i:
                        time.sleep(TPOT)
                    ch = {"choices": [{"index": 0, "text": " w%d" % i, "finish_reason": None}]} if plain else \
                        {"choices": [{"index": 0, "delta": {"content": " w%d" % i}, "finish_reason": None}]}
                    self.wfile.write(b"data: " + json.dumps(ch).encode() + b"\n\n")
                    self.wfile.flush()
                last = {"choices": [{"index": 0, "text": "", "finish_reason": "length"}]} if plain else \
                    {"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]}
                self.wfile.write(b"data: " + json.dumps(last).encode() + b"\n\n")
                if (req.get("stream_options") or {}).get("include_usage"):
                    u = {"choices": [], "usage": {"prompt_tokens": prompt, "completion_tokens": toks}}
                    self.wfile.write(b"data: " + json.dumps(u).encode() + b"\n\n")
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
                self.close_connection = True
                return
            time.sleep(TPOT * max(0, toks - 1))
            choice = {"index": 0, "text": "w" * toks, "finish_reason": "length"} if plain else \
                {"index": 0, "message": {"role": "assistant", "content": "w" * toks}, "finish_reason": "length"}
            body = json.dumps({"choices": [choice],
                               "usage": {"prompt_tokens": prompt, "completion_tokens": toks}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


ThreadingHTTPServer.request_queue_size = 256   # a burst of connections must not wait for SYN retries
srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
