"""The encoder and its multi-label head."""

from emoexp.models.classifier import MultiLabelClassifier
from emoexp.models.encoder import load_encoder

__all__ = ["MultiLabelClassifier", "load_encoder"]
