"""An in-memory replay of recorded Bayou responses, like the anchors' local server.

    python -m benchmarks.replay --bodies DIR --port 0

DIR is what `python -m benchmarks.worker save` wrote: `customers.json.txt` (GET /customers) and
one file per interval request, listed in `index.json.txt` as {"<customer id> <start>": "<file>"}. Every
body is loaded before the server listens, and served as the same bytes the sandbox sent, so a
pipeline run against it measures our side without the sandbox rendering JSON on the fly (which
costs about as much CPU as our whole pipeline, on the same 2 cores). The request's `end` is not
part of the key: the sync cuts the last month at "now", which moves between runs.

Prints its base URL (`http://127.0.0.1:<port>/api/v2`) on stdout once it listens.
"""

from __future__ import annotations

import argparse
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

PREFIX = "/api/v2"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay")
    parser.add_argument("--bodies", required=True)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args(argv)
    directory = Path(args.bodies)
    customers = (directory / "customers.json.txt").read_bytes()
    index = json.loads((directory / "index.json.txt").read_text())
    bodies = {key: (directory / name).read_bytes() for key, name in index.items()}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the sandbox

        def do_GET(self) -> None:  # noqa: N802 (http.server's name)
            url = urlsplit(self.path)
            path = url.path.removeprefix(PREFIX)
            parts = path.strip("/").split("/")
            body = None
            if parts == ["customers"]:
                body = customers
            elif len(parts) == 3 and parts[0] == "customers" and parts[2] == "intervals":
                start = parse_qs(url.query).get("start", [""])[0]
                body = bodies.get(f"{parts[1]} {start}")
            if body is None:
                body, status = b'{"error_code":"not_found","error_message":"not recorded"}', 404
            else:
                status = 200
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"http://127.0.0.1:{server.server_address[1]}{PREFIX}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
