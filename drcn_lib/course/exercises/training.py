"""Exercise of lesson 08 (training): how torchrun splits a batch over processes."""

from __future__ import annotations

from drcn_lib.engine.presets import preset


def check_per_process_batch(answer: object, processes: int = 4, batch_size: int | None = None
                            ) -> bool:
    """Q: under ``torchrun --nproc_per_node {processes}`` with the ``cpu`` preset, how many
    patches does EACH process push through the network per optimiser step?

    The engine keeps the global batch of the preset (``batch_size``) and gives every process
    an equal share (rank r takes patches r, r + N, r + 2N, ...); DistributedDataParallel then
    averages the gradients, so the step equals one process's step on the whole batch.
    Prints right or wrong and why; returns whether ``answer`` is right.
    """
    batch = preset("cpu").batch_size if batch_size is None else batch_size
    if batch % processes:
        print(f"(the engine refuses this: a batch of {batch} does not split over {processes} "
              "processes)")
        return False
    right = batch // processes
    try:
        ok = float(answer) == right  # type: ignore[arg-type]
    except (TypeError, ValueError):
        ok = False
    why = (f"the global batch stays {batch} patches (the preset's batch_size) and is split "
           f"evenly over {processes} processes: {batch} / {processes} = {right}; the gradients "
           "are averaged, so each step is the one-process step on all "
           f"{batch} patches")
    print(("Right: " if ok else f"Not quite ({answer!r}): ") + why)
    return ok
