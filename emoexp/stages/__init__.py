"""The stages of one run, each a plain function with a content-addressed artifact."""
