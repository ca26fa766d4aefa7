"""Hostile and normal HTTP clients on loopback, for the fault tests and `make bench`.

Hostile clients hold connections open: slowloris (a request head one byte at a time),
idle (connect and send nothing), stalled bodies (a POST head promising a body that never
comes) and heavy (legal but expensive expressions, as fast as answers come). Meanwhile
"probe" clients send normal requests one after another and record each latency or
failure. Everything is bounded in count and time and runs in one asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

PROBE_PATH = "/api/v1/add?a=0.1&b=0.2"
# Normal clients connect from another loopback address than the hostile ones, so that a
# per-client limit can tell them apart, as it would tell apart two hosts.
PROBE_ADDRESS = "127.0.0.2"
# sin(1)+sin(2)+...: under the 1,000-character limit, among the engine's costliest (~20 ms).
HEAVY_EXPRESSION = "+".join(f"sin({i + 1})" for i in range(122))


@dataclass
class Probes:
    """What the normal clients saw: latencies in seconds, and failures by reason."""

    latencies: list[float] = field(default_factory=list)
    failures: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.failures[reason] = self.failures.get(reason, 0) + 1

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def percentile(self, fraction: float) -> float:
        """Latency at `fraction` (0..1) in milliseconds; inf when nothing succeeded."""
        if not self.latencies:
            return float("inf")
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def _read_response(reader: asyncio.StreamReader) -> int:
    """Read one HTTP/1.1 response with Content-Length; return its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def probe(port: int, probes: Probes, deadline: float, timeout: float = 10.0) -> None:
    """Normal client: a new connection per request, until deadline."""
    request = (
        f"GET {PROBE_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    ).encode()
    while time.monotonic() < deadline:
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", port, local_addr=(PROBE_ADDRESS, 0)
                )
                writer.write(request)
                status = await _read_response(reader)
                writer.close()
            if status == 200:
                probes.latencies.append(time.monotonic() - started)
            else:
                probes.fail(f"status {status}")
        except TimeoutError:
            probes.fail("timeout")
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            probes.fail(type(exc).__name__)
        await asyncio.sleep(0.01)


async def _hold(port: int, first: bytes, trickle: bytes, deadline: float, gap: float) -> None:
    """Open a connection, send `first`, then one byte of `trickle` every `gap` seconds."""
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return
    try:
        writer.write(first)
        for byte in trickle:
            if time.monotonic() >= deadline:
                break
            await asyncio.sleep(gap)
            writer.write(bytes([byte]))
            await writer.drain()
        while time.monotonic() < deadline and not reader.at_eof():
            await asyncio.sleep(min(gap, max(0.0, deadline - time.monotonic())))
    except OSError:
        pass  # the server gave up on this connection, as it may
    finally:
        writer.close()


def slowloris(port: int, deadline: float) -> Awaitable[None]:
    """A request head sent one byte a second, never finished in time."""
    head = b"GET /api/v1/add?a=1&b=2 HTTP/1.1\r\nHost: x\r\n" + b"X-a: b\r\n" * 200
    return _hold(port, b"", head, deadline, 1.0)


def idle(port: int, deadline: float) -> Awaitable[None]:
    """A connection that sends nothing."""
    return _hold(port, b"", b"", deadline, 1.0)


def stalled_body(port: int, deadline: float) -> Awaitable[None]:
    """A POST whose promised body never arrives."""
    head = (
        b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    return _hold(port, head, b"{", deadline, 1.0)


async def heavy(port: int, deadline: float) -> None:
    """Legal but expensive expressions, one after another on one kept-alive connection."""
    body = f'{{"expression": "{HEAVY_EXPRESSION}", "precision": 100}}'.encode()
    request = (
        b"POST /api/v1/evaluate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    while time.monotonic() < deadline:
        try:
            async with asyncio.timeout(10):
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                while time.monotonic() < deadline:
                    writer.write(request)
                    await _read_response(reader)
                writer.close()
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError):
            await asyncio.sleep(0.05)


HOSTILE: dict[str, Callable[[int, float], Awaitable[None]]] = {
    "slowloris": slowloris,
    "idle": idle,
    "stalled_body": stalled_body,
    "heavy": heavy,
}


async def _attack(
    port: int, kind: str, count: int, seconds: float, probers: int, timeout: float
) -> Probes:
    deadline = time.monotonic() + seconds
    probes = Probes()
    attackers = [asyncio.create_task(HOSTILE[kind](port, deadline)) for _ in range(count)]
    await asyncio.sleep(min(1.0, seconds / 4))  # let the attackers take their places
    await asyncio.gather(*(probe(port, probes, deadline, timeout) for _ in range(probers)))
    for task in attackers:
        task.cancel()
    for task in attackers:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    return probes


def attack(
    port: int, kind: str, count: int, seconds: float, probers: int = 4, timeout: float = 10.0
) -> Probes:
    """Run `count` hostile clients of `kind` for `seconds` while `probers` normal
    clients measure (each request failing after `timeout` seconds); returns what the
    normal clients saw."""
    return asyncio.run(_attack(port, kind, count, seconds, probers, timeout))
