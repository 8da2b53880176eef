"""Peak RSS of the gunicorn master and workers while the HTTP benchmarks run (sampled with psutil)."""

from __future__ import annotations

import threading
import urllib.parse

import psutil


def find_gunicorn(base_url: str, pid: int | None = None) -> psutil.Process | None:
    """The gunicorn master serving ``base_url`` (by pid if given, else by its ``-b host:port`` argument)."""
    if pid:
        return psutil.Process(pid)
    parts = urllib.parse.urlsplit(base_url)
    bind = f"{parts.hostname}:{parts.port or 80}"
    for proc in psutil.process_iter(["pid", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if "gunicorn" in cmd and bind in cmd:
            parent = proc.parent()
            parent_cmd = " ".join(parent.cmdline()) if parent else ""
            if "gunicorn" not in parent_cmd:
                return proc
    return None


class RssSampler(threading.Thread):
    """Samples every ``interval`` seconds; ``peak`` per pid and the peak of the workers' sum."""

    def __init__(self, master: psutil.Process, interval: float = 0.05):
        super().__init__(daemon=True)
        self.master = master
        self.interval = interval
        self.peak: dict[int, int] = {}
        self.peak_workers_total = 0
        self.samples = 0
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                workers = self.master.children()
                total = 0
                for proc in [self.master, *workers]:
                    rss = proc.memory_info().rss
                    self.peak[proc.pid] = max(self.peak.get(proc.pid, 0), rss)
                    if proc.pid != self.master.pid:
                        total += rss
                self.peak_workers_total = max(self.peak_workers_total, total)
                self.samples += 1
            except psutil.Error:
                pass
            self._halt.wait(self.interval)

    def stop(self) -> dict[str, object]:
        self._halt.set()
        self.join()
        mib = 2**20
        workers = {pid: rss for pid, rss in self.peak.items() if pid != self.master.pid}
        return {
            "master_pid": self.master.pid,
            "master_peak_mib": round(self.peak.get(self.master.pid, 0) / mib, 1),
            "worker_peak_mib": {str(pid): round(rss / mib, 1) for pid, rss in sorted(workers.items())},
            "max_worker_peak_mib": round(max(workers.values(), default=0) / mib, 1),
            "workers_total_peak_mib": round(self.peak_workers_total / mib, 1),
            "samples": self.samples,
        }
