"""The verifier's text-aware checks: number grounding of a model against its problem text."""
