"""The formalization program: the steps that turn plain words into a verified formal model, and
the prompts each step sends."""
