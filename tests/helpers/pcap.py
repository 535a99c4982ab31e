"""Write TCP streams into a pcap file, by hand: what tshark reads in
tests/dissectors/test_wireshark.py.

pcap is a 24-byte global header, then per packet a 16-byte record header and the
packet; here each packet is Ethernet II + IPv4 + TCP with correct checksums, so tshark
sees well-formed segments. A ``TcpStream`` opens with a three-way handshake, then carries
each chunk of data as one segment (the FIN, when asked for, rides on the last data
segment, so the dissector sees the end of input with the data), with an ACK from the
other side after each.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

PCAP_MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 262144
MAX_SEGMENT = 32000
"""Largest TCP payload per packet (an IPv4 packet holds at most 65535 bytes)."""

_FIN, _SYN, _RST, _PSH, _ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def _checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    total: int = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


@dataclass
class Endpoint:
    """One side of a TCP connection: its address, port and next sequence number."""

    address: bytes
    port: int
    seq: int


@dataclass
class Capture:
    """Packets in capture order, each with its timestamp in microseconds."""

    packets: list[tuple[int, bytes]] = field(default_factory=list)
    clock: int = 1_700_000_000_000_000

    def segment(self, source: Endpoint, target: Endpoint, flags: int, payload: bytes = b"") -> None:
        """Append one TCP segment from ``source`` to ``target`` and advance its sequence."""
        tcp_header = struct.pack(
            "!HHIIBBHHH",
            source.port,
            target.port,
            source.seq,
            target.seq if flags & _ACK else 0,
            5 << 4,
            flags,
            65535,
            0,
            0,
        )
        pseudo = source.address + target.address + struct.pack("!BBH", 0, 6, 20 + len(payload))
        tcp_checksum = _checksum(pseudo + tcp_header + payload)
        tcp_header = tcp_header[:16] + struct.pack("!H", tcp_checksum) + tcp_header[18:]
        ip_header = struct.pack(
            "!BBHHHBBH4s4s",
            0x45,
            0,
            20 + len(tcp_header) + len(payload),
            len(self.packets) & 0xFFFF,
            0x4000,
            64,
            6,
            0,
            source.address,
            target.address,
        )
        ip_header = ip_header[:10] + struct.pack("!H", _checksum(ip_header)) + ip_header[12:]
        ethernet = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        self.clock += 1000
        self.packets.append((self.clock, ethernet + ip_header + tcp_header + payload))
        source.seq = (source.seq + len(payload) + (1 if flags & (_SYN | _FIN) else 0)) % 2**32

    def stream(self, client_port: int, server_port: int, chunks: list[bytes], *, eof: bool) -> None:
        """A connection from 10.0.0.1:client_port to 10.0.0.2:server_port carrying
        ``chunks`` (one segment each, split further above MAX_SEGMENT) from the client."""
        client = Endpoint(bytes([10, 0, 0, 1]), client_port, 1000)
        server = Endpoint(bytes([10, 0, 0, 2]), server_port, 5000)
        self.segment(client, server, _SYN)
        self.segment(server, client, _SYN | _ACK)
        self.segment(client, server, _ACK)
        segments = [
            chunk[at : at + MAX_SEGMENT]
            for chunk in chunks
            for at in range(0, len(chunk), MAX_SEGMENT)
        ]
        for index, segment in enumerate(segments):
            last = index == len(segments) - 1
            self.segment(client, server, _PSH | _ACK | (_FIN if eof and last else 0), segment)
            self.segment(server, client, _ACK)
        if eof and not segments:
            self.segment(client, server, _FIN | _ACK)

    def write(self, path: str) -> None:
        """Write the pcap file."""
        with open(path, "wb") as file:
            file.write(struct.pack("<IHHiIII", PCAP_MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET))
            for micros, packet in self.packets:
                seconds, fraction = divmod(micros, 1_000_000)
                file.write(struct.pack("<IIII", seconds, fraction, len(packet), len(packet)))
                file.write(packet)
