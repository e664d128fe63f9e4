#!/usr/bin/env python3
"""Send one request to the Coffer daemon over its Unix socket and print the answer.

Usage: raw_client.py OPERATION [INPUT_JSON]
The socket is $COFFER_SOCKET, else $XDG_RUNTIME_DIR/coffer.sock, else ~/.coffer/coffer.sock.
"""
import json
import os
import socket
import struct
import sys


def socket_path():
    if os.environ.get("COFFER_SOCKET"):
        return os.environ["COFFER_SOCKET"]
    if os.path.exists("/run/coffer/coffer.sock"):
        return "/run/coffer/coffer.sock"
    if os.environ.get("XDG_RUNTIME_DIR"):
        return os.path.join(os.environ["XDG_RUNTIME_DIR"], "coffer.sock")
    return os.path.expanduser("~/.coffer/coffer.sock")


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError("daemon closed the connection")
        data += chunk
    return data


def call(operation, payload):
    body = json.dumps({"Operation": operation, "Input": payload}).encode()
    header = b"CF" + struct.pack(">BBQI", 1, 1, 42, len(body))
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.connect(socket_path())
        s.sendall(header + body)
        magic, version, kind, request_id, length = struct.unpack(">2sBBQI", read_exactly(s, 16))
        # Request id 0 is an error about the connection (e.g. ThrottlingException at the
        # daemon's connection limit); the request was not processed.
        assert magic == b"CF" and request_id in (42, 0)
        answer = json.loads(read_exactly(s, length))
    return kind, answer


if __name__ == "__main__":
    op = sys.argv[1]
    inp = json.loads(sys.argv[2]) if len(sys.argv) > 2 else {}
    kind, answer = call(op, inp)
    print(json.dumps(answer, indent=2))
    sys.exit(0 if kind == 2 else 1)
