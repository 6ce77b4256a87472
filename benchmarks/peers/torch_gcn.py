#!/usr/bin/python3
"""The PyTorch peer of `gnnkd bench-speed`: the same GCN / MLP, timed the same way.

Model (Kipf & Welling 2017, as gnnkd builds it):
  features X row-normalised (each row sums to 1), kept sparse;
  Â = D^-1/2 (A + I) D^-1/2, a float32 torch sparse tensor (COO by default);
  gcn:H  logits = Â (drop(relu(Â (drop(X) W1) + b1)) W2) + b2
  mlp:H  logits = drop(relu(drop(X) W1 + b1)) W2 + b2
  dropout 0.5 on the input (sparse, Kipf's "retain": kept entries scaled by 2;
  --input-dropout mask keeps the pattern and zeroes values, as gnnkd does)
  and on the hidden layer; Glorot-uniform weights, zero biases;
  loss = cross-entropy on the training nodes + 5e-4 * sum(W1^2) / 2;
  Adam (lr 0.01, betas 0.9/0.999, eps 1e-8), no weight decay in the optimiser.

Timing: one epoch = forward (train mode) + loss + backward + Adam step.
The first --warmup epochs (5) are not timed, the next --timed-epochs (50) are
(the same window as `gnnkd bench-speed`): median/min/max seconds per epoch;
training then goes on untimed to --epochs (200) for test_acc. Inference:
full-graph forward in eval mode under torch.no_grad(), --infer-warmup
untimed then --infer-repeats (20) timed, median milliseconds. Peak RSS is
getrusage(RUSAGE_SELF).ru_maxrss at the end (includes the Python/torch
runtime). test_acc is the accuracy on the test split after all epochs (no
early stopping) -- a check that the model is the real thing (~0.81 on cora).

Usage:
  /usr/bin/python3 torch_gcn.py --dataset cora --model gcn:16 --threads 2 --json
"""
import argparse
import json
import os
import sys
import time


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True,
                   help="dataset name (folder under --data-dir) or a path to a dataset folder")
    p.add_argument("--data-dir", default=os.environ.get("GNNKD_DATA"),
                   help="folder holding the datasets (default: $GNNKD_DATA)")
    p.add_argument("--model", default="gcn:16",
                   help="KIND:HIDDEN with KIND gcn or mlp (default gcn:16; 'gcn' = gcn:16, 'mlp' = mlp:64)")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    p.add_argument("--epochs", type=int, default=200,
                   help="training epochs in all, for test_acc (default 200; raised to "
                        "warmup + timed-epochs if lower)")
    p.add_argument("--warmup", type=int, default=5, help="untimed warm-up epochs (default 5)")
    p.add_argument("--timed-epochs", type=int, default=50,
                   help="epochs timed after the warm-up (default 50, as gnnkd bench-speed's --epochs); "
                        "the rest of --epochs run untimed")
    p.add_argument("--infer-warmup", type=int, default=3, help="untimed inference passes (default 3)")
    p.add_argument("--infer-repeats", type=int, default=20, help="timed inference passes (default 20)")
    p.add_argument("--dropout", type=float, default=0.5)
    p.add_argument("--lr", type=float, default=0.01)
    p.add_argument("--weight-decay", type=float, default=5e-4, help="L2 on the first layer, times w^2/2")
    p.add_argument("--sparse", choices=("coo", "csr"), default="coo",
                   help="torch sparse layout of Â and X (default coo, the faster one on torch 1.13)")
    p.add_argument("--input-dropout", choices=("retain", "mask"), default="retain",
                   help="retain (default): Kipf's sparse dropout, dropped entries leave X "
                        "(about half the nnz in training); mask: dropped values set to 0, "
                        "the pattern kept (as gnnkd does: the same work every epoch)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true", help="print one JSON object and nothing else on stdout")
    a = p.parse_args(argv)
    if a.threads < 1:
        p.error("--threads must be >= 1")
    if a.warmup < 0 or a.timed_epochs < 1 or a.infer_repeats < 1 or a.infer_warmup < 0:
        p.error("bad warm-up / repeat counts")
    kind, _, hidden = a.model.partition(":")
    if kind not in ("gcn", "mlp"):
        p.error("--model must be gcn:H or mlp:H")
    if not hidden:
        hidden = "16" if kind == "gcn" else "64"
    try:
        a.hidden = int(hidden)
    except ValueError:
        p.error("--model: hidden width must be one integer (2 layers), e.g. gcn:16")
    if a.hidden < 1:
        p.error("--model: hidden width must be >= 1")
    a.kind = kind
    a.model = "%s:%d" % (kind, a.hidden)
    return a


ARGS = parse_args() if __name__ == "__main__" else None

# Thread counts must be fixed before torch (and its BLAS) is loaded: OpenBLAS's
# pthread build ignores torch.set_num_threads and would otherwise use every core.
if ARGS is not None:
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import resource  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

warnings.filterwarnings("ignore", message=".*Sparse CSR tensor support is in beta.*")


def rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux


def log(args, *msg):
    print(*msg, file=sys.stderr if args.json else sys.stdout, flush=True)


# --------------------------------------------------------------------------
# Loading (the gnnkd dataset folder format; see shared/datasets/README.md)
# --------------------------------------------------------------------------

def read_mtx(path):
    """MatrixMarket coordinate file -> scipy COO (float32), symmetric expanded."""
    with open(path, "rb") as f:
        header = f.readline().decode().split()
        if len(header) < 5 or header[0] != "%%MatrixMarket" or header[2] != "coordinate":
            raise SystemExit("%s: not a MatrixMarket coordinate file" % path)
        field, symm = header[3].lower(), header[4].lower()
        line = f.readline()
        while line.startswith(b"%") or not line.strip():
            line = f.readline()
        nrows, ncols, nnz = (int(t) for t in line.split())
        body = f.read()
    # np.fromstring with sep parses straight to an array (no Python strings).
    vals = np.fromstring(body, dtype=np.float64, sep=" ")
    width = 2 if field == "pattern" else 3
    if vals.size != nnz * width:
        raise SystemExit("%s: expected %d entries, found %d numbers" % (path, nnz, vals.size))
    vals = vals.reshape(nnz, width)
    r = vals[:, 0].astype(np.int64) - 1
    c = vals[:, 1].astype(np.int64) - 1
    v = np.ones(nnz, np.float32) if width == 2 else vals[:, 2].astype(np.float32)
    del vals
    if symm in ("symmetric", "hermitian", "skew-symmetric"):
        off = r != c
        sign = -1.0 if symm == "skew-symmetric" else 1.0
        r, c, v = (np.concatenate([r, c[off]]), np.concatenate([c, r[off]]),
                   np.concatenate([v, sign * v[off]]))
    return sp.coo_matrix((v, (r, c)), shape=(nrows, ncols))


def read_ints(path):
    with open(path) as f:
        return np.array([int(t) for t in f.read().split()], dtype=np.int64)


def load_dataset(name, data_dir):
    folder = name if os.sep in name else os.path.join(data_dir or "", name)
    if os.sep not in name and not data_dir:
        raise SystemExit("no data directory: set $GNNKD_DATA or pass --data-dir")
    if not os.path.isdir(folder):
        raise SystemExit("dataset folder not found: %s" % folder)
    adj = read_mtx(os.path.join(folder, "adjacency.mtx")).tocsr()
    feats = read_mtx(os.path.join(folder, "features.mtx")).tocsr()
    labels = read_ints(os.path.join(folder, "labels.txt"))
    split = [read_ints(os.path.join(folder, s + ".txt")) for s in ("train", "val", "test")]
    nclass = int(read_ints(os.path.join(folder, "classes.txt"))[0])
    return adj, feats, labels, split, nclass


def normalized_adjacency(adj):
    """Â = D^-1/2 (A + I) D^-1/2 (self loops in adj dropped first, duplicates merged)."""
    c = sp.coo_matrix(adj)
    off = c.row != c.col
    a = sp.csr_matrix((np.ones(int(off.sum()), np.float32), (c.row[off], c.col[off])),
                      shape=c.shape)
    a.sum_duplicates()
    a.data[:] = 1.0
    a = sp.csr_matrix(a + sp.identity(a.shape[0], dtype=np.float32, format="csr"))
    deg = np.asarray(a.sum(axis=1)).ravel()
    dinv = 1.0 / np.sqrt(deg)
    a = sp.diags(dinv.astype(np.float32)) @ a @ sp.diags(dinv.astype(np.float32))
    return sp.csr_matrix(a, dtype=np.float32)


def row_normalize(x):
    """Each row scaled to sum 1; all-zero rows stay zero (Kipf's preprocess_features)."""
    s = np.asarray(x.sum(axis=1)).ravel()
    inv = np.zeros_like(s, dtype=np.float64)
    inv[s != 0] = 1.0 / s[s != 0]
    return sp.csr_matrix(sp.diags(inv) @ x, dtype=np.float32)


def to_torch_sparse(m, layout):
    m = sp.csr_matrix(m, dtype=np.float32)
    m.sort_indices()
    if layout == "csr":
        return torch.sparse_csr_tensor(torch.from_numpy(m.indptr.astype(np.int64)),
                                       torch.from_numpy(m.indices.astype(np.int64)),
                                       torch.from_numpy(m.data), size=m.shape)
    c = m.tocoo()
    idx = torch.from_numpy(np.vstack([c.row, c.col]).astype(np.int64))
    return torch.sparse_coo_tensor(idx, torch.from_numpy(c.data), size=c.shape).coalesce()


# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------

class SparseInput:
    """The sparse feature matrix X and its dropout: Kipf's sparse dropout
    ("retain" a random subset of the stored entries, scaled by 1/(1-p)) or
    "mask" (every stored entry kept, the dropped ones set to zero)."""

    def __init__(self, x, layout, mode):
        self.layout = layout
        self.mode = mode
        self.x = to_torch_sparse(x, layout)
        self.shape = tuple(x.shape)
        if layout == "coo":
            self.idx = self.x.indices()
            self.val = self.x.values()
        else:
            self.crow = self.x.crow_indices()
            self.col = self.x.col_indices()
            self.val = self.x.values()
            self.row = torch.repeat_interleave(torch.arange(self.shape[0]),
                                               self.crow[1:] - self.crow[:-1])

    def dropped(self, p, gen):
        if p <= 0.0:
            return self.x
        keep = torch.rand(self.val.shape[0], generator=gen) >= p
        if self.mode == "mask":
            val = self.val * keep * (1.0 / (1.0 - p))
            if self.layout == "coo":
                return torch.sparse_coo_tensor(self.idx, val, size=self.shape)._coalesced_(True)
            return torch.sparse_csr_tensor(self.crow, self.col, val, size=self.shape)
        val = self.val[keep] * (1.0 / (1.0 - p))
        if self.layout == "coo":
            # A subset of a coalesced COO tensor, in order: still coalesced.
            t = torch.sparse_coo_tensor(self.idx[:, keep], val, size=self.shape)
            return t._coalesced_(True)
        counts = torch.bincount(self.row[keep], minlength=self.shape[0])
        crow = torch.zeros(self.shape[0] + 1, dtype=torch.int64)
        torch.cumsum(counts, 0, out=crow[1:])
        return torch.sparse_csr_tensor(crow, self.col[keep], val, size=self.shape)


class Net(torch.nn.Module):
    def __init__(self, kind, nin, hidden, nout, dropout):
        super().__init__()
        self.kind = kind
        self.dropout = dropout
        self.w1 = torch.nn.Parameter(torch.empty(nin, hidden))
        self.b1 = torch.nn.Parameter(torch.zeros(hidden))
        self.w2 = torch.nn.Parameter(torch.empty(hidden, nout))
        self.b2 = torch.nn.Parameter(torch.zeros(nout))
        torch.nn.init.xavier_uniform_(self.w1)
        torch.nn.init.xavier_uniform_(self.w2)

    def forward(self, xin, ahat, gen):
        x = xin.dropped(self.dropout, gen) if self.training else xin.x
        h = torch.sparse.mm(x, self.w1)                        # X W1 (sparse x dense)
        if self.kind == "gcn":
            h = torch.sparse.mm(ahat, h)                       # Â (X W1)
        h = F.relu(h + self.b1)
        h = F.dropout(h, self.dropout, self.training)
        h = h @ self.w2                                        # H W2 (dense)
        if self.kind == "gcn":
            h = torch.sparse.mm(ahat, h)                       # Â (H W2)
        return h + self.b2


def accuracy(logits, labels, ids):
    return float((logits[ids].argmax(1) == labels[ids]).float().mean())


def blas_in_use():
    try:
        with open("/proc/self/maps") as f:
            libs = {os.path.basename(l.split()[-1]) for l in f if ".so" in l}
    except OSError:
        return "unknown"
    for name in ("libopenblas", "libmkl", "libblis", "libblas"):
        hit = sorted(l for l in libs if l.startswith(name))
        if hit:
            return hit[0]
    return "unknown"


def main(args):
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    np.random.seed(args.seed)
    rss_runtime = rss_mb()

    t0 = time.perf_counter()
    adj, feats, labels_np, split_np, nclass = load_dataset(args.dataset, args.data_dir)
    n = adj.shape[0]
    xin = SparseInput(row_normalize(feats), args.sparse, args.input_dropout)
    ahat = to_torch_sparse(normalized_adjacency(adj), args.sparse) if args.kind == "gcn" else None
    labels = torch.from_numpy(labels_np)
    train, val, test = (torch.from_numpy(s) for s in split_np)
    train_labels = labels[train]
    del adj, feats
    load_seconds = time.perf_counter() - t0
    log(args, "loaded %s: %d nodes, %d features (nnz %d), %d classes, Â nnz %s, %.2f s"
        % (args.dataset, n, xin.shape[1], xin.val.shape[0], nclass,
           ahat._nnz() if ahat is not None else "-", load_seconds))

    model = Net(args.kind, xin.shape[1], args.hidden, nclass, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    gen = torch.Generator().manual_seed(args.seed + 1)

    total = max(args.epochs, args.warmup + args.timed_epochs)
    times = []
    for epoch in range(total):
        t = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(xin, ahat, gen)
        loss = F.cross_entropy(logits[train], train_labels)
        if args.weight_decay:
            loss = loss + args.weight_decay * 0.5 * model.w1.pow(2).sum()
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t
        if args.warmup <= epoch < args.warmup + args.timed_epochs:
            times.append(dt)
        if not args.json and (epoch + 1) % 50 == 0:
            log(args, "epoch %4d  loss %.4f  %.4f s" % (epoch + 1, float(loss), dt))

    model.eval()
    with torch.no_grad():
        for _ in range(args.infer_warmup):
            model(xin, ahat, gen)
        itimes = []
        for _ in range(args.infer_repeats):
            t = time.perf_counter()
            logits = model(xin, ahat, gen)
            itimes.append(time.perf_counter() - t)
    acc = {name: accuracy(logits, labels, ids)
           for name, ids in (("train", train), ("val", val), ("test", test))}

    result = {
        "impl": "pytorch",
        "torch_version": torch.__version__,
        "dataset": args.dataset,
        "model": args.model,
        "threads": args.threads,
        "epoch_seconds": {
            "median": float(np.median(times)),
            "min": float(np.min(times)),
            "max": float(np.max(times)),
        },
        "inference_ms": {
            "median": float(np.median(itimes)) * 1e3,
            "min": float(np.min(itimes)) * 1e3,
        },
        "peak_rss_mb": round(rss_mb(), 1),
        "test_acc": round(acc["test"], 4),
        "val_acc": round(acc["val"], 4),
        "train_acc": round(acc["train"], 4),
        "epochs": total,
        "warmup_epochs": args.warmup,
        "timed_epochs": len(times),
        "inference_repeats": args.infer_repeats,
        "runtime_rss_mb": round(rss_runtime, 1),
        "load_seconds": round(load_seconds, 3),
        "sparse_layout": args.sparse,
        "input_dropout": args.input_dropout,
        "blas": blas_in_use(),
        "nodes": n,
    }
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        e = result["epoch_seconds"]
        print("%s %s threads=%d torch %s (%s, input dropout %s, %s)"
              % (args.dataset, args.model, args.threads, torch.__version__, args.sparse,
                 args.input_dropout, result["blas"]))
        print("  epoch s: median %.5f  min %.5f  max %.5f  (%d timed of %d)"
              % (e["median"], e["min"], e["max"], len(times), total))
        print("  inference ms: median %.3f (%d repeats)" % (result["inference_ms"]["median"],
                                                          args.infer_repeats))
        print("  peak RSS %.1f MiB (runtime alone %.1f MiB)" % (result["peak_rss_mb"], rss_runtime))
        print("  accuracy: train %.4f  val %.4f  test %.4f" % (acc["train"], acc["val"], acc["test"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
