"""Fine-tune the embedding model on CheckThat! training pairs (``factcheck train embedder``).

The dense leg of hybrid matching compares a claim with the claims earlier
fact-checks reviewed. all-MiniLM-L6-v2 was trained for general sentence
similarity; tweets that restate a Snopes claim (with handles, links and
hashtags around it) are a narrower task, and the CheckThat! 2020 training
split holds 801 such (tweet, verified claim) pairs.

Training is a short torch loop rather than sentence-transformers' trainer
(which needs ``datasets`` and ``accelerate``, not dependencies of the app):

* loss: in-batch negatives (multiple-negatives ranking). Each tweet's verified
  claim is its positive; the other tweets' claims in the batch are its
  negatives, except claims that are also relevant to it (a tweet may have two
  gold claims, two tweets may share one), which are masked out rather than
  pushed away;
* deterministic given the seed: the shuffles come from ``random.Random(seed)``,
  torch's generator (dropout) is seeded, CPU only with a fixed thread count;
* the result is a plain sentence-transformers folder (``FACTCHECK_EMBEDDING_MODEL``
  can point at it) plus ``factcheck_finetune.json``: the provenance (base
  model, data SHA-256s, seed, command, hyper-parameters) and the model id its
  vectors are stored under, derived from the weights so that tuned and base
  vectors are never compared.

The re-ranker's features include the dense score, so a re-ranker trained on
dense scores of the model tuned on the same queries would learn that the
dense leg is better than it is on new claims. ``cross_fitted_reranker``
therefore fine-tunes one model per fold and trains the re-ranker on
out-of-fold candidates only; the tuned folder carries those parameters as
``matcher.json``.
"""
from __future__ import annotations

import hashlib
import json
import math
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from factcheck.matching import clef
from factcheck.matching.rerank import file_sha256

PROVENANCE_FILE = "factcheck_finetune.json"
RERANKER_FILE = "matcher.json"
COMMAND = "factcheck train embedder"
THREADS = 2


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 1
    batch_size: int = 32
    learning_rate: float = 4e-5
    warmup: float = 0.1  # share of steps with a linearly rising learning rate
    scale: float = 20.0  # cosine -> logit temperature of the in-batch softmax
    max_seq_length: int = 128  # tweets and claims are short; 128 word pieces cover nearly all
    seed: int = 20201


@dataclass(frozen=True)
class Pair:
    query_id: str
    query: str
    doc_id: str
    doc: str


def training_pairs(collection: str, queries: str, qrels: str) -> tuple[list[Pair], dict[str, set[str]]]:
    """One pair per (query, relevant document); the document text is what the dense leg embeds."""
    docs = {d.id: d.text for d in clef.read_collection(collection)}
    relevant = clef.read_qrels(qrels)
    pairs = [Pair(query_id, text, doc_id, docs[doc_id])
             for query_id, text in clef.read_queries(queries)
             for doc_id in sorted(relevant.get(query_id, ())) if doc_id in docs]
    return pairs, relevant


def _batches(pairs: list[Pair], batch_size: int, rng: random.Random) -> list[list[Pair]]:
    order = list(pairs)
    rng.shuffle(order)
    return [order[i:i + batch_size] for i in range(0, len(order), batch_size)]


def steps_for(pairs: int, config: TrainConfig) -> int:
    return config.epochs * math.ceil(pairs / config.batch_size)


def finetune(base_model: str, pairs: list[Pair], relevant: dict[str, set[str]], config: TrainConfig,
             progress: Callable[[int], None] | None = None):
    """Return a SentenceTransformer fine-tuned on ``pairs`` (fp32, CPU, ``THREADS`` threads)."""
    import torch
    from sentence_transformers import SentenceTransformer

    if not pairs:
        raise ValueError("no training pairs")
    torch.set_num_threads(THREADS)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    model = SentenceTransformer(base_model, device="cpu")
    model.max_seq_length = config.max_seq_length
    model.train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.learning_rate, weight_decay=0.01)
    total = steps_for(len(pairs), config)
    warmup = max(1, int(total * config.warmup))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup))))
    for _ in range(config.epochs):
        for batch in _batches(pairs, config.batch_size, rng):
            queries = model(model.preprocess([p.query for p in batch]))["sentence_embedding"]
            docs = model(model.preprocess([p.doc for p in batch]))["sentence_embedding"]
            queries = torch.nn.functional.normalize(queries, dim=1)
            docs = torch.nn.functional.normalize(docs, dim=1)
            logits = config.scale * queries @ docs.T
            # Another query's document that is relevant to this query too is not a negative.
            mask = torch.tensor([[i != j and (b.doc_id == a.doc_id or b.doc_id in relevant.get(a.query_id, ()))
                                  for j, b in enumerate(batch)] for i, a in enumerate(batch)])
            logits = logits.masked_fill(mask, float("-inf"))
            loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(batch)))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            if progress is not None:
                progress(1)
    model.eval()
    return model


def weights_sha256(folder: str | Path) -> str:
    """SHA-256 over the model's weight files, in name order."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).rglob("*.safetensors")) or sorted(Path(folder).rglob("*.bin")):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(file_sha256(path).encode())
    return digest.hexdigest()


def save(model, out: str | Path, provenance: dict) -> dict:
    """Save the model as a sentence-transformers folder with its provenance; returns the provenance."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    model.save(str(out))
    # The id names the base and the exact weights: two different tunings never share vectors,
    # and moving or renaming the folder does not orphan the vectors already stored.
    base = provenance.get("base_model", "model").rsplit("/", 1)[-1]
    provenance = {**provenance, "model_id": f"factcheck-tuned/{base}-{weights_sha256(out)[:16]}"}
    (out / PROVENANCE_FILE).write_text(json.dumps(provenance, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return provenance


def read_provenance(model: str | Path) -> dict | None:
    """The provenance of a folder written by ``save``, or None for any other model."""
    path = Path(model) / PROVENANCE_FILE
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def provenance_for(*, base_model_id: str, collection: str, queries: str, qrels: str, config: TrainConfig,
                   pairs: int, folds: int) -> dict:
    return {
        "command": COMMAND,
        "base_model": base_model_id,
        "trained_on_files": {"collection": file_sha256(collection), "queries": file_sha256(queries),
                             "qrels": file_sha256(qrels)},
        "file_names": {name: f"{Path(path).parent.name}/{Path(path).name}"
                       for name, path in (("collection", collection), ("queries", queries), ("qrels", qrels))},
        "pairs": pairs,
        "seed": config.seed,
        "config": asdict(config),
        "reranker_folds": folds,
        "loss": "in-batch negatives (multiple-negatives ranking), relevant in-batch documents masked",
    }


def folds_of(query_ids: list[str], k: int, seed: int) -> list[list[str]]:
    """``k`` disjoint folds of the query ids, shuffled with the seed."""
    ids = sorted(set(query_ids))
    random.Random(seed).shuffle(ids)
    return [ids[i::k] for i in range(k)]
