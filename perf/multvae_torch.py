#!/usr/bin/python3
"""PyTorch CPU reference for Mult-VAE and Mult-DAE (Liang, Krishnan, Hoffman, Jebara, "Variational
Autoencoders for Collaborative Filtering", WWW 2018) under strong generalization.

The split comes from metarec, so both sides evaluate the same held-out users:

    build/metarec split ml-1m --split strong:users=600,fold_in=0.8,seed=1,unseen=drop -o /tmp/strong
    /usr/bin/python3 perf/multvae_torch.py --split /tmp/strong --model vae --epochs 5 --threads 2

train.tsv holds the training users; the held-out users' input items are in fold_in.tsv and their
targets in test.tsv (header "user item value", metarec's external ids). Only items with a training
entry are columns of the model (unseen=drop already removed the others; any left are dropped and
counted).

Model (defaults as in the paper): the user's binary row, L2-normalized, dropout 0.5, then
I -> 600 -> 200 -> 600 -> I with tanh after every layer but the ones producing the latent code
(VAE: mean and log-variance) and the logits. The VAE samples z = mu + sigma * eps in training and
uses z = mu to score; the DAE's 200-wide code is deterministic. Loss: the multinomial
log-likelihood, -sum_i x_i log softmax(logits)_i averaged over the batch, plus for the VAE beta
times the KL divergence to N(0, I), with beta rising linearly by 1 / --anneal-steps per update up
to --anneal-cap (0.2 over 200,000 updates). Adam, lr 1e-3, batches of 500 shuffled training users.
Weights start Glorot uniform, biases N(0, 0.001). --l2 adds lambda * sum of squared weights.

Evaluation after every epoch: each held-out user's fold-in row goes through the network (no
dropout), the fold-in items are excluded, and NDCG@100, Recall@20 and Recall@50 are computed
over the targets, Recall@k being hits / min(k, targets) (metarec's recall_capped), averaged over
users. One JSON line per epoch on stdout, with the epoch's wall and CPU seconds. The training
matrix is held dense (5,440 x 3,696 floats on ML-1M, 80 MB): batches are row slices, the fastest
layout at this size.
"""
import argparse
import json
import math
import os
import time

if __name__ == "__main__":
    # Debian's torch does its matrix products in OpenBLAS, whose own thread pool ignores
    # torch.set_num_threads: --threads must reach it before torch loads it.
    _pre = argparse.ArgumentParser(add_help=False)
    _pre.add_argument("--threads", type=int, default=1)
    os.environ["OPENBLAS_NUM_THREADS"] = str(_pre.parse_known_args()[0].threads)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402


def read_tsv(path):
    """(user id, item id) string arrays of a metarec split file (header user, item, value)."""
    rows = np.loadtxt(path, dtype=str, delimiter="\t", skiprows=1, usecols=(0, 1), ndmin=2)
    return rows[:, 0], rows[:, 1]


def dense_rows(users, items, user_index, item_index):
    """A dense binary matrix, one row per user of `user_index` (a dict id -> row)."""
    m = torch.zeros(len(user_index), len(item_index))
    r = torch.tensor([user_index[u] for u in users], dtype=torch.int64)
    c = torch.tensor([item_index[i] for i in items], dtype=torch.int64)
    m[r, c] = 1.0
    return m


class MultAE(nn.Module):
    """Mult-VAE (variational=True) or Mult-DAE over `n_items` columns with hidden widths `dims`
    (e.g. [600, 200]: I -> 600 -> 200 -> 600 -> I)."""

    def __init__(self, n_items, dims, variational, dropout):
        super().__init__()
        self.variational = variational
        self.dropout = dropout
        enc = [n_items] + dims
        dec = dims[::-1] + [n_items]
        self.encoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(enc[:-2], enc[1:-1]))
        self.code = nn.Linear(enc[-2], 2 * enc[-1] if variational else enc[-1])
        self.decoder = nn.ModuleList(nn.Linear(a, b) for a, b in zip(dec[:-1], dec[1:]))
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.normal_(m.bias, std=0.001)

    def forward(self, x):
        """Logits over the items, and the KL term (0 for the DAE), for a batch of rows."""
        h = F.dropout(F.normalize(x, dim=1), p=self.dropout, training=self.training)
        for layer in self.encoder:
            h = torch.tanh(layer(h))
        h = self.code(h)
        kl = torch.zeros(())
        if self.variational:
            mu, logvar = h.chunk(2, dim=1)
            h = mu
            if self.training:
                h = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            kl = (0.5 * (torch.exp(logvar) + mu * mu - 1.0 - logvar)).sum(dim=1).mean()
        else:
            h = torch.tanh(h)
        for k, layer in enumerate(self.decoder):
            h = layer(h)
            if k + 1 < len(self.decoder):
                h = torch.tanh(h)
        return h, kl


def evaluate(model, fold_in, targets, batch=1000):
    """NDCG@100, Recall@20 and Recall@50 (capped) of the held-out users, and the seconds taken."""
    model.eval()
    ndcg, r20, r50 = [], [], []
    discount = 1.0 / torch.log2(torch.arange(2, 102, dtype=torch.float64))
    with torch.no_grad():
        for s in range(0, len(fold_in), batch):
            x, t = fold_in[s:s + batch], targets[s:s + batch]
            scores, _ = model(x)
            scores[x > 0] = -math.inf
            top = torch.topk(scores, 100, dim=1).indices
            hits = torch.gather(t, 1, top).double()
            n = t.sum(dim=1).double()
            idcg = torch.stack([discount[:int(min(c, 100))].sum() for c in n.tolist()])
            ndcg.append((hits * discount).sum(dim=1) / idcg)
            r20.append(hits[:, :20].sum(dim=1) / torch.clamp(n, max=20))
            r50.append(hits[:, :50].sum(dim=1) / torch.clamp(n, max=50))
    model.train()
    return (torch.cat(ndcg).mean().item(), torch.cat(r20).mean().item(),
            torch.cat(r50).mean().item())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--split", required=True, help="folder with train.tsv, fold_in.tsv, test.tsv from `metarec split`")
    ap.add_argument("--model", choices=["vae", "dae"], default="vae")
    ap.add_argument("--dims", default="600,200", help="hidden widths of the encoder, widest first")
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--anneal-cap", type=float, default=0.2)
    ap.add_argument("--anneal-steps", type=int, default=200_000)
    ap.add_argument("--l2", type=float, default=0.0, help="lambda of an L2 penalty on the weights")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads and OPENBLAS_NUM_THREADS")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.perf_counter()
    tr_u, tr_i = read_tsv(os.path.join(args.split, "train.tsv"))
    fi_u, fi_i = read_tsv(os.path.join(args.split, "fold_in.tsv"))
    te_u, te_i = read_tsv(os.path.join(args.split, "test.tsv"))
    item_index = {i: k for k, i in enumerate(np.unique(tr_i))}
    train_users = {u: k for k, u in enumerate(np.unique(tr_u))}
    held_users = {u: k for k, u in enumerate(np.unique(te_u))}
    if set(held_users) & set(train_users):
        raise SystemExit("held-out users appear in train.tsv: not a strong-generalization split")
    keep_fi = np.array([i in item_index for i in fi_i], dtype=bool)
    keep_te = np.array([i in item_index for i in te_i], dtype=bool)
    train = dense_rows(tr_u, tr_i, train_users, item_index)
    fold_in = dense_rows(fi_u[keep_fi], fi_i[keep_fi], held_users, item_index)
    targets = dense_rows(te_u[keep_te], te_i[keep_te], held_users, item_index)
    has_target = targets.sum(dim=1) > 0
    fold_in, targets = fold_in[has_target], targets[has_target]
    load_seconds = time.perf_counter() - t0

    dims = [int(d) for d in args.dims.split(",")]
    model = MultAE(len(item_index), dims, args.model == "vae", args.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    print(json.dumps({"model": "mult-" + args.model, "dims": dims, "batch": args.batch,
                      "lr": args.lr, "dropout": args.dropout, "anneal_cap": args.anneal_cap,
                      "anneal_steps": args.anneal_steps, "l2": args.l2, "threads": args.threads,
                      "train_users": len(train_users), "heldout_users": int(has_target.sum()),
                      "items": len(item_index), "train_pairs": len(tr_u),
                      "fold_in_pairs": int(fold_in.sum()), "target_pairs": int(targets.sum()),
                      "dropped_unseen": int((~keep_fi).sum() + (~keep_te).sum()),
                      "parameters": sum(p.numel() for p in model.parameters()),
                      "torch": torch.__version__, "load_seconds": round(load_seconds, 3)}),
          flush=True)

    updates = 0
    n = len(train)
    for epoch in range(1, args.epochs + 1):
        t_epoch, cpu_epoch = time.perf_counter(), time.process_time()
        order = torch.randperm(n, generator=gen)
        total, batches = 0.0, 0
        for s in range(0, n, args.batch):
            x = train[order[s:s + args.batch]]
            logits, kl = model(x)
            neg_ll = -(F.log_softmax(logits, dim=1) * x).sum(dim=1).mean()
            beta = min(args.anneal_cap, updates / args.anneal_steps) if args.model == "vae" else 0.0
            loss = neg_ll + beta * kl
            if args.l2 > 0:
                loss = loss + args.l2 * sum((w * w).sum() for w in weights)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            updates += 1
            total += loss.item()
            batches += 1
        epoch_seconds = time.perf_counter() - t_epoch
        cpu_seconds = time.process_time() - cpu_epoch
        t_eval = time.perf_counter()
        ndcg, r20, r50 = evaluate(model, fold_in, targets)
        print(json.dumps({"epoch": epoch, "epoch_seconds": round(epoch_seconds, 3),
                          "epoch_cpu_seconds": round(cpu_seconds, 3),
                          "updates": updates, "beta": round(beta, 6),
                          "loss": round(total / batches, 4), "ndcg@100": round(ndcg, 4),
                          "recall@20": round(r20, 4), "recall@50": round(r50, 4),
                          "eval_seconds": round(time.perf_counter() - t_eval, 3)}), flush=True)


if __name__ == "__main__":
    main()
