"""LLM backends behind one interface, with a durable response cache."""
