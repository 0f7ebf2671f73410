"""The LLM door: the client (litellm, lazily imported), its configuration, the response cache and
the scripted test double."""
