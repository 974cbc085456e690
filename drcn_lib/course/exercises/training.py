"""Exercise of lesson 08 (training): how torchrun splits a batch over processes."""

from __future__ import annotations

from drcn_lib.course.exercises.feedback import as_number, verdict
from drcn_lib.engine.presets import preset


def check_per_process_batch(answer: object, processes: int = 4, batch_size: int | None = None
                            ) -> bool:
    """Q: under ``torchrun --nproc_per_node {processes}`` with the ``cpu`` preset, how many
    patches does EACH process push through the network per optimiser step?

    The engine keeps the global batch of the preset (``batch_size``) and gives every process
    an equal share (rank r takes patches r, r + N, r + 2N, ...); DistributedDataParallel then
    averages the gradients, so the step equals one process's step on the whole batch.
    Prints right and why, or a hint that never states the number; returns the verdict.
    """
    batch = preset("cpu").batch_size if batch_size is None else batch_size
    if batch % processes:
        return verdict(False, f"the engine refuses this: a batch of {batch} does not split "
                              f"over {processes} processes.")
    right = batch // processes
    value = as_number(answer)
    if value == right:
        return verdict(True, f"the global batch stays {batch} patches (the preset's "
                             f"batch_size) and is split evenly over {processes} processes: "
                             f"{batch} / {processes} = {right}; the gradients are averaged, so "
                             f"each step is the one-process step on all {batch} patches.")
    if value is None:
        return verdict(False, f"answer with a number of patches (got {answer!r}).")
    if value == batch:
        return verdict(False, "that is the whole batch of one step: with several processes, "
                              "does each one still compute all of it?")
    if value == batch * processes:
        return verdict(False, "the global batch does not grow with the processes: the preset's "
                              "batch_size is the batch of one whole step.")
    return verdict(False, f"{value:g} is not it. Read the preset's batch_size (the batch of "
                          "one optimiser step, over all processes) and share it out.")
