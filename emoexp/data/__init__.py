"""Real and synthetic rows in one schema: loaders, taxonomies, label mappings, seed sampling."""
