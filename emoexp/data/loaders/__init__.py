"""One module per corpus format; each reads a local release folder or a hub DatasetDict."""
