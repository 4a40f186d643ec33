"""Which lesson a page is an example of, learnt from the example pages (or none: a no-tip example).

The build fits a multinomial logistic regression on the example pages' whole-page vectors and stores
it with the version (``example_classifier.npz``). At query time one product with the page's vector
gives, for each lesson with examples, the log-odds that the page is one of its examples rather than
a no-tip page. Unlike the nearest example, it weighs all of a lesson's examples and what sets them
apart from the other lessons' examples. It needs example pages of at least one lesson and of no tip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

NO_TIP = ""
FILE = "example_classifier.npz"
REGULARISATION = 100.0  # sklearn's C; chosen by held-out accuracy across the starter pages' three author groups


def fit_example_classifier(vectors: np.ndarray, labels: list[list[str]], directory: Path,
                           previous: Path | None = None) -> bool:
    """Fit on example pages (a page labelled with several lessons counts once for each) and write the
    classifier into ``directory``; False, and nothing written, when there is nothing to tell apart.
    The classifier in ``previous`` (the current version) is copied instead when it learnt the same pages."""
    classes = [lesson for lessons in labels for lesson in (lessons or [NO_TIP])]
    if NO_TIP not in classes or len(set(classes)) < 2:
        return False
    digest = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(json.dumps([REGULARISATION, labels]).encode())
    if previous is not None and (previous / FILE).is_file() and str(np.load(previous / FILE)["digest"]) == digest.hexdigest():
        shutil.copyfile(previous / FILE, directory / FILE)
        return True
    from sklearn.linear_model import LogisticRegression

    rows = np.repeat(np.arange(len(labels)), [max(1, len(lessons)) for lessons in labels])
    with threadpool_limits(1):  # converged, in one summation order: the same classifier in any process
        model = LogisticRegression(C=REGULARISATION, tol=1e-6, max_iter=20_000).fit(vectors[rows], classes)
    weights, bias = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: the second's log-odds
        weights, bias = np.vstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias])
    np.savez(directory / FILE, classes=np.array(model.classes_, dtype=str), digest=digest.hexdigest(),
             weights=weights.astype(np.float32), bias=bias.astype(np.float32))
    return True


class ExampleClassifier:
    """The stored classifier, its classes mapped to lesson rows."""

    def __init__(self, path: Path, row_of: dict[str, int], lessons: int):
        stored = np.load(path)
        classes = [str(c) for c in stored["classes"]]
        self.weights, self.bias = stored["weights"], stored["bias"]
        self.no_tip = classes.index(NO_TIP)
        known = [(i, row_of[c]) for i, c in enumerate(classes) if c in row_of]
        self.classes = np.array([i for i, _ in known], dtype=np.int64)
        self.rows = np.array([row for _, row in known], dtype=np.int64)
        self.lessons = lessons

    def log_odds(self, page: np.ndarray) -> np.ndarray:
        """Per lesson row: log P(an example of this lesson) - log P(a no-tip example); NaN without examples."""
        logits = self.weights @ np.asarray(page, dtype=np.float32) + self.bias
        odds = np.full(self.lessons, np.nan, dtype=np.float32)
        odds[self.rows] = logits[self.classes] - logits[self.no_tip]
        return odds
