"""The studio under load: concurrent clients on loopback, doing what the page does.

Starts the studio (waitress, default model and library) in this process, then N client threads
each do their share of a fixed number of actions, alternating an 11-step blend and a pad mix of
three sounds (fresh random choices, so the decode cache rarely helps). A blend action is the
request, then what the page fetches at once: the 11 spectrograms (each decodes its step) and
step 0's audio; a mix action is the request, then its audio. Prints, per action, the p50/p99 of
the answer (target for a blend: <= 1 s p99 with 16 clients) and of the whole action, throughput
and errors (target: zero). The baseline, measured in the same run, is one client alone.
Run:  .venv/bin/python benchmarks/studio_load.py [--clients 16] [--requests 96] [--json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import urllib.request

import numpy as np


def fetch(url: str, body: dict | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=300) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except OSError:
        return 0, b""


def action(base: str, name: str, body: dict) -> tuple[int, float, float]:
    """One user action: (worst status, seconds to the answer, seconds until all the page shows has come)."""
    start = time.perf_counter()
    status, data = fetch(f"{base}/api/{name}", body)
    answered = time.perf_counter() - start
    if status == 200:
        answer = json.loads(data)
        urls = [s["spectrogram"] for s in answer["steps"]] + [answer["steps"][0]["audio"]] if name == "blend" else [answer["audio"]]
        for url in urls:
            status = max(status, fetch(base + url)[0])
    return status, answered, time.perf_counter() - start


def load(base: str, ids: list[str], clients: int, requests: int, seed: int) -> dict:
    rng = np.random.default_rng(seed)
    jobs = []
    for i in range(requests):
        a, b, c = (str(x) for x in rng.choice(ids, 3, replace=False))
        if i % 2 == 0:
            jobs.append(("blend", {"a": a, "b": b, "steps": 11}))
        else:
            jobs.append(("mix", {"sources": [a, b, c], "pad": {"x": float(rng.random()), "y": float(rng.random())}}))
    results: list[tuple[str, int, float, float]] = []
    lock = threading.Lock()

    def client(k: int) -> None:
        for name, body in jobs[k::clients]:
            status, answered, done = action(base, name, body)
            with lock:
                results.append((name, status, answered, done))

    start = time.perf_counter()
    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    figures = {"clients": clients, "actions": requests, "wall_s": wall, "actions_per_s": requests / wall,
               "errors": sum(status != 200 for _, status, _, _ in results)}
    for name in ("blend", "mix"):
        for what, column in (("answer", 2), ("complete", 3)):
            times = [r[column] for r in results if r[0] == name]
            figures[f"{name}_{what}_p50_s"] = float(np.percentile(times, 50))
            figures[f"{name}_{what}_p99_s"] = float(np.percentile(times, 99))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=96)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from timbral.studio import create_app, serving

    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"INSTANCE": instance})
        ids = [s.name for s in app.extensions["timbral"].library.sounds]
        with serving(app, threads=args.clients) as url:
            base = url.rstrip("/")
            action(base, "mix", {"sources": ids[:3]})  # warm-up
            alone = load(base, ids, 1, max(8, args.requests // 8), seed=1)
            loaded = load(base, ids, args.clients, args.requests, seed=2)
    loaded["throughput_vs_one_client"] = loaded["actions_per_s"] / alone["actions_per_s"]
    if args.json:
        print(json.dumps({"one_client": alone, "loaded": loaded}))
        return
    for label, f in (("1 client (baseline)", alone), (f"{args.clients} clients", loaded)):
        print(f"{label}: {f['actions']} actions in {f['wall_s']:.1f} s ({f['actions_per_s']:.2f}/s), errors {f['errors']}")
        for name in ("blend", "mix"):
            print(f"  {name:5}  answer p50 {f[f'{name}_answer_p50_s']:.3f} s  p99 {f[f'{name}_answer_p99_s']:.3f} s"
                  f"   whole action p50 {f[f'{name}_complete_p50_s']:.2f} s  p99 {f[f'{name}_complete_p99_s']:.2f} s")
    print(f"throughput with {args.clients} clients: {loaded['throughput_vs_one_client']:.2f}x one client")


if __name__ == "__main__":
    main()
