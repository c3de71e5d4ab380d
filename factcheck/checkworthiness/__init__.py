"""Check-worthiness: which sentences a fact-checker would pick.

- `features`: interpretable linguistic features and claim types (pure);
- `model`: the shipped classifier, scoring sentence embeddings plus features
  with numpy only (no training data or scikit-learn needed at run time);
- `ngrams`: the word and character n-gram scorer the model adds for tweets;
- `datasets`, `metrics`: the public benchmark files and their official measures;
- `training`, `evaluation`: what ``factcheck train|eval checkworthiness`` run.
"""
