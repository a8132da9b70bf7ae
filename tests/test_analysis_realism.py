"""Realism measures: two samples of one distribution look alike, a shifted one does not."""

from __future__ import annotations

import numpy as np
import pytest

from emoexp.analysis.realism import frechet_distance, mauve, two_sample_auc


@pytest.fixture(scope="module")
def samples() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {
        "real": rng.normal(size=(400, 8)),
        "same": rng.normal(size=(400, 8)),
        "shifted": rng.normal(size=(400, 8)) + 1.0,
    }


def test_frechet_distance(samples: dict[str, np.ndarray]) -> None:
    same = frechet_distance(samples["real"], samples["same"])
    shifted = frechet_distance(samples["real"], samples["shifted"])
    assert same < 0.2
    # a mean shift of 1 in each of 8 dimensions adds 8 to the distance
    assert shifted == pytest.approx(8.0, rel=0.2)


def test_frechet_distance_of_a_sample_with_itself_is_zero(samples: dict[str, np.ndarray]) -> None:
    assert frechet_distance(samples["real"], samples["real"]) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_with_fewer_rows_than_dimensions() -> None:
    rng = np.random.default_rng(1)
    small = rng.normal(size=(10, 64))
    assert np.isfinite(frechet_distance(rng.normal(size=(200, 64)), small))


def test_mauve(samples: dict[str, np.ndarray]) -> None:
    assert mauve(samples["real"], samples["real"])["mauve"] == pytest.approx(1.0)
    assert mauve(samples["real"], samples["same"])["mauve"] > 0.8
    assert mauve(samples["real"], samples["shifted"])["mauve"] < 0.2


def test_mauve_holds_on_imbalanced_samples_and_matches_mauve_text() -> None:
    """2,000 real against 200 synthetic rows of one distribution: the buckets follow the
    smaller side, as in the reference implementation, so MAUVE stays near 1."""
    import mauve as mauve_text

    rng = np.random.default_rng(2)
    real, synthetic = rng.normal(size=(2000, 16)), rng.normal(size=(200, 16))
    ours = mauve(real, synthetic, seed=3)
    assert ours["mauve"] > 0.9 and ours["mauve_buckets"] == 20
    reference = mauve_text.compute_mauve(
        p_features=synthetic.astype(np.float32), q_features=real.astype(np.float32),
        seed=3, verbose=False,
    )  # fmt: skip
    assert ours["mauve"] == pytest.approx(reference.mauve)
    assert mauve(real, synthetic + 1.0, seed=3)["mauve"] < 0.2


def test_two_sample_auc(samples: dict[str, np.ndarray]) -> None:
    assert two_sample_auc(samples["real"], samples["same"])["two_sample_auc"] == pytest.approx(
        0.5, abs=0.08
    )
    assert two_sample_auc(samples["real"], samples["shifted"])["two_sample_auc"] > 0.95


def test_two_sample_auc_balances_the_sides(samples: dict[str, np.ndarray]) -> None:
    # 400 real against 40 synthetic of the same distribution: still chance, not 400/440
    result = two_sample_auc(samples["real"], samples["same"][:40])
    assert result["two_sample_auc"] == pytest.approx(0.5, abs=0.15)


def test_minilm_embedder_puts_paraphrases_closer() -> None:
    from emoexp.analysis.embeddings import build_embedder, embed_pair

    embedder = build_embedder("minilm")
    real, synthetic = embed_pair(
        embedder,
        ["I am furious about the cancelled flight", "What a lovely sunny afternoon"],
        ["The airline cancelled my flight and I am so angry"],
    )
    assert real.shape == (2, 384) and synthetic.shape == (1, 384)
    assert np.linalg.norm(real, axis=1) == pytest.approx([1.0, 1.0])
    similarity = real @ synthetic[0]
    assert similarity[0] > similarity[1] + 0.2
