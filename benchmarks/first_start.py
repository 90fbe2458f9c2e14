"""The studio's first start on a fresh machine, as a user meets it: how long it takes, the memory it holds, the disk
it writes, and how soon the first uploads are heard.

Starts ``timbral studio`` (the shipped model) in a fresh ``TIMBRAL_HOME`` and follows it as the page does: it polls
``/api/status`` every half second, timing each step (rendering the library, hearing its notes, laying out the map,
warming up) and the time left the page shows against the time it really took; it samples the memory (resident set)
of the server and of its whole process tree (the render workers included) every half second, keeps the peaks, and
once the studio is ready measures what it holds while serving (after listing the sounds, playing one, a blend and two
uploads, each timed). The baseline, measured in the same run, is the server's memory when it is started again on
what the first start built (the library read from its cache). The disk is what it wrote.
Run:  .venv/bin/python benchmarks/first_start.py [--json]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np


def rss_bytes(pid: int) -> int:
    """The resident memory of a process (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children.get(p, [])
    return out


class Watch:
    """Samples a process's memory (and its tree's) in the background; keeps the peaks."""

    def __init__(self, pid: int):
        self.pid, self.peak, self.tree_peak, self.last = pid, 0, 0, 0
        self._stop = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self):
        while not self._stop.is_set():
            self.last = rss_bytes(self.pid)
            self.peak = max(self.peak, self.last)
            self.tree_peak = max(self.tree_peak, sum(rss_bytes(p) for p in tree(self.pid)))
            time.sleep(0.5)

    def stop(self):
        self._stop.set()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str):
    with urllib.request.urlopen(url, timeout=600) as r:
        data = r.read()
    return json.loads(data) if r.headers.get_content_type() == "application/json" else data


def post(url: str, body: bytes, content_type: str):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": content_type}, method="POST")
    with urllib.request.urlopen(request, timeout=600) as r:
        return json.loads(r.read())


def upload(base: str, hz: float) -> float:
    """Seconds for the studio to hear a 4 s tone at ``hz`` uploaded as a WAV (pitch found, encoded, fitted, placed)."""
    import soundfile as sf

    t = np.arange(4 * 48000) / 48000
    buf = io.BytesIO()
    sf.write(buf, (0.5 * np.sin(2 * np.pi * hz * t) * np.exp(-t)).astype(np.float32), 48000, format="WAV")
    boundary = "timbral-benchmark"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"tone.wav\"\r\n"
            f"Content-Type: audio/wav\r\n\r\n").encode() + buf.getvalue() + f"\r\n--{boundary}--\r\n".encode()
    start = time.perf_counter()
    post(f"{base}api/sounds", body, f"multipart/form-data; boundary={boundary}")
    return time.perf_counter() - start


def start_studio(home: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {**os.environ, "TIMBRAL_HOME": str(home), "TQDM_DISABLE": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "timbral.cli", "studio", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}/"
    for _ in range(600):
        try:
            get(f"{base}api/status")
            return proc, base
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the studio did not answer")


def follow(base: str) -> tuple[dict[str, float], list[tuple[float, float, float]], float]:
    """Poll the status until ready: seconds per step, (elapsed, overall share, time left the page showed), total."""
    began, steps, shown, step, since = time.perf_counter(), {}, [], None, 0.0
    while True:
        s = get(f"{base}api/status")
        now = time.perf_counter() - began
        if s["error"]:
            raise RuntimeError(s["error"])
        if s["step"] != step:
            if step is not None:
                steps[step] = steps.get(step, 0.0) + now - since
            step, since = s["step"], now
        shown.append((now, s.get("overall", 0.0), s.get("left")))
        if s["ready"]:
            return steps, shown, now
        time.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args()

    from timbral.data.info import folder_bytes

    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        proc, base = start_studio(home)
        first = Watch(proc.pid)
        try:
            steps, shown, total = follow(base)
            ready_rss = first.last
            sounds = get(f"{base}api/sounds?limit=2")["sounds"]
            get(f"{base}api/play?sound={sounds[0]['id']}&pitch=62")
            post(f"{base}api/blend", json.dumps({"a": sounds[0]["id"], "b": sounds[1]["id"], "steps": 5}).encode(), "application/json")
            uploads = [round(upload(base, hz), 2) for hz in (196.0, 311.1)]
            time.sleep(1.0)
            serving_rss = first.last
        finally:
            first.stop()
            proc.terminate()
            proc.wait()
        proc, base = start_studio(home)  # the baseline: started again on what the first start built
        again = Watch(proc.pid)
        try:
            _, _, reopened = follow(base)
            sounds = get(f"{base}api/sounds?limit=2")["sounds"]
            get(f"{base}api/play?sound={sounds[0]['id']}&pitch=62")
            time.sleep(1.0)
            restarted_rss = again.last
        finally:
            again.stop()
            proc.terminate()
            proc.wait()
        library = home / "data" / "library"
        quarter = next((i for i, (_, share, left) in enumerate(shown) if share >= 0.25 and left is not None), None)
        figures = {
            "cores": os.cpu_count(), "notes": len(json.loads((library / "examples.json").read_text())),
            "first_start_seconds": round(total, 1), "steps_seconds": {k: round(v, 1) for k, v in steps.items()},
            "time_left_shown_at_a_quarter": None if quarter is None else round(shown[quarter][2]),
            "time_really_left_at_a_quarter": None if quarter is None else round(total - shown[quarter][0]),
            "peak_server_bytes": first.peak, "peak_tree_bytes": first.tree_peak, "ready_server_bytes": ready_rss,
            "serving_server_bytes": serving_rss, "baseline_restarted_server_bytes": restarted_rss,
            "restart_seconds": round(reopened, 1), "first_upload_seconds": uploads[0], "second_upload_seconds": uploads[1],
            "disk_bytes": folder_bytes(home), "audio_bytes": folder_bytes(library / "audio"),
        }
    if args.json:
        print(json.dumps(figures))
        return
    gb = lambda b: f"{b / 1e9:.2f} GB"  # noqa: E731
    f = figures
    print(f"first start on {f['cores']} cores, a library of {f['notes']} notes: {f['first_start_seconds'] / 60:.1f} min; "
          + ", ".join(f"{k} {v:.0f} s" for k, v in f["steps_seconds"].items()))
    print(f"time left shown at a quarter of the way: {f['time_left_shown_at_a_quarter']} s (really {f['time_really_left_at_a_quarter']} s)")
    print(f"memory: peak {gb(f['peak_server_bytes'])} in the server, {gb(f['peak_tree_bytes'])} with its render workers; "
          f"{gb(f['ready_server_bytes'])} when ready, {gb(f['serving_server_bytes'])} serving; restarted on its cache "
          f"(baseline) {gb(f['baseline_restarted_server_bytes'])}, ready in {f['restart_seconds']:.0f} s")
    print(f"uploads heard in {f['first_upload_seconds']:.1f} s and {f['second_upload_seconds']:.1f} s; disk {gb(f['disk_bytes'])} "
          f"(audio {gb(f['audio_bytes'])})")


if __name__ == "__main__":
    main()
