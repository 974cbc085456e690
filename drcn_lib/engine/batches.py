"""Mini-batches that are a pure function of (seed, step).

Batch ``s`` is drawn from the permutation of epoch ``s // batches_per_epoch``, seeded by
(seed, epoch), and its flip/rotation from a generator seeded by (seed, s). Nothing depends on
what ran before, so a run resumed at step ``s`` sees exactly the batches an uninterrupted run
would have seen: the basis of bitwise-identical resume.
"""

from __future__ import annotations

import numpy as np
import torch


class StepBatches:
    """Random mini-batches of aligned (input, target) patches, N x 1 x P x P float32 arrays."""

    def __init__(
        self,
        inputs: np.ndarray,
        targets: np.ndarray,
        batch_size: int,
        seed: int = 0,
        augment: bool = False,
    ) -> None:
        if len(inputs) != len(targets):
            raise ValueError(f"{len(inputs)} inputs but {len(targets)} targets")
        if len(inputs) == 0:
            raise ValueError("no training patches")
        self.inputs, self.targets = inputs, targets
        self.batch_size = min(batch_size, len(inputs))
        self.seed, self.augment = seed, augment
        self.per_epoch = len(inputs) // self.batch_size
        self._epoch, self._perm = -1, np.empty(0, dtype=np.int64)

    def _permutation(self, epoch: int) -> np.ndarray:
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._perm = torch.randperm(len(self.inputs), generator=g).numpy()
            self._epoch = epoch
        return self._perm

    def batch(self, step: int) -> tuple[torch.Tensor, torch.Tensor]:
        """The (input, target) tensors of optimiser step ``step`` (0-based)."""
        epoch, k = divmod(step, self.per_epoch)
        idx = np.sort(self._permutation(epoch)[k * self.batch_size : (k + 1) * self.batch_size])
        x = torch.from_numpy(np.ascontiguousarray(self.inputs[idx]))
        y = torch.from_numpy(np.ascontiguousarray(self.targets[idx]))
        if self.augment:
            g = torch.Generator().manual_seed(self.seed * 7_919 + step)
            code = int(torch.randint(8, (1,), generator=g))
            x, y = dihedral(x, code), dihedral(y, code)
        return x, y


def dihedral(t: torch.Tensor, code: int) -> torch.Tensor:
    """One of the 8 flips/rotations of the square (code 0 = identity), on the last two axes."""
    if code & 4:
        t = t.flip(-1)
    return torch.rot90(t, k=code & 3, dims=(-2, -1)).contiguous()
