"""The studio under load: concurrent clients on loopback against the blend and mix endpoints.

Starts the studio (waitress, default model and library) in this process, then N client threads
each send their share of a fixed number of requests, alternating an 11-step blend and a pad mix
of three sounds (fresh random choices, so the decode cache rarely helps). Prints throughput,
p50/p99 latency per endpoint and the error count (target: zero). The baseline, measured in the
same run, is one client alone. Run:  .venv/bin/python benchmarks/studio_load.py [--clients 16] [--requests 96] [--json]
"""

from __future__ import annotations

import argparse
import json
import socket
import tempfile
import threading
import time
import urllib.request

import numpy as np


def post(url: str, body: dict) -> tuple[int, float]:
    start = time.perf_counter()
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=300) as r:
            r.read()
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError:
        status = 0
    return status, time.perf_counter() - start


def load(base: str, ids: list[str], clients: int, requests: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(requests):
        a, b, c = (str(x) for x in rng.choice(ids, 3, replace=False))
        if i % 2 == 0:
            jobs.append(("blend", {"a": a, "b": b, "steps": 11}))
        else:
            jobs.append(("mix", {"sources": [a, b, c], "pad": {"x": float(rng.random()), "y": float(rng.random())}}))
    results: list[tuple[str, int, float]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for name, body in jobs[k::clients]:
            status, seconds = post(f"{base}/api/{name}", body)
            with lock:
                results.append((name, status, seconds))

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    figures = {"clients": clients, "requests": requests, "wall_s": wall, "requests_per_s": requests / wall,
               "errors": sum(status != 200 for _, status, _ in results)}
    for name in ("blend", "mix"):
        times = [s for n, _, s in results if n == name]
        figures[f"{name}_p50_s"] = float(np.percentile(times, 50))
        figures[f"{name}_p99_s"] = float(np.percentile(times, 99))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=96)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from waitress.server import create_server

    from timbral.studio import create_app

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE": instance})
        ids = [s.name for s in app.extensions["timbral"].library.sounds]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = create_server(app, host="127.0.0.1", port=port, threads=args.clients)
        threading.Thread(target=server.run, daemon=True).start()
        base = f"http://127.0.0.1:{port}"
        post(f"{base}/api/mix", {"sources": ids[:3]})  # warm-up
        alone = load(base, ids, 1, max(8, args.requests // 8), seed=1)
        loaded = load(base, ids, args.clients, args.requests, seed=2)
        server.close()
    loaded["throughput_vs_one_client"] = loaded["requests_per_s"] / alone["requests_per_s"]
    if args.json:
        print(json.dumps({"one_client": alone, "loaded": loaded}))
        return
    for label, f in (("1 client (baseline)", alone), (f"{args.clients} clients", loaded)):
        print(f"{label:<20} {f['requests']:4d} requests in {f['wall_s']:6.1f} s: {f['requests_per_s']:5.2f} req/s, "
              f"errors {f['errors']}; blend p50 {f['blend_p50_s']:.2f} s p99 {f['blend_p99_s']:.2f} s; "
              f"mix p50 {f['mix_p50_s']:.3f} s p99 {f['mix_p99_s']:.3f} s")
    print(f"throughput with {args.clients} clients: {loaded['throughput_vs_one_client']:.2f}x one client")


if __name__ == "__main__":
    main()
