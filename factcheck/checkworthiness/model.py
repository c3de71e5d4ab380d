"""The shipped check-worthiness model: load its parameters and score sentences.

Logistic regressions over a sentence's linguistic features (`features.FEATURES`)
and either its embedding (all-MiniLM-L6-v2, 384-d; formats 1-3, and the tweets
domain) or, for prose since format 4, the logit of the wording classifier
(`wording`: MiniLM fine-tuned on ClaimBuster, shipped as a 2.7 MB LoRA adapter
beside the parameters and checked against their SHA-256 before use). The
regressions are one dot product per sentence in numpy; the parameters are a
JSON file inside the package (about 1 MB, mostly the tweet n-gram
vocabulary), with the provenance of the run that produced them. The embedding
is the one ingestion computes anyway for matching; the wording classifier costs
one more MiniLM pass over the candidate sentences.

The benchmarks disagree about what "check-worthy" means (ClaimBuster: a
factual claim worth checking, about a quarter of debate sentences;
CheckThat! debates: the 1 % PolitiFact happened to check; CheckThat! tweets:
COVID-19 tweets worth checking), and one regression fitted to all three was
below a regression fitted to ClaimBuster alone on ClaimBuster. So each domain
has its own regression (`training` says how each was chosen):

* ``prose`` (what the app scores: article sentences; also ``--format
  claimbuster``): the top-level parameters, trained on ClaimBuster, whose
  question is the one a checker asks of an article sentence.
* ``debates`` (``--format clef-debates``): its own regression when the
  parameters have one (``domains.debates.regression``), else prose.
* ``tweets`` (``--format clef-tweets``): its own regression when the
  parameters have one (else prose), plus a word and character n-gram scorer
  (`ngrams`) trained on the task 1 training tweets, whose wording carries more
  than their embedding shows. The app never scores tweets.

Reasons come from the prose regression itself (since format 4, its features
from the ClaimBuster embedding regression: see `_explainer`): the features whose
contribution to the logit pushed this sentence's score up the most, relative
to an average training sentence. The embedding's contribution counts as one
more reason ("worded like claims fact-checkers picked") so that a score driven
mostly by wording does not come with no explanation.
"""
from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from factcheck.checkworthiness.features import FEATURES
from factcheck.checkworthiness.ngrams import NgramScorer, normalise_tweet

__all__ = ["DOMAINS", "SHIPPED_PARAMETERS", "Assessment", "CheckworthinessModel", "IncompatibleModel",
           "shipped_model"]

SHIPPED_PARAMETERS = Path(__file__).resolve().parent.parent / "data" / "checkworthiness_v2.json"
#: 4 replaced the prose regression's embedding input by the logit of a
#: fine-tuned wording classifier (`wording`); 3 added per-domain regressions (debates, tweets); 2 added the tweets
#: domain's n-grams; 1 (the prose regression alone) still loads, and then
#: scores every domain as prose, as it was trained to.
FORMAT_VERSION = 4
_READABLE_FORMATS = (1, 2, 3, 4)
DOMAINS = ("prose", "debates", "tweets")
WORDING_REASON = "worded like claims fact-checkers picked"
#: The wording classifier's merged model in the model cache is named ``<this>-<adapter digest>``.
WORDING_CACHE_NAME = "checkworthiness-wording"
_MAX_REASONS = 3
# A contribution below this (in logit units) is too small to be worth showing.
_MIN_REASON_CONTRIBUTION = 0.05
_REASON_OF = {feature.name: feature.reason for feature in FEATURES}


class IncompatibleModel(ValueError):
    """The parameters do not fit this code (features or embedding model differ)."""


@dataclass(frozen=True)
class Assessment:
    score: float  # probability-like, 0..1, rounded to 3 decimals
    reasons: tuple[str, ...]


class _Regression:
    """One logistic regression over [embedding or wording logit, standardised features]."""

    def __init__(self, parameters: Mapping, embedding_model: str):
        self.embedding_model = embedding_model
        self.bias = float(parameters["bias"])
        # Format 4's prose regression reads the wording classifier's logit instead of the embedding.
        self.wording_weight = float(parameters["wording_weight"]) if "wording_weight" in parameters else None
        self.embedding_weights = (None if self.wording_weight is not None
                                  else np.asarray(parameters["embedding_weights"], dtype=np.float32))
        self.feature_weights = np.asarray(parameters["feature_weights"], dtype=np.float64)
        self.feature_mean = np.asarray(parameters["feature_mean"], dtype=np.float64)
        self.feature_scale = np.asarray(parameters["feature_scale"], dtype=np.float64)

    def contributions(self, matrix: np.ndarray, vectors: np.ndarray,
                      wording_logits: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The logits, and each feature's part of them."""
        feature_part = (matrix - self.feature_mean) / self.feature_scale * self.feature_weights
        if self.wording_weight is not None:
            if wording_logits is None or len(wording_logits) != len(matrix):
                raise ValueError("This regression needs the wording classifier's logit of every sentence.")
            wording = self.wording_weight * np.asarray(wording_logits, dtype=np.float64)
        else:
            if len(matrix) and vectors.shape[1] != self.embedding_weights.shape[0]:
                raise IncompatibleModel(
                    f"The vectors have {vectors.shape[1]} dimensions; the model expects "
                    f"{self.embedding_weights.shape[0]} ({self.embedding_model})."
                )
            wording = (np.asarray(vectors, dtype=np.float32) @ self.embedding_weights).astype(np.float64)
        return self.bias + wording + feature_part.sum(axis=1), feature_part


class CheckworthinessModel:
    """Per-domain logistic regressions over [embedding or wording logit, standardised features]."""

    def __init__(self, parameters: Mapping, folder: Path | None = None):
        """``folder``: where the parameter file lies (a wording adapter is named relative to it)."""
        if parameters.get("format_version") not in _READABLE_FORMATS:
            raise IncompatibleModel(f"Unknown parameter format {parameters.get('format_version')!r}.")
        names = list(parameters["feature_names"])
        if names != [feature.name for feature in FEATURES]:
            raise IncompatibleModel(
                "The parameters were trained on other linguistic features; retrain them with "
                "'factcheck train checkworthiness'."
            )
        self.parameters = dict(parameters)
        self.embedding_model: str = parameters["embedding_model"]
        # "Check-worthy or not" (for F1), and the lower bar an article sentence
        # must clear to be kept as a claim at all; both on the prose scores (see `training`).
        self.threshold: float = float(parameters["threshold"])
        self.keep_threshold: float = float(parameters["keep_threshold"])
        self.provenance: dict = dict(parameters.get("provenance", {}))
        self._feature_names = names
        self._prose = _Regression(parameters, self.embedding_model)
        self._mean_wording = float(parameters.get("mean_wording_logit", parameters.get("mean_embedding_logit")))
        wording = parameters.get("wording")
        self._wording_folder = (Path(folder or SHIPPED_PARAMETERS.parent) / wording["adapter"]) if wording else None
        self._wording_sha256 = wording["sha256"] if wording else None
        self._wording_classifier = None
        self._wording_lock = threading.Lock()
        domains = parameters.get("domains", {})
        # A domain without its own regression is scored by the prose one (formats 1 and 2).
        self._regressions = {domain: _Regression(domains[domain]["regression"], self.embedding_model)
                             if "regression" in domains.get(domain, {}) else self._prose for domain in DOMAINS}
        tweets = domains.get("tweets")
        self._tweet_ngrams = NgramScorer(tweets["ngrams"]) if tweets else None
        # The tweet logit is the tweet regression's logit plus the n-gram logit's
        # deviation from its mean over the training tweets, scaled (see `training`).
        self._tweet_ngram_scale = float(tweets["ngram_scale"]) if tweets else 0.0
        self._tweet_ngram_mean = float(tweets["ngram_mean"]) if tweets else 0.0
        # Format 4 may add the wording classifier's logit to tweets the same way.
        self._tweet_wording_scale = float(tweets.get("wording_scale", 0.0)) if tweets else 0.0
        self._tweet_wording_mean = float(tweets.get("wording_mean", 0.0)) if tweets else 0.0

    @classmethod
    def from_file(cls, path: Path) -> CheckworthinessModel:
        return cls(json.loads(Path(path).read_text(encoding="utf-8")), folder=Path(path).parent)

    @property
    def wording_adapter(self) -> Path | None:
        """The folder of the wording classifier's adapter, if these parameters have one."""
        return self._wording_folder

    def needs_texts(self, domain: str = "prose") -> bool:
        """True when ``domain`` reads the wording classifier (so scoring needs the texts)."""
        return self._regressions[domain].wording_weight is not None or (
            domain == "tweets" and self._tweet_wording_scale != 0.0)

    def _explainer(self) -> _Regression:
        """The regression whose feature contributions are shown as reasons.

        Beside the wording classifier's logit, the prose regression gives the
        features almost no weight (the classifier has learnt what they say:
        "contains a statistic" 0.05 against 0.45 in format 3), so its feature
        contributions would be noise. The features are then explained by the
        ClaimBuster regression over the embedding and features (format 3's
        prose, kept for debates), trained on the same sentences: what in this
        sentence resembles the check-worthy ones. The wording classifier's own
        contribution stays the "worded like claims fact-checkers picked" reason.
        """
        if self._prose.wording_weight is None:
            return self._prose
        debates = self._regressions["debates"]
        return debates if debates.wording_weight is None else self._prose

    def wording_logits(self, texts: Sequence[str]) -> np.ndarray:
        """The wording classifier's logits (its adapter is loaded and checked on first use)."""
        if self._wording_folder is None:
            raise IncompatibleModel("These parameters have no wording classifier.")
        with self._wording_lock:
            if self._wording_classifier is None:
                from factcheck.lora_classifier import TunedClassifier, adapter_sha256

                try:
                    found = adapter_sha256(self._wording_folder)
                except OSError as exc:
                    raise IncompatibleModel(f"The wording adapter is missing: {exc}") from None
                if found != self._wording_sha256:
                    raise IncompatibleModel(
                        f"The wording adapter in {self._wording_folder} is not the one these parameters were "
                        "fitted with; retrain with 'factcheck train checkworthiness'.")
                self._wording_classifier = TunedClassifier.load(self._wording_folder, name=WORDING_CACHE_NAME)
            classifier = self._wording_classifier
        return classifier.logits(list(texts))

    def _wording_for(self, domain: str, texts: Sequence[str] | None,
                     wording_logits: np.ndarray | None, rows: int) -> np.ndarray | None:
        if not self.needs_texts(domain) or wording_logits is not None:
            return wording_logits
        if texts is None or len(texts) != rows:
            raise ValueError("Scoring with the wording classifier needs the texts, one per vector.")
        return self.wording_logits(texts)

    def feature_matrix(self, features: Sequence[Mapping[str, float]]) -> np.ndarray:
        return np.array([[row[name] for name in self._feature_names] for row in features],
                        dtype=np.float64).reshape(len(features), len(self._feature_names))

    def _checked(self, features: Sequence[Mapping[str, float]], vectors: np.ndarray) -> np.ndarray:
        if len(features) != len(vectors):
            raise ValueError(f"{len(features)} feature rows for {len(vectors)} vectors.")
        return self.feature_matrix(features)

    def logits(self, features: Sequence[Mapping[str, float]], vectors: np.ndarray, *,
               texts: Sequence[str] | None = None, domain: str = "prose",
               wording_logits: np.ndarray | None = None) -> np.ndarray:
        """Log-odds of check-worthiness, per sentence, by ``domain``'s regression.

        ``domain="tweets"`` needs the ``texts`` (the raw tweets, as embedded):
        the n-gram scorer reads their words.
        """
        if domain not in DOMAINS:
            raise ValueError(f"Unknown domain {domain!r}; use one of {', '.join(DOMAINS)}.")
        matrix = self._checked(features, vectors)
        wording = self._wording_for(domain, texts, wording_logits, len(matrix))
        logits, _ = self._regressions[domain].contributions(matrix, vectors, wording)
        if domain == "tweets" and self._tweet_ngrams is not None:
            if texts is None or len(texts) != len(logits):
                raise ValueError("Scoring tweets needs their texts, one per vector.")
            ngram = self._tweet_ngrams.logits([normalise_tweet(text) for text in texts])
            logits = logits + self._tweet_ngram_scale * (ngram - self._tweet_ngram_mean)
            if self._tweet_wording_scale:
                logits = logits + self._tweet_wording_scale * (np.asarray(wording) - self._tweet_wording_mean)
        return logits

    def scores(self, features: Sequence[Mapping[str, float]], vectors: np.ndarray, *,
               texts: Sequence[str] | None = None, domain: str = "prose",
               wording_logits: np.ndarray | None = None) -> np.ndarray:
        """Probabilities, unrounded (for ranking in evaluations); see `logits`."""
        return 1.0 / (1.0 + np.exp(-self.logits(features, vectors, texts=texts, domain=domain,
                                                 wording_logits=wording_logits)))

    def assess(self, features: Sequence[Mapping[str, float]], vectors: np.ndarray, *,
               texts: Sequence[str] | None = None) -> list[Assessment]:
        """Score each sentence as prose (the app's articles) and say why, from
        its largest positive contributions. ``texts`` (as embedded) are needed
        when the prose regression reads the wording classifier."""
        matrix = self._checked(features, vectors)
        logits, feature_part = self._prose.contributions(
            matrix, vectors, self._wording_for("prose", texts, None, len(matrix)))
        wording = logits - self._prose.bias - feature_part.sum(axis=1) - self._mean_wording
        explainer = self._explainer()
        if explainer is not self._prose:
            _, feature_part = explainer.contributions(matrix, vectors)
        # A feature explains a score only when the sentence has more of it than
        # an average sentence: an absent negative feature is not a reason.
        present = matrix > explainer.feature_mean
        assessments = []
        for row, logit in enumerate(logits):
            candidates = [
                (feature_part[row, column], _REASON_OF[name])
                for column, name in enumerate(self._feature_names)
                if present[row, column]
            ]
            candidates.append((wording[row], WORDING_REASON))
            reasons = tuple(
                reason for contribution, reason in sorted(candidates, key=lambda item: -item[0])
                if contribution >= _MIN_REASON_CONTRIBUTION
            )[:_MAX_REASONS]
            assessments.append(Assessment(round(float(1.0 / (1.0 + np.exp(-logit))), 3), reasons))
        return assessments


_lock = threading.Lock()
_shipped: CheckworthinessModel | None = None


def shipped_model() -> CheckworthinessModel:
    """The model whose parameters ship in the package (loaded once per process)."""
    global _shipped
    with _lock:
        if _shipped is None:
            _shipped = CheckworthinessModel.from_file(SHIPPED_PARAMETERS)
        return _shipped
