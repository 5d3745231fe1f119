#!/usr/bin/python3
"""A PyTorch stand-in for the TensorFlow Recommenders retrieval model of the TFRS seed study.

The study's query tower reads per-interaction features (user id, the rating's timestamp, the
rating itself, age, gender, occupation); its candidate tower reads the movie (id and title
words). Both are trained with an in-batch softmax over dot products, and evaluated with TFRS's
FactorizedTopK: for every validation interaction, is its movie among the k highest-scoring of
all movies (training movies included)?  `--query` chooses which features the query gets, so
the same model can be measured with and without information that is not known when a
recommendation is asked for (the rating of the interaction being predicted).

    /usr/bin/python3 perf/tfrs_torch.py --data ../shared/data/ml-100k --query user,time,rating

Not run by the tests; see docs/pytorch-references.md.
"""
import argparse
import json
import os
import re
import time


def parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default="../shared/data/ml-100k", help="ML-100K directory")
    p.add_argument("--query", default="user,time,rating,demographics",
                   help="comma-separated query features: user, time, rating, demographics")
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--batch", type=int, default=4096)
    p.add_argument("--optimizer", choices=("adagrad", "adam"), default="adagrad")
    p.add_argument("--lr", type=float, default=0.1, help="learning rate")
    p.add_argument("--dim", type=int, default=32)
    p.add_argument("--test", type=float, default=0.2, help="validation share of the ratings")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--reshuffle", action="store_true",
                   help="redraw the 80/20 split every epoch (what a tf.data shuffle left at "
                        "reshuffle_each_iteration=True does before take/skip), so validation "
                        "interactions leak into training; evaluates on the last epoch's 20%%")
    p.add_argument("--threads", type=int, default=1)
    return p.parse_args()


args = parse()
os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
import numpy as np  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(args.threads)
torch.manual_seed(args.seed)
rng = np.random.default_rng(args.seed)
query = set(args.query.split(","))
unknown = query - {"user", "time", "rating", "demographics"}
if unknown:
    raise SystemExit(f"--query: unknown feature(s) {sorted(unknown)}")

# ---- data: ratings, users, movie titles
ratings = np.loadtxt(os.path.join(args.data, "u.data"), dtype=np.int64)
users_raw = [line.rstrip("\n").split("|")
             for line in open(os.path.join(args.data, "u.user"), encoding="latin-1") if line.strip()]
items_raw = [line.rstrip("\n").split("|")
             for line in open(os.path.join(args.data, "u.item"), encoding="latin-1") if line.strip()]
n_users, n_items = len(users_raw) + 1, len(items_raw) + 1  # ids are 1-based; row 0 unused
age = np.zeros(n_users, np.float32)
gender = np.zeros(n_users, np.int64)
occupations = sorted({u[3] for u in users_raw})
occupation = np.zeros(n_users, np.int64)
for u in users_raw:
    uid = int(u[0])
    age[uid] = float(u[1])
    gender[uid] = 1 if u[2] == "M" else 0
    occupation[uid] = occupations.index(u[3])
age = (age - age[1:].mean()) / age[1:].std()

# Title words (year dropped), a padded bag per movie.
vocab = {}
bags = [[] for _ in range(n_items)]
for it in items_raw:
    words = re.findall(r"[a-z]+", re.sub(r"\(\d{4}\)", "", it[1].lower()))
    bags[int(it[0])] = [vocab.setdefault(w, len(vocab) + 1) for w in words]
width = max(1, max(len(b) for b in bags))
title = torch.zeros(n_items, width, dtype=torch.long)
for i, b in enumerate(bags):
    title[i, :len(b)] = torch.tensor(b, dtype=torch.long)

perm = rng.permutation(len(ratings))
n_test = int(round(args.test * len(ratings)))
test, train = ratings[perm[:n_test]], ratings[perm[n_test:]]
t_min, t_max = train[:, 3].min(), train[:, 3].max()
TIME_BUCKETS = 1000


def columns(r):
    t = (np.clip(r[:, 3], t_min, t_max) - t_min) / max(1, t_max - t_min)
    return {
        "user": torch.tensor(r[:, 0]),
        "item": torch.tensor(r[:, 1]),
        "rating": torch.tensor(r[:, 2] - 1),
        "time": torch.tensor(t, dtype=torch.float32),
        "bucket": torch.tensor(np.minimum((t * TIME_BUCKETS).astype(np.int64), TIME_BUCKETS - 1)),
    }


tr, te = columns(train), columns(test)
d = args.dim


class Query(torch.nn.Module):
    def __init__(self):
        super().__init__()
        parts = 0
        if "user" in query:
            self.user = torch.nn.Embedding(n_users, d)
            parts += d
        if "time" in query:
            self.bucket = torch.nn.Embedding(TIME_BUCKETS, d)
            parts += d + 1
        if "rating" in query:
            self.rating = torch.nn.Embedding(5, d)
            parts += d
        if "demographics" in query:
            self.gender = torch.nn.Embedding(2, d)
            self.occupation = torch.nn.Embedding(len(occupations), d)
            parts += 2 * d + 1
        self.mlp = torch.nn.Sequential(torch.nn.Linear(parts, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, d))

    def forward(self, b):
        x = []
        if "user" in query:
            x.append(self.user(b["user"]))
        if "time" in query:
            x += [self.bucket(b["bucket"]), b["time"][:, None]]
        if "rating" in query:
            x.append(self.rating(b["rating"]))
        if "demographics" in query:
            u = b["user"]
            x += [self.gender(gender_t[u]), self.occupation(occupation_t[u]), age_t[u][:, None]]
        return self.mlp(torch.cat(x, 1))


class Candidate(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.item = torch.nn.Embedding(n_items, d)
        self.word = torch.nn.EmbeddingBag(len(vocab) + 1, d, mode="mean", padding_idx=0)
        self.mlp = torch.nn.Sequential(torch.nn.Linear(2 * d, 64), torch.nn.ReLU(),
                                       torch.nn.Linear(64, d))

    def forward(self, items):
        return self.mlp(torch.cat([self.item(items), self.word(title[items])], 1))


gender_t, occupation_t, age_t = torch.tensor(gender), torch.tensor(occupation), torch.tensor(age)
q_net, c_net = Query(), Candidate()
params = list(q_net.parameters()) + list(c_net.parameters())
opt = (torch.optim.Adagrad if args.optimizer == "adagrad" else torch.optim.Adam)(params, lr=args.lr)
all_items = torch.arange(1, n_items)
KS = (1, 5, 10, 50, 100)


def top_k_accuracy(b):
    """FactorizedTopK: the rank of each interaction's item among all movies (training ones too)."""
    with torch.no_grad():
        cand = c_net(all_items)
        hits = {k: 0 for k in KS}
        n = len(b["item"])
        for s in range(0, n, 4096):
            chunk = {key: v[s:s + 4096] for key, v in b.items()}
            scores = q_net(chunk) @ cand.T
            mine = scores.gather(1, (chunk["item"] - 1)[:, None])
            rank = (scores > mine).sum(1)
            for k in KS:
                hits[k] += int((rank < k).sum())
        return {f"top_{k}": hits[k] / n for k in KS}


n_train = len(tr["item"])
for epoch in range(1, args.epochs + 1):
    t0, c0 = time.time(), time.process_time()
    if args.reshuffle:
        perm = rng.permutation(len(ratings))
        test, train = ratings[perm[:n_test]], ratings[perm[n_test:]]
        tr, te = columns(train), columns(test)
    order = torch.tensor(rng.permutation(n_train))
    total = 0.0
    for s in range(0, n_train, args.batch):
        idx = order[s:s + args.batch]
        b = {key: v[idx] for key, v in tr.items()}
        logits = q_net(b) @ c_net(b["item"]).T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        total += float(loss) * len(idx)
    wall, cpu = time.time() - t0, time.process_time() - c0
    if epoch == args.epochs or epoch % 10 == 0:
        out = {"epoch": epoch, "query": args.query, "wall_seconds": round(wall, 3),
               "cpu_seconds": round(cpu, 3), "loss": total / n_train}
        out.update({k: round(v, 4) for k, v in top_k_accuracy(te).items()})
        print(json.dumps(out), flush=True)
