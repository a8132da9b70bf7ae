"""Generation strategies: how prompts are built and replies become rows."""
