"""Synthetic against real text: linguistic, diversity and realism measures."""
