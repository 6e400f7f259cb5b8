"""A load generator: CLIENTS threads, each on its own keep-alive HTTP connection.

Run as a process of its own, next to the server it loads:

    python -m bench.load --duration 15 --clients 32 http://127.0.0.1:8000/fr/ ...

Each client requests the URLs in turn (each client starting at a different
one) for the whole duration, reconnecting whenever the server closes the
connection, and prints one JSON object: requests per second, errors (any status
but 200 and 301, or a connection failure), and latency percentiles. Standard
library only, and no Django: it must not compete with the server for more CPU
than it needs.
"""

import argparse
import http.client
import json
import math
import resource
import sys
import threading
import time
from urllib.parse import urlsplit

OK_STATUSES = {200, 301}


def percentile(ordered, fraction):
    if not ordered:
        return None
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


class Client(threading.Thread):
    def __init__(self, host, port, paths, first, start_at, stop_at):
        super().__init__(daemon=True)
        self.host, self.port = host, port
        self.paths, self.first = paths, first
        self.start_at, self.stop_at = start_at, stop_at
        self.latencies = []  # seconds, of requests that started after the warm-up
        self.errors = []
        self.cache_hits = 0

    def run(self):
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        number = self.first
        while (begin := time.perf_counter()) < self.stop_at:
            path = self.paths[number % len(self.paths)]
            number += 1
            error = hit = None
            try:
                connection.request("GET", path)
                response = connection.getresponse()
                response.read()
                hit = response.getheader("X-Page-Cache") == "hit"
                if response.status not in OK_STATUSES:
                    error = f"{path}: HTTP {response.status}"
                if response.will_close:
                    connection.close()  # http.client reconnects on the next request
            except (OSError, http.client.HTTPException) as exception:
                error = f"{path}: {type(exception).__name__}: {exception}"
                connection.close()
            end = time.perf_counter()
            if begin >= self.start_at and end <= self.stop_at:
                self.latencies.append(end - begin)
                self.cache_hits += bool(hit)
                if error:
                    self.errors.append(error)
        connection.close()


def run(urls, *, duration, clients, warmup):
    parts = urlsplit(urls[0])
    paths = [urlsplit(url)._replace(scheme="", netloc="").geturl() for url in urls]
    start_at = time.perf_counter() + warmup
    stop_at = start_at + duration
    workers = [
        Client(parts.hostname, parts.port or 80, paths, number, start_at, stop_at)
        for number in range(clients)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=warmup + duration + 60)
    latencies = sorted(latency for worker in workers for latency in worker.latencies)
    errors = [error for worker in workers for error in worker.errors]
    stuck = sum(worker.is_alive() for worker in workers)
    cpu = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "clients": clients,
        "duration": duration,
        "requests": len(latencies),
        "requests_per_second": len(latencies) / duration,
        "errors": len(errors) + stuck,
        "error_examples": sorted(set(errors))[:5] + ([f"{stuck} clients hung"] if stuck else []),
        "p50_ms": percentile(latencies, 0.50) * 1000 if latencies else None,
        "p95_ms": percentile(latencies, 0.95) * 1000 if latencies else None,
        # Responses the site's page cache answered (its X-Page-Cache header).
        "cache_hits": sum(worker.cache_hits for worker in workers),
        # What this generator took from the machine it shares with the server.
        "cpu_share": (cpu.ru_utime + cpu.ru_stime) / (warmup + duration),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="URLs on one server, requested in turn")
    parser.add_argument("--duration", type=float, default=15, help="seconds measured")
    parser.add_argument("--clients", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--warmup", type=float, default=2, help="seconds of load before measuring starts"
    )
    args = parser.parse_args(argv)
    result = run(args.urls, duration=args.duration, clients=args.clients, warmup=args.warmup)
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
