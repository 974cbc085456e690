"""Checkers for the pieces of DRCN that a learner writes in lessons 02-06.

Each lesson has the learner write one piece of DRCN in plain PyTorch; ``check_<piece>`` builds
that piece and the library's, copies the library's weights across (randomised first, so that an
identity-initialised f2 cannot hide a missing ReLU), runs both on the same random input and
prints one verdict: ``Right: ...`` or ``Not yet: ...`` naming what differs in plain words (which
output, which shape, by how much) and the likely cause. It returns the verdict as a bool so a
notebook test can assert on it; it never raises for a learner's mistake.

The learner's pieces (the contract lessons 02-08 rely on)
-----------------------------------------------------------
Each piece is a class, written in a notebook cell that starts with ``%%keep NAME``
(:mod:`drcn_lib.course.keep`): the cell runs as usual and its code is also saved, under NAME,
into ``mydrcn.py`` beside the notebook, so a later lesson (a fresh kernel) gets the learner's own
classes back with ``dl.course.keep.pieces("Embedding", ...)``; a piece not written yet is taken,
with a loud warning, from the course's reference solution :mod:`drcn_lib.course.solutions`.

=====================  =====================================  ======================================
class (lesson)         constructor                            ``forward``
=====================  =====================================  ======================================
``Embedding`` (02)     ``Embedding(filters)``                 x (N,1,H,W) -> H_0 (N,F,H,W)
``Inference`` (03)     ``Inference(filters, recursions)``     H_0 -> list [H_1, ..., H_D]
``Reconstruction`` 04  ``Reconstruction(filters)``            H_d (N,F,H,W) -> image (N,1,H,W)
``BasicModel`` (04)    ``BasicModel(recursions, filters)``    x -> y = f3(H_D)   (Fig. 1, no skip)
``SupervisedModel`` 05 ``SupervisedModel(recursions, filters)`` x -> ``dl.SROutput`` (y_d = f3(H_d))
``MyDRCN`` (06)        ``MyDRCN(recursions, filters)``        x -> ``dl.SROutput`` (y_d = f3(H_d)+x)
=====================  =====================================  ======================================

``MyDRCN`` returns what ``dl.DRCN`` returns: ``SROutput(outputs=(D,N,1,H,W), ensemble=(N,1,H,W))``,
so the training engine accepts it. Parameters are defined in the paper's order (f1, f2, f3,
then the D ensemble weights w_d), which is how :func:`copy_weights` pairs them.

For other checkers (the loss lesson's): :func:`copy_weights`, :func:`describe_difference`,
:func:`parameter_problem` and :func:`report` are the shared comparison helpers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from drcn_lib.course.exercises.feedback import verdict
from drcn_lib.model import DRCN, EmbeddingNet, InferenceNet, ReconstructionNet, SROutput

# Sizes every check runs at: small (fast on a CPU), and F != D so that a bias (F,) is never
# confused with the ensemble weights (D,) when weights are paired by shape.
FILTERS, RECURSIONS, SIDE, BATCH = 8, 5, 20, 2
ATOL = 1e-5


# ---------------------------------------------------------------- shared comparison helpers


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def randomise_(module: nn.Module, seed: int = 0) -> nn.Module:
    """Give every parameter random values that keep the signal's size (He normal weights,
    small random biases and ensemble weights), so no weight is an identity or a zero that could
    hide a mistake."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            if p.dim() == 4:
                fan_in = p.shape[1] * p.shape[2] * p.shape[3]
                p.copy_(torch.randn(p.shape, generator=gen) * (2.0 / fan_in) ** 0.5)
            else:
                p.copy_(torch.randn(p.shape, generator=gen) * 0.1)
    return module


def copy_weights(source: nn.Module, target: nn.Module, target_name: str = "your piece") -> str:
    """Copy ``source``'s parameters into ``target``'s, pairing them by shape in definition order.

    Returns ``""`` when every parameter found its partner, else a sentence naming the first
    parameter without one (by shape). Equal parameter counts are checked before this.
    """
    targets = list(target.named_parameters())
    used = [False] * len(targets)
    pairs = []
    for name, p in source.named_parameters():
        free = (j for j, (_, q) in enumerate(targets) if not used[j] and q.shape == p.shape)
        j = next(free, None)
        if j is None:
            return (f"{target_name} has no parameter of shape {tuple(p.shape)} to match the "
                    f"library's {name}.")
        used[j] = True
        pairs.append((p, targets[j][1]))
    extra = [n for (n, _), u in zip(targets, used, strict=True) if not u]
    if extra:
        return f"{target_name} has parameters the library's piece lacks: {', '.join(extra)}."
    with torch.no_grad():
        for p, q in pairs:
            q.copy_(p)
    return ""


def parameter_problem(mine: nn.Module, reference: nn.Module, what: str) -> str:
    """``""`` when the counts agree, else a sentence giving both counts and their ratio."""
    n_mine, n_ref = count_parameters(mine), count_parameters(reference)
    if n_mine == n_ref:
        return ""
    diff = n_mine - n_ref
    if n_ref and 0.9 < n_mine / n_ref < 1.1:
        by = f"{abs(diff):,} {'more' if diff > 0 else 'fewer'}"
    else:
        by = f"{n_mine / n_ref:.2f} times as many" if n_ref else "more"
    return (f"{what} has {n_mine:,} parameters, the library's {n_ref:,} ({by}) "
            f"at F = {FILTERS}, D = {RECURSIONS}.")


def conv_problems(module: nn.Module, what: str) -> list[str]:
    """Convolutions that are not the paper's 3x3 with padding 1 (which keeps the size)."""
    problems = []
    for name, m in module.named_modules():
        if isinstance(m, nn.Conv2d):
            if tuple(m.kernel_size) != (3, 3):
                problems.append(f"{what}'s {name} is {m.kernel_size[0]}x{m.kernel_size[1]}; "
                                "every convolution of DRCN is 3x3.")
            elif tuple(m.padding) != (1, 1) and m.padding != "same":
                problems.append(f"{what}'s {name} has padding={m.padding}: a 3x3 convolution "
                                "needs padding=1 to keep the image size.")
    return problems


def describe_difference(name: str, mine: object, ref: torch.Tensor, atol: float = ATOL) -> str:
    """``""`` when ``mine`` equals ``ref`` (within ``atol``), else what differs, in words:
    the type, the shape, or by how much (largest and mean absolute difference)."""
    if not isinstance(mine, torch.Tensor):
        return f"{name} is a {type(mine).__name__}, expected a tensor of shape {tuple(ref.shape)}."
    if mine.shape != ref.shape:
        return f"{name} has shape {tuple(mine.shape)}, expected {tuple(ref.shape)}."
    diff = (mine.detach().float() - ref.detach().float()).abs()
    if not torch.isfinite(diff).all():
        return f"{name} has NaN or infinite values."
    if float(diff.max()) <= atol * max(1.0, float(ref.abs().max())):
        return ""
    return (f"{name} differs from the library's by up to {float(diff.max()):.3g} "
            f"(mean {float(diff.mean()):.3g}; the library's values reach "
            f"{float(ref.abs().max()):.3g}).")


def report(problems: Sequence[str], right: str) -> bool:
    """Print ``Right: right`` when there are no problems, else ``Not yet:`` and every problem."""
    problems = [p[0].upper() + p[1:] for p in problems if p]
    if not problems:
        return verdict(True, right)
    return verdict(False, " ".join(problems))


def close(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.shape == b.shape and bool(torch.allclose(a, b, atol=ATOL, rtol=1e-4))


# ---------------------------------------------------------------- building the learner's piece


def build(piece: object, args: tuple, signature: str) -> tuple[nn.Module | None, str]:
    """The learner's module: ``piece`` itself if it is a module, else ``piece(*args)``."""
    if isinstance(piece, nn.Module):
        return piece, ""
    if not callable(piece):
        return None, f"pass your class (e.g. {signature.split('(')[0]}), got {piece!r}."
    try:
        module = piece(*args)
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a hint
        return None, f"building it as {signature} failed: {type(exc).__name__}: {exc}"
    if not isinstance(module, nn.Module):
        return None, f"{signature} gave a {type(module).__name__}, not an nn.Module."
    return module, ""


def run(module: nn.Module, *inputs: torch.Tensor) -> tuple[object, str]:
    """Run the forward pass, turning an exception into a sentence."""
    try:
        with torch.no_grad():
            return module(*inputs), ""
    except Exception as exc:  # noqa: BLE001 - any learner error becomes a hint
        return None, f"the forward pass failed: {type(exc).__name__}: {exc}"


def compare(mine: nn.Module, reference: nn.Module, x: torch.Tensor, what: str
            ) -> tuple[object, torch.Tensor, str]:
    """The learner's output, the library's, and how they differ in words ("" when they agree)."""
    out, problem = run(mine, x)
    with torch.no_grad():
        ref = reference(x)
    return out, ref, problem or describe_difference(what, out, ref)


def negative_conv_inputs(module: nn.Module, *inputs: torch.Tensor) -> list[str]:
    """Convolutions of ``module`` whose input has negative values.

    In DRCN every convolution reads either the image (>= 0) or a ReLU's output, so a negative
    input means a ReLU is missing before that convolution.
    """
    seen: dict[str, float] = {}
    hooks = []
    for name, m in module.named_modules():
        if isinstance(m, nn.Conv2d):
            def hook(_m, args, _out, name=name):  # noqa: ANN001, ANN202
                seen[name] = min(seen.get(name, 0.0), float(args[0].min()))
            hooks.append(m.register_forward_hook(hook))
    try:
        run(module, *inputs)
    finally:
        for h in hooks:
            h.remove()
    return [f"the input of your {name} has negative values (down to {v:.2f}): a ReLU is "
            "missing before it." for name, v in seen.items() if v < 0]


def as_outputs(result: object) -> tuple[object, object]:
    """(outputs, ensemble) from an SROutput, a pair, or a lone tensor (then outputs is None)."""
    if isinstance(result, SROutput) or (isinstance(result, tuple) and len(result) == 2):
        return result[0], result[1]
    return None, result


def states_tensor(result: object) -> object:
    """f2's states as a D x N x F x H x W tensor (from a list, tuple or tensor), else as given."""
    if isinstance(result, (list, tuple)) and result and all(
            isinstance(t, torch.Tensor) for t in result):
        try:
            return torch.stack(list(result))
        except RuntimeError:
            return result
    return result


def image_input(seed: int = 1) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(BATCH, 1, SIDE, SIDE, generator=gen)


def feature_input(seed: int = 2) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(BATCH, FILTERS, SIDE, SIDE, generator=gen)


def prepare(piece: object, reference: nn.Module, args: tuple, signature: str, what: str
            ) -> tuple[nn.Module | None, list[str]]:
    """Build the learner's piece, check its layers and parameter count, copy the weights."""
    mine, problem = build(piece, args, signature)
    if mine is None:
        return None, [problem]
    problems = conv_problems(mine, what)
    problems.append(parameter_problem(mine, reference, what))
    problems = [p for p in problems if p]
    if not problems:
        randomise_(reference)
        problem = copy_weights(reference, mine, what)
        if problem:
            problems.append(problem)
    return mine, problems


# ---------------------------------------------------------------- one checker per piece


def check_embedding(piece: object) -> bool:
    """Lesson 02: f1, ``Embedding(filters)``: two 3x3 convs with ReLU, 1 -> F -> F."""
    reference = EmbeddingNet(channels=1, filters=FILTERS)
    mine, problems = prepare(piece, reference, (FILTERS,), "Embedding(filters)", "your f1")
    if not problems:
        x = image_input()
        out, ref, problem = compare(mine, reference, x, "your H_0 = f1(x)")
        if problem:
            problems.append(problem)
            problems += negative_conv_inputs(mine, x)
            if isinstance(out, torch.Tensor) and out.shape == ref.shape and float(out.min()) < 0:
                problems.append("H_0 has negative values: f1 ends with a ReLU.")
    return report(problems, f"your f1 matches dl.EmbeddingNet: the same "
                            f"{count_parameters(reference):,} parameters at F = {FILTERS}, and "
                            f"the same H_0 for a {BATCH}x1x{SIDE}x{SIDE} input.")


def check_inference(piece: object) -> bool:
    """Lesson 03: f2, ``Inference(filters, recursions)``: ONE shared conv + ReLU, D times,
    returning [H_1, ..., H_D]."""
    reference = InferenceNet(filters=FILTERS, recursions=RECURSIONS)
    mine, problems = prepare(piece, reference, (FILTERS, RECURSIONS),
                             "Inference(filters, recursions)", "your f2")
    if mine is not None and any("parameters" in p for p in problems):
        convs = sum(isinstance(m, nn.Conv2d) for m in mine.modules())
        if convs > 1:
            problems.append(f"It holds {convs} convolutions: f2 applies ONE convolution D "
                            "times (the same self.conv at every pass of the loop).")
    if not problems:
        h0 = feature_input()
        out, problem = run(mine, h0)
        with torch.no_grad():
            ref_states = reference(h0)
        ref = torch.stack(ref_states)
        out = states_tensor(out)
        if problem:
            problems.append(problem)
        elif isinstance(out, torch.Tensor) and out.dim() == 5 and out.shape[1:] == ref.shape[1:] \
                and out.shape[0] != ref.shape[0]:
            problems.append(f"your f2 returned {out.shape[0]} maps; with D = {RECURSIONS} it "
                            f"returns {RECURSIONS}: H_1, ..., H_D (not H_0).")
        elif isinstance(out, torch.Tensor) and out.shape == ref.shape[1:]:
            problems.append("your f2 returned one map; it returns the list of all D maps "
                            "[H_1, ..., H_D], because every H_d is used later (lesson 05).")
        else:
            problem = describe_difference("your list [H_1, ..., H_D]", out, ref)
            if problem:
                problems.append(problem)
                if close(out[0], h0) and close(out[1:], ref[:-1]):
                    problems.append("It is shifted by one: it starts with H_0; the first map "
                                    "is H_1 = g(H_0).")
                problems += negative_conv_inputs(mine, h0)
                if float(out.min()) < 0:
                    problems.append("Some H_d have negative values: each recursion ends with "
                                    "a ReLU, H_d = max(0, W * H_{d-1} + b).")
    return report(problems, f"your f2 matches dl.InferenceNet: one shared convolution "
                            f"({count_parameters(reference):,} parameters at F = {FILTERS}, "
                            f"whatever D is) and the same {RECURSIONS} maps H_1..H_D.")


def check_reconstruction(piece: object) -> bool:
    """Lesson 04: f3, ``Reconstruction(filters)``: 3x3 conv + ReLU, then a LINEAR 3x3 conv to
    one channel."""
    reference = ReconstructionNet(filters=FILTERS, channels=1)
    mine, problems = prepare(piece, reference, (FILTERS,), "Reconstruction(filters)", "your f3")
    if not problems:
        h = feature_input()
        out, ref, problem = compare(mine, reference, h, "your f3(H_d)")
        if problem:
            problems.append(problem)
            problems += negative_conv_inputs(mine, h)
            if isinstance(out, torch.Tensor) and out.shape == ref.shape \
                    and float(out.min()) >= 0 > float(ref.min()):
                problems.append("Your output is never negative, the library's is: f3's last "
                                "convolution is linear (no ReLU after it), because the "
                                "correction it predicts can be negative.")
    return report(problems, f"your f3 matches dl.ReconstructionNet: the same "
                            f"{count_parameters(reference):,} parameters at F = {FILTERS} and "
                            f"the same image from the same H_d.")


def skip_hints(mine: torch.Tensor, ref: torch.Tensor, x: torch.Tensor, what: str,
               skip: bool) -> list[str]:
    """Name a missing or an unwanted ``+ x``."""
    if skip and close(mine + x, ref):
        return [f"{what} is the library's minus x: the skip connection (+ x) is missing."]
    if not skip and close(mine - x, ref):
        return [f"{what} includes + x: this model has no skip connection yet (lesson 06)."]
    return []


def check_basic_model(piece: object) -> bool:
    """Lesson 04: the basic model of Fig. 1, ``BasicModel(recursions, filters)``:
    y = f3(f2(f1(x))) from the LAST state H_D only, no skip."""
    reference = DRCN(recursions=RECURSIONS, filters=FILTERS, skip=False,
                     recursive_supervision=False)
    mine, problems = prepare(piece, reference, (RECURSIONS, FILTERS),
                             "BasicModel(recursions, filters)", "your basic model")
    if not problems:
        x = image_input()
        result, problem = run(mine, x)
        with torch.no_grad():
            ref = reference(x).ensemble
        out = as_outputs(result)[1] if result is not None else None
        problem = problem or describe_difference("your y", out, ref)
        if problem:
            problems.append(problem)
            problems += skip_hints(out, ref, x, "your y", skip=False) if isinstance(
                out, torch.Tensor) and out.shape == ref.shape else []
            problems += negative_conv_inputs(mine, x)
    return report(problems, f"your basic model matches dl.DRCN(recursive_supervision=False, "
                            f"skip=False): the same {count_parameters(reference):,} parameters "
                            f"and the same y = f3(H_D) at D = {RECURSIONS}.")


def check_supervised(piece: object, skip: bool, signature: str, what: str,
                     right: str) -> bool:
    """The shared body of lessons 05 and 06: D outputs y_d and the ensemble sum_d w_d y_d."""
    reference = DRCN(recursions=RECURSIONS, filters=FILTERS, skip=skip)
    mine, problems = prepare(piece, reference, (RECURSIONS, FILTERS), signature, what)
    if mine is not None and any("parameters" in p for p in problems):
        diff = count_parameters(mine) - count_parameters(reference)
        if diff == -RECURSIONS:
            problems.append("The difference is D: the D ensemble weights w_d are missing "
                            "(an nn.Parameter of D values).")
    if not problems:
        x = image_input()
        result, problem = run(mine, x)
        with torch.no_grad():
            ref = reference(x)
        if problem:
            return report([problem], right)
        outputs, ensemble = as_outputs(result)
        if outputs is None:
            return report([f"{what} returned one tensor; it returns dl.SROutput(outputs=..., "
                           "ensemble=...): the D predictions y_d and their ensemble."], right)
        outputs = states_tensor(outputs)
        problem = describe_difference("your stack of outputs [y_1, ..., y_D]", outputs, ref.outputs)
        if problem:
            problems.append(problem)
            if isinstance(outputs, torch.Tensor) and outputs.shape == ref.outputs.shape:
                problems += skip_hints(outputs, ref.outputs, x, "every y_d", skip)
        problem = describe_difference("your ensemble y", ensemble, ref.ensemble)
        if problem:
            problems.append(problem)
            if isinstance(ensemble, torch.Tensor) and ensemble.shape == ref.ensemble.shape:
                w = reference.ensemble_weights.detach().view(-1, 1, 1, 1, 1)
                if close(ensemble, ref.outputs.mean(dim=0)):
                    problems.append("It is the plain mean of the y_d; the ensemble weighs "
                                    "them with the learned w_d.")
                elif skip and close(ensemble, (w * (ref.outputs - x)).sum(0) + x):
                    problems.append("You added x after the weighted sum; add it to every y_d "
                                    "before weighting (the w_d need not sum to 1).")
                else:
                    problems += skip_hints(ensemble, ref.ensemble, x, "your ensemble", skip)
        if problems:
            problems += negative_conv_inputs(mine, x)
    return report(problems, right)


def check_recursive_model(piece: object) -> bool:
    """Lesson 05: ``SupervisedModel(recursions, filters)``: y_d = f3(H_d) for every d and the
    ensemble y = sum_d w_d y_d, no skip; returns ``dl.SROutput``."""
    right = (f"your model matches dl.DRCN(skip=False): the same parameters (the convolutions "
             f"plus D = {RECURSIONS} weights w_d), the same {RECURSIONS} predictions y_d and the "
             "same ensemble.")
    return check_supervised(piece, False, "SupervisedModel(recursions, filters)",
                            "your model", right)


def check_skip(piece: object) -> bool:
    """Lesson 06: ``MyDRCN(recursions, filters)``: y_d = f3(H_d) + x, the whole DRCN."""
    right = (f"your DRCN matches dl.DRCN: the same parameters, the same {RECURSIONS} "
             "predictions y_d = f3(H_d) + x and the same ensemble.")
    return check_supervised(piece, True, "MyDRCN(recursions, filters)", "your DRCN", right)


CHECKS: dict[str, Callable[[object], bool]] = {
    "Embedding": check_embedding,
    "Inference": check_inference,
    "Reconstruction": check_reconstruction,
    "BasicModel": check_basic_model,
    "SupervisedModel": check_recursive_model,
    "MyDRCN": check_skip,
}
