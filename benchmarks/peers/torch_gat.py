#!/usr/bin/python3
"""The PyTorch GAT peer of `gnnkd train --model gat:8x8`: the same model, timed
like torch_gcn.py.

Model (Veličković et al. 2018, as gnnkd builds it), in edge-index form with a
scatter softmax, as PyTorch Geometric's GATConv runs without its compiled
extensions:
  edges = the graph's (both directions) plus one self loop per node;
  features X row-normalised, kept sparse, dropout 0.6 (Kipf's "retain");
  layer: h = X W (n, H, F); s_src = h . a_src, s_dst = h . a_dst (n, H);
         e = LeakyReLU_0.2(s_src[src] + s_dst[dst]) per edge (E, H);
         alpha = softmax of e over each dst's edges (max subtracted,
         index_add_ sums), dropout 0.6 on alpha;
         out[dst] += alpha h[src] (index_add_), heads concatenated (hidden)
         or averaged (output), + b;
  gat:8x8  logits = GAT_1head(drop(ELU(GAT_8heads(drop(X)))))
  loss = cross-entropy on the training nodes + wd * sum of the squared
  weights and attention vectors / 2 (gnnkd's --decay-all);
  Adam (lr 0.005, wd 5e-4 for gat:8x8; --lr / --weight-decay to change).

Timing: as torch_gcn.py (one epoch = forward in train mode + loss + backward +
Adam step; --warmup untimed, then --timed-epochs timed; median seconds).

Usage:
  /usr/bin/python3 torch_gat.py --dataset cora --heads 8 --hidden 8 --threads 2 --json
"""
import argparse
import os
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", required=True)
    p.add_argument("--data-dir", default=os.environ.get("GNNKD_DATA"))
    p.add_argument("--heads", type=int, default=8)
    p.add_argument("--hidden", type=int, default=8, help="features per head")
    p.add_argument("--out-heads", type=int, default=1)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--timed-epochs", type=int, default=50)
    p.add_argument("--dropout", type=float, default=0.6)
    p.add_argument("--lr", type=float, default=0.005)
    p.add_argument("--weight-decay", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    a = p.parse_args(argv)
    if a.threads < 1 or a.heads < 1 or a.hidden < 1 or a.out_heads < 1:
        p.error("counts must be >= 1")
    return a


ARGS = parse_args() if __name__ == "__main__" else None
if ARGS is not None:  # before torch and its BLAS are loaded (see torch_gcn.py)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import json  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gcn import SparseInput, load_dataset, row_normalize, rss_mb, accuracy  # noqa: E402


def edge_index(adj):
    """(src, dst) of every edge of the symmetric adj plus a self loop per node."""
    c = sp.coo_matrix(adj)
    off = c.row != c.col
    n = adj.shape[0]
    loops = np.arange(n)
    src = np.concatenate([c.col[off], loops]).astype(np.int64)
    dst = np.concatenate([c.row[off], loops]).astype(np.int64)
    return torch.from_numpy(src), torch.from_numpy(dst)


class GATLayer(torch.nn.Module):
    def __init__(self, nin, heads, f, concat, drop):
        super().__init__()
        self.heads, self.f, self.concat, self.drop = heads, f, concat, drop
        self.w = torch.nn.Parameter(torch.empty(nin, heads * f))
        self.att_src = torch.nn.Parameter(torch.empty(1, heads, f))
        self.att_dst = torch.nn.Parameter(torch.empty(1, heads, f))
        self.b = torch.nn.Parameter(torch.zeros(heads * f if concat else f))
        torch.nn.init.xavier_uniform_(self.w)
        torch.nn.init.xavier_uniform_(self.att_src)
        torch.nn.init.xavier_uniform_(self.att_dst)

    def forward(self, x, src, dst, n):
        h = (torch.sparse.mm(x, self.w) if x.is_sparse else x @ self.w).view(n, self.heads, self.f)
        s_src = (h * self.att_src).sum(-1)
        s_dst = (h * self.att_dst).sum(-1)
        e = F.leaky_relu(s_src[src] + s_dst[dst], 0.2)                    # (E, H)
        emax = torch.full((n, self.heads), -float("inf")).scatter_reduce(
            0, dst.unsqueeze(1).expand_as(e), e, reduce="amax", include_self=True)
        e = (e - emax[dst]).exp()
        den = torch.zeros(n, self.heads).index_add_(0, dst, e)
        alpha = e / den[dst]
        alpha = F.dropout(alpha, self.drop, self.training)
        out = torch.zeros(n, self.heads, self.f).index_add_(0, dst, h[src] * alpha.unsqueeze(-1))
        out = out.reshape(n, -1) if self.concat else out.mean(1)
        return out + self.b


class GAT(torch.nn.Module):
    def __init__(self, nin, heads, f, nout, out_heads, drop):
        super().__init__()
        self.drop = drop
        self.l1 = GATLayer(nin, heads, f, True, drop)
        self.l2 = GATLayer(heads * f, out_heads, nout, False, drop)

    def forward(self, xin, src, dst, n, gen):
        x = xin.dropped(self.drop, gen) if self.training else xin.x
        h = F.elu(self.l1(x, src, dst, n))
        h = F.dropout(h, self.drop, self.training)
        return self.l2(h, src, dst, n)


def main(args):
    torch.set_num_threads(args.threads)
    try:
        torch.set_num_interop_threads(args.threads)
    except RuntimeError:
        pass
    torch.manual_seed(args.seed)
    adj, feats, labels_np, split_np, nclass = load_dataset(args.dataset, args.data_dir)
    n = adj.shape[0]
    xin = SparseInput(row_normalize(feats), "coo", "retain")
    src, dst = edge_index(adj)
    labels = torch.from_numpy(labels_np)
    train, val, test = (torch.from_numpy(s) for s in split_np)
    model = GAT(xin.shape[1], args.heads, args.hidden, nclass, args.out_heads, args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999), eps=1e-8)
    decayed = [model.l1.w, model.l1.att_src, model.l1.att_dst,
               model.l2.w, model.l2.att_src, model.l2.att_dst]
    gen = torch.Generator().manual_seed(args.seed + 1)
    total = max(args.epochs, args.warmup + args.timed_epochs)
    times = []
    for epoch in range(total):
        t = time.perf_counter()
        model.train()
        opt.zero_grad(set_to_none=True)
        logits = model(xin, src, dst, n, gen)
        loss = F.cross_entropy(logits[train], labels[train])
        if args.weight_decay:
            loss = loss + args.weight_decay * 0.5 * sum(p.pow(2).sum() for p in decayed)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t
        if args.warmup <= epoch < args.warmup + args.timed_epochs:
            times.append(dt)
    model.eval()
    with torch.no_grad():
        logits = model(xin, src, dst, n, gen)
    result = {
        "impl": "pytorch",
        "torch_version": torch.__version__,
        "dataset": args.dataset,
        "model": "gat:%dx%d%s" % (args.heads, args.hidden,
                                  "/%d" % args.out_heads if args.out_heads != 1 else ""),
        "threads": args.threads,
        "epoch_seconds": {"median": float(np.median(times)), "min": float(np.min(times)),
                          "max": float(np.max(times))},
        "test_acc": round(accuracy(logits, labels, test), 4),
        "val_acc": round(accuracy(logits, labels, val), 4),
        "epochs": total,
        "timed_epochs": len(times),
        "edges": int(src.shape[0]),
        "peak_rss_mb": round(rss_mb(), 1),
    }
    if args.json:
        print(json.dumps(result), flush=True)
    else:
        e = result["epoch_seconds"]
        print("%s %s threads=%d torch %s: epoch s median %.5f (min %.5f, max %.5f); test %.4f"
              % (args.dataset, result["model"], args.threads, torch.__version__, e["median"],
                 e["min"], e["max"], result["test_acc"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(ARGS))
