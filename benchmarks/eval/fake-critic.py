#!/usr/bin/env python3
"""A FAKE OpenAI-compatible critic for trying `criticbot eval` without a model provider.

It is not a model and its numbers say nothing about any model. Each answer flags the first added line of the
diff it is shown as a bug (so it "catches" bugs that sit on the first changed line and raises a false alarm on
every clean case); a seeded random draw per request makes some samples quote invented code instead (a
hallucination) and some add a nit on an unchanged line. Usage:

    python3 benchmarks/eval/fake-critic.py 8089 &
    OPENAI_BASE_URL=http://127.0.0.1:8089/v1 OPENAI_API_KEY=fake CRITICBOT_MODEL=fake-critic \
        criticbot eval --dataset cases.jsonl --sweep --out eval-fake
"""
import hashlib
import json
import random
import re
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LINE = re.compile(r"^([+ -])\s*(\d+) \| (.*)$")
FILE = re.compile(r"^### FILE: (\S+)")
counter = {}


def critique(user):
    path, added, context = None, [], []
    for line in user.split("\n"):
        header = FILE.match(line)
        if header and path is None:
            path = header.group(1)
        match = LINE.match(line)
        if match and path and len(match.group(3).strip()) >= 3:
            (added if match.group(1) == "+" else context if match.group(1) == " " else []).append((int(match.group(2)), match.group(3)))
    key = hashlib.sha256(user.encode()).hexdigest()
    counter[key] = counter.get(key, 0) + 1
    draw = random.Random(f"{key}-{counter[key]}")
    comments = []
    if path and added:
        line, code = added[0]
        if draw.random() < 0.25:
            comments.append({"path": path, "line": line, "end_line": line, "quote": "if (user.isAdmin) return true;", "severity": "bug", "body": "FAKE: invented code."})
        else:
            comments.append({"path": path, "line": line, "end_line": line, "quote": code.strip(), "severity": "bug", "body": "FAKE: the first change is flagged."})
    if path and context and draw.random() < 0.3:
        line, code = context[draw.randrange(len(context))]
        comments.append({"path": path, "line": line, "end_line": line, "quote": code.strip(), "severity": "nit", "body": "FAKE: a nit."})
    return json.dumps({"comments": comments})


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = body["messages"][-1]["content"]
        content = critique(user)
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        reply = {"id": "fake", "object": "chat.completion", "created": 0, "model": "fake-critic",
                 "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
                 "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": len(content) // 4, "total_tokens": prompt_tokens + len(content) // 4}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1]) if len(sys.argv) > 1 else 8089), Handler).serve_forever()
