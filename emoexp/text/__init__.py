"""Text utilities shared by generation, filters and analysis: one word tokenizer, one JSON
extractor and one refusal check, so each step means the same thing by "a word", "the JSON in
a reply" and "a refusal"."""
