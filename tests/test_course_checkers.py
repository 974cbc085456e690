"""The piece checkers of lessons 02-06 and the %%keep store: a right piece passes; each classic
mistake fails with a message that names it."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from drcn_lib.course import checkers, keep, solutions
from drcn_lib.model import SROutput


def verdict_of(check, piece, capsys: pytest.CaptureFixture[str]) -> tuple[bool, str]:
    ok = check(piece)
    return ok, capsys.readouterr().out


@pytest.mark.parametrize("name", list(checkers.CHECKS))
def test_reference_solutions_pass(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.CHECKS[name], getattr(solutions, name), capsys)
    assert ok, out
    assert out.startswith("Right:")


def test_an_instance_is_checked_as_built(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_embedding, solutions.Embedding(checkers.FILTERS), capsys)
    assert ok, out


class NoPadding(nn.Module):
    def __init__(self, filters: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, filters, 3)
        self.conv2 = nn.Conv2d(filters, filters, 3)

    def forward(self, x):  # noqa: ANN001, ANN201
        return torch.relu(self.conv2(torch.relu(self.conv1(x))))


class NoInnerReLU(solutions.Embedding):
    def forward(self, x):  # noqa: ANN001, ANN201
        return torch.relu(self.conv2(self.conv1(x)))


class NoFinalReLU(solutions.Embedding):
    def forward(self, x):  # noqa: ANN001, ANN201
        return self.conv2(torch.relu(self.conv1(x)))


def test_embedding_mistakes_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_embedding, NoPadding, capsys)
    assert not ok and "padding=(0, 0)" in out and "padding=1" in out
    ok, out = verdict_of(checkers.check_embedding, NoInnerReLU, capsys)
    assert not ok and "input of your conv2 has negative values" in out and "ReLU" in out
    ok, out = verdict_of(checkers.check_embedding, NoFinalReLU, capsys)
    assert not ok and "f1 ends with a ReLU" in out and "differs" in out


class Unshared(nn.Module):
    def __init__(self, filters: int, recursions: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(filters, filters, 3, padding=1)
                                   for _ in range(recursions))

    def forward(self, h):  # noqa: ANN001, ANN201
        states = []
        for conv in self.convs:
            h = torch.relu(conv(h))
            states.append(h)
        return states


class StartsAtH0(solutions.Inference):
    def forward(self, h):  # noqa: ANN001, ANN201
        states = []
        for _ in range(self.recursions):
            states.append(h)
            h = torch.relu(self.conv(h))
        return states


class NoReLUInLoop(solutions.Inference):
    def forward(self, h):  # noqa: ANN001, ANN201
        states = []
        for _ in range(self.recursions):
            h = self.conv(h)
            states.append(h)
        return states


class LastOnly(solutions.Inference):
    def forward(self, h):  # noqa: ANN001, ANN201
        return super().forward(h)[-1]


def test_inference_mistakes_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_inference, Unshared, capsys)
    assert not ok and f"holds {checkers.RECURSIONS} convolutions" in out and "ONE" in out
    assert f"{checkers.RECURSIONS:.2f} times" in out
    ok, out = verdict_of(checkers.check_inference, StartsAtH0, capsys)
    assert not ok and "shifted by one" in out
    ok, out = verdict_of(checkers.check_inference, NoReLUInLoop, capsys)
    assert not ok and "ReLU" in out
    ok, out = verdict_of(checkers.check_inference, LastOnly, capsys)
    assert not ok and "list of all D maps" in out


class ReLUAtTheEnd(solutions.Reconstruction):
    def forward(self, h):  # noqa: ANN001, ANN201
        return torch.relu(super().forward(h))


def test_reconstruction_mistake_is_named(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_reconstruction, ReLUAtTheEnd, capsys)
    assert not ok and "never negative" in out and "linear" in out


class BasicWithSkip(solutions.BasicModel):
    def forward(self, x):  # noqa: ANN001, ANN201
        return super().forward(x) + x


class BasicFromFirstState(solutions.BasicModel):
    def forward(self, x):  # noqa: ANN001, ANN201
        return self.f3(self.f2(self.f1(x))[0])


def test_basic_model_mistakes_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_basic_model, BasicWithSkip, capsys)
    assert not ok and "includes + x" in out
    ok, out = verdict_of(checkers.check_basic_model, BasicFromFirstState, capsys)
    assert not ok and "Your y differs" in out and "up to" in out


class MissingSkip(solutions.SupervisedModel):
    pass


class SkipAfterSum(solutions.SupervisedModel):
    def forward(self, x):  # noqa: ANN001, ANN201
        out = super().forward(x)
        return SROutput(out.outputs + x, out.ensemble + x)


class MeanEnsemble(solutions.MyDRCN):
    def forward(self, x):  # noqa: ANN001, ANN201
        out = super().forward(x)
        return SROutput(out.outputs, out.outputs.mean(dim=0))


class NoWeights(nn.Module):
    def __init__(self, recursions: int, filters: int) -> None:
        super().__init__()
        self.f1 = solutions.Embedding(filters)
        self.f2 = solutions.Inference(filters, recursions)
        self.f3 = solutions.Reconstruction(filters)

    def forward(self, x):  # noqa: ANN001, ANN201
        ys = torch.stack([self.f3(h) + x for h in self.f2(self.f1(x))])
        return SROutput(ys, ys.mean(dim=0))


def test_drcn_mistakes_are_named(capsys: pytest.CaptureFixture[str]) -> None:
    ok, out = verdict_of(checkers.check_skip, MissingSkip, capsys)
    assert not ok and "(+ x) is missing" in out
    ok, out = verdict_of(checkers.check_skip, SkipAfterSum, capsys)
    assert not ok and "added x after the weighted sum" in out
    ok, out = verdict_of(checkers.check_skip, MeanEnsemble, capsys)
    assert not ok and "plain mean" in out
    ok, out = verdict_of(checkers.check_skip, NoWeights, capsys)
    assert not ok and "ensemble weights w_d are missing" in out
    ok, out = verdict_of(checkers.check_recursive_model, solutions.MyDRCN, capsys)
    assert not ok and "includes + x" in out


def test_learner_errors_become_sentences(capsys: pytest.CaptureFixture[str]) -> None:
    class Broken(solutions.Embedding):
        def forward(self, x):  # noqa: ANN001, ANN201
            raise RuntimeError("oops")

    ok, out = verdict_of(checkers.check_embedding, Broken, capsys)
    assert not ok and "forward pass failed: RuntimeError: oops" in out
    ok, out = verdict_of(checkers.check_embedding, None, capsys)
    assert not ok and "pass your class" in out.lower()
    ok, out = verdict_of(checkers.check_inference, solutions.Embedding, capsys)
    assert not ok and "Inference(filters, recursions)" in out


def test_copy_weights_names_a_missing_shape() -> None:
    problem = checkers.copy_weights(nn.Conv2d(2, 3, 3), nn.Conv2d(2, 3, 5), "yours")
    assert "no parameter of shape (3, 2, 3, 3)" in problem


def test_keep_saves_in_order_and_pieces_load(tmp_path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    path = keep.keep_path(tmp_path)
    keep.save("MyDRCN", "class MyDRCN(nn.Module):\n    kind = 'mine'\n", path)
    keep.save("Embedding", "class Embedding(nn.Module):\n    kind = 'old'\n", path)
    keep.save("Embedding", "class Embedding(nn.Module):\n    kind = 'mine'\n", path)
    assert list(keep.read_blocks(path)) == ["Embedding", "MyDRCN"]  # the course's order
    emb, drcn, inf = keep.pieces("Embedding", "MyDRCN", "Inference", folder=tmp_path)
    out = capsys.readouterr().out
    assert emb.kind == "mine" and drcn.kind == "mine" and inf is solutions.Inference
    assert "WARNING: Inference is the course's reference solution" in out
    assert "Yours, from mydrcn.py: Embedding, MyDRCN" in out


def test_pieces_fall_back_loudly_without_a_file(tmp_path, capsys: pytest.CaptureFixture[str]
                                                ) -> None:
    assert keep.pieces("MyDRCN", folder=tmp_path) is solutions.MyDRCN
    assert "there is no mydrcn.py here yet" in capsys.readouterr().out
    (tmp_path / "mydrcn.py").write_text("raise SyntaxError('broken')\n")
    assert keep.pieces("MyDRCN", folder=tmp_path) is solutions.MyDRCN
    assert "fails to load" in capsys.readouterr().out


def test_kept_code_builds_on_the_reference(tmp_path) -> None:
    keep.save("MyDRCN", "class MyDRCN(nn.Module):\n"
                        "    def __init__(self, recursions, filters):\n"
                        "        super().__init__()\n"
                        "        self.f1 = Embedding(filters)\n", keep.keep_path(tmp_path))
    net = keep.pieces("MyDRCN", folder=tmp_path)(3, 4)
    assert isinstance(net.f1, solutions.Embedding)


def test_keep_refuses_a_bad_name(tmp_path) -> None:
    with pytest.raises(ValueError, match="Python name"):
        keep.save("my piece", "x = 1", keep.keep_path(tmp_path))
    assert not keep.keep_path(tmp_path).exists()
