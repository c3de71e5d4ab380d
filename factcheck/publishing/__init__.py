"""Public output formats (schema.org ClaimReview)."""
