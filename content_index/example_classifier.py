"""Which lesson a page is an example of, learnt from the example pages (or none: a no-tip example).

The build fits a multinomial logistic regression on the example pages and stores it with the version
(``example_classifier.npz``). It reads a page two ways at once: its whole-page vector (the first
words, by meaning) and the TF-IDF weights of all its words (the need may come after the menus). At
query time it gives, for each lesson with examples, the log-odds that the page is one of its examples
rather than a no-tip page. Unlike the nearest example, it weighs all of a lesson's examples and what
sets them apart from the other lessons' examples. It needs example pages of a lesson and of no tip.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from .examples import whole_page_text

NO_TIP = ""
FILE = "example_classifier.npz"
REGULARISATION = 100.0  # sklearn's C; chosen by held-out accuracy across the starter pages' three author groups
WORDS = {"sublinear_tf": True, "stop_words": "english"}  # the TF-IDF reading, at build and at query time
MAX_PAGE_WORDS = 2000  # all of what the extension sends (2,000 characters of text)


def page_words(page) -> str:
    """All the words of a page (a ``PageContext`` or an ``ExamplePage``), most specific parts first."""
    return whole_page_text(page, max_words=MAX_PAGE_WORDS)


def fit_example_classifier(vectors: np.ndarray, examples: list, directory: Path, previous: Path | None = None) -> bool:
    """Fit on example pages (a page labelled with several lessons counts once for each) and write the
    classifier into ``directory``; False, and nothing written, when there is nothing to tell apart.
    The classifier in ``previous`` (the current version) is copied instead when it learnt the same pages."""
    labels = [example.lessons for example in examples]
    texts = [page_words(example) for example in examples]
    classes = [lesson for lessons in labels for lesson in (lessons or [NO_TIP])]
    if NO_TIP not in classes or len(set(classes)) < 2:
        return False
    digest = hashlib.sha256(np.ascontiguousarray(vectors, dtype=np.float32).tobytes())
    digest.update(json.dumps([REGULARISATION, labels, texts]).encode())
    if previous is not None and (previous / FILE).is_file() and str(np.load(previous / FILE)["digest"]) == digest.hexdigest():
        shutil.copyfile(previous / FILE, directory / FILE)
        return True
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    rows = np.repeat(np.arange(len(labels)), [max(1, len(lessons)) for lessons in labels])
    words = TfidfVectorizer(**WORDS)
    features = hstack([words.fit_transform(texts), csr_matrix(vectors)]).tocsr()[rows]
    with threadpool_limits(1):  # converged, in one summation order: the same classifier in any process
        model = LogisticRegression(C=REGULARISATION, tol=1e-6, max_iter=20_000).fit(features, classes)
    weights, bias = model.coef_, model.intercept_
    if len(model.classes_) == 2:  # sklearn keeps one row for two classes: the second's log-odds
        weights, bias = np.vstack([np.zeros_like(weights), weights]), np.concatenate([[0.0], bias])
    np.savez(directory / FILE, classes=np.array(model.classes_, dtype=str), digest=digest.hexdigest(),
             terms=np.array(words.get_feature_names_out(), dtype=str), idf=words.idf_,
             weights=weights.astype(np.float32), bias=bias.astype(np.float32))
    return True


class ExampleClassifier:
    """The stored classifier, its classes mapped to lesson rows."""

    def __init__(self, path: Path, row_of: dict[str, int]):
        from sklearn.feature_extraction.text import TfidfVectorizer

        stored = np.load(path)
        classes = [str(c) for c in stored["classes"]]
        self.words = TfidfVectorizer(vocabulary=[str(t) for t in stored["terms"]], **WORDS)
        self.words.idf_ = stored["idf"]
        vocabulary = len(stored["terms"])
        self.word_weights = np.ascontiguousarray(stored["weights"][:, :vocabulary].T)  # words x classes
        self.vector_weights, self.bias = stored["weights"][:, vocabulary:], stored["bias"]
        self.no_tip = classes.index(NO_TIP)
        self.rows = {i: row_of[c] for i, c in enumerate(classes) if c in row_of}

    def log_odds(self, page, vector: np.ndarray) -> dict[int, float]:
        """Lesson row -> log P(an example of this lesson) - log P(a no-tip example), for the lessons with
        examples. ``page`` is a ``PageContext``, ``vector`` its whole-page vector."""
        logits = (self.words.transform([page_words(page)]) @ self.word_weights).ravel()
        logits += self.vector_weights @ np.asarray(vector, dtype=np.float32) + self.bias
        return {row: float(logits[i] - logits[self.no_tip]) for i, row in self.rows.items()}
