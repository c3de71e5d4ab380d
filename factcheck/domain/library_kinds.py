"""What the matcher searches: the kinds of library objects and the names of its scoring methods.

Pure constants shared by the matching service, the threshold settings and the
pages, so that none of them has to import another to learn a name.
"""
from __future__ import annotations

#: An earlier fact-check: imported from another publisher, or published by this newsroom
#: (``FactCheck.own_claim_id`` set; the pages label it "published by us").
KIND_FACT_CHECK = "fact_check"
#: A passage of a source document (evidence about a claim, rarely the same claim).
KIND_PASSAGE = "passage"
#: A claim in the queue (its vector is stored to find open claims that duplicate each other).
KIND_CLAIM = "claim"
#: The libraries a claim is matched against, each with its own thresholds.
LIBRARIES = (KIND_FACT_CHECK, KIND_PASSAGE)

#: Score of the dense leg alone: a cosine similarity.
METHOD_DENSE = "dense"
#: Score of the hybrid matcher: the re-ranker's probability (``matching.rerank.METHOD``).
METHOD_HYBRID = "hybrid-v1"
