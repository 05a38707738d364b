#!/usr/bin/env python3
"""A stub GitHub API for scripts/loadtest.sh (INBOX=on): just enough for the inbox worker to handle a
pull_request delivery. Installation tokens are granted; every pull request is answered as closed, so each handled
delivery costs exactly one look-up of the pull request's head and no review runs. Counts requests per kind;
GET /_stats returns the counts as JSON. Loopback only.
    python3 scripts/github-stub.py PORT
"""
import json
import sys
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

counts = {"token": 0, "pull": 0, "other": 0}
lock = threading.Lock()


def count(kind):
    with lock:
        counts[kind] += 1


class Stub(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-ratelimit-limit", "5000")
        self.send_header("x-ratelimit-remaining", "4999")
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        parts = self.path.split("/")
        if len(parts) == 5 and parts[1] == "app" and parts[2] == "installations" and parts[4] == "access_tokens":
            count("token")
            expires = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
            return self.reply(201, {"token": "ghs_loadtest", "expires_at": expires,
                                    "permissions": {"pull_requests": "write", "checks": "write", "contents": "read"},
                                    "repository_selection": "all"})
        count("other")
        self.reply(404, {"message": "Not Found"})

    def do_GET(self):
        if self.path == "/_stats":
            with lock:
                return self.reply(200, dict(counts))
        parts = self.path.split("?")[0].split("/")
        # /repos/{owner}/{repo}/pulls/{number}
        if len(parts) == 6 and parts[1] == "repos" and parts[4] == "pulls" and parts[5].isdigit():
            count("pull")
            owner, repo, number = parts[2], parts[3], int(parts[5])
            repo_json = {"id": 1, "name": repo, "full_name": f"{owner}/{repo}",
                         "owner": {"login": owner, "id": 99, "type": "Organization"}}
            return self.reply(200, {
                "id": 100000 + number, "number": number, "state": "closed", "title": "Rework the frobnicator",
                "body": "", "draft": False, "merged": False,
                "user": {"login": "octocat", "id": 1, "type": "User"},
                "head": {"label": f"{owner}:feature", "ref": "feature", "sha": "1" * 40, "repo": repo_json},
                "base": {"label": f"{owner}:main", "ref": "main", "sha": "2" * 40, "repo": repo_json},
                "url": f"http://127.0.0.1/repos/{owner}/{repo}/pulls/{number}",
                "html_url": f"https://github.com/{owner}/{repo}/pull/{number}",
            })
        count("other")
        self.reply(404, {"message": "Not Found"})


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Stub)
    server.daemon_threads = True
    server.serve_forever()
