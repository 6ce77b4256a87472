#!/usr/bin/python3
"""Convert one Planetoid citation graph to the gnnkd dataset folder format.

Usage: planetoid_convert.py RAW_DIR NAME OUT_DIR

Reads RAW_DIR/ind.NAME.{x,y,tx,ty,allx,ally,graph,test.index} (the Python 2
pickles of the Planetoid repository) and writes OUT_DIR/adjacency.mtx,
features.mtx, labels.txt, train.txt, val.txt, test.txt and classes.txt.

Processing, as in the public reference loaders (Kipf & Welling's GCN, PyTorch
Geometric, DGL):
  * node test.index[k] takes row k of tx/ty; ids of the test range that do not
    occur in test.index (CiteSeer's 15) become feature-less nodes labelled -1;
  * train = the first len(y) nodes, val = the next 500, test = sorted test.index;
  * label = argmax of the one-hot row, -1 for an all-zero row;
  * edges are made undirected; self loops and duplicates are dropped.

Each output file is written under a temporary name, then renamed.
Exit status: 0 on success, 2 on any error (usage, missing or unreadable file,
inconsistent data).
"""

import os
import pickle
import sys
import warnings

FEATURE_KIND = {
    "cora": "binary bag of words",
    "citeseer": "binary bag of words",
    "pubmed": "TF-IDF",
}
PARTS = ("x", "y", "tx", "ty", "allx", "ally", "graph")
VAL_SIZE = 500


def fail(msg):
    sys.stderr.write("planetoid_convert: %s\n" % msg)
    sys.exit(2)


try:
    import numpy as np
    import scipy.sparse as sp
except ImportError as e:
    fail("%s (this script needs NumPy and SciPy for %s; on Debian/Ubuntu: "
         "apt-get install python3-numpy python3-scipy)" % (e, sys.executable))


def raw_path(raw_dir, name, part):
    return os.path.join(raw_dir, "ind.%s.%s" % (name, part))


def load_pickle(path):
    if not os.path.isfile(path):
        fail("missing file %s" % path)
    try:
        with open(path, "rb") as f:
            with warnings.catch_warnings():
                # Old pickles name scipy.sparse.csr, deprecated in recent SciPy.
                warnings.simplefilter("ignore")
                return pickle.load(f, encoding="latin1")
    except Exception as e:  # any unpickling problem: corrupt, truncated, foreign
        fail("cannot unpickle %s: %s: %s" % (path, type(e).__name__, e))


def load_test_index(path):
    if not os.path.isfile(path):
        fail("missing file %s" % path)
    try:
        with open(path, "r", encoding="ascii") as f:
            return [int(line) for line in f if line.strip()]
    except (OSError, ValueError, UnicodeDecodeError) as e:
        fail("cannot read %s: %s" % (path, e))


def as_csr(obj, path, ncols=None):
    if not sp.issparse(obj):
        fail("%s: expected a SciPy sparse matrix, got %s" % (path, type(obj).__name__))
    m = sp.csr_matrix(obj)
    if ncols is not None and m.shape[1] != ncols:
        fail("%s: %d columns, expected %d" % (path, m.shape[1], ncols))
    return m


def as_onehot(obj, path, ncols=None):
    a = np.asarray(obj.todense() if sp.issparse(obj) else obj)
    if a.ndim != 2:
        fail("%s: expected a 2-d label matrix, got shape %s" % (path, a.shape))
    if ncols is not None and a.shape[1] != ncols:
        fail("%s: %d classes, expected %d" % (path, a.shape[1], ncols))
    return a


def fmt_value(v, cache):
    """Shortest decimal string that reads back as the same float32."""
    s = cache.get(v)
    if s is None:
        s = np.format_float_positional(np.float32(v), unique=True, trim="-")
        cache[v] = s
    return s


def write_atomic(out_dir, fname, text):
    final = os.path.join(out_dir, fname)
    tmp = os.path.join(out_dir, ".%s.tmp%d" % (fname, os.getpid()))
    try:
        with open(tmp, "w", encoding="ascii", newline="\n") as f:
            f.write(text)
        os.replace(tmp, final)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        fail("cannot write %s: %s" % (final, e))


def convert(raw_dir, name, out_dir):
    obj = {p: load_pickle(raw_path(raw_dir, name, p)) for p in PARTS}
    test_path = raw_path(raw_dir, name, "test.index")
    test_index = load_test_index(test_path)

    allx = as_csr(obj["allx"], raw_path(raw_dir, name, "allx"))
    nfeat = allx.shape[1]
    tx = as_csr(obj["tx"], raw_path(raw_dir, name, "tx"), nfeat)
    x = as_csr(obj["x"], raw_path(raw_dir, name, "x"), nfeat)
    ally = as_onehot(obj["ally"], raw_path(raw_dir, name, "ally"))
    nclass = ally.shape[1]
    ty = as_onehot(obj["ty"], raw_path(raw_dir, name, "ty"), nclass)
    y = as_onehot(obj["y"], raw_path(raw_dir, name, "y"), nclass)
    graph = obj["graph"]
    gpath = raw_path(raw_dir, name, "graph")
    if not isinstance(graph, dict):
        fail("%s: expected a dict of adjacency lists, got %s" % (gpath, type(graph).__name__))

    base = allx.shape[0]
    if ally.shape[0] != base:
        fail("%s has %d rows but %s has %d" % (raw_path(raw_dir, name, "ally"), ally.shape[0],
                                               raw_path(raw_dir, name, "allx"), base))
    ntest = len(test_index)
    if tx.shape[0] != ntest or ty.shape[0] != ntest:
        fail("%s lists %d nodes but tx has %d rows and ty %d" % (test_path, ntest, tx.shape[0], ty.shape[0]))
    if ntest == 0:
        fail("%s is empty" % test_path)
    if len(set(test_index)) != ntest:
        fail("%s has duplicate ids" % test_path)
    if min(test_index) < base:
        fail("%s: id %d is below the first test slot %d" % (test_path, min(test_index), base))
    ntrain = y.shape[0]
    if x.shape[0] != ntrain or ntrain + VAL_SIZE > base:
        fail("%s/%s: %d training rows, %d features rows, %d labelled nodes"
             % (raw_path(raw_dir, name, "x"), raw_path(raw_dir, name, "y"), ntrain, x.shape[0], base))

    # Node ids base..max(test_index); a slot missing from test.index stays empty.
    n = max(test_index) + 1
    nslot = n - base
    tidx = np.asarray(test_index, dtype=np.int64)

    # Features: test row k -> node test_index[k].
    perm = np.empty(nslot, dtype=np.int64)  # slot -> row of tx, or -1
    perm.fill(-1)
    perm[tidx - base] = np.arange(ntest)
    perm[perm < 0] = ntest  # an all-zero row appended to tx
    tx_ext = sp.vstack([tx, sp.csr_matrix((1, nfeat), dtype=tx.dtype)]).tocsr()[perm]
    feats = sp.vstack([allx, tx_ext]).tocoo()
    feats.sum_duplicates()  # canonical, row-major sorted
    keep = feats.data != 0
    fr, fc, fv = feats.row[keep], feats.col[keep], feats.data[keep]
    order = np.lexsort((fc, fr))
    fr, fc, fv = fr[order], fc[order], fv[order]

    # Labels: one-hot -> class id, all-zero row -> -1.
    onehot = np.zeros((n, nclass), dtype=ally.dtype)
    onehot[:base] = ally
    onehot[tidx] = ty
    labels = np.where(onehot.any(axis=1), onehot.argmax(axis=1), -1)

    # Edges: undirected, no self loops, no duplicates; stored lower triangle
    # as (i, j) with i > j, ordered by column j then row i.
    src, dst = [], []
    for u, nbrs in graph.items():
        for v in nbrs:
            src.append(u)
            dst.append(v)
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        fail("%s: node id out of range 0..%d" % (gpath, n - 1))
    lo = np.minimum(src, dst)
    hi = np.maximum(src, dst)
    loop = lo == hi
    key = np.unique(lo[~loop] * n + hi[~loop])  # sorted by (lo, hi)
    ecol, erow = key // n, key % n

    train = np.arange(ntrain)
    val = np.arange(ntrain, ntrain + VAL_SIZE)
    test = np.sort(tidx)

    kind = FEATURE_KIND.get(name)
    if kind is None:
        kind = "binary bag of words" if np.all(fv == 1) else "real values"

    os.makedirs(out_dir, exist_ok=True)

    adj = ["%%MatrixMarket matrix coordinate pattern symmetric\n",
           "%% Planetoid %s: undirected citation graph, lower triangle, no self loops\n" % name,
           "%d %d %d\n" % (n, n, key.size)]
    adj.extend("%d %d\n" % (i + 1, j + 1) for i, j in zip(erow.tolist(), ecol.tolist()))
    write_atomic(out_dir, "adjacency.mtx", "".join(adj))

    cache = {}
    ft = ["%%MatrixMarket matrix coordinate real general\n",
          "%% Planetoid %s: raw node features (%s)\n" % (name, kind),
          "%d %d %d\n" % (n, nfeat, fv.size)]
    ft.extend("%d %d %s\n" % (i + 1, j + 1, fmt_value(v, cache))
              for i, j, v in zip(fr.tolist(), fc.tolist(), fv.tolist()))
    write_atomic(out_dir, "features.mtx", "".join(ft))

    def ids(a):
        return "".join("%d\n" % i for i in a.tolist())

    write_atomic(out_dir, "labels.txt", ids(labels))
    write_atomic(out_dir, "train.txt", ids(train))
    write_atomic(out_dir, "val.txt", ids(val))
    write_atomic(out_dir, "test.txt", ids(test))
    write_atomic(out_dir, "classes.txt", "%d\n" % nclass)

    print("%s: %d nodes, %d features (%d non-zeros), %d edges, %d classes, "
          "train %d, val %d, test %d, unlabelled %d -> %s"
          % (name, n, nfeat, fv.size, key.size, nclass, ntrain, VAL_SIZE, ntest,
             int(np.sum(labels < 0)), out_dir))


def main(argv):
    if len(argv) != 4 or argv[1] in ("-h", "--help"):
        sys.stderr.write("usage: %s RAW_DIR NAME OUT_DIR\n" % os.path.basename(argv[0]))
        sys.exit(0 if len(argv) == 2 and argv[1] in ("-h", "--help") else 2)
    raw_dir, name, out_dir = argv[1], argv[2], argv[3]
    if not os.path.isdir(raw_dir):
        fail("raw folder %s does not exist" % raw_dir)
    convert(raw_dir, name, out_dir)


if __name__ == "__main__":
    main(sys.argv)
