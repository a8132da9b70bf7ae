"""Typed configuration: one schema per group, registered in Hydra's ConfigStore."""
