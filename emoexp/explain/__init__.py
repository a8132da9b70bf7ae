"""Which words drive each emotion class: SHAP keywords for guided generation."""
