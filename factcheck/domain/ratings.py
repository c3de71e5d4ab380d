"""The configurable rating scale used for verdicts and ClaimReview."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rating:
    name: str
    value: int


@dataclass(frozen=True)
class RatingScale:
    """Ordered ratings, worst first; values are ClaimReview ``ratingValue``s."""

    ratings: tuple[Rating, ...]

    @property
    def worst(self) -> int:
        return min(r.value for r in self.ratings)

    @property
    def best(self) -> int:
        return max(r.value for r in self.ratings)

    def get(self, name: str) -> Rating | None:
        wanted = name.strip().casefold()
        for rating in self.ratings:
            if rating.name.casefold() == wanted:
                return rating
        return None

    def names(self) -> list[str]:
        return [r.name for r in self.ratings]


def parse_rating_scale(spec: str) -> RatingScale:
    """Parse ``"False:1,Mostly false:2,..."``; raise ValueError with the reason."""
    ratings: list[Rating] = []
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.rpartition(":")
        if not sep or not name.strip():
            raise ValueError(f"Rating scale entry {part!r} must look like 'Name:number'.")
        try:
            number = int(value)
        except ValueError:
            raise ValueError(f"Rating scale entry {part!r} has a non-integer value.") from None
        ratings.append(Rating(name.strip(), number))
    if len(ratings) < 2:
        raise ValueError("The rating scale needs at least two ratings.")
    if len({r.name.casefold() for r in ratings}) != len(ratings):
        raise ValueError("The rating scale has a duplicate name.")
    return RatingScale(tuple(sorted(ratings, key=lambda r: r.value)))
