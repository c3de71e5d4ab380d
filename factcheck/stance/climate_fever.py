"""Read CLIMATE-FEVER JSON Lines files (one claim with five evidence sentences per line)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from factcheck.domain.errors import ValidationFailed

#: Evidence labels of the file, mapped to our stance names.
STANCE_OF = {"SUPPORTS": "supports", "REFUTES": "refutes", "NOT_ENOUGH_INFO": "neither"}


@dataclass(frozen=True)
class Evidence:
    id: str  # "<Wikipedia article>:<sentence index>"
    article: str
    text: str
    stance: str  # supports | refutes | neither


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    evidences: tuple[Evidence, ...]

    @property
    def relevant_ids(self) -> set[str]:
        """Evidence that supports or refutes the claim: what a retriever should find."""
        return {e.id for e in self.evidences if e.stance != "neither"}


def file_sha256(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load(path: str | Path) -> list[Claim]:
    """All claims of the file; raise ``ValidationFailed`` naming the first malformed line."""
    claims = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                evidences = tuple(
                    Evidence(id=e["evidence_id"], article=e["article"], text=e["evidence"],
                             stance=STANCE_OF[e["evidence_label"]])
                    for e in row["evidences"]
                )
                claims.append(Claim(id=str(row["claim_id"]), text=row["claim"], evidences=evidences))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationFailed(f"{path}, line {number}: not a CLIMATE-FEVER record ({exc!r}).") from None
    if not claims:
        raise ValidationFailed(f"{path} holds no claims.")
    return claims


def pairs(claims: list[Claim]) -> tuple[list[str], list[str], list[str], list[str]]:
    """Every (claim, evidence) pair as parallel lists: claim texts, evidence texts, stances, claim ids."""
    claim_texts, evidence_texts, stances, groups = [], [], [], []
    for claim in claims:
        for evidence in claim.evidences:
            claim_texts.append(claim.text)
            evidence_texts.append(evidence.text)
            stances.append(evidence.stance)
            groups.append(claim.id)
    return claim_texts, evidence_texts, stances, groups
