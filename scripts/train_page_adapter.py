"""Train Inflow's page adapter: LoRA weights that teach the bundled model to read work pages.

Pages are noisy and seldom name the need a lesson answers; all-MiniLM-L6-v2 was trained on clean
sentence pairs. The adapter is trained on the labelled pages in ``content/examples`` (written from the
lessons alone, independently of ``eval/pages``) with the ranking's own scoring: each page's passages
and whole text against every lesson's vector and situations, plus the ranker's lexical and context
terms. The loss is cross-entropy towards the labelled lesson(s) and a hinge keeping no-tip pages
under the bar. Lessons stay embedded by the plain model while training; the shipped model folds the
adapter in on both sides, at half strength (weight-space ensembling with the plain model, which keeps
its general behaviour; docs/relevance.md).

    python scripts/train_page_adapter.py            # writes content_index/page_adapter (about 13 min)
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

import click
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from companion.context import PageContext, prose_score, query_chunks  # noqa: E402
from content_index.examples import whole_page_text  # noqa: E402
from companion.evaluation import Query, build_eval_index, load_labelled_pages  # noqa: E402
from companion.ranking import Ranker, RankingConfig  # noqa: E402
from content_index.embedder import bundled_adapter_path, bundled_model_path, save_adapter  # noqa: E402
from content_index.store import LessonIndex  # noqa: E402

CONFIG = RankingConfig()


class RuleTerms(Ranker):
    """The ranker with its dense part set to zero: what it adds for lexical evidence and context rules."""

    def _dense_scores(self, index, vectors, chunks, nominees):
        return dict.fromkeys(range(len(index)), 0.0)


def rule_terms(index: LessonIndex, embedder, pages: list[Query]) -> np.ndarray:
    ranker = RuleTerms(embedder, replace(CONFIG, threshold=float("-inf"), follower_margin=0.0))
    rows = {lesson["id"]: row for row, lesson in enumerate(index.lessons)}
    terms = np.zeros((len(pages), len(index)), dtype=np.float32)
    for n, page in enumerate(pages):
        for tip in ranker.rank(index, page.context, limit=len(index)):
            terms[n, rows[tip.lesson_id]] = tip.score
    return terms


def page_texts(ctx: PageContext) -> tuple[list[str], str, np.ndarray]:
    """The passages and whole-page text the ranker embeds, and each passage's menu penalty."""
    chunks = query_chunks(ctx)
    penalty = [0.0 if fixed else CONFIG.menu_penalty * (1 - prose_score(text)) for text, fixed in chunks]
    return [text for text, _ in chunks], whole_page_text(ctx), np.asarray(penalty, dtype=np.float32)


class PageScorer:
    """The bundled model with trainable LoRA layers, scoring pages against fixed lesson vectors."""

    def __init__(self, index: LessonIndex, rank: int):
        import torch
        from peft import LoraConfig, get_peft_model
        from sentence_transformers import SentenceTransformer

        self.torch = torch
        self.model = SentenceTransformer(str(bundled_model_path()), device="cpu", local_files_only=True)
        lora = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.05, target_modules=["query", "key", "value", "dense"])
        self.peft = get_peft_model(self.model[0].auto_model, lora)  # LoRA layers are injected in place
        self.lessons = torch.from_numpy(np.array(index.vector_matrix))
        self.situations = torch.from_numpy(np.array(index.situation_matrix))
        self.has_situations = torch.from_numpy(np.array(index.has_situations))

    def encode(self, texts: list[str]):
        features = self.model.preprocess(texts)
        return self.torch.nn.functional.normalize(self.model(features)["sentence_embedding"], dim=-1)

    def scores(self, batch: list[tuple[list[str], str, np.ndarray]]):
        """Dense relevance of each page to every lesson, as ``Ranker._dense_scores`` computes it."""
        torch = self.torch
        passages = [p for chunks, _, _ in batch for p in chunks]
        passage_vectors = self.encode(passages) if passages else None
        whole_vectors = self.encode([whole for _, whole, _ in batch])
        out, start = [], 0
        for (chunks, _, penalty), whole in zip(batch, whole_vectors):
            mine = passage_vectors[start:start + len(chunks)] if chunks else None
            start += len(chunks)

            def blend(matrix, weight):
                page = whole @ matrix.T
                if mine is None:
                    return page
                best = (mine @ matrix.T - torch.from_numpy(penalty)[:, None]).max(0).values
                return weight * best + (1 - weight) * page

            lesson = blend(self.lessons, CONFIG.chunk_weight)
            situation = blend(self.situations, CONFIG.situation_chunk_weight) - CONFIG.situation_offset
            out.append(torch.where(self.has_situations, torch.maximum(lesson, situation), lesson))
        return torch.stack(out)


def page_loss(torch, scores, labels: list[list[int]], temperature: float, floor: float):
    """Cross-entropy towards the labelled lessons, and a hinge holding no-tip pages under ``floor``
    (scores include the rule terms, as the threshold sees them)."""
    total = 0
    for page_scores, rows in zip(scores, labels):
        if rows:
            total = total + torch.logsumexp(page_scores / temperature, 0) - torch.logsumexp(page_scores[rows] / temperature, 0)
        else:
            total = total + 0.1 * torch.relu(page_scores.max() - floor) / temperature
    return total / len(labels)


@click.command()
@click.option("--pages", type=click.Path(exists=True, file_okay=False, path_type=Path), default=REPO / "content" / "examples")
@click.option("--content", type=click.Path(exists=True, file_okay=False, path_type=Path), default=REPO / "content")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=bundled_adapter_path())
@click.option("--epochs", default=2, show_default=True)
@click.option("--rank", default=8, show_default=True, help="LoRA rank.")
@click.option("--learning-rate", default=2e-4, show_default=True)
@click.option("--batch", default=8, show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--strength", default=0.5, show_default=True,
              help="Share of the trained change folded into the model; the rest stays the plain model's.")
def main(pages: Path, content: Path, out: Path, epochs: int, rank: int, learning_rate: float, batch: int, seed: int,
         strength: float) -> None:
    """Train the page adapter on PAGES against the lessons in CONTENT and write it to OUT."""
    import torch
    from content_index.onnx_embedder import OnnxEmbedder
    from transformers import get_linear_schedule_with_warmup

    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    plain = OnnxEmbedder(use_adapter=False)
    with tempfile.TemporaryDirectory() as work:
        index = build_eval_index(pages, content, plain, Path(work))
        training = load_labelled_pages(pages)
        rows = {lesson["id"]: row for row, lesson in enumerate(index.lessons)}
        labels = [[rows[lesson] for lesson in page.relevant] for page in training]
        terms = torch.from_numpy(rule_terms(index, plain, training))
        texts = [page_texts(page.context) for page in training]
        scorer = PageScorer(index, rank)
    parameters = [p for p in scorer.peft.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.0)
    steps = epochs * -(-len(training) // batch)
    schedule = get_linear_schedule_with_warmup(optimiser, min(10, steps // 10), steps)
    scorer.model.train()
    order = list(range(len(training)))
    for epoch in range(epochs):
        random.shuffle(order)
        losses = []
        for start in range(0, len(order), batch):
            chosen = order[start:start + batch]
            scores = scorer.scores([texts[i] for i in chosen]) + terms[chosen]
            loss = page_loss(torch, scores, [labels[i] for i in chosen], 0.05, 0.36)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
        click.echo(f"epoch {epoch + 1}/{epochs}: mean loss {np.mean(losses):.3f} over {len(training)} pages")
    save_adapter(scorer.peft, out, strength)
    (out / "training.json").write_text(json.dumps({"pages": len(training), "epochs": epochs, "rank": rank,
                                                   "learning_rate": learning_rate, "batch": batch, "seed": seed,
                                                   "strength": strength}, indent=2))
    click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
