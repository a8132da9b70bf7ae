"""Multi-label metrics that say which classes were absent instead of averaging them away."""
