"""The lesson 07 loss checkers pass the paper's loss and name each usual mistake in words,
never printing the library's value."""

from __future__ import annotations

import re

import pytest
import torch

from drcn_lib.course import loss_checkers as lc
from drcn_lib.loss import drcn_loss


def l1_right(y_hats, y):
    d, n = y_hats.shape[0], y.shape[0]
    return ((y - y_hats) ** 2).sum() / (2 * d * n)


def l2_right(y_hat, y):
    return ((y - y_hat) ** 2).sum() / (2 * y.shape[0])


def conv_weights_sq(model):
    return sum((p ** 2).sum() for n, p in model.named_parameters()
               if n.endswith("weight") and p.dim() > 1)


def loss_right(out, y, alpha, beta, model):
    return (alpha * l1_right(out.outputs, y) + (1 - alpha) * l2_right(out.ensemble, y)
            + beta * conv_weights_sq(model))


def said(capsys) -> str:
    return capsys.readouterr().out


def library_numbers() -> list[str]:
    """The library's values on the checkers' inputs, as a message could print them."""
    out, y = lc.sample_outputs()
    terms = drcn_loss(out, y, alpha=0.3, reduction="sum")
    values = [terms.l1.item(), terms.l2.item(), terms.total.item(),
              lc.weight_norm_sq(lc.decay_parameters(lc.sample_model()[1])).item()]
    return [f"{v:.{k}g}" for v in values for k in (3, 4, 5)] + [f"{v:.2f}" for v in values]


def assert_no_expected_value(message: str) -> None:
    for number in library_numbers():
        assert not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", message), number


def test_the_papers_terms_pass(capsys):
    assert lc.check_l1(l1_right)
    assert lc.check_l2(l2_right)
    assert lc.check_loss(loss_right)
    assert said(capsys).count("Right:") == 3


@pytest.mark.parametrize(("l1", "names"), [
    (lambda yh, y: ((y - yh) ** 2).sum() / (2 * y.shape[0]), "did not divide by D"),
    (lambda yh, y: ((y - yh) ** 2).sum() / (2 * yh.shape[0]), "did not divide by N"),
    (lambda yh, y: ((y - yh) ** 2).sum() / (yh.shape[0] * y.shape[0]), "1/2 in 1/(2DN)"),
    (lambda yh, y: 0.5 * ((y - yh) ** 2).mean(), "averaged over the pixels"),
    (lambda yh, y: (y - yh) ** 2, "a loss is one number"),
    (lambda yh, y: l2_right(yh.mean(0), y), "averaged the D predictions before squaring"),
    (lambda yh, y: 1 / 0, "raised ZeroDivisionError"),
])
def test_a_wrong_l1_is_named(capsys, l1, names):
    assert not lc.check_l1(l1)
    message = said(capsys)
    assert message.startswith("Not yet:") and names.lower() in message.lower()
    assert_no_expected_value(message)


@pytest.mark.parametrize(("l2", "names"), [
    (lambda yh, y: ((y - yh) ** 2).sum() / 2, "did not divide by N"),
    (lambda yh, y: ((y - yh) ** 2).sum() / y.shape[0], "1/2 in 1/(2N)"),
    (lambda yh, y: 0.5 * ((y - yh) ** 2).mean(), "averaged over the pixels"),
    (lambda yh, y: ((y - yh) ** 2).sum() / (3 * y.shape[0]), "compare your normaliser"),
])
def test_a_wrong_l2_is_named(capsys, l2, names):
    assert not lc.check_l2(l2)
    message = said(capsys)
    assert names.lower() in message.lower()
    assert_no_expected_value(message)


def without_alpha(out, y, alpha, beta, model):
    return l1_right(out.outputs, y) + l2_right(out.ensemble, y) + beta * conv_weights_sq(model)


def alpha_swapped(out, y, alpha, beta, model):
    return loss_right(out, y, 1 - alpha, beta, model)


def decay_on_biases(out, y, alpha, beta, model):
    theta = sum((p ** 2).sum() for n, p in model.named_parameters() if n != "ensemble_weights")
    return loss_right(out, y, alpha, 0.0, model) + beta * theta


def decay_on_everything(out, y, alpha, beta, model):
    theta = sum((p ** 2).sum() for p in model.parameters())
    return loss_right(out, y, alpha, 0.0, model) + beta * theta


def no_decay(out, y, alpha, beta, model):
    return loss_right(out, y, alpha, 0.0, model)


def decay_not_squared(out, y, alpha, beta, model):
    return loss_right(out, y, alpha, 0.0, model) + beta * conv_weights_sq(model).sqrt()


def l1_without_d(out, y, alpha, beta, model):
    return (alpha * l1_right(out.outputs, y) * out.outputs.shape[0]
            + (1 - alpha) * l2_right(out.ensemble, y) + beta * conv_weights_sq(model))


@pytest.mark.parametrize(("loss", "names"), [
    (without_alpha, "does not change with alpha"),
    (alpha_swapped, "swapped"),
    (decay_on_biases, "the biases too"),
    (decay_on_everything, "every parameter"),
    (no_decay, "beta changes nothing"),
    (decay_not_squared, "not its square"),
    (l1_without_d, "did not divide by D"),
])
def test_a_wrong_loss_is_named(capsys, loss, names):
    assert not lc.check_loss(loss)
    message = said(capsys)
    assert names.lower() in message.lower()
    assert_no_expected_value(message)


def test_the_library_excludes_biases_and_ensemble_weights_from_theta():
    """What the bias check relies on: the library's theta is the conv weights alone."""
    model = lc.sample_model()[0]
    names = {n for n, p in model.named_parameters()
             if any(p is q for q in lc.decay_parameters(model))}
    assert names and all(n.endswith("weight") for n in names)
    assert "ensemble_weights" not in names
    assert torch.isclose(lc.weight_norm_sq(lc.decay_parameters(model)),
                         conv_weights_sq(model))


def test_alpha_schedule(capsys):
    assert lc.check_alpha_schedule(lambda t: max(0.0, 1.0 - t / 0.5))
    assert not lc.check_alpha_schedule(lambda t: 1.0 - 2 * t)
    assert "negative" in said(capsys)
    assert not lc.check_alpha_schedule(lambda t: 1.0 - t)
    assert "whole run" in said(capsys)
    assert not lc.check_alpha_schedule(lambda t: 0.5)
    assert "t = 0" in said(capsys)
    assert not lc.check_alpha_schedule(lambda t: "one")
    assert "not a number" in said(capsys)


def test_the_learners_model_carries_the_decay(capsys):
    """With the learner's MyDRCN (the reference solution here), theta is found by the
    learner's own names: a decay that skips only ``w`` still decays the biases."""
    from drcn_lib.course.solutions import MyDRCN

    assert lc.check_loss(loss_right, model=MyDRCN)
    assert said(capsys).startswith("Right:")

    def all_but_w(out, y, alpha, beta, model):
        theta = sum((p ** 2).sum() for n, p in model.named_parameters() if n != "w")
        return loss_right(out, y, alpha, 0.0, model) + beta * theta

    assert not lc.check_loss(all_but_w, model=MyDRCN)
    message = said(capsys)
    assert "biases too" in message
    assert_no_expected_value(message)


def test_a_model_off_the_contract_is_named(capsys):
    class NoEnsemble(torch.nn.Module):
        def __init__(self, recursions, filters):
            super().__init__()
            self.conv = torch.nn.Conv2d(1, filters, 3, padding=1)

    assert not lc.check_loss(loss_right, model=NoEnsemble)
    assert "parameters" in said(capsys)
