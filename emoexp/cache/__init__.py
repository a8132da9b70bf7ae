"""Content-addressed stage artifacts shared across jobs and sweeps."""
