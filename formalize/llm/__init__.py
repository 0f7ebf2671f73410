"""The LLM door: the client (plain HTTP for OpenAI-compatible endpoints, litellm imported lazily for
the rest), its configuration, the response cache and the scripted test double."""
