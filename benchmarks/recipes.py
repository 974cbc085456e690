"""Train the candidate `cpu` recipes and keep their logs (PSNR versus minutes).

Usage: ``python benchmarks/recipes.py NAME [NAME ...]`` runs each named recipe below into
``benchmarks/recipes/NAME/`` (history.json, sidecar; the weights are not committed), or a
screen's run into ``benchmarks/screens/cpu-avx512-bf16/NAME/``. The predictions written before
each run and what was measured are in ``benchmarks/NOTES.md``.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

from drcn_lib.engine.loop import train
from drcn_lib.engine.presets import TrainConfig

HERE = Path(__file__).resolve().parent
#: The logged recipes (history.json + model.json per run) lesson 08 and the README plot.
RECIPES_DIR = HERE / "recipes"

# The recipes are written against three earlier values of the `cpu` preset, pinned here so that
# a later preset leaves each name meaning the run logged under it.

# 64 filters, batch 32 of 41x41, Adam 5e-4 with clipping at 0.25, fixed D, 5000 steps.
CPU_F64 = TrainConfig(name="cpu", filters=64, batch_size=32, steps=5000, optimizer="adam",
                      lr=5e-4, lr_schedule="cosine", warmup_steps=50, beta=0.0, grad_clip=0.25,
                      augment=True, val_every=250)


def cpu_f64(**overrides: object) -> TrainConfig:
    """``CPU_F64`` with some fields replaced."""
    return replace(CPU_F64, **overrides)


# 32 filters, batch 16 of 41x41, Adam 1e-3, D grown 1 -> 16 over the first half, alpha decayed
# over the same half, 10,000 steps.
CPU_F32_GROW = TrainConfig(name="cpu", filters=32, batch_size=16, steps=10000, recursions_start=1,
                           grow_fraction=0.5, optimizer="adam", lr=1e-3, lr_schedule="cosine",
                           warmup_steps=50, beta=0.0, grad_clip=0.25, augment=True,
                           val_every=250)


def cpu_f32_grow(**overrides: object) -> TrainConfig:
    """``CPU_F32_GROW`` with some fields replaced."""
    return replace(CPU_F32_GROW, **overrides)


# ``CPU_F32_GROW`` with alpha over the whole run, 31x31 patches (stride 16) and Adam 2e-3: the
# `cpu` preset's values (tests/test_growth.py checks that the preset is a logged recipe).
CPU_F32_P31 = replace(CPU_F32_GROW, alpha_decay_fraction=1.0, patch=31, stride=16, lr=2e-3)


def cpu_f32_p31(**overrides: object) -> TrainConfig:
    """``CPU_F32_P31`` with some fields replaced."""
    return replace(CPU_F32_P31, **overrides)


# The first recipes ran Adam at 1e-3 without clipping.
ADAM1E3_NO_CLIP = {"lr": 1e-3, "grad_clip": None}

RECIPES = {
    # the reference point (NOTES.md, "Which optimiser and learning rate?"): constant Adam
    # 5e-4, batch 32, alpha linear over the first half
    "f64-adam5e-4-const": cpu_f64(lr=5e-4, lr_schedule="constant", warmup_steps=0,
                                  augment=False, steps=1500, val_every=100, grad_clip=None),
    "f64-adam1e-3-cosine": cpu_f64(**ADAM1E3_NO_CLIP, steps=1500, val_every=100),
    "f32-adam2e-3-cosine": cpu_f64(filters=32, lr=2e-3, grad_clip=None, steps=3000,
                                   val_every=200),
    "f64-adam1e-3-cosine-alpha0.25": cpu_f64(**ADAM1E3_NO_CLIP, steps=1500, val_every=100,
                                             alpha_decay_fraction=0.25),
    "f64-adam2e-3-cosine": cpu_f64(lr=2e-3, steps=1500, val_every=100, grad_clip=1.0),
    "f64-adam1e-3-cosine-b16": cpu_f64(**ADAM1E3_NO_CLIP, batch_size=16, steps=3000,
                                       val_every=200),
    # the first shipped drcn-x3-d16 (its sidecar and curve kept here; contended machine)
    "f64-adam1e-3-cosine-3000": cpu_f64(**ADAM1E3_NO_CLIP, steps=3000),
    # Adam 5e-4, cosine, clipping 0.25, 3000 steps (then ``CPU_F64`` itself, at 5000)
    "f64-adam5e-4-cosine-clip0.25-3000": cpu_f64(steps=3000),
    # ``CPU_F64`` itself: the drcn-x3-d16 once shipped with it (its sidecar and curve kept here
    # when the weights were retrained with ``CPU_F32_GROW``)
    "f64-adam5e-4-cosine-clip0.25-5000": cpu_f64(),
    # for the AVX2-only 30-minute goal; run these under AVX2 emulation
    # (benchmarks/bench.py's AVX2_ENV) so that their minutes are AVX2 minutes
    "avx2-f32-b16-adam1e-3-4500": cpu_f64(filters=32, batch_size=16, lr=1e-3, steps=4500,
                                          max_minutes=30),
    # F 32 with D grown 1 -> 16 over the first half, for about 50 minutes: when does it cross
    # 32.75 dB?
    "avx2-f32-b16-grow1-adam1e-3-10000": cpu_f64(filters=32, batch_size=16, lr=1e-3,
                                                 steps=10000, recursions_start=1,
                                                 max_minutes=60),
    # the same recipe with its schedule sized to about 28 AVX2 minutes
    "avx2-f32-b16-grow1-adam1e-3-6000": cpu_f64(filters=32, batch_size=16, lr=1e-3,
                                                steps=6000, recursions_start=1,
                                                max_minutes=35),
    # the same recipe on the machine's own code path (bf16 on AVX-512 + AMX): ``CPU_F32_GROW``,
    # logged under the preset name `fast`
    "f32-b16-grow1-adam1e-3-10000": cpu_f32_grow(name="fast"),
    # with D grown over the first half and alpha decayed over the same half, the deep
    # outputs are unfolded only when alpha is near 0, so no single y_d past the first few is
    # ever trained to be good alone (y_16 ends below bicubic). alpha over the whole run instead:
    "f32-b16-grow1-adam1e-3-10000-alpha1.0": cpu_f32_grow(alpha_decay_fraction=1.0),
    # the same with its cosine schedule 20% shorter, on the AVX2 code path: does annealing
    # sooner bring the crossing under 30 minutes? (stopped at 32 minutes in any case)
    "avx2-f32-b16-grow1-adam1e-3-8000-alpha1.0": cpu_f32_grow(alpha_decay_fraction=1.0,
                                                              steps=8000, max_minutes=32),
    # the same weights trajectory as the alpha-1.0 recipe (same seed, the optimiser
    # never sees the average), but validated and shipped as an average of the weights
    "f32-b16-grow1-adam1e-3-10000-alpha1.0-ema0.999": cpu_f32_grow(alpha_decay_fraction=1.0,
                                                                   ema_decay=0.999),
    # D grown over three quarters of the run, or all of it: a step costs about 0.022 + 0.021 D
    # seconds on the AVX2 path, so the later D reaches 16 the cheaper each step up to the
    # crossing. Screened with bf16 on the Xeon for the step of the crossing; its AVX2 minutes
    # estimated from that cost, then measured under emulation if it wins
    "f32-b16-grow1-adam1e-3-10000-alpha1.0-grow0.75": cpu_f32_grow(alpha_decay_fraction=1.0,
                                                                   grow_fraction=0.75),
    "f32-b16-grow1-adam1e-3-10000-alpha1.0-grow1.0": cpu_f32_grow(alpha_decay_fraction=1.0,
                                                                  grow_fraction=1.0),
    # the winner of the GPU screening (benchmarks/screen_gpu.py, screens/gpu-h200.json):
    # 31x31 patches (stride 16: as many patches a step, 57% of the pixels) and Adam 2e-3; run
    # under AVX2 emulation, stopped at 32 minutes
    "avx2-f32-b16-grow1-adam2e-3-p31-10000-alpha1.0": cpu_f32_p31(max_minutes=32),
    # the same with another seed (other initial weights, other batches): how firm is the
    # crossing of the run above?
    "avx2-f32-b16-grow1-adam2e-3-p31-10000-alpha1.0-seed1": cpu_f32_p31(max_minutes=32, seed=1),
    # a third seed on the AVX2 path (its bf16 run crossed late, at step 9250)
    "avx2-f32-b16-grow1-adam2e-3-p31-10000-alpha1.0-seed2": cpu_f32_p31(max_minutes=32, seed=2),
}

# Screens: runs that compare variants over seeds (one question each), kept out of the recipe
# figures. Their logs go to benchmarks/screens/cpu-avx512-bf16/NAME/ (the Intel Xeon with
# AVX-512 BF16 + AMX, bf16).
SCREEN_DIR = HERE / "screens" / "cpu-avx512-bf16"
SCREENS = {
    # screened on the Xeon's own path (bf16; by step, bf16 and float32 curves agree): does a
    # 27x27 patch (stride 14, so as many patches a step; 76% of a 31x31's pixels) keep the PSNR
    # per step, as 31x31 kept 41x41's? Three seeds of each, the `cpu` preset's own seeds 1 and
    # 2 beside them (its seed 0 is the shipped drcn-x3-d16's curve)
    **{f"f32-b16-grow1-adam2e-3-p27-10000-alpha1.0{tag}": cpu_f32_p31(patch=27, stride=14,
                                                                       seed=seed)
       for seed, tag in ((0, ""), (1, "-seed1"), (2, "-seed2"))},
    **{f"f32-b16-grow1-adam2e-3-p31-10000-alpha1.0-seed{seed}": cpu_f32_p31(seed=seed)
       for seed in (1, 2)},
    # 27x27 patches crossed sooner but ended lower than 31x31: does Adam 3e-3 lift the end?
    **{f"f32-b16-grow1-adam3e-3-p27-10000-alpha1.0{tag}": cpu_f32_p31(patch=27, stride=14,
                                                                       lr=3e-3, seed=seed)
       for seed, tag in ((0, ""), (1, "-seed1"))},
    # 24 filters: a step on the AVX2 path costs 0.67 of a 32-filter one (0.123 against 0.184 s
    # at D = 16), so 13,000 steps cost about 0.87 of the preset's 10,000
    **{f"f24-b16-grow1-adam2e-3-p31-13000-alpha1.0{tag}": cpu_f32_p31(filters=24, steps=13000,
                                                                       seed=seed)
       for seed, tag in ((0, ""), (1, "-seed1"))},
}


def out_dir(name: str) -> Path:
    """Where the run of recipe or screen ``name`` writes its log."""
    return (SCREEN_DIR if name in SCREENS else RECIPES_DIR) / name


def main(names: list[str]) -> None:
    for name in names:
        cfg = {**RECIPES, **SCREENS}[name]
        out = out_dir(name)
        train(cfg, out, resume=(out / "checkpoint.pt").exists(), progress=False,
              command=f"python benchmarks/recipes.py {name}")


if __name__ == "__main__":
    main(sys.argv[1:] or list(RECIPES))
