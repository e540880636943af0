"""benchmarks/calibrate.py: the answer threshold's rule, and --write: the fitted values land in
Tuning's defaults, nothing else."""

import difflib

import benchmark_script
import numpy as np
import pytest

from bot.answering.matching import DEFAULT

FITTED = ("rerank_coefficients", "coefficients", "suggest_coefficients")


@pytest.fixture(scope="module")
def calibrate():
    return benchmark_script.load("calibrate")


def _shipped() -> tuple[dict[str, dict[str, float]], dict[str, float]]:
    return ({name: dict(getattr(DEFAULT, name)) for name in FITTED},
            {"answer_at": DEFAULT.answer_at, "suggest_at": DEFAULT.suggest_at})


def test_writing_the_shipped_values_changes_nothing(calibrate) -> None:
    source = calibrate.MATCHING.read_text(encoding="utf-8")
    assert calibrate.tuned_source(source, *_shipped()) == source


def test_new_values_replace_only_their_lines(calibrate) -> None:
    source = calibrate.MATCHING.read_text(encoding="utf-8")
    mappings, numbers = _shipped()
    mappings["coefficients"]["bias"] = -1.25
    numbers["answer_at"] = 0.71
    tuned = calibrate.tuned_source(source, mappings, numbers)
    compile(tuned, "matching.py", "exec")
    changed = [line for line in difflib.unified_diff(source.splitlines(), tuned.splitlines(),
                                                     lineterm="", n=0)
               if line[:1] in "+-" and line[:3] not in ("+++", "---")]
    assert len(changed) == 4  # the bias's line and answer_at's, each removed and added
    assert '        "bias": -1.25, ' in tuned
    assert "    answer_at: float = 0.71  # confidence to answer with a card" in tuned


def test_a_field_it_cannot_find_stops_it(calibrate) -> None:
    with pytest.raises(SystemExit, match="answer_at"):
        calibrate.tuned_source("class Tuning:\n    pass\n", {}, {"answer_at": 0.5})


def _pool(wrong_in: int) -> tuple[np.ndarray, ...]:
    """Ten sets of 100 right answers at 0.90; the first `wrong_in` sets also hold ten wrong
    ones at 0.55 — together still at 0.98, but each such set alone at 0.91."""
    p, y, sets = [], [], []
    for k in range(10):
        p += [0.90] * 100 + [0.55] * (10 if k < wrong_in else 0)
        y += [1.0] * 100 + [0.0] * (10 if k < wrong_in else 0)
        sets += [k] * (110 if k < wrong_in else 100)
    p_, y_ = np.array(p), np.array(y)
    return p_, y_, np.zeros_like(p_), np.zeros(len(p_), dtype=bool), np.array(sets)


def test_one_set_in_ten_may_fall_under_the_sets_precision(calibrate) -> None:
    p, y, p_shown, oos, sets = _pool(wrong_in=1)
    assert calibrate.sets_under(p >= 0.55, y, sets) == pytest.approx(0.1)
    assert calibrate.thresholds(p, y, p_shown, oos, sets)[0] == pytest.approx(0.06)


def test_two_sets_in_ten_under_it_raise_the_answer_threshold(calibrate) -> None:
    """The pooled precision alone (0.98) would answer the wrong ones."""
    p, y, p_shown, oos, sets = _pool(wrong_in=2)
    assert y[p >= 0.55].mean() >= calibrate.PRECISION
    assert calibrate.sets_under(p >= 0.55, y, sets) == pytest.approx(0.2)
    assert calibrate.thresholds(p, y, p_shown, oos, sets)[0] == pytest.approx(0.56)


def test_the_models_weigh_what_calibrate_fits_products_included(calibrate, assistant) -> None:
    """Both decision models hold a coefficient for each feature the fit knows — the 45
    products of `PAIRED` among them — and nothing else; a real question's decision has
    every one of them to weigh."""
    from bot.answering.matching import PAIRS, weighed

    assert len(PAIRS) == 45
    for name in ("coefficients", "suggest_coefficients"):
        assert set(getattr(DEFAULT, name)) == {"bias", *calibrate.FEATURES}
    result = assistant.ask("村子里的平民遭到袭击了我们怎么保护")
    assert set(weighed(result.decision.features)) == set(calibrate.FEATURES)


def test_a_product_moves_the_confidence_its_factors_alone_do_not() -> None:
    """A margin counts by the share the best entry explains: with weight on their product
    only, a wide margin means nothing when the share is nil."""
    from bot.answering.matching import confidence, weighed

    only = {"bias": 0.0, "share*margin": 4.0}
    feats = {name: 0.0 for name in DEFAULT.coefficients if "*" not in name and name != "bias"}
    thin, rich = {**feats, "margin": 1.0}, {**feats, "margin": 1.0, "share": 1.0}
    assert confidence(DEFAULT, weighed(thin), only) == pytest.approx(0.5)
    assert confidence(DEFAULT, weighed(rich), only) == pytest.approx(1 / (1 + np.exp(-4.0)))


def test_the_rerank_model_weighs_the_signals_and_their_products(assistant) -> None:
    """The rerank coefficients cover exactly `RERANK_FEATURES` (the signals, their squares
    and products, none of two kind flags); a real question's candidates have every signal,
    and `rerank_design` gives each candidate its products."""
    from bot.answering.matching import RERANK_FEATURES, SIGNALS, rank, rerank_design, signals
    from bot.answering.normalisation import normalise

    assert set(DEFAULT.rerank_coefficients) == set(RERANK_FEATURES)
    assert "grams*votes" in RERANK_FEATURES and "votes*votes" in RERANK_FEATURES
    assert "area*faq" not in RERANK_FEATURES and "definition*definition" not in RERANK_FEATURES
    assert "faq*definition" in RERANK_FEATURES and len(RERANK_FEATURES) == 16 + 136 - 10 - 1
    index = assistant.index
    question = index.question(normalise("村子里的平民遭到袭击了我们怎么保护"))
    rows = signals(index, question, rank(index, question, DEFAULT.rerank_depth))
    assert rows and all(set(row) == set(SIGNALS) for row in rows)
    assert {row["definition"] for row in rows} == {0.0}
    design = rerank_design(({name: float(k + 1) for k, name in enumerate(SIGNALS)},))
    assert design.shape == (1, len(RERANK_FEATURES))
    assert design[0, RERANK_FEATURES.index("grams*votes")] == (
        (SIGNALS.index("grams") + 1) * (SIGNALS.index("votes") + 1))


@pytest.mark.parametrize("text", ["A4P到底是个啥", "wat is A4P??", "c'est quoi A4P en fait"])
def test_a_question_asking_what_something_is_is_flagged_for_all_its_candidates(
        assistant, text) -> None:
    """`definition` is the question's, read from its normalised text (the tokens lose the
    spaces of "wat is"), so it reorders the candidates only through its products: the
    fitted model leaves its own coefficient at 0."""
    from bot.answering.matching import rank, signals
    from bot.answering.normalisation import normalise

    index = assistant.index
    question = index.question(normalise(text))
    rows = signals(index, question, rank(index, question, DEFAULT.rerank_depth))
    assert question.defining and {row["definition"] for row in rows} == {1.0}
    assert DEFAULT.rerank_coefficients["definition"] == 0.0
    assert DEFAULT.rerank_coefficients["faq*definition"] != 0.0


def test_the_rerank_fit_reaches_the_optimum(calibrate) -> None:
    """Newton's method ends where the penalised likelihood's gradient vanishes: session 20's
    600 fixed steps of gradient ascent stopped far short of it on the development sets."""
    from bot.answering.matching import RERANK_FEATURES

    rng = np.random.default_rng(7)
    data = []
    for _ in range(400):
        k = int(rng.integers(2, 8))
        x = rng.random((k, len(RERANK_FEATURES)))
        right = np.zeros(k)
        right[int(np.argmax(x[:, 3] + 0.5 * rng.random(k)))] = 1.0
        data.append((x, right))
    w = calibrate.fit_rerank(data)
    gradient = calibrate.RERANK_L2 * w
    for x, right in data:
        z = x @ w
        p = np.exp(z - z.max())
        p /= p.sum()
        gradient -= x.T @ (right * p / (right * p).sum() - p)
    assert np.abs(gradient).max() < 1e-3


def test_the_rerank_models_estimate_holds_whole_sets_out(calibrate, capsys) -> None:
    """`--cv-rerank`: a signal that picks the right entry is learnt on nine folds of sets and
    found in the tenth; noise is not (a right entry first about one time in the candidates'
    number)."""
    from bot.answering.matching import RERANK_FEATURES

    rng = np.random.default_rng(11)

    def made(informative: bool) -> list:
        data = []
        for n in range(600):
            k = int(rng.integers(3, 8))
            x = rng.random((k, len(RERANK_FEATURES)))
            right = np.zeros(k)
            right[int(np.argmax(x[:, 3])) if informative else int(rng.integers(k))] = 1.0
            data.append(calibrate.RerankSample(x, right, n % 23, ("typo", "faq")[n % 2]))
        return data

    learnt = calibrate.cross_validate_rerank(made(True))
    assert learnt["all"] > 0.8 and set(learnt) == {"all", "typo", "faq"}
    assert "right entry first for" in capsys.readouterr().out
    assert calibrate.cross_validate_rerank(made(False))["all"] < 0.4
