#!/usr/bin/python3
"""PyTorch CPU reference for the NCF family (He et al., "Neural Collaborative Filtering", WWW 2017).

GMF, MLP and NeuMF trained on the ML-1M leave-one-out split (train = implicit_pairs.tsv minus
implicit_loo_test.tsv, the split metarec loads as ml-1m:ncf) with binary cross-entropy over each
positive and --negatives items drawn uniformly from the items the user has not interacted with
in training (redrawn every epoch), Adam, mini-batches of --batch. Each user's held-out item is
ranked against 99 sampled items the user never interacted with (fixed by --seed); HR@10 and
NDCG@10, ties counted against the held-out item as metarec's evaluator does.

This is the baseline for metarec's speed claim, so it is written the way a competent PyTorch user
would write it: negatives are drawn for the whole epoch at once with a dense interaction mask,
batches are slices of shuffled tensors (no DataLoader), evaluation scores all users in a few
large batches. One JSON line per epoch on stdout, with the epoch's wall and CPU seconds (on a
busy machine the two part).

    /usr/bin/python3 perf/ncf_torch.py --data ../shared/data/ml-1m --model neumf --epochs 3 \\
        --threads 2

Model shapes (paper, section 4.1): with F predictive factors (--factors) and L hidden layers
(--layers), the MLP tower is F * 2^(L-1) -> ... -> 2F -> F (widest first) over the concatenated
user and item embeddings of F * 2^(L-2) each (L=3, F=8: embeddings 16, tower 32 -> 16 -> 8).
GMF has embeddings of size F. NeuMF concatenates GMF's product vector and the MLP's last layer
before the output unit; --pretrain GMF.pt,MLP.pt initializes it from saved GMF and MLP models
(output weights mixed with alpha = 0.5) and then trains with plain SGD, as the paper does.
Embeddings start from N(0, 0.01), hidden layers from Glorot uniform.
"""
import argparse
import json
import os
import sys
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


def read_pairs(path):
    """(user id, item id) int64 arrays of a TSV file with a header line."""
    data = np.loadtxt(path, dtype=np.int64, delimiter="\t", skiprows=1, ndmin=2)
    return data[:, 0], data[:, 1]


def load_split(data_dir):
    """Dense-indexed train pairs, test pairs (one per user), and the counts."""
    pu, pi = read_pairs(os.path.join(data_dir, "implicit_pairs.tsv"))
    tu, ti = read_pairs(os.path.join(data_dir, "implicit_loo_test.tsv"))
    users, pu_idx = np.unique(pu, return_inverse=True)
    items, pi_idx = np.unique(pi, return_inverse=True)
    tu_idx = np.searchsorted(users, tu)
    ti_idx = np.searchsorted(items, ti)
    if not (np.all(users[tu_idx] == tu) and np.all(items[ti_idx] == ti)):
        sys.exit("a test pair names a user or item that is not in implicit_pairs.tsv")
    n_users, n_items = len(users), len(items)
    pair_key = pu_idx * n_items + pi_idx
    test_key = tu_idx * n_items + ti_idx
    in_test = np.isin(pair_key, test_key)
    if in_test.sum() != len(test_key):
        sys.exit("some test pairs are not in implicit_pairs.tsv")
    return (pu_idx[~in_test], pi_idx[~in_test], tu_idx, ti_idx, n_users, n_items)


class GMF(nn.Module):
    def __init__(self, n_users, n_items, factors):
        super().__init__()
        self.user = nn.Embedding(n_users, factors)
        self.item = nn.Embedding(n_items, factors)
        self.out = nn.Linear(factors, 1)
        init_embeddings(self.user, self.item)

    def features(self, u, i):
        return self.user(u) * self.item(i)

    def forward(self, u, i):
        return self.out(self.features(u, i)).squeeze(-1)


class MLP(nn.Module):
    def __init__(self, n_users, n_items, factors, layers):
        super().__init__()
        widths = [factors * 2 ** (layers - 1 - k) for k in range(layers)]  # widest first
        embed = widths[0] // 2
        self.user = nn.Embedding(n_users, embed)
        self.item = nn.Embedding(n_items, embed)
        tower, width = [], 2 * embed
        for w in widths:
            tower += [nn.Linear(width, w), nn.ReLU()]
            width = w
        self.tower = nn.Sequential(*tower)
        self.out = nn.Linear(widths[-1], 1)
        init_embeddings(self.user, self.item)
        for m in self.tower:
            if isinstance(m, nn.Linear):
                nn.init.xavier_uniform_(m.weight)
                nn.init.zeros_(m.bias)

    def features(self, u, i):
        return self.tower(torch.cat([self.user(u), self.item(i)], dim=-1))

    def forward(self, u, i):
        return self.out(self.features(u, i)).squeeze(-1)


class NeuMF(nn.Module):
    def __init__(self, n_users, n_items, factors, layers):
        super().__init__()
        self.gmf = GMF(n_users, n_items, factors)
        self.mlp = MLP(n_users, n_items, factors, layers)
        del self.gmf.out, self.mlp.out  # NeuMF has one output unit over both
        self.out = nn.Linear(2 * factors, 1)

    def forward(self, u, i):
        h = torch.cat([self.gmf.features(u, i), self.mlp.features(u, i)], dim=-1)
        return self.out(h).squeeze(-1)

    def load_pretrained(self, gmf_state, mlp_state, alpha=0.5):
        """Copies the embeddings and tower of saved GMF and MLP models; the output unit is
        alpha times GMF's next to (1 - alpha) times MLP's (the paper's weighted concatenation)."""
        own = {k: v for k, v in gmf_state.items() if not k.startswith("out.")}
        self.gmf.load_state_dict(own)
        own = {k: v for k, v in mlp_state.items() if not k.startswith("out.")}
        self.mlp.load_state_dict(own)
        with torch.no_grad():
            self.out.weight.copy_(torch.cat([alpha * gmf_state["out.weight"],
                                             (1 - alpha) * mlp_state["out.weight"]], dim=1))
            self.out.bias.copy_(alpha * gmf_state["out.bias"] + (1 - alpha) * mlp_state["out.bias"])


def init_embeddings(*embeddings):
    for e in embeddings:
        nn.init.normal_(e.weight, mean=0.0, std=0.01)


def sample_unseen(users, count, mask, gen):
    """For each entry of `users`, `count` items drawn uniformly among those with mask[user] False
    (rejection sampling, vectorised: only the rejected draws are redrawn)."""
    n_items = mask.shape[1]
    flat = mask.view(-1)
    row = users.repeat_interleave(count) * n_items
    items = torch.randint(n_items, (len(row),), generator=gen)
    bad = flat[row + items].nonzero().squeeze(1)
    while len(bad):
        items[bad] = torch.randint(n_items, (len(bad),), generator=gen)
        bad = bad[flat[row[bad] + items[bad]]]
    return items.view(len(users), count)


def evaluate(model, test_u, test_i, candidates, k=10, batch=100_000):
    """HR@k and NDCG@k of each test item among its candidates (column 0 is the test item)."""
    model.eval()
    with torch.no_grad():
        n_users, width = candidates.shape
        u = test_u.repeat_interleave(width)
        i = candidates.reshape(-1)
        scores = torch.cat([model(u[s:s + batch], i[s:s + batch])
                            for s in range(0, len(u), batch)]).view(n_users, width)
    model.train()
    target = scores[:, :1]
    rank = (scores[:, 1:] >= target).sum(dim=1)  # ties against the held-out item
    hit = rank < k
    ndcg = torch.where(hit, 1.0 / torch.log2(rank.double() + 2.0), torch.zeros(n_users, dtype=torch.float64))
    return hit.double().mean().item(), ndcg.mean().item()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, help="folder with implicit_pairs.tsv and implicit_loo_test.tsv")
    ap.add_argument("--model", choices=["gmf", "mlp", "neumf"], default="neumf")
    ap.add_argument("--factors", type=int, default=8, help="predictive factors F")
    ap.add_argument("--layers", type=int, default=3, help="MLP hidden layers")
    ap.add_argument("--negatives", type=int, default=4, help="sampled negatives per positive")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--eval-negatives", type=int, default=99)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads and OPENBLAS_NUM_THREADS")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--save", help="write the trained model's state_dict here")
    ap.add_argument("--pretrain", help="GMF.pt,MLP.pt: initialize NeuMF from these, then train with SGD")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)

    t0 = time.perf_counter()
    tr_u, tr_i, te_u, te_i, n_users, n_items = load_split(args.data)
    train_u = torch.from_numpy(tr_u)
    train_i = torch.from_numpy(tr_i)
    test_u = torch.from_numpy(te_u)
    test_i = torch.from_numpy(te_i)
    train_mask = torch.zeros(n_users, n_items, dtype=torch.bool)
    train_mask[train_u, train_i] = True
    # Evaluation candidates: the test item, then 99 items the user never interacted with.
    seen = train_mask.clone()
    seen[test_u, test_i] = True
    eval_gen = torch.Generator().manual_seed(args.seed + 1)
    negs = torch.empty(len(test_u), args.eval_negatives, dtype=torch.int64)
    for j in range(len(test_u)):  # distinct negatives per user: 6,040 small draws
        pool = (~seen[test_u[j]]).nonzero().squeeze(1)
        negs[j] = pool[torch.randperm(len(pool), generator=eval_gen)[:args.eval_negatives]]
    candidates = torch.cat([test_i.unsqueeze(1), negs], dim=1)
    load_seconds = time.perf_counter() - t0

    if args.model == "gmf":
        model = GMF(n_users, n_items, args.factors)
    elif args.model == "mlp":
        model = MLP(n_users, n_items, args.factors, args.layers)
    else:
        model = NeuMF(n_users, n_items, args.factors, args.layers)
    if args.pretrain:
        if args.model != "neumf":
            sys.exit("--pretrain is for --model neumf")
        gmf_path, mlp_path = args.pretrain.split(",")
        model.load_pretrained(torch.load(gmf_path), torch.load(mlp_path))
        opt = torch.optim.SGD(model.parameters(), lr=args.lr)
        optimizer = "sgd"
    else:
        opt = torch.optim.Adam(model.parameters(), lr=args.lr)
        optimizer = "adam"
    loss_fn = nn.BCEWithLogitsLoss()
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"model": args.model, "factors": args.factors, "layers": args.layers,
                      "negatives": args.negatives, "batch": args.batch, "lr": args.lr,
                      "optimizer": optimizer, "threads": args.threads, "users": n_users,
                      "items": n_items, "train_pairs": len(train_u), "test_users": len(test_u),
                      "parameters": params, "torch": torch.__version__,
                      "load_seconds": round(load_seconds, 3)}), flush=True)
    hr, ndcg = evaluate(model, test_u, test_i, candidates)
    print(json.dumps({"epoch": 0, "hr@10": round(hr, 4), "ndcg@10": round(ndcg, 4)}), flush=True)

    n_pos = len(train_u)
    per = 1 + args.negatives
    labels_template = torch.zeros(per)
    labels_template[0] = 1.0
    for epoch in range(1, args.epochs + 1):
        t_epoch, cpu_epoch = time.perf_counter(), time.process_time()
        neg = sample_unseen(train_u, args.negatives, train_mask, gen)
        users = train_u.repeat_interleave(per)
        items = torch.cat([train_i.unsqueeze(1), neg], dim=1).reshape(-1)
        labels = labels_template.repeat(n_pos)
        order = torch.randperm(len(users), generator=gen)
        users, items, labels = users[order], items[order], labels[order]
        sample_seconds = time.perf_counter() - t_epoch
        total, batches = 0.0, 0
        for s in range(0, len(users), args.batch):
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(users[s:s + args.batch], items[s:s + args.batch]),
                           labels[s:s + args.batch])
            loss.backward()
            opt.step()
            total += loss.item()
            batches += 1
        train_seconds = time.perf_counter() - t_epoch
        cpu_seconds = time.process_time() - cpu_epoch
        t_eval = time.perf_counter()
        hr, ndcg = evaluate(model, test_u, test_i, candidates)
        print(json.dumps({"epoch": epoch, "epoch_seconds": round(train_seconds, 3),
                          "epoch_cpu_seconds": round(cpu_seconds, 3),
                          "sample_seconds": round(sample_seconds, 3),
                          "examples": len(users), "loss": round(total / batches, 5),
                          "hr@10": round(hr, 4), "ndcg@10": round(ndcg, 4),
                          "eval_seconds": round(time.perf_counter() - t_eval, 3)}), flush=True)
    if args.save:
        torch.save(model.state_dict(), args.save)


if __name__ == "__main__":
    main()
