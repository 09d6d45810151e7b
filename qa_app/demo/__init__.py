"""A deterministic synthetic partnership for `ehcp-qa demo`: fictional agencies and people."""
