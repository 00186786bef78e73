"""Benchmark: authenticated Brightpearl product GETs per second served by the sandbox.

Starts ``python -m sandboxes`` on a free loopback port, creates an account, lifts its rate limit
through the control API, then hammers ``GET product-service/product/{id}`` from keep-alive
connections for a few seconds. The load comes from separate processes speaking raw HTTP/1.1 over
asyncio (no client library), so the client is not the bottleneck: the report shows the CPU share
each side used. Records the figure ``sandbox_get_per_s``.

    python bench/sandbox_get.py [--seconds 5] [--connections 32] [--clients 1]
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from bench.results import results_record  # noqa: E402

ACCOUNT = "bench"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _connection(request: bytes, port: int, deadline: float, counts: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            counts[0 if status == 200 else 1] += 1
    finally:
        writer.close()


def _client(port: int, token: str, connections: int, start_at: float, seconds: float,
            queue: multiprocessing.Queue) -> None:
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    request = (
        f"GET /brightpearl/public-api/{ACCOUNT}/product-service/product/1001 HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        "brightpearl-app-ref: clarity-connect\r\nbrightpearl-dev-ref: clarity\r\n\r\n"
    ).encode()

    async def run() -> list[int]:
        counts = [0, 0]
        await asyncio.sleep(max(0.0, start_at - time.time()))
        deadline = time.monotonic() + seconds
        await asyncio.gather(*[_connection(request, port, deadline, counts)
                               for _ in range(connections)])
        return counts

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    counts = asyncio.run(run())
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    queue.put((counts[0], counts[1], cpu))


def measure(*, seconds: float, connections: int, clients: int) -> dict[str, float]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "sandboxes", "--port", str(port), "--no-demo"],
        cwd=REPO_ROOT, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        for _ in range(300):
            try:
                if httpx.get(f"{base}/_control/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        else:
            raise RuntimeError("sandbox did not start")
        created = httpx.post(f"{base}/_control/brightpearl/accounts",
                             json={"account": ACCOUNT, "seed": {"products": 5}}).json()
        httpx.put(f"{base}/_control/limits/brightpearl/{ACCOUNT}",
                  json={"requests_per_minute": 10**9}).raise_for_status()
        token = created["credentials"]["access_token"]

        ctx = multiprocessing.get_context("spawn")
        queue: multiprocessing.Queue = ctx.Queue()
        start_at = time.time() + 1.5  # let every client process start before the clock runs
        procs = [ctx.Process(target=_client,
                             args=(port, token, connections, start_at, seconds, queue))
                 for _ in range(clients)]
        for proc in procs:
            proc.start()
        time.sleep(max(0.0, start_at - time.time()))
        server_cpu_before = _cpu_seconds(server.pid)
        results = [queue.get(timeout=seconds + 60) for _ in procs]
        server_cpu = _cpu_seconds(server.pid) - server_cpu_before
        for proc in procs:
            proc.join()
    finally:
        server.terminate()
        server.wait(timeout=10)
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    client_cpu = sum(r[2] for r in results)
    return {
        "requests": ok,
        "errors": errors,
        "per_s": ok / seconds,
        "server_cpu_share": server_cpu / seconds,
        "client_cpu_share": client_cpu / seconds,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--connections", type=int, default=32, help="per client process")
    parser.add_argument("--clients", type=int, default=1, help="client processes")
    args = parser.parse_args(argv)
    figures = measure(seconds=args.seconds, connections=args.connections, clients=args.clients)
    print(
        f"sandbox GET: {figures['per_s']:.0f} requests/s over {args.seconds:.0f} s "
        f"({figures['requests']:.0f} ok, {figures['errors']:.0f} errors; "
        f"{args.clients} client process(es) x {args.connections} connections); "
        f"CPU used: server {figures['server_cpu_share']:.0%} of a core, "
        f"clients {figures['client_cpu_share']:.0%}"
    )
    if figures["errors"]:
        raise SystemExit("non-200 answers during the benchmark")
    results_record(figures={"sandbox_get_per_s": round(figures["per_s"], 1)})


if __name__ == "__main__":
    main()
