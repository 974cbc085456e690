"""The ``drcn`` command: the course's library, from a shell.

    drcn eval --model bicubic --sets Set5 Set14 B100 --scales 2 3 4 [--json]
    drcn eval --pretrained drcn-x3-d16 --sets Set5 [--json]   (every output d and the ensemble)
    drcn train --preset cpu --scale 3 --recursions 16 --out runs/x3-d16 [--resume | --force]
    drcn download Set5 | all                          (from the pinned public URLs)
    drcn download Set5 --from DIR_OR_ARCHIVE_OR_URL
    drcn data                                         (sets present, every pixel checksum)
    drcn upscale photo.png --scale 3 -o photo_x3.png  (a colour image through DRCN)

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
        predictor, sidecar = ev.load_predictor(
            args.weights, args.pretrained, device=args.device, tile=args.tile,
            intermediates=not args.ensemble_only)
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


# --- drcn data ---------------------------------------------------------------------------


def _add_data(subparsers: argparse._SubParsersAction) -> None:
    subparsers.add_parser(
        "data",
        help="list the image sets under DRCN_DATA and verify their pixel checksums",
        description="List the paper's image sets found under DRCN_DATA, with image counts, and "
        "check every image's pixel checksum; exit 2 naming any image that is not the paper's.",
    )


def _run_data(args: argparse.Namespace) -> int:
    from drcn_lib.data.registry import SETS, set_status, verify_set

    root = settings.data_root()
    print(f"DRCN_DATA = {root}")
    print(f"{'set':<10} {'role':<6} {'images':>9}  state")
    wrong: list[str] = []
    for name, info in SETS.items():
        st = set_status(name)
        state = st.state
        if st.found:
            bad = [p for p in verify_set(name) if not p.endswith(": missing")]
            if bad:
                wrong += bad
                state += f", {len(bad)} WRONG: " + ", ".join(
                    Path(b.split(": ", 1)[0]).name for b in bad[:5]) + (" ..." * (len(bad) > 5))
            elif st.state == "present":
                state = "present, verified"
        print(f"{name:<10} {info.role:<6} {st.found:>4}/{st.expected:<4}  {state}")
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
    if wrong:
        raise DRCNError(
            f"{len(wrong)} image(s) are not the paper's: " + "; ".join(wrong[:5])
            + (" ..." if len(wrong) > 5 else "") + ". Replace them with  drcn download SET --force"
        )
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
        help="fetch a set (or all) from its pinned public URLs, or from a folder, archive or URL",
        description="Fetch SET into DRCN_DATA from the public repositories and commits the course "
        "pins (DRCN_DATA_URL replaces the host), or with --from from a folder, a .zip/.tar(.gz) "
        "or an http(s) URL; every image's pixel checksum is verified and the set is installed "
        "all at once: nothing partial is left on failure.",
    )
    p.add_argument("set", help="T91, Set5, Set14, B100, Urban100, or all")
    p.add_argument("--from", dest="source", default=None,
                   help="folder, archive or URL (default: the pinned public URLs)")
    p.add_argument("--sha256", default=None, help="expected sha256 of the archive (with --from)")
    p.add_argument("--force", action="store_true", help="replace a set that is already there")


def _run_download(args: argparse.Namespace) -> int:
    from drcn_lib.data.download import download_set
    from drcn_lib.data.pinned import download_pinned
    from drcn_lib.data.registry import SETS, get_set, set_status, verify_set

    if args.sha256 and not args.source:
        raise DRCNError("--sha256 checks an archive given with --from; the pinned files are "
                        "checked against their own checksums")
    names = list(SETS) if args.set.strip().lower() == "all" else [get_set(args.set).name]
    for name in names:
        if args.source is not None:
            folder = download_set(name, args.source, sha256=args.sha256, overwrite=args.force)
        elif (not args.force and set_status(name).state == "present"
              and not verify_set(name)):
            print(f"{name}: already present and verified in {set_status(name).folder}")
            continue
        else:
            # a set with a wrong image is replaced only with --force; files that are not the
            # set's images stay, and so do its images that already match byte for byte
            state = set_status(name).state
            folder = download_pinned(name, overwrite=args.force or state != "present",
                                     verbose=False)
        print(f"{name}: verified and installed in {folder}")
    return 0


# --- drcn upscale --------------------------------------------------------------------------


def _add_upscale(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "upscale",
        help="upscale your own image (or a folder of them) with a shipped DRCN",
        description="Y through DRCN, CbCr by MATLAB bicubic, as the paper; tiled for large "
        "images. Nothing is written unless every input and output checks out.",
    )
    p.add_argument("input", type=Path, help="an image file, or a folder of images")
    p.add_argument("--scale", type=int, required=True, help="upscaling factor (2, 3 or 4)")
    p.add_argument("--model", default=None, help="shipped model name, e.g. drcn-x3-d16")
    p.add_argument("--depth", type=int, default=None, help="D of the shipped model (default 16)")
    p.add_argument("-o", "--output", type=Path, required=True,
                   help="output file (.png/.bmp/.tif), or a folder when the input is a folder")
    p.add_argument("--force", action="store_true", help="replace outputs that exist")
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--tile", type=int, default=256, help="rows (and columns) per network pass")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")


def _run_upscale(args: argparse.Namespace) -> int:
    from drcn_lib.engine.hardware import pick_device
    from drcn_lib.upscale import describe, upscale_files

    if args.tile < 16:
        raise DRCNError(f"--tile must be at least 16 rows; got {args.tile}")
    written = upscale_files(args.input, args.output, args.scale, model_name=args.model,
                            depth=args.depth, force=args.force,
                            device=str(pick_device(args.device)), band=args.tile,
                            progress=not args.no_progress)
    print(describe(written, args.scale))
    return 0


# --- drcn reproduce ------------------------------------------------------------------------


def _add_reproduce(subparsers: argparse._SubParsersAction) -> None:
    from drcn_lib.pretrained import REGISTRY

    p = subparsers.add_parser(
        "reproduce",
        help="train the shipped models (--train) or measure them against the paper",
        description="With --train: train and ship every registry model not shipped yet (cpu "
        "preset). Without: run the recursion-depth, ensemble and benchmark studies on the "
        "shipped weights and write RESULTS.md, results.json and figures into --out.",
    )
    p.add_argument("--train", action="store_true",
                   help="train (cpu preset) and ship every registry model not shipped yet")
    p.add_argument("--only", nargs="+", default=None, metavar="NAME",
                   help=f"with --train: only these models ({', '.join(REGISTRY)})")
    p.add_argument("--force", action="store_true", help="with --train: retrain shipped ones")
    p.add_argument("--runs", type=Path, default=None,
                   help="where training runs go (default: DRCN_RUNS, else runs/)")
    p.add_argument("--weights-dir", type=Path, default=None,
                   help="with --train: where to ship the weights (a checkout: drcn_lib/weights)")
    p.add_argument("--out", type=Path, default=Path("results"),
                   help="folder for RESULTS.md, results.json and figures (default results/)")
    p.add_argument("--device", default="auto", help="cpu, cuda, mps or auto (default)")
    p.add_argument("--sets", nargs="+", default=None,
                   help="benchmark sets (default: every test set present)")
    p.add_argument("--limit", type=int, default=None,
                   help="first N images of each set only (a quick look; not comparable)")
    p.add_argument("--fallback", action="store_true",
                   help="use scikit-image stand-in images for a missing set (not comparable)")
    p.add_argument("--stand-ins", action="store_true",
                   help="tiny untrained models instead of the weights (tests the pipeline only)")
    p.add_argument("--no-cache", action="store_true", help="score everything again")
    p.set_defaults(_parser=p)


def _command_of(prog: str, args: argparse.Namespace) -> str:
    """The command line that gives ``args``, the options left at their defaults left out."""
    parser: argparse.ArgumentParser = args._parser
    defaults = vars(parser.parse_args([]))
    parts = [prog]
    for key, value in vars(args).items():
        if key.startswith("_") or key not in defaults or value == defaults[key]:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            parts.append(flag)
        elif isinstance(value, list):
            parts += [flag, *map(str, value)]
        else:
            parts += [flag, str(value)]
    return " ".join(parts)


def _run_reproduce(args: argparse.Namespace) -> int:
    from drcn_lib.experiments.reproduce import reproduce

    return reproduce(
        train=args.train, only=args.only, force=args.force, runs=args.runs,
        weights_dir=args.weights_dir, out=args.out, device=args.device, sets=args.sets,
        limit=args.limit, fallback=args.fallback, stand_ins=args.stand_ins,
        cache=not args.no_cache, command=_command_of("drcn reproduce", args))


# --- main ----------------------------------------------------------------------------------

_COMMANDS: dict[str, tuple[Callable[[argparse._SubParsersAction], None], Callable[..., int]]] = {
    "eval": (_add_eval, _run_eval),
    "train": (_add_train, _run_train),
    "download": (_add_download, _run_download),
    "data": (_add_data, _run_data),
    "upscale": (_add_upscale, _run_upscale),
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
