#!/usr/bin/env python3
"""npy_compare.py A.npy B.npy [TOL]: the largest difference between two
(n, C) float32 logit arrays (gnnkd's .npy files), relative to the largest
|logit| of each row; exit 1 above TOL (default 1e-4). Plain Python: no numpy."""
import ast
import struct
import sys


def load(path):
    with open(path, "rb") as f:
        data = f.read()
    assert data[:6] == b"\x93NUMPY", path
    hlen = struct.unpack("<H", data[8:10])[0]
    header = ast.literal_eval(data[10:10 + hlen].decode())
    assert header["descr"] == "<f4" and not header["fortran_order"], path
    rows, cols = header["shape"]
    vals = struct.unpack("<%df" % (rows * cols), data[10 + hlen:10 + hlen + 4 * rows * cols])
    return [vals[r * cols:(r + 1) * cols] for r in range(rows)]


a, b = load(sys.argv[1]), load(sys.argv[2])
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-4
if len(a) != len(b) or len(a[0]) != len(b[0]):
    print("shapes differ: %dx%d and %dx%d" % (len(a), len(a[0]), len(b), len(b[0])))
    sys.exit(1)
rel, same = 0.0, 0
for x, y in zip(a, b):
    scale = max(max(abs(v) for v in x), 1e-6)
    rel = max(rel, max(abs(u - v) for u, v in zip(x, y)) / scale)
    same += x.index(max(x)) == y.index(max(y))
print("max relative difference %.3g (tolerance %g), same argmax on %d of %d rows"
      % (rel, tol, same, len(a)))
sys.exit(0 if rel <= tol else 1)
