#!/usr/bin/env python3
"""Assembles the fuzzers' seed corpora from tests/data (and a few generated
.npy and model files) into OUT/<harness>/: usage seeds.py TESTS_DATA OUT."""
import os
import struct
import sys
import zlib

data, out = sys.argv[1], sys.argv[2]
SEP = b"=====\n"  # after a part's last newline: the harnesses' "\n=====\n"
DIR_FILES = ["adjacency.mtx", "features.mtx", "labels.txt", "train.txt", "val.txt",
             "test.txt", "classes.txt"]
FORMATS = ["edgelist", "ncol", "lgl", "pajek", "graphml", "gml", "dimacs"]
EXT_FORMAT = {".edges": "edgelist", ".txt": "edgelist", ".ncol": "ncol", ".lgl": "lgl",
              ".net": "pajek", ".graphml": "graphml", ".gml": "gml", ".max": "dimacs"}


def read(*parts):
    with open(os.path.join(data, *parts), "rb") as f:
        return f.read()


def ends(b):
    return b if b.endswith(b"\n") or not b else b + b"\n"


def join(parts):
    return SEP.join(ends(p) for p in parts)


corpus = {}


def seed(harness, name, content):
    corpus.setdefault(harness, {})[name] = content


tiny = {f: read("tiny", f) for f in DIR_FILES}
bad = sorted(os.listdir(os.path.join(data, "bad")))

# fuzz_mtx: every .mtx in tests/data
for sub in ("tiny", "bad", "graphs"):
    for f in sorted(os.listdir(os.path.join(data, sub))):
        if f.endswith(".mtx"):
            seed("fuzz_mtx", sub + "." + f, read(sub, f))

# fuzz_dir: tiny, and tiny with each bad/KIND.WHAT.EXT put in place of KIND.EXT
seed("fuzz_dir", "tiny", join([tiny[f] for f in DIR_FILES]))
for b in bad:
    kind, _, ext = b.split(".")
    target = kind + "." + ext
    if target in tiny:
        files = dict(tiny, **{target: read("bad", b)})
        seed("fuzz_dir", "bad." + b, join([files[f] for f in DIR_FILES]))

# fuzz_graph: the format byte, the graph, then features and labels of the same name
for f in sorted(os.listdir(os.path.join(data, "graphs"))):
    base, ext = os.path.splitext(f)
    if ext not in EXT_FORMAT or f.endswith(".labels.txt"):
        continue
    parts = [read("graphs", f)]
    for extra in (base + ".features.mtx", base + ".labels.txt"):
        path = os.path.join(data, "graphs", extra)
        parts.append(read("graphs", extra) if os.path.exists(path) else b"")
    while parts and parts[-1] == b"":
        parts.pop()
    seed("fuzz_graph", f, bytes([FORMATS.index(EXT_FORMAT[ext])]) + join(parts))
    seed("fuzz_graph", f + ".alone", bytes([FORMATS.index(EXT_FORMAT[ext])]) + read("graphs", f))

# fuzz_npy: headers of the kinds the reader meets
def npy(descr, shape, fortran, payload, version=1):
    header = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (
        descr, "True" if fortran else "False", shape)
    prefix = 10 if version == 1 else 12
    pad = 64 - (prefix + len(header) + 1) % 64
    header = (header + " " * pad + "\n").encode()
    size = struct.pack("<H", len(header)) if version == 1 else struct.pack("<I", len(header))
    return b"\x93NUMPY" + bytes([version, 0]) + size + header + payload


f32 = struct.pack("<6f", 1, 2, 3, 4, 5, 6)
seed("fuzz_npy", "f4_2x3", npy("<f4", "(2, 3)", False, f32))
seed("fuzz_npy", "f8_6", npy("<f8", "(6,)", False, struct.pack("<6d", 1, 2, 3, 4, 5, 6)))
seed("fuzz_npy", "f4_0x4", npy("<f4", "(0, 4)", False, b""))
seed("fuzz_npy", "f4_fortran", npy("<f4", "(3, 2)", True, f32))
seed("fuzz_npy", "i8_3", npy("<i8", "(3,)", False, struct.pack("<3q", 0, 1, -1)))
seed("fuzz_npy", "f4_v2", npy("<f4", "(2, 3)", False, f32, version=2))
seed("fuzz_npy", "f4_short", npy("<f4", "(4, 3)", False, f32))

# fuzz_model: the format of gnn/model_io.c, small shapes
def model(kind, dims, dropout=0.5):
    nparams = sum(dims[l] * dims[l + 1] + dims[l + 1] for l in range(len(dims) - 1))
    body = b"GNNKDMDL" + struct.pack("<III", 1, kind, len(dims) - 1)
    body += struct.pack("<%di" % len(dims), *dims) + struct.pack("<fq", dropout, nparams)
    body += struct.pack("<%df" % nparams, *[0.01 * (i % 7 - 3) for i in range(nparams)])
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


# version 4: an MLP whose last 2 of 5 inputs are position columns, rows of 3 nodes
def model_v4(dims, pos_n, pos_dim):
    nparams = sum(dims[l] * dims[l + 1] + dims[l + 1] for l in range(len(dims) - 1))
    body = b"GNNKDMDL" + struct.pack("<III", 4, 1, len(dims) - 1)
    body += struct.pack("<%di" % len(dims), *dims) + struct.pack("<fI", 0.5, 1)  # dropout, norm
    body += struct.pack("<%di" % (len(dims) - 1), *([1] * (len(dims) - 1)))  # heads
    body += struct.pack("<fiii", 0.0, 0, pos_n, pos_dim)  # attn dropout, steps, rows
    body += struct.pack("<q", nparams)
    body += struct.pack("<%df" % nparams, *[0.01 * (i % 7 - 3) for i in range(nparams)])
    body += struct.pack("<%df" % (pos_n * pos_dim), *[0.5 * (i % 3 - 1) for i in range(pos_n * pos_dim)])
    return body + struct.pack("<I", zlib.crc32(body) & 0xFFFFFFFF)


seed("fuzz_model", "gcn_4_3_2", model(0, [4, 3, 2]))
seed("fuzz_model", "mlp_5_4_3_pos", model_v4([5, 4, 3], 3, 2))
seed("fuzz_model", "mlp_5_4_4_3", model(1, [5, 4, 4, 3], 0.0))
seed("fuzz_model", "magic", b"GNNKDMDL")

# fuzz_spec: byte 0 (mod 3) picks model / split / synthetic
for s in ["gcn:16", "gcn:64,64", "mlp:256,256", "mlp", "gcn", "gcn:0", "mlp:1,2,3,4,5,6,7"]:
    seed("fuzz_spec", "model." + s.replace(":", "_"), b"\x00" + s.encode())
for s in ["planetoid", "random:5:20:40", "per-class:5:10", "random:0:0:0", "per-class:50:50"]:
    seed("fuzz_spec", "split." + s.replace(":", "_"), b"\x01" + s.encode())
for s in ["synthetic", "synthetic:nodes=100,classes=3,features=6,train-per-class=3,val=10,test=10",
          "synthetic:preset=cora,nodes=300,degree=2.5,homophily=0.5,snr=1,seed=4,features=16",
          "synthetic:preset=scale,nodes=50,classes=2,features=4,train-per-class=2,val=5,test=5"]:
    seed("fuzz_spec", "synthetic.%d" % len(s), b"\x02" + s.encode())

# fuzz_npz: tests/data/npz/tiny.npz, and variants made with zipfile: dense
# features and one-hot labels, stored and deflated
import io
import zipfile


def npz(members, method=zipfile.ZIP_DEFLATED):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, content in members:
            z.writestr(name + ".npy", content)
    return buf.getvalue()


seed("fuzz_npz", "tiny", read("npz", "tiny.npz"))
with zipfile.ZipFile(os.path.join(data, "npz", "tiny.npz")) as z:
    members = [(i.filename[:-4], z.read(i)) for i in z.infolist()]
seed("fuzz_npz", "tiny.stored", npz(members, zipfile.ZIP_STORED))
i8 = lambda shape, vals: npy("<i8", shape, False, struct.pack("<%dq" % len(vals), *vals))
graph = [("adj_shape", i8("(2,)", [3, 3])), ("adj_indptr", i8("(4,)", [0, 1, 2, 2])),
         ("adj_indices", i8("(2,)", [1, 2])), ("adj_data", npy("<f4", "(2,)", False,
                                                              struct.pack("<2f", 1, 1)))]
dense = [("attr_matrix", npy("<f4", "(3, 2)", False, f32))]
onehot = [("labels_shape", i8("(2,)", [3, 2])), ("labels_indptr", i8("(4,)", [0, 1, 2, 2])),
          ("labels_indices", i8("(2,)", [0, 1])),
          ("labels_data", npy("<f4", "(2,)", False, struct.pack("<2f", 1, 1)))]
seed("fuzz_npz", "dense.onehot", npz(graph + dense + onehot))
seed("fuzz_npz", "dense.labels", npz(graph + dense + [("labels", i8("(3,)", [0, 1, -1]))],
                                     zipfile.ZIP_STORED))

# fuzz_ogb: the flag byte (0: every part gzip-compressed), then the texts of
# tests/data/ogb-tiny in the harness's order
OGB_FILES = ["raw/edge.csv.gz", "raw/node-feat.csv.gz", "raw/node-label.csv.gz",
             "split/random/train.csv.gz", "split/random/valid.csv.gz",
             "split/random/test.csv.gz", "raw/num-node-list.csv.gz"]
ogb = [zlib.decompress(read("ogb-tiny", *f.split("/")), 15 + 32) for f in OGB_FILES]
seed("fuzz_ogb", "tiny", b"\x00" + join(ogb))
seed("fuzz_ogb", "tiny.nosplit", b"\x00" + join(ogb[:3]))
seed("fuzz_ogb", "tiny.plain", b"\x7f" + join(ogb))
seed("fuzz_ogb", "tiny.cut", b"\x80" + join(ogb))

# fuzz_part: part 0 of each tests/data/part-*/, its manifest's file lines
# written with the harness's @bytesK and @crcK
PART_FILES = ["nodes.bin", "adjacency.bin", "features.bin", "labels.bin"]


def part_seed(folder):
    man = read(folder, "part-0", "manifest.txt").decode().splitlines()
    lines = [l for l in man if not l.startswith("file ")]
    lines += ["file %s @bytes%d @crc%d" % (f, k, k) for k, f in enumerate(PART_FILES)]
    bins = [read(folder, "part-0", f) for f in PART_FILES]
    text = join([read(folder, "partition.txt"), ("\n".join(lines) + "\n").encode()])
    # binary parts keep every byte: the newline before each separator is dropped
    return text + SEP + (b"\n" + SEP).join(bins)


for f in sorted(os.listdir(data)):
    if f.startswith("part-"):
        seed("fuzz_part", f, part_seed(f))


for harness, files in corpus.items():
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    for name, content in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(content)
