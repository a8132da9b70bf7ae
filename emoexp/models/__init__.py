"""The encoder and its multi-label head."""
