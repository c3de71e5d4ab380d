"""Experiment (measured, not adopted; see README "Standalone wording"): fine-tune the pronoun resolver's
encoder (the six mpnet layers) with a low-rank adapter on its attention projections, end to end through the
shipped pair and choice models, on the same GAP training rows as `factcheck train coref` (development 1-1500).
The threshold is chosen as the app's (best F1 with precision >= 0.92 on gap-validation.tsv) and the held-out
development rows 1501-2000 are scored, before training and after each epoch.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/coref_lora.py --epochs 3 --cache /tmp/gap.npz

The LoRA layer is written out here (a few lines) rather than taken from `peft`, to keep an experiment's
dependency out of the project; an adopted version would train with `peft`.
"""
import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

os.environ.setdefault("HF_HUB_OFFLINE", "1")
from factcheck.coref.bundled import coref_model_path
from factcheck.coref.gap import read_gap, score_gap
from factcheck.coref.model import MODEL_PATH
from factcheck.coref.training import TRAIN_ROWS, _cached_examples, _row_number, decide

from factcheck.config import REPO_ROOT

DATA = REPO_ROOT.parent / "shared" / "data" / "gap-coreference"
P = argparse.ArgumentParser()
P.add_argument("--epochs", type=float, default=3)
P.add_argument("--rank", type=int, default=8)
P.add_argument("--lr", type=float, default=2e-4)
P.add_argument("--head-lr", type=float, default=1e-3)
P.add_argument("--batch", type=int, default=8)
P.add_argument("--targets", default="q,k,v,o")
P.add_argument("--ffn", action="store_true")
P.add_argument("--train-rows", type=int, default=TRAIN_ROWS)
P.add_argument("--limit-steps", type=int, default=0)
P.add_argument("--out", default="instance/coref-lora.pt")
P.add_argument("--cache", default="instance/cache/gap.npz")
args = P.parse_args()
torch.manual_seed(0)
np.random.seed(0)
torch.set_num_threads(2)

dev = read_gap(DATA / "gap-development.tsv")
val = read_gap(DATA / "gap-validation.tsv")
train = [r for r in dev if _row_number(r) <= args.train_rows]
held = [r for r in dev if _row_number(r) > TRAIN_ROWS]
t0 = time.time()
cache = Path(args.cache)
x_tr, y_tr = _cached_examples(train, cache, None)
x_va, y_va = _cached_examples(val, cache, None)
x_he, y_he = _cached_examples(held, cache, None)
print("features", time.time() - t0, flush=True)
NP = 25
shipped = json.loads(MODEL_PATH.read_text())

from transformers import AutoModel, AutoTokenizer

path = coref_model_path()
tok = AutoTokenizer.from_pretrained(path)
model = AutoModel.from_pretrained(path, dtype=torch.float32)
model.encoder.layer = model.encoder.layer[:6]
model.config.num_hidden_layers = 6
for p_ in model.parameters():
    p_.requires_grad_(False)


class LoRA(torch.nn.Module):
    def __init__(self, base: torch.nn.Linear, rank: int, alpha: float):
        super().__init__()
        self.base = base
        self.a = torch.nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))
        self.b = torch.nn.Parameter(torch.zeros(base.out_features, rank))
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.a.t() @ self.b.t()) * self.scale


lora_params = []
targets = args.targets.split(",")
for layer in model.encoder.layer:
    for name in targets:
        wrapped = LoRA(getattr(layer.attention.attn, name), args.rank, 2 * args.rank)
        setattr(layer.attention.attn, name, wrapped)
        lora_params += [wrapped.a, wrapped.b]
    if args.ffn:
        for holder, name in ((layer.intermediate, "dense"), (layer.output, "dense")):
            wrapped = LoRA(getattr(holder, name), args.rank, 2 * args.rank)
            setattr(holder, name, wrapped)
            lora_params += [wrapped.a, wrapped.b]


def T(v):
    return torch.tensor(np.asarray(v), dtype=torch.float32)


pair_mean, pair_scale = T(shipped["pair"]["mean"]), T(shipped["pair"]["scale"])
pair_w = torch.nn.Parameter(T(shipped["pair"]["weights"]))
pair_b = torch.nn.Parameter(torch.tensor(float(shipped["pair"]["bias"])))
ch_mean, ch_scale = T(shipped["choice"]["mean"]), T(shipped["choice"]["scale"])
ch_w = torch.nn.Parameter(T(shipped["choice"]["weights"]))
ch_b = torch.nn.Parameter(torch.tensor(float(shipped["choice"]["bias"])))
head_params = [pair_w, pair_b, ch_w, ch_b]


def mention_pieces(rows):
    enc = tok([r.text for r in rows], return_offsets_mapping=True, truncation=True, max_length=512)
    out = []
    for i, r in enumerate(rows):
        offs = enc["offset_mapping"][i]
        spans = [(r.pronoun_offset, r.pronoun_offset + len(r.pronoun)), (r.a_offset, r.a_offset + len(r.a)),
                 (r.b_offset, r.b_offset + len(r.b))]
        idx = []
        for s, e in spans:
            pieces = [j for j, (a, b) in enumerate(offs) if b > a and a < e and b > s]
            idx.append(pieces or [0])
        out.append((enc["input_ids"][i], idx))
    return out


def forward(batch_items, parse):
    """batch_items: list of (ids, idx); parse: (2n, 25) tensor -> probabilities (2n,)"""
    width = max(len(ids) for ids, _ in batch_items)
    ids = torch.full((len(batch_items), width), tok.pad_token_id, dtype=torch.long)
    mask = torch.zeros((len(batch_items), width), dtype=torch.long)
    for i, (seq, _) in enumerate(batch_items):
        ids[i, : len(seq)] = torch.tensor(seq)
        mask[i, : len(seq)] = 1
    hidden = model(input_ids=ids, attention_mask=mask).last_hidden_state
    feats = []
    for i, (_, idx) in enumerate(batch_items):
        p, a, b = (hidden[i, pieces].mean(0) for pieces in idx)
        for c in (a, b):
            cos = (p @ c) / (p.norm() * c.norm() + 1e-9)
            feats.append(torch.cat([p * c, (p - c).abs(), cos.view(1)]))
    feats = torch.cat([parse, torch.stack(feats)], dim=1)
    pair = ((feats - pair_mean) / pair_scale) @ pair_w + pair_b
    pa, pb = pair[0::2], pair[1::2]
    other = torch.stack([pb, pa], 1).reshape(-1)
    ch = torch.cat([pair.view(-1, 1), other.view(-1, 1), (pair - other).view(-1, 1), torch.ones_like(pair).view(-1, 1),
                    parse], dim=1)
    logit = ((ch - ch_mean) / ch_scale) @ ch_w + ch_b
    return logit


def predict(rows, x):
    items = mention_pieces(rows)
    order = np.argsort([len(ids) for ids, _ in items])
    probs = np.zeros(2 * len(rows))
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(order), 16):
            sel = order[s : s + 16]
            parse = T(np.concatenate([x[[2 * i, 2 * i + 1], :NP] for i in sel]))
            lo = forward([items[i] for i in sel], parse)
            pr = torch.sigmoid(lo).numpy()
            for k, i in enumerate(sel):
                probs[2 * i], probs[2 * i + 1] = pr[2 * k], pr[2 * k + 1]
    return probs


def choose_and_report(tag):
    pv = predict(val, x_va)
    best = None
    for t in np.arange(0.3, 0.99, 0.01):
        sc = score_gap(val, decide(val, pv, float(t)))["overall"]
        if sc["precision"] >= 0.92 and (best is None or sc["f1"] > best[1]["f1"]):
            best = (float(t), sc)
    t = best[0] if best else 0.98
    ph = predict(held, x_he)
    hs = score_gap(held, decide(held, ph, t))
    print(tag, "thr", round(t, 2), "val", best and {k: best[1][k] for k in ("precision", "recall", "f1")},
          "held", {k: hs["overall"][k] for k in ("precision", "recall", "f1")},
          "bias", hs.get("bias"), flush=True)
    return pv, ph


choose_and_report("before")
items = mention_pieces(train)
opt = torch.optim.AdamW([{"params": lora_params, "lr": args.lr, "weight_decay": 0.0},
                         {"params": head_params, "lr": args.head_lr, "weight_decay": 0.0}])
steps_per_epoch = math.ceil(len(train) / args.batch)
total = int(steps_per_epoch * args.epochs)
if args.limit_steps:
    total = min(total, args.limit_steps)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: min(1.0, (s + 1) / 20) * max(0.0, 1 - s / total))
y_t = T(y_tr)
step = 0
t0 = time.time()
while step < total:
    # length-bucketed shuffled batches
    perm = np.random.permutation(len(train))
    chunks = [perm[i : i + args.batch * 8] for i in range(0, len(perm), args.batch * 8)]
    batches = []
    for ch in chunks:
        ch = sorted(ch, key=lambda i: len(items[i][0]))
        batches += [ch[i : i + args.batch] for i in range(0, len(ch), args.batch)]
    np.random.shuffle(batches)
    model.train()
    for sel in batches:
        if step >= total:
            break
        parse = T(np.concatenate([x_tr[[2 * i, 2 * i + 1], :NP] for i in sel]))
        target = torch.cat([y_t[[2 * i, 2 * i + 1]] for i in sel])
        logit = forward([items[i] for i in sel], parse)
        loss = torch.nn.functional.binary_cross_entropy_with_logits(logit, target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        if step % 20 == 0:
            print(f"step {step}/{total} loss {loss.item():.3f} {time.time() - t0:.0f}s", flush=True)
    model.eval()
    choose_and_report(f"after step {step}")

torch.save({"lora": {n: p_.detach() for n, p_ in model.named_parameters() if p_.requires_grad},
            "head": {"pair_w": pair_w.detach(), "pair_b": pair_b.detach(), "ch_w": ch_w.detach(),
                     "ch_b": ch_b.detach()}, "args": vars(args)}, args.out)
print("saved", args.out)
