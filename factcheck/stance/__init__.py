"""Stance hints: does a passage seem to support or refute a claim, or neither?

A small model trained by the project on public data (CLIMATE-FEVER, see
``train``): logistic regression on sentence embeddings of the claim (u) and
the evidence sentence (v) as [u, v, |u-v|, u*v], plus cues a bi-encoder is
blind to (negation, antonyms, numbers). Its output is a *hint* shown next to
a suggested passage ("may refute"), never a verdict: the checker reads the
passage and decides.

* ``model``: load the shipped parameters (``factcheck/data/stance.json``) and
  predict, with numpy only.
* ``features``: the feature vector shared by training and prediction.
* ``climate_fever``: read the benchmark file.
* ``train``: cross-validated training (scikit-learn), ``factcheck train stance``.
"""
