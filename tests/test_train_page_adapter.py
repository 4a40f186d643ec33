"""scripts/train_page_adapter.py: its loss, and (with the real model) one short training run."""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest
import torch
from click.testing import CliRunner

from companion.evaluation import load_labelled_pages
from tests.conftest import REPO, STARTER_CONTENT, few_training_pages

sys.path.insert(0, str(REPO / "scripts"))
import train_page_adapter as trainer  # noqa: E402


def test_loss_rewards_the_labelled_lesson_and_a_quiet_no_tip_page():
    right = torch.tensor([[0.60, 0.40, 0.30]])
    wrong = torch.tensor([[0.40, 0.60, 0.30]])
    loss = lambda scores, labels: float(trainer.page_loss(torch, scores, labels, 0.05, 0.36))  # noqa: E731
    assert loss(right, [[0]]) < loss(wrong, [[0]])
    assert loss(right, [[0, 1]]) < loss(right, [[0]])  # a second acceptable lesson counts too
    assert loss(torch.tensor([[0.30, 0.20, 0.10]]), [[]]) == 0.0  # a no-tip page under the floor
    assert loss(torch.tensor([[0.45, 0.20, 0.10]]), [[]]) > 0.0


def test_training_pages_are_labelled_with_real_lessons():
    pages = load_labelled_pages(REPO / "content" / "examples")
    lessons = {path.stem for path in (STARTER_CONTENT / "lessons").glob("*.md")}
    assert len(pages) >= 500 and sum(not page.relevant for page in pages) >= 90
    assert all(set(page.relevant) <= lessons for page in pages)
    assert len({page.id for page in pages}) == len(pages)


@pytest.mark.model
@pytest.mark.timeout(900)
def test_a_short_training_run_writes_a_trained_adapter(tmp_path):
    from safetensors.numpy import load_file

    pages = few_training_pages(tmp_path / "pages")
    out = tmp_path / "adapter"
    result = CliRunner().invoke(trainer.main, ["--pages", str(pages), "--content", str(STARTER_CONTENT),
                                               "--out", str(out), "--epochs", "1", "--rank", "4", "--batch", "4"])
    assert result.exit_code == 0, result.output
    assert "over 4 pages" in result.output
    config = json.loads((out / "adapter_config.json").read_text())
    assert config["r"] == 4 and config["lora_alpha"] == 4  # trained at alpha 8, folded in at half strength
    weights = load_file(str(out / "adapter_model.safetensors"))
    ups = [w for name, w in weights.items() if "lora_B" in name]
    assert ups and any(np.abs(w).max() > 0 for w in ups)  # LoRA's B starts at zero: only a training step moves it
    assert json.loads((out / "training.json").read_text())["pages"] == 4
