"""Quality filters: each row gets a keep decision, a score and a reason."""
