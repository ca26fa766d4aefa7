"""A small DNS server on a loopback port for tests of nginx's per-request name resolution."""

from __future__ import annotations

import socket
import struct
import threading


class DnsServer:
    """Answers A queries for the names in `addresses` (TTL 1 s; a name may have several
    addresses); AAAA queries for them with no records; anything else with NXDOMAIN."""

    def __init__(self) -> None:
        self.addresses: dict[str, str | list[str]] = {}
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port: int = self.sock.getsockname()[1]
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while self.running:
            try:
                query, client = self.sock.recvfrom(512)
            except TimeoutError:
                continue
            self.sock.sendto(self._answer(query), client)

    def _answer(self, query: bytes) -> bytes:
        ident, _flags, _qd, _an, _ns, _ar = struct.unpack("!6H", query[:12])
        labels, offset = [], 12
        while query[offset]:
            length = query[offset]
            labels.append(query[offset + 1 : offset + 1 + length].decode().lower())
            offset += 1 + length
        question = query[12 : offset + 5]
        qtype = struct.unpack("!H", query[offset + 1 : offset + 3])[0]
        address = self.addresses.get(".".join(labels))
        if address is None:
            return struct.pack("!6H", ident, 0x8183, 1, 0, 0, 0) + question  # NXDOMAIN
        if qtype != 1:
            return struct.pack("!6H", ident, 0x8180, 1, 0, 0, 0) + question  # no records
        addresses = [address] if isinstance(address, str) else address
        records = b"".join(
            struct.pack("!HHHIH", 0xC00C, 1, 1, 1, 4) + socket.inet_aton(one) for one in addresses
        )
        return struct.pack("!6H", ident, 0x8180, 1, len(addresses), 0, 0) + question + records

    def close(self) -> None:
        self.running = False
        self.thread.join(timeout=5)
        self.sock.close()
