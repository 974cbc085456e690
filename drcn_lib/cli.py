"""The ``drcn`` command: the course's library, from a shell.

    drcn eval --model bicubic --sets Set5 Set14 B100 --scales 2 3 4 [--json]
    drcn eval --pretrained drcn-x3-d16 --sets Set5 [--json]   (every output d and the ensemble)
    drcn train --preset cpu --scale 3 --recursions 16 --out runs/x3-d16 [--resume | --force]
    drcn download Set5 --from DIR_OR_ARCHIVE_OR_URL
    drcn data

Each subcommand is a pair ``_add_<cmd>(subparsers)`` (its arguments) and ``_run_<cmd>(args)``
(its work, returning the exit code), registered in ``_COMMANDS``. Errors the course raises on
purpose (:class:`drcn_lib.errors.DRCNError`), and ``OSError``s of the machine (a full disk),
become one line on stderr and exit code 2; anything else is a bug and keeps its traceback.
``python -m drcn_lib.cli`` works as well as ``drcn``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from drcn_lib import settings
from drcn_lib.errors import DRCNError

MODELS = ("bicubic", "drcn")
DEFAULT_SETS = ("Set5", "Set14", "B100")
DEFAULT_SCALES = (2, 3, 4)
_IMAGE_SUFFIXES = (".png", ".bmp", ".jpg", ".jpeg", ".tif", ".tiff")


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


# --- drcn eval -----------------------------------------------------------------------------


def _add_eval(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "eval",
        help="PSNR/SSIM on the benchmark sets (DRCN's Table 2 protocol)",
        description="Mean PSNR/SSIM on Y, border crop = scale, MATLAB bicubic inputs.",
    )
    p.add_argument(
        "--model",
        choices=MODELS,
        default=None,
        help="bicubic (the baseline) or drcn (needs --weights or --pretrained); "
        "default: drcn if weights are given, else bicubic",
    )
    p.add_argument("--weights", type=Path, default=None, help="a trained model's weights file")
    p.add_argument("--pretrained", default=None, help="name of shipped weights, e.g. drcn-x3-d16")
    p.add_argument("--sets", nargs="+", default=list(DEFAULT_SETS), help="set names")
    p.add_argument("--scales", nargs="+", type=int, default=None,
                   help="factors (default: the scale DRCN weights were trained for, "
                   "else 2 3 4)")
    p.add_argument("--json", action="store_true", help="print only a JSON list of the records")
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--tile", type=int, default=256, help="tile size for large images (0: none)")
    p.add_argument("--ensemble-only", action="store_true",
                   help="score only the ensemble, not every intermediate output d")


def _run_eval(args: argparse.Namespace) -> int:
    ev = importlib.import_module("drcn_lib.evaluate")  # the package re-exports evaluate()

    bad = [s for s in args.scales or () if s < 2]
    if bad:
        raise DRCNError(
            f"--scales must be integers of at least 2 (the paper uses 2 3 4); got {bad}"
        )
    model = args.model or ("drcn" if (args.weights or args.pretrained) else "bicubic")
    if model == "bicubic":
        if args.weights or args.pretrained:
            raise DRCNError("--weights/--pretrained make no sense with --model bicubic")
        predictor, name = ev.bicubic_predictor, "bicubic"
        scales = args.scales or list(DEFAULT_SCALES)
    else:
        if not (args.weights or args.pretrained):
            raise DRCNError("--model drcn needs --weights FILE or --pretrained NAME")
        predictor, sidecar = ev.model_predictor_from_args(args)
        name = args.pretrained or (args.weights.stem if args.weights else "drcn")
        preset = sidecar.get("preset")
        trained = preset.get("scale") if isinstance(preset, dict) else None
        # a DRCN is trained for one scale: default to it, and honour explicit --scales
        scales = args.scales or ([trained] if trained is not None else list(DEFAULT_SCALES))
        other = [s for s in scales if trained is not None and s != trained]
        if other:
            _stderr(f"drcn eval: warning: {name} was trained for x{trained}; its scores at "
                    f"{', '.join(f'x{s}' for s in other)} measure a scale it never saw")
    records = ev.evaluate(predictor, args.sets, scales, name, progress=_stderr)
    if args.json:
        print(json.dumps([r.as_dict() for r in records], indent=1))
    else:
        print(ev.format_table(records))
    return 0


# --- drcn data -----------------------------------------------------------------------------


def _add_data(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser(
        "data",
        help="list the image sets present under DRCN_DATA",
        description="List the paper's image sets found under DRCN_DATA, with image counts.",
    )


def _run_data(args: argparse.Namespace) -> int:
    from drcn_lib.data.registry import SETS, set_status

    root = settings.data_root()
    print(f"DRCN_DATA = {root}")
    print(f"{'set':<10} {'role':<6} {'images':>9}  state")
    for name, info in SETS.items():
        st = set_status(name)
        print(f"{name:<10} {info.role:<6} {st.found:>4}/{st.expected:<4}  {st.state}")
    others = []
    if root.is_dir():
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            if folder.name in SETS or folder.name.startswith("."):
                continue
            count = sum(1 for f in folder.iterdir() if f.suffix.lower() in _IMAGE_SUFFIXES)
            if count:
                others.append(f"{folder.name} ({count} images)")
    if others:
        print("other folders: " + ", ".join(others))
    return 0


# --- drcn train ----------------------------------------------------------------------------


def _add_train(subparsers: argparse._SubParsersAction) -> None:
    from drcn_lib.engine.presets import PRESETS

    p = subparsers.add_parser(
        "train",
        help="train DRCN (or SRCNN) on T91 with a preset",
        description="Train with a named preset; the output folder receives model.safetensors, "
        "its JSON sidecar, history.json and a resumable checkpoint.pt.",
    )
    p.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    p.add_argument("--scale", type=int, choices=(2, 3, 4), default=None)
    p.add_argument("--recursions", type=int, default=None, help="D")
    p.add_argument("--filters", type=int, default=None, help="F")
    p.add_argument("--arch", choices=("drcn", "srcnn"), default=None)
    p.add_argument("--steps", type=int, default=None)
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="FIELD=VALUE",
                   help="override any preset field, e.g. --set lr=5e-4 (repeatable)")
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.add_argument("--resume", action="store_true",
                   help="continue from OUT/checkpoint.pt (lr and grad_clip may change); "
                   "without one, say so and start at step 0")
    p.add_argument("--force", action="store_true",
                   help="start again in an OUT that holds earlier weights or a checkpoint "
                   "(they are replaced as the new run writes its own)")
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--dtype", default="auto", help="float32, bfloat16 or auto (timed probe)")
    p.add_argument("--channels-last", choices=("auto", "on", "off"), default="auto")
    p.add_argument("--recon", choices=("auto", "batched", "loop"), default="auto",
                   help="how f3 runs over the D maps")
    p.add_argument("--checkpoint-every", type=float, default=180.0, metavar="SECONDS")
    p.add_argument("--no-progress", action="store_true", help="plain log lines, no bar")
    p.add_argument("--no-fallback", action="store_true",
                   help="fail if T91 or the validation set is missing instead of training on "
                   "scikit-image stand-ins (shipped weights are trained so)")


def _parse_override(text: str, fields: dict[str, object]) -> tuple[str, object]:
    key, sep, raw = text.partition("=")
    if not sep or key not in fields:
        raise DRCNError(f"--set {text!r}: expected FIELD=VALUE with FIELD one of {sorted(fields)}")
    current = fields[key]
    if raw.lower() in ("none", "null"):
        return key, None
    if isinstance(current, bool):
        if raw.lower() not in ("1", "true", "yes", "on", "0", "false", "no", "off"):
            raise DRCNError(f"--set {text!r}: {key} needs true or false")
        return key, raw.lower() in ("1", "true", "yes", "on")
    for cast in (int, float):
        if isinstance(current, cast):
            try:
                return key, cast(raw)
            except ValueError as exc:
                kind = "an integer" if cast is int else "a number"
                raise DRCNError(f"--set {text!r}: {key} needs {kind}") from exc
    try:
        return key, json.loads(raw)
    except ValueError:
        return key, raw


def _run_train(args: argparse.Namespace) -> int:
    from drcn_lib.engine.loop import train
    from drcn_lib.engine.presets import preset

    base = preset(args.preset).as_dict()
    overrides = dict(_parse_override(t, base) for t in args.overrides)
    for key in ("scale", "recursions", "filters", "arch", "steps"):
        if getattr(args, key) is not None:
            overrides[key] = getattr(args, key)
    cfg = preset(args.preset, **overrides)
    cl = {"auto": "auto", "on": True, "off": False}[args.channels_last]
    result = train(cfg, args.out, resume=args.resume, device=args.device, dtype=args.dtype,
                   channels_last=cl, recon_strategy=args.recon,
                   checkpoint_every_s=args.checkpoint_every, progress=not args.no_progress,
                   allow_fallback=not args.no_fallback, overwrite=args.force)
    if result.sidecar:
        print(f"weights: {result.weights} (final {cfg.val_set} x{cfg.scale} PSNR "
              f"{result.final_psnr:.2f} dB)")
    return 0


# --- drcn download -------------------------------------------------------------------------


def _add_download(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "download",
        help="fetch a set from a folder, archive or URL and verify its checksums",
        description="Copy SET into DRCN_DATA from a folder, a .zip/.tar(.gz) or an http(s) URL, "
        "verifying every image's pixel checksum; nothing partial is left on failure.",
    )
    p.add_argument("set", help="T91, Set5, Set14, B100 or Urban100")
    p.add_argument("--from", dest="source", required=True, help="folder, archive or URL")
    p.add_argument("--sha256", default=None, help="expected sha256 of the archive")
    p.add_argument("--force", action="store_true", help="replace a set that is already there")


def _run_download(args: argparse.Namespace) -> int:
    from drcn_lib.data.download import download_set

    folder = download_set(args.set, args.source, sha256=args.sha256, overwrite=args.force)
    print(f"{args.set}: verified and installed in {folder}")
    return 0


# --- drcn reproduce ------------------------------------------------------------------------


def _add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    from drcn_lib.experiments.reproduce import add_arguments

    p = subparsers.add_parser(
        "reproduce",
        help="train the shipped models (--train) or measure them against the paper",
        description="With --train: train and ship every registry model not shipped yet (cpu "
        "preset). Without: run the recursion-depth, ensemble and benchmark studies on the "
        "shipped weights and write RESULTS.md, results.json and figures into --out.",
    )
    add_arguments(p)


def _run_reproduce(args: argparse.Namespace) -> int:
    from drcn_lib.experiments.reproduce import command_of, run

    return run(args, command=command_of("drcn reproduce", args))


# --- main ----------------------------------------------------------------------------------

_COMMANDS: dict[str, tuple[Callable[[argparse._SubParsersAction], None], Callable[..., int]]] = {
    "eval": (_add_eval, _run_eval),
    "train": (_add_train, _run_train),
    "download": (_add_download, _run_download),
    "data": (_add_data, _run_data),
    "reproduce": (_add_reproduce, _run_reproduce),
}


def build_parser() -> argparse.ArgumentParser:
    """The ``drcn`` argument parser with one subcommand per entry of ``_COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="drcn", description="DRCN course tools (Kim, Lee & Lee, CVPR 2016)."
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add, _ in _COMMANDS.values():
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``drcn``; returns the exit code (0 ok, 2 for a usage or data error)."""
    args = build_parser().parse_args(argv)
    _, run = _COMMANDS[args.command]
    try:
        return run(args)
    except (DRCNError, OSError) as err:  # OSError: a full disk, a folder that vanished
        message = " ".join(line.strip() for line in str(err).splitlines() if line.strip())
        _stderr(f"drcn {args.command}: error: {message}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
