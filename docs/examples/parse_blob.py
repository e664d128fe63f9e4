#!/usr/bin/env python3
"""Print the fields of a Coffer ciphertext blob (docs/ciphertext-format.md)."""
import struct
import sys
import uuid

blob = open(sys.argv[1], "rb").read()
if len(blob) < 65 or blob[0] != 1:
    sys.exit("not a version-1 Coffer ciphertext blob")
key_id = uuid.UUID(bytes=blob[1:17])
(version,) = struct.unpack(">I", blob[17:21])
nonce, iv = blob[21:37], blob[37:49]
print("format version :", blob[0])
print("key id         :", key_id)
print("backing version:", version)
print("kdf nonce      :", nonce.hex()[:4] + "...(16 bytes)")
print("iv             :", iv.hex()[:4] + "...(12 bytes)")
print("ciphertext     :", len(blob) - 65, "bytes")
print("tag            : 16 bytes")
