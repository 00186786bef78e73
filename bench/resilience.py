"""The resilience suite (``make resilience``): kill -9 each component during a steady stream of
orders, restart it, and count in the target sandbox what arrived.

One row per component, each on a fresh stack (database, tenant, sandbox, web, two worker
processes, scheduler, and a Redis of its own on a free port): Brightpearl sales orders are
created at a steady rate in the sandbox, whose webhooks (retried on failure, as Brightpearl
does with quality of service 1) reach our web server; the Brightpearl → BigCommerce order flow
of ``bench/e2e_orders_bench.py`` writes them to the BigCommerce sandbox. Mid-stream the row's
component is killed with SIGKILL and restarted a few seconds later; the stream goes on, stops,
and the row waits (bounded) until everything acknowledged has arrived. Then, from the
BigCommerce sandbox's orders (``external_id`` = the Brightpearl order):

- delivered: source orders with a BigCommerce order; duplicates: BigCommerce orders beyond one
  per source order; lost: orders whose webhook we acknowledged (2xx) with no BigCommerce order;
  unacked: orders whose every delivery attempt failed (the sender's to resend; not lost by us).
- recovery: from the restart to the first BigCommerce order written after it.

PostgreSQL is a cluster of the suite's own (``initdb`` / ``pg_ctl``, on a free port, deleted
at the end), never the machine's. RabbitMQ is the machine's shared server, which is not ours
to kill: its row uses a vhost of its own and closes every connection to it
(``rabbitmqctl close_all_connections -p <vhost>``), which is what clients see of a broker
restart. Records ``resilience_lost`` and ``resilience_duplicated`` (sums over the rows).

    python bench/resilience.py [--rows web,worker-1,...] [--rate 8] [--stream-s 30]
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(REPO_ROOT))

COMPONENTS = ("web", "worker-1", "worker-2", "scheduler", "redis", "redis-aof", "rabbitmq",
              "postgres")
DESCRIPTIONS = {
    "web": "gunicorn master SIGKILLed (its workers exit with it), started again",
    "worker-1": "the first of two worker processes' process group SIGKILLed, started again",
    "worker-2": "the second of two worker processes' process group SIGKILLed, started again",
    "scheduler": "the scheduler (the sweeper's clock) SIGKILLed, started again",
    "redis": "broker + cache Redis, no persistence, SIGKILLed and started empty",
    "redis-aof": "broker + cache Redis with appendonly yes (everysec), SIGKILLed, restarted",
    "rabbitmq": "RabbitMQ broker: every connection to the row's vhost closed by rabbitmqctl",
    "postgres": "the PostgreSQL cluster: postmaster and every backend SIGKILLed, restarted",
}
# Brightpearl keeps retrying a delivery that failed; the sandbox's default schedule (4 tries in
# 4 s) is shorter than a web server's boot, so the suite gives it about a minute, as real
# senders allow.
RETRY_DELAYS_S = [0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0]
RESULT_PREFIX = "RESILIENCE-ROW "


# --- counting (pure) ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Counts:
    sent: int
    delivered: int
    duplicates: int
    lost: int
    unacked: int
    lost_ids: tuple[str, ...] = ()


def id_set_parse(text: str) -> list[str]:
    """A Brightpearl id set (``"1001-1003,1007"``) as ids; a bad part is a ValueError."""
    ids: list[str] = []
    for part in (p.strip() for p in str(text).split(",")):
        if not part:
            continue
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"not a Brightpearl id set: {text!r}")
        if dash:
            if int(high) < int(low):
                raise ValueError(f"descending range {part!r} in id set {text!r}")
            ids.extend(str(n) for n in range(int(low), int(high) + 1))
        else:
            ids.append(str(int(low)))
    return ids


def acknowledged_ids(deliveries: Iterable[dict[str, Any]]) -> set[str]:
    """Source ids of every webhook delivery that got a 2xx answer (the sandbox's log)."""
    acked: set[str] = set()
    for delivery in deliveries:
        if delivery.get("status") == "delivered":
            acked.update(id_set_parse(delivery.get("meta", {}).get("resource_id", "")))
    return acked


def row_count(*, sent: Sequence[str], acknowledged: set[str],
              target_source_ids: Iterable[str]) -> Counts:
    """What arrived of ``sent`` among the target's records (by their source id)."""
    sent_set = set(sent)
    per_source = collections.Counter(s for s in target_source_ids if s in sent_set)
    lost = sorted((acknowledged & sent_set) - set(per_source), key=_numeric)
    unacked = sent_set - acknowledged - set(per_source)
    return Counts(sent=len(sent_set), delivered=len(per_source),
                  duplicates=sum(n - 1 for n in per_source.values()), lost=len(lost),
                  unacked=len(unacked), lost_ids=tuple(lost))


def _numeric(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


def recovery_s(samples: Sequence[tuple[float, int]], restarted_at: float) -> float | None:
    """Seconds from ``restarted_at`` to the first sample counting more target records than
    the last sample before it; None if nothing arrived after the restart."""
    before = [count for at, count in samples if at <= restarted_at]
    baseline = before[-1] if before else 0
    for at, count in samples:
        if at > restarted_at and count > baseline:
            return at - restarted_at
    return None


def figures_total(rows: Sequence[dict[str, Any]]) -> dict[str, float]:
    return {"resilience_lost": sum(int(r["lost"]) for r in rows),
            "resilience_duplicated": sum(int(r["duplicates"]) for r in rows)}


def table_format(rows: Sequence[dict[str, Any]]) -> str:
    header = ("component", "sent", "delivered", "duplicates", "lost", "unacked", "recovery")
    lines = [header]
    for row in rows:
        recovery = row.get("recovery_s")
        lines.append((row["component"], str(row["sent"]), str(row["delivered"]),
                      str(row["duplicates"]), str(row["lost"]), str(row["unacked"]),
                      "-" if recovery is None else f"{recovery:.1f} s"))
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        out.append("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                             for i, (cell, w) in enumerate(zip(line, widths, strict=True))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


# --- servers of the suite's own ----------------------------------------------------------------
def _as_postgres(command: list[str]) -> list[str]:
    # initdb and pg_ctl refuse to run as root.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise SystemExit(f"{name} not found: the suite runs a PostgreSQL cluster of its own "
                     "(install the postgresql server package)")


class PostgresCluster:
    """A throw-away cluster on a free port: data in a temporary folder, deleted on stop."""

    def __init__(self, *, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port

    @classmethod
    def create(cls) -> PostgresCluster:
        from bench.stack import free_port

        data = Path(tempfile.mkdtemp(prefix="clarity-resilience-pg-"))
        if os.geteuid() == 0:
            shutil.chown(data, "postgres", "postgres")
        subprocess.run(_as_postgres([_pg_bin("initdb"), "-D", str(data), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--no-sync"]),
                       check=True, stdout=subprocess.DEVNULL)
        cluster = cls(data_dir=data, port=free_port())
        cluster.start()
        return cluster

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        # fsync off: a killed process loses nothing the kernel already has (committed WAL is
        # written before COMMIT returns); only a machine crash would need the flushes.
        options = (f"-p {self.port} -k {self.data_dir} -c listen_addresses=127.0.0.1 "
                   "-c max_connections=200 -c fsync=off")
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-o", options,
                                     "-l", str(self.data_dir / "server.log"), "-w", "-t", "120",
                                     "start"]), check=True, stdout=subprocess.DEVNULL)

    def kill(self) -> None:
        """SIGKILL the postmaster and every backend, as a crashed server."""
        postmaster = int((self.data_dir / "postmaster.pid").read_text().split()[0])
        pids = [postmaster, *_descendants(postmaster)]
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
            time.sleep(0.05)

    def stop(self) -> None:
        subprocess.run(_as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast",
                                     "-w", "stop"]), stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        shutil.rmtree(self.data_dir, ignore_errors=True)


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except FileNotFoundError:
            children = []
        found.extend(int(c) for c in children)
        todo.extend(int(c) for c in children)
    return found


class RedisServer:
    """redis-server on a free port (never the machine's shared one), stoppable by SIGKILL."""

    def __init__(self, *, aof: bool) -> None:
        from bench.stack import LOG_DIR, free_port

        self.port = free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="clarity-resilience-redis-"))
        self.log = LOG_DIR / f"resilience-redis-{self.port}.log"
        binary = shutil.which("redis-server")
        if binary is None:
            raise SystemExit("redis-server not found: the suite runs a Redis of its own")
        self.command = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                        "--appendonly", "yes" if aof else "no", "--appendfsync", "everysec",
                        "--dir", str(self.dir)]
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(self.command, start_new_session=True,
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        client = redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    return
            except redis.RedisError:
                if time.monotonic() > deadline:
                    raise
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def _rabbitmqctl(*args: str) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("rabbitmqctl")
    if binary is None:
        raise SystemExit("rabbitmqctl not found: the rabbitmq row needs it")
    return subprocess.run([binary, *args], capture_output=True, text=True, check=True,
                          timeout=60)


def _rabbit_connections(vhost: str) -> int:
    listed = _rabbitmqctl("-q", "list_connections", "-p", vhost, "name").stdout
    return sum(1 for line in listed.splitlines() if line.strip() and line.strip() != "name")


# --- one row -----------------------------------------------------------------------------------
class Stream:
    """Brightpearl orders created at a steady rate; the BigCommerce count sampled meanwhile."""

    def __init__(self, world: dict[str, Any], *, rate: float) -> None:
        import httpx

        bp = world["bp"]
        self.world, self.rate = world, rate
        self.client = httpx.Client(
            base_url=f"{bp['base_url']}/public-api/{bp['account']}/", timeout=30,
            headers={"brightpearl-app-ref": bp["credentials"]["private_app_ref"],
                     "brightpearl-account-token": bp["credentials"]["account_token"]})
        self.sent: list[str] = []
        self.errors: list[str] = []
        self.samples: list[tuple[float, int]] = []
        self._sending = threading.Event()
        self._sampling = threading.Event()
        self._threads: list[threading.Thread] = []

    def order_create(self, n: int) -> str | None:
        customers, products = self.world["customers"], self.world["products"]
        body = {"orderTypeCode": "SO", "reference": f"RESILIENCE-{n}",
                "parties": {"customer": {"contactId": customers[n % len(customers)]}},
                "rows": [{"productId": products[(n + k) % len(products)],
                          "quantity": {"magnitude": str(1 + (n + k) % 3)}}
                         for k in range(1 + n % 3)]}
        response = self.client.post("order-service/order", json=body)
        if response.status_code not in (200, 201):
            self.errors.append(f"{response.status_code} {response.text[:200]}")
            return None
        return str(response.json()["response"])

    def start(self) -> None:
        self._sending.set()
        self._sampling.set()
        self._threads = [threading.Thread(target=self._send, daemon=True),
                         threading.Thread(target=self._sample, daemon=True)]
        for thread in self._threads:
            thread.start()

    def stop_sending(self) -> None:
        self._sending.clear()
        self._threads[0].join()

    def stop(self) -> None:
        self._sampling.clear()
        for thread in self._threads:
            thread.join()

    def _send(self) -> None:
        started, n = time.monotonic(), 0
        while self._sending.is_set():
            order = self.order_create(n)
            if order is not None:
                self.sent.append(order)
            n += 1
            pause = started + n / self.rate - time.monotonic()
            if pause > 0:
                time.sleep(pause)

    def _sample(self) -> None:
        from bench.e2e_orders_bench import bc_count

        while self._sampling.is_set():
            try:
                count = bc_count(self.world["control"], self.world["bc"]["account"])
            except Exception:  # noqa: S112 - a sample missed; the next one counts
                continue
            self.samples.append((time.monotonic(), count))
            time.sleep(0.2)


def _web_kill(stack: Any) -> None:
    web = stack.processes.pop("web")
    workers = _descendants(web.pid)
    os.kill(web.pid, signal.SIGKILL)
    web.wait()
    # gunicorn workers notice their master is gone and exit; a straggler would keep the port.
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{pid}").exists() for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(web.pid, signal.SIGKILL)


def _group_kill(stack: Any, name: str) -> None:
    process = stack.processes.pop(name)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def _worker_start(stack: Any, name: str, *, threads: int) -> None:
    import sys as _sys

    stack.start(name, [_sys.executable, "manage.py", "rundramatiq", "--processes", "1",
                       "--threads", str(threads), "--worker-shutdown-timeout", "5000",
                       "--queues", "sync", "maintenance"])


def _deliveries(world: dict[str, Any]) -> list[dict[str, Any]]:
    bp = world["bp"]
    return world["control"].get(f"/brightpearl/{bp['account']}/webhook-deliveries").json()[
        "deliveries"]


def _target_source_ids(world: dict[str, Any]) -> list[str]:
    from bench.e2e_orders_bench import bc_orders

    return [str(o.get("external_id")) for o in bc_orders(world["control"], world["bc"]["account"])]


def _events_of(stack: Any, source_ids: Sequence[str]) -> list[dict[str, Any]]:
    from django_tenants.utils import tenant_context

    from integrations.models import InboundEvent

    with tenant_context(stack.tenant):
        return [{"source_id": e, "status": s, "attempts": a, "last_error": err[:300]}
                for e, s, a, err in InboundEvent.objects.filter(external_id__in=source_ids)
                .values_list("external_id", "status", "attempts", "last_error")]


def _in_flight(stack: Any, source_ids: Sequence[str]) -> bool:
    """Whether any of these orders' events may still arrive (not done, dead or skipped)."""
    from bench.e2e_orders_bench import in_flight_ids

    try:
        return bool(in_flight_ids(stack, set(source_ids)))
    except Exception:  # the database is still coming back: keep waiting
        return True


def row_run(component: str, args: argparse.Namespace) -> dict[str, Any]:
    """Run one row in this process (Django is set up here for the row's own servers)."""
    redis_server = RedisServer(aof=component == "redis-aof")
    redis_server.start()
    vhost = f"clarity-resilience-{os.getpid()}"
    broker = redis_server.url
    if component == "rabbitmq":
        _rabbitmqctl("add_vhost", vhost)
        _rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        broker = f"amqp://guest:guest@127.0.0.1:5672/{vhost}"
    os.environ.update({
        "BROKER_URL": broker, "REDIS_URL": redis_server.url, "BASE_DOMAIN": "localhost",
        "SCHEDULER_TICK_SECONDS": "0.5", "EVENT_SWEEP_SECONDS": "2",
        # A killed worker's events are taken over in seconds, not the production 10 minutes.
        "EVENT_LEASE_SECONDS": str(args.lease_s),
        "DATABASE_CONN_MAX_AGE": "0",
    })
    from bench.e2e_orders_bench import setup
    from bench.stack import Stack

    stack = Stack(f"resilience-{component}")
    cluster = PostgresCluster(data_dir=Path(args.pg_data), port=args.pg_port) \
        if args.pg_data else None
    notes: list[str] = []
    try:
        sandbox = stack.start_sandbox()
        world = setup(stack, sandbox)
        control, bp = world["control"], world["bp"]
        control.put(f"/limits/brightpearl/{bp['account']}",
                    json={"webhook_retry_delays_s": RETRY_DELAYS_S}).raise_for_status()
        stack.start_web(workers=2, threads=4)
        for name in ("worker-1", "worker-2"):
            _worker_start(stack, name, threads=args.worker_threads)
        stack.start_scheduler()
        stream = Stream(world, rate=args.rate)
        # One order end to end first: the stack works before anything is killed.
        warm = stream.order_create(10**6)
        from bench.stack import wait_until
        wait_until(lambda: warm in _target_source_ids(world), timeout=90,
                   what="the warm-up order delivered "
                        f"({stack.log_tail('worker-1', 10)})", every=0.5)

        stream.start()
        began = time.monotonic()
        time.sleep(args.kill_at_s)
        killed_at = time.monotonic()
        if component == "web":
            _web_kill(stack)
        elif component.startswith("worker-") or component == "scheduler":
            _group_kill(stack, component)
        elif component.startswith("redis"):
            redis_server.kill()
        elif component == "postgres":
            if cluster is None:
                raise SystemExit("the postgres row needs the suite's own cluster")
            cluster.kill()
        elif component == "rabbitmq":
            before = _rabbit_connections(vhost)
            _rabbitmqctl("close_all_connections", "-p", vhost, "resilience suite: broker restart")
            rabbit_closed_at = time.monotonic()
        if component != "rabbitmq":
            time.sleep(args.down_s)
        restarted_at = time.monotonic()
        if component == "web":
            stack.start_web(workers=2, threads=4)
        elif component.startswith("worker-"):
            _worker_start(stack, component, threads=args.worker_threads)
        elif component == "scheduler":
            stack.start_scheduler()
        elif component.startswith("redis"):
            redis_server.start()
        elif component == "postgres":
            assert cluster is not None
            cluster.start()
        up_s = time.monotonic() - restarted_at
        if component == "rabbitmq":
            time.sleep(max(0.0, rabbit_closed_at + 5 - time.monotonic()))
            notes.append(f"rabbitmqctl close_all_connections -p {vhost} closed {before} "
                         f"connection(s); {_rabbit_connections(vhost)} open again 5 s later")
        time.sleep(max(0.0, args.stream_s - (time.monotonic() - began)))
        stream.stop_sending()
        stopped_at = time.monotonic()

        # Drained: no delivery still retrying, and everything acknowledged in the store.
        drain_deadline = stopped_at + args.drain_s
        sent = list(stream.sent)
        while True:
            deliveries = _deliveries(world)
            acked = acknowledged_ids(deliveries)
            pending = sum(1 for d in deliveries if d["status"] == "pending")
            counts = row_count(sent=sent, acknowledged=acked,
                               target_source_ids=_target_source_ids(world))
            if not pending and (counts.lost == 0 or not _in_flight(stack, counts.lost_ids)):
                break
            if time.monotonic() > drain_deadline:
                break
            time.sleep(1)
        drained_s = time.monotonic() - stopped_at
        time.sleep(3)  # a duplicate still in flight shows up now
        stream.stop()
        deliveries = _deliveries(world)
        counts = row_count(sent=sent, acknowledged=acknowledged_ids(deliveries),
                           target_source_ids=_target_source_ids(world))
        if len(deliveries) >= 1000:
            notes.append("the sandbox's delivery log (1,000 per account) overflowed: lower "
                         "--rate or --stream-s")
        from bench.e2e_orders_bench import outcomes

        try:
            states = outcomes(stack)
            lost_events = _events_of(stack, counts.lost_ids)
        except Exception as exc:  # the counts above stand without the event states
            states, lost_events = {"error": str(exc)[:200]}, []
        return {"component": component, **asdict(counts),
                "recovery_s": recovery_s(stream.samples, restarted_at),
                "down_s": round(restarted_at - killed_at, 1), "restart_s": round(up_s, 1),
                "drained_s": round(drained_s, 1), "drained": counts.lost == 0,
                "send_errors": stream.errors[:5], "retried_deliveries": sum(
                    1 for d in deliveries if d.get("attempt_count", 1) > 1),
                "states": states, "lost_events": lost_events, "notes": notes}
    finally:
        stack.close()
        redis_server.stop()
        if component == "rabbitmq":
            try:
                _rabbitmqctl("delete_vhost", vhost)
            except Exception as exc:
                print(f"(could not delete vhost {vhost}: {exc})", file=sys.stderr)


# --- the suite ---------------------------------------------------------------------------------
def suite_run(args: argparse.Namespace, components: Sequence[str]) -> list[dict[str, Any]]:
    cluster = PostgresCluster.create()
    rows = []
    try:
        for component in components:
            print(f"== {component}: {DESCRIPTIONS[component]}", flush=True)
            started = time.monotonic()
            command = [sys.executable, str(Path(__file__).resolve()), "--row", component,
                       "--pg-data", str(cluster.data_dir), "--pg-port", str(cluster.port),
                       *_passed_on(args)]
            env = {**os.environ, "DATABASE_URL": cluster.url}
            done = subprocess.run(command, env=env, cwd=REPO_ROOT, capture_output=True,
                                  text=True, check=False)
            found = [line[len(RESULT_PREFIX):] for line in done.stdout.splitlines()
                     if line.startswith(RESULT_PREFIX)]
            if done.returncode != 0 or not found:
                tail = "\n".join((done.stdout + done.stderr).splitlines()[-25:])
                raise SystemExit(f"the {component} row failed (exit {done.returncode}):\n{tail}")
            row = json.loads(found[-1])
            rows.append(row)
            recovery = "-" if row["recovery_s"] is None else f"{row['recovery_s']:.1f} s"
            print(f"   sent {row['sent']}, delivered {row['delivered']}, duplicates "
                  f"{row['duplicates']}, lost {row['lost']}, unacked {row['unacked']}, "
                  f"recovery {recovery}, down {row['down_s']} s, "
                  f"drained in {row['drained_s']} s, {row['retried_deliveries']} deliveries "
                  f"retried; {time.monotonic() - started:.0f} s in all", flush=True)
            for note in row["notes"]:
                print(f"   note: {note}", flush=True)
            if row["lost_ids"]:
                print(f"   lost ids: {row['lost_ids'][:20]}; events: {row['states']}", flush=True)
                for event in row["lost_events"]:
                    print(f"   lost event: {event}", flush=True)
    finally:
        cluster.stop()
    return rows


def _passed_on(args: argparse.Namespace) -> list[str]:
    return ["--rate", str(args.rate), "--stream-s", str(args.stream_s), "--kill-at-s",
            str(args.kill_at_s), "--down-s", str(args.down_s), "--drain-s", str(args.drain_s),
            "--lease-s", str(args.lease_s), "--worker-threads", str(args.worker_threads)]


def components_parse(text: str) -> list[str]:
    chosen = [c.strip() for c in text.split(",") if c.strip()]
    unknown = [c for c in chosen if c not in COMPONENTS]
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown component(s) {unknown}; choose from {', '.join(COMPONENTS)}")
    return chosen


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=components_parse, default=list(COMPONENTS),
                        help=f"comma-separated, of {', '.join(COMPONENTS)}")
    parser.add_argument("--rate", type=float, default=8.0, help="orders per second")
    parser.add_argument("--stream-s", type=float, default=30.0, help="how long orders are sent")
    parser.add_argument("--kill-at-s", type=float, default=10.0,
                        help="when, into the stream, the component is killed")
    parser.add_argument("--down-s", type=float, default=4.0,
                        help="how long the component stays down")
    parser.add_argument("--drain-s", type=float, default=120.0,
                        help="how long to wait, after the stream, for everything to arrive")
    parser.add_argument("--lease-s", type=int, default=20, help="EVENT_LEASE_SECONDS")
    parser.add_argument("--worker-threads", type=int, default=4)
    parser.add_argument("--row", choices=COMPONENTS, help=argparse.SUPPRESS)
    parser.add_argument("--pg-data", help=argparse.SUPPRESS)
    parser.add_argument("--pg-port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.kill_at_s + args.down_s >= args.stream_s:
        parser.error("--kill-at-s + --down-s must leave some of --stream-s after the restart")
    if args.row:
        print(RESULT_PREFIX + json.dumps(row_run(args.row, args)), flush=True)
        return
    started = time.monotonic()
    rows = suite_run(args, args.rows)
    print(f"\n{args.rate:g} orders/s for {args.stream_s:g} s; kill at {args.kill_at_s:g} s, "
          f"restart {args.down_s:g} s later; {time.monotonic() - started:.0f} s in all\n")
    print(table_format(rows))
    from bench.results import results_record

    figures = figures_total(rows)
    results_record(figures=figures)
    print(f"\nresilience_lost = {figures['resilience_lost']}, resilience_duplicated = "
          f"{figures['resilience_duplicated']} (var/bench/results.json)")
    if figures["resilience_lost"] or figures["resilience_duplicated"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
