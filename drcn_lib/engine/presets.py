"""Training configurations as frozen dataclasses, with four named presets.

- ``paper``: the paper's recipe (Sec. 4.1): 256 filters, 16 recursions, SGD with momentum 0.9,
  lr 0.01 divided by 10 when validation stops improving, batch 64, 41x41 patches with stride 21,
  beta = 1e-4. It is meant for a GPU: on a laptop CPU it would take weeks.
- ``cpu``: the recipe chosen BY MEASUREMENT to reach SRCNN's Set5 x3 PSNR (32.75 dB) in the
  fewest minutes on 2 CPU cores, on the AVX2 code path (float32) and with AVX-512 BF16: 32
  filters, batch 16 of 31x31 patches, Adam 2e-3 with cosine decay, D grown from 1 to 16 over
  the first half (``benchmarks/NOTES.md`` holds what was tried, predicted and measured). The
  shipped weights are trained with it.
- ``short``: the base of the lessons' short runs (a few hundred steps): the same optimiser
  without clipping and a fixed D, so that a switch studied in a lesson is the only thing that
  moves. It stays put when ``cpu`` changes.
- ``smoke``: a few seconds, for CI and ``DRCN_SMOKE=1``; it proves the code path, not quality.
- ``gpu``: the paper's architecture (256 filters, D = 16, recursive supervision, skip, learned
  w_d) trained in about 10 minutes on one data-centre GPU. It refuses a full run without CUDA
  (:func:`check_device`): weights from it are only ever trained on a GPU.

``dataclasses.replace(preset("cpu"), recursions=6)`` derives a variant; ``describe()`` prints it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, Literal

from drcn_lib.errors import ConfigError, DRCNError

OptimizerName = Literal["adam", "sgd"]
COMPILE_SETTINGS = ("off", "cuda", "on")
LrSchedule = Literal["constant", "cosine", "plateau"]

# The valid names of the string fields. They mirror drcn_lib.model.factory.ARCHS and
# drcn_lib.loss.ALPHA_KINDS / LOSS_REDUCTIONS (tests/test_engine.py checks they agree) without
# importing torch, so that `drcn --help` and a bad --set answer at once.
ARCHS: tuple[str, ...] = ("drcn", "srcnn")
OPTIMIZERS: tuple[str, ...] = ("adam", "sgd")
LR_SCHEDULES: tuple[str, ...] = ("constant", "cosine", "plateau")
LOSS_REDUCTIONS: tuple[str, ...] = ("mean", "sum")
ALPHA_KINDS: tuple[str, ...] = ("linear", "cosine", "constant", "step")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides what a training run computes (and nothing about where it runs)."""

    name: str = "custom"
    arch: str = "drcn"  # "drcn" or "srcnn"
    scale: int = 3
    recursions: int = 16  # D
    # D grows linearly from recursions_start to recursions over the first grow_fraction of the
    # steps (f2's weights are shared, so the depth can change mid-run); None: fixed D, as the
    # paper. SRCNN ignores both, as it ignores recursions.
    recursions_start: int | None = None
    grow_fraction: float = 0.5
    filters: int = 256  # F
    skip: bool = True
    recursive_supervision: bool = True
    train_set: str = "T91"
    patch: int = 41
    stride: int = 21
    augment: bool = False  # the 8 flips/rotations, drawn per batch
    batch_size: int = 64
    steps: int = 1000
    optimizer: OptimizerName = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    lr_schedule: LrSchedule = "plateau"
    warmup_steps: int = 0
    min_lr_fraction: float = 0.01  # cosine ends at lr * this
    plateau_patience: int = 5  # validations without improvement before lr /= 10
    beta: float = 1e-4  # weight decay of the loss, beta * ||theta||^2
    loss_reduction: str = "mean"  # "sum": squared errors summed per image, as the paper's loss
    grad_clip: float | None = None  # clip the total gradient norm (None: off, as the paper)
    # validate and ship an exponential moving average of the weights with this decay (None:
    # the weights themselves, as the paper); see engine/averaging.py
    ema_decay: float | None = None
    alpha_kind: str = "linear"
    alpha_start: float = 1.0
    alpha_end: float = 0.0
    alpha_decay_fraction: float = 0.5
    val_set: str = "Set5"
    val_every: int = 100  # steps between validations
    val_images: int | None = None  # first N images of val_set (None = all)
    max_minutes: float | None = None  # optional wall-clock stop (timing studies only)
    seed: int = 0
    # torch.compile the training forward pass: "off", "cuda" (only on a CUDA device; eager on a
    # CPU, where compiling costs minutes for little gain) or "on" (everywhere); see compile.py
    compile: str = "off"
    compile_mode: str = "default"  # torch.compile's mode ("reduce-overhead": CUDA graphs)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Raise :class:`ConfigError` naming the first field whose value cannot train.

        Called when a config is made, so a bad value (``batch_size=0``, ``val_every=0``,
        ``steps=0``, an unknown optimizer) is refused before anything is allocated or written,
        not as a ``ZeroDivisionError`` after the first checkpoint. Whether the patch fits the
        training images is checked when the run is set up (it needs the images).
        """
        _choice("arch", self.arch, ARCHS)
        _choice("optimizer", self.optimizer, OPTIMIZERS)
        _choice("lr_schedule", self.lr_schedule, LR_SCHEDULES)
        _choice("loss_reduction", self.loss_reduction, LOSS_REDUCTIONS)
        _choice("alpha_kind", self.alpha_kind, ALPHA_KINDS)
        for name in ("name", "train_set", "val_set"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ConfigError(f"{name} must be a non-empty string, got "
                                  f"{getattr(self, name)!r}")
        for name in ("skip", "recursive_supervision", "augment"):
            if not isinstance(getattr(self, name), bool):
                raise ConfigError(f"{name} must be true or false, got {getattr(self, name)!r}")
        _integer("scale", self.scale, 2, "the paper trains x2, x3 and x4")
        _integer("recursions", self.recursions, 1, "D, the paper uses 16")
        _integer("filters", self.filters, 1, "F, the paper uses 256")
        _integer("patch", self.patch, 1, "the paper cuts 41x41")
        _integer("stride", self.stride, 1, "the paper uses 21")
        _integer("batch_size", self.batch_size, 1, "the paper uses 64")
        _integer("steps", self.steps, 1, "0 steps would ship an untrained model")
        _integer("warmup_steps", self.warmup_steps, 0)
        _integer("plateau_patience", self.plateau_patience, 1)
        _integer("val_every", self.val_every, 1, "steps between validations")
        _integer("seed", self.seed, 0)
        _number("lr", self.lr, 0.0, None, low_open=True)
        _number("momentum", self.momentum, 0.0, 1.0, high_open=True)
        _number("min_lr_fraction", self.min_lr_fraction, 0.0, 1.0)
        _number("beta", self.beta, 0.0, None)
        _number("alpha_start", self.alpha_start, 0.0, 1.0)
        _number("alpha_end", self.alpha_end, 0.0, 1.0)
        _number("alpha_decay_fraction", self.alpha_decay_fraction, 0.0, 1.0, low_open=True)
        if self.val_images is not None:
            _integer("val_images", self.val_images, 1, "or None for the whole set")
        if self.grad_clip is not None:
            _number("grad_clip", self.grad_clip, 0.0, None, low_open=True)
        if self.max_minutes is not None:
            _number("max_minutes", self.max_minutes, 0.0, None, low_open=True)
        if self.recursions_start is not None:
            _integer("recursions_start", self.recursions_start, 1)
            if self.recursions_start > self.recursions:
                raise ConfigError(f"recursions_start must be in 1..{self.recursions} "
                                  f"(recursions), got {self.recursions_start}")
            _number("grow_fraction", self.grow_fraction, 0.0, 1.0, low_open=True)
        if self.compile not in COMPILE_SETTINGS:
            raise ConfigError(f"compile must be one of {COMPILE_SETTINGS}, got {self.compile!r}")
        if self.ema_decay is not None:
            _number("ema_decay", self.ema_decay, 0.0, 1.0, low_open=True, high_open=True)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def describe(self) -> str:
        """One line per field, printed at the start of every run."""
        width = max(len(f.name) for f in fields(self))
        lines = [f"TrainConfig '{self.name}':"]
        lines += [f"  {f.name:<{width}} = {getattr(self, f.name)!r}" for f in fields(self)]
        return "\n".join(lines)

    def model_kwargs(self) -> dict[str, Any]:
        """Arguments of :func:`drcn_lib.model.build_model` for this configuration."""
        if self.arch == "srcnn":
            return {"arch": "srcnn"}
        return {
            "arch": "drcn",
            "recursions": self.recursions,
            "filters": self.filters,
            "skip": self.skip,
            "recursive_supervision": self.recursive_supervision,
        }


def _choice(name: str, value: object, valid: tuple[str, ...]) -> None:
    if value not in valid:
        raise ConfigError(f"{name} {value!r} is not one of {valid}")


def _integer(name: str, value: object, low: int, hint: str = "") -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ConfigError(f"{name} must be an integer >= {low}, got {value!r}"
                          + (f" ({hint})" if hint else ""))


def _number(name: str, value: object, low: float, high: float | None,
            low_open: bool = False, high_open: bool = False) -> None:
    """``value`` must be a finite real in the interval; ``*_open`` excludes that end."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (value > low if low_open else value >= low) and (
            high is None or (value < high if high_open else value <= high))
    if not ok:
        interval = (("(" if low_open else "[") + f"{low:g}, "
                    + ("inf)" if high is None else f"{high:g}" + (")" if high_open else "]")))
        raise ConfigError(f"{name} must be a finite number in {interval}, got {value!r}")


# The paper's Caffe loss sums squared errors over each patch's pixels; its lr and beta assume it.
# The paper does not say how lr 0.01 stayed stable with that loss; here, without clipping, the
# 256-filter model's loss is NaN at step 1 on T91 (bf16 autocast, batch 16). Clipping the total
# gradient norm at 1 is our addition (VDSR, by the same authors, clips gradients): in a 30-step
# check it trained (Set5 31.4 dB at step 20) where 10 was unstable (benchmarks/NOTES.md).
PAPER = TrainConfig(name="paper", steps=200_000, val_every=1000, loss_reduction="sum",
                    grad_clip=1.0)

# The recipe that reaches SRCNN's Set5 x3 PSNR (32.75 dB) soonest on 2 CPU cores; each choice
# is measured in the benchmarks/NOTES.md section named in quotes. filters=32: an F 32 step is
# 3.3x faster than F 64 in float32 on AVX2 (with bf16 on AMX, 2.3x the patches per second)
# ("Filters"). batch_size=16: twice the steps of batch 32 for the same patches. D grown from
# recursions_start=1 over the first half: its steps cost about 40% less, worth about 0.2 dB at
# equal minutes; alpha_decay_fraction=1.0, so that no deep recursion is unfolded with alpha
# near 0 (else y_16 alone ends below bicubic) ("Depth growth and the alpha schedule").
# patch=31, stride=16: 57% of a 41x41 patch's cost for about the same PSNR per step; lr=2e-3:
# a little ahead of 1e-3 ("GPU screening", "Patch size"). grad_clip=0.25 ("Does clipping
# help?"); 10,000 steps ("How long a schedule?"). On the AVX2 path it crosses 32.75 dB after
# 17.8-23.1 minutes over three seeds. The values equal a run logged in benchmarks/recipes/
# (tests/test_growth.py checks it).
CPU = TrainConfig(
    name="cpu",
    filters=32,
    patch=31,
    stride=16,
    batch_size=16,
    steps=10000,
    recursions_start=1,
    grow_fraction=0.5,
    optimizer="adam",
    lr=2e-3,
    lr_schedule="cosine",
    warmup_steps=50,
    beta=0.0,
    grad_clip=0.25,
    augment=True,
    alpha_decay_fraction=1.0,
    val_every=250,
)

# Short runs (lessons 04, 06, 07; the stand-in for missing weights): at a few hundred steps
# Adam 1e-3 is stable without clipping, and a fixed D keeps every step the same model.
SHORT = TrainConfig(
    name="short",
    filters=32,
    batch_size=16,
    steps=200,
    optimizer="adam",
    lr=1e-3,
    lr_schedule="cosine",
    warmup_steps=50,
    beta=0.0,
    augment=True,
    val_every=25,
    val_images=2,
)

SMOKE = TrainConfig(
    name="smoke",
    filters=8,
    recursions=3,
    batch_size=4,
    patch=21,
    stride=21,
    steps=6,
    optimizer="adam",
    lr=1e-3,
    lr_schedule="constant",
    beta=0.0,
    grad_clip=None,
    val_every=3,
    val_images=2,
)

# The paper's network, trained for minutes on one GPU (benchmarks/gpu_paper_scale.py screens and
# measures it; benchmarks/NOTES.md holds its predictions).
GPU = TrainConfig(
    name="gpu",
    filters=256,  # the paper's F: the model whose depth gain the paper reports
    recursions=16,  # fixed D, as the paper: a growing D recompiles the graph at each new depth
    batch_size=64,  # the paper's batch, and enough work per step to keep a GPU's cores busy
    patch=41,  # the paper's 41x41 patches, stride 21
    stride=21,
    augment=True,  # the 8 flips/rotations: T91 alone is small for 1.8M weights
    steps=20000,  # ~25 ms a step (bf16) predicted on an H100: about 9 minutes of steps
    optimizer="adam",  # Adam converges in the few thousand steps a 10-minute budget has
    # Adam moves each weight by about lr; at fan-in 256*9 the weights are sqrt(8) times smaller
    # than at 32*9, so the cpu preset's 2e-3 would be a much larger relative step
    lr=5e-4,
    lr_schedule="cosine",  # no validation plateaus to wait for in a fixed budget
    warmup_steps=500,  # the first steps of Adam on a 16-deep recursion are the unstable ones
    beta=0.0,  # mean loss and Adam: the paper's beta belongs to its summed loss and SGD
    grad_clip=0.5,  # a bound on the rare large step, as in the cpu preset
    alpha_decay_fraction=1.0,  # alpha over the whole run: every y_d keeps a loss of its own
    val_every=1000,  # Set5 on a GPU takes about a second; 20 points on the curve
    compile="cuda",  # fused kernels on the GPU; eager on a CPU (tests)
)

PRESETS: dict[str, TrainConfig] = {
    "paper": PAPER, "cpu": CPU, "short": SHORT, "smoke": SMOKE, "gpu": GPU}

# A run of the gpu preset on a machine without CUDA: at most this many steps (tests, a look at
# the code path); its weights are never the GPU model's.
CPU_TEST_STEPS = 20


def check_device(cfg: TrainConfig, device_type: str) -> None:
    """Refuse a full ``gpu``-preset run on a device that is not CUDA, before anything starts.

    On 2 CPU cores one step of the 256-filter model takes minutes: the run would last weeks.
    A run of at most :data:`CPU_TEST_STEPS` steps (``--set steps=2``) is allowed, for tests."""
    if cfg.name == GPU.name and device_type != "cuda" and cfg.steps > CPU_TEST_STEPS:
        raise DRCNError(
            f"preset 'gpu' trains the paper's {cfg.filters}-filter model for {cfg.steps} steps "
            f"and needs a CUDA GPU; this run would use the {device_type}. Run it on a GPU, or "
            f"try the code path with --set steps={CPU_TEST_STEPS} (at most {CPU_TEST_STEPS} "
            "steps off a GPU)")


def with_defaults(saved: dict[str, Any]) -> dict[str, Any]:
    """A config dict saved by an older version (a checkpoint, a sidecar), completed with the
    defaults of fields added since, so that it compares equal to the same run's config today."""
    return {**{f.name: f.default for f in fields(TrainConfig)}, **saved}


def preset(name: str, **overrides: Any) -> TrainConfig:
    """A named preset with some fields replaced: ``preset("cpu", recursions=6, scale=2)``."""
    if name not in PRESETS:
        raise ConfigError(f"unknown preset {name!r}; valid presets are {sorted(PRESETS)}")
    unknown = set(overrides) - {f.name for f in fields(TrainConfig)}
    if unknown:
        raise ConfigError(f"unknown TrainConfig fields {sorted(unknown)}")
    return replace(PRESETS[name], **overrides)
