"""Train Inflow's reranker: a cross-encoder that reads a page and a lesson together.

The first stage (the shipped ranking without the reranker) proposes its best few lessons for each
labelled page in ``content/examples``. The reranker, the bundled all-MiniLM-L6-v2 with LoRA layers and a
linear head over its mean-pooled states, scores each (lesson, page) pair; a lesson's fit is that score
plus a fixed multiple of its first-stage relevance, so the model learns what the first stage misses.
The loss is a softmax over the candidates and a "no tip" option (fit 0): towards the labelled lesson,
towards no tip on a no-tip page. Then, in the last epochs, every labelled page comes back a second time
with its lessons withheld, answer no tip: a page about one Jira task must not make another Jira lesson
look right just because it is the best of what is left.

    python scripts/train_reranker.py            # writes content_index/reranker (about 95 min on 2 cores)
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

import click
import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from companion.evaluation import Query, build_eval_index, load_labelled_pages  # noqa: E402
from companion.ranking import Ranker, RankingConfig, reranker_page_text  # noqa: E402
from content_index.embedder import bundled_model_path, load_embedder, save_adapter  # noqa: E402
from content_index.reranker import MAX_PAIR_TOKENS, bundled_reranker_path, lesson_text  # noqa: E402

FIRST_STAGE_WEIGHT = 20.0  # fit = own score + this x first-stage relevance
OFFSET = -8.0              # where the untrained head starts: the first stage alone, calibrated against no tip
HEAD_SCALE = 10.0          # the head reads an L2-normalised vector; this gives its output logit range


@dataclass
class Group:
    """One page and its candidate lessons; ``answer`` is a candidate's position, or -1 for no tip."""

    page: str
    lessons: list[str]
    relevance: np.ndarray
    answer: int


def candidate_groups(index, embedder, pages: list[Query], candidates: int, withheld: bool) -> list[Group]:
    """The first stage's best ``candidates`` per page; ``withheld``: labelled pages without their lessons."""
    first_stage = Ranker(embedder, replace(RankingConfig(), threshold=float("-inf"), follower_margin=0.0))
    lessons = {lesson["id"]: lesson for lesson in index.lessons}
    groups = []
    for page in pages:
        if withheld and not page.relevant:
            continue
        tips = [t for t in first_stage.rank(index, page.context, limit=candidates + len(page.relevant))
                if not (withheld and t.lesson_id in page.relevant)][:candidates]
        answer = next((n for n, t in enumerate(tips) if t.lesson_id in page.relevant), -1)
        if page.relevant and not withheld and answer < 0:
            continue  # the first stage missed it: nothing here for the reranker to reorder
        groups.append(Group(reranker_page_text(page.context),
                            [lesson_text(lessons[t.lesson_id]) for t in tips],
                            np.array([t.score for t in tips], dtype=np.float32), answer))
    return groups


class PairScorer:
    """The bundled model with trainable LoRA layers and a linear head: one score per (lesson, page) pair."""

    def __init__(self, rank: int):
        import torch
        from peft import LoraConfig, get_peft_model
        from transformers import AutoModel, AutoTokenizer

        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(str(bundled_model_path()), local_files_only=True)
        model = AutoModel.from_pretrained(str(bundled_model_path()), local_files_only=True)
        lora = LoraConfig(r=rank, lora_alpha=2 * rank, lora_dropout=0.1, target_modules=["query", "key", "value", "dense"])
        self.peft = get_peft_model(model, lora)
        self.head = torch.nn.Linear(model.config.hidden_size, 1)
        torch.nn.init.zeros_(self.head.weight)  # starts as the first stage alone
        torch.nn.init.zeros_(self.head.bias)

    def train(self, mode: bool = True) -> None:
        self.peft.train(mode)

    def scores(self, pairs: list[tuple[str, str]]):
        torch = self.torch
        batch = self.tokenizer([lesson for lesson, _ in pairs], [page for _, page in pairs], truncation="only_second",
                               max_length=MAX_PAIR_TOKENS, padding=True, return_tensors="pt")
        states = self.peft(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        pooled = torch.nn.functional.normalize((states * mask).sum(1) / mask.sum(1), dim=-1)
        return HEAD_SCALE * self.head(pooled).squeeze(-1) + OFFSET


def group_loss(torch, own, groups: list[Group]):
    """Softmax cross-entropy over each group's fits and a no-tip option fixed at 0."""
    total, start = 0, 0
    for group in groups:
        fits = own[start:start + len(group.lessons)] + FIRST_STAGE_WEIGHT * torch.from_numpy(group.relevance)
        start += len(group.lessons)
        logits = torch.cat([torch.zeros(1), fits])[None]
        total = total + torch.nn.functional.cross_entropy(logits, torch.tensor([group.answer + 1]))
    return total / len(groups)


@click.command()
@click.option("--pages", type=click.Path(exists=True, file_okay=False, path_type=Path), default=REPO / "content" / "examples")
@click.option("--content", type=click.Path(exists=True, file_okay=False, path_type=Path), default=REPO / "content")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=bundled_reranker_path())
@click.option("--candidates", default=6, show_default=True, help="First-stage lessons read again per page.")
@click.option("--epochs", default=2, show_default=True, help="Epochs on the labelled pages.")
@click.option("--withheld-epochs", default=1, show_default=True,
              help="Further epochs with each labelled page also seen once more with its lessons withheld.")
@click.option("--rank", default=16, show_default=True, help="LoRA rank.")
@click.option("--learning-rate", default=5e-4, show_default=True, help="For the LoRA layers; the head learns 4x faster.")
@click.option("--batch", default=4, show_default=True)
@click.option("--seed", default=0, show_default=True)
def main(pages: Path, content: Path, out: Path, candidates: int, epochs: int, withheld_epochs: int, rank: int,
         learning_rate: float, batch: int, seed: int) -> None:
    """Train the reranker on PAGES against the lessons in CONTENT and write it to OUT."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(2)
    embedder = load_embedder("onnx")
    training = load_labelled_pages(pages)
    with tempfile.TemporaryDirectory() as work:
        index = build_eval_index(pages, content, embedder, Path(work))
        labelled = candidate_groups(index, embedder, training, candidates, withheld=False)
        withheld = candidate_groups(index, embedder, training, candidates, withheld=True)
    scorer = PairScorer(rank)
    lora = [p for p in scorer.peft.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": lora, "lr": learning_rate},
                                   {"params": scorer.head.parameters(), "lr": 4 * learning_rate}], weight_decay=0.01)
    plan = [labelled] * epochs + [labelled + withheld] * withheld_epochs
    steps = sum(-(-len(groups) // batch) for groups in plan)
    schedule = get_linear_schedule_with_warmup(optimiser, max(1, steps // 10), steps)
    scorer.train()
    for epoch, groups in enumerate(plan):
        order = random.sample(range(len(groups)), len(groups))
        losses = []
        for start in range(0, len(order), batch):
            chosen = [groups[i] for i in order[start:start + batch]]
            own = scorer.scores([(lesson, group.page) for group in chosen for lesson in group.lessons])
            loss = group_loss(torch, own, chosen)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
        click.echo(f"epoch {epoch + 1}/{len(plan)}: mean loss {np.mean(losses):.3f} over {len(groups)} pages")
    save(scorer, out, {"pages": len(training), "groups": len(labelled), "withheld_groups": len(withheld),
                       "candidates": candidates, "epochs": epochs, "withheld_epochs": withheld_epochs, "rank": rank,
                       "learning_rate": learning_rate, "batch": batch, "seed": seed})
    click.echo(f"wrote {out}")


def save(scorer: PairScorer, out: Path, training: dict) -> None:
    """The LoRA adapter (folded into the model at export), the head in plain JSON, and how it was trained."""
    save_adapter(scorer.peft, out)
    weights = scorer.head.weight.detach().numpy()[0] * HEAD_SCALE
    bias = float(scorer.head.bias.detach()) * HEAD_SCALE + OFFSET
    (out / "head.json").write_text(json.dumps({"weights": [round(float(w), 6) for w in weights], "bias": round(bias, 6),
                                               "first_stage_weight": FIRST_STAGE_WEIGHT}))
    (out / "training.json").write_text(json.dumps(training, indent=2))


if __name__ == "__main__":
    main()
