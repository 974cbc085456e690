"""Numbers published in the DRCN paper (Kim, Lee & Lee, CVPR 2016), for LABELLED comparison only.

Table 2 (PSNR/SSIM on Y, border crop = scale, MATLAB bicubic) and the two result figures (values
decoded from the figures' vector sources in the first author's repository kjw0612/rcn). Every
plot or table that shows these must label them as the paper's, beside our own measured numbers;
nothing in the library ever reports them as ours.
"""

from __future__ import annotations

METHODS = ("Bicubic", "A+", "SRCNN", "RFL", "SelfEx", "DRCN")



def _row(cells: list[tuple[float, float]]) -> dict[str, tuple[float, float]]:
    return dict(zip(METHODS, cells, strict=True))


# TABLE2[set][scale][method] = (psnr, ssim)
TABLE2: dict[str, dict[int, dict[str, tuple[float, float]]]] = {
    "Set5": {
        2: _row([(33.66, 0.9299), (36.54, 0.9544), (36.66, 0.9542),
                              (36.54, 0.9537), (36.49, 0.9537), (37.63, 0.9588)]),
        3: _row([(30.39, 0.8682), (32.58, 0.9088), (32.75, 0.9090),
                              (32.43, 0.9057), (32.58, 0.9093), (33.82, 0.9226)]),
        4: _row([(28.42, 0.8104), (30.28, 0.8603), (30.48, 0.8628),
                              (30.14, 0.8548), (30.31, 0.8619), (31.53, 0.8854)]),
    },
    "Set14": {
        2: _row([(30.24, 0.8688), (32.28, 0.9056), (32.42, 0.9063),
                              (32.26, 0.9040), (32.22, 0.9034), (33.04, 0.9118)]),
        3: _row([(27.55, 0.7742), (29.13, 0.8188), (29.28, 0.8209),
                              (29.05, 0.8164), (29.16, 0.8196), (29.76, 0.8311)]),
        4: _row([(26.00, 0.7027), (27.32, 0.7491), (27.49, 0.7503),
                              (27.24, 0.7451), (27.40, 0.7518), (28.02, 0.7670)]),
    },
    "B100": {
        2: _row([(29.56, 0.8431), (31.21, 0.8863), (31.36, 0.8879),
                              (31.16, 0.8840), (31.18, 0.8855), (31.85, 0.8942)]),
        3: _row([(27.21, 0.7385), (28.29, 0.7835), (28.41, 0.7863),
                              (28.22, 0.7806), (28.29, 0.7840), (28.80, 0.7963)]),
        4: _row([(25.96, 0.6675), (26.82, 0.7087), (26.90, 0.7101),
                              (26.75, 0.7054), (26.84, 0.7106), (27.23, 0.7233)]),
    },
    "Urban100": {
        2: _row([(26.88, 0.8403), (29.20, 0.8938), (29.50, 0.8946),
                              (29.11, 0.8904), (29.54, 0.8967), (30.75, 0.9133)]),
        3: _row([(24.46, 0.7349), (26.03, 0.7973), (26.24, 0.7989),
                              (25.86, 0.7900), (26.44, 0.8088), (27.15, 0.8276)]),
        4: _row([(23.14, 0.6577), (24.32, 0.7183), (24.52, 0.7221),
                              (24.19, 0.7096), (24.79, 0.7374), (25.14, 0.7510)]),
    },
}

# Set5 x3 PSNR (dB) of separate models with D recursions (the paper's recursion-depth figure).
RECURSION_DEPTH_SET5_X3: dict[int, float] = {1: 32.55, 6: 33.25, 11: 33.76, 16: 33.82}

# Set5 PSNR (dB) of each intermediate output d of a 16-recursion model, and of the ensemble.
SINGLE_OUTPUTS_SET5: dict[int, list[float]] = {
    2: [35.57, 36.16, 36.58, 36.69, 37.04, 37.03, 36.96, 36.74, 36.42, 36.06, 35.79, 35.66,
        35.53, 35.41, 35.28, 35.14],
    3: [30.92, 31.29, 31.57, 31.68, 31.74, 32.12, 32.21, 32.27, 32.29, 32.29, 32.28, 32.25,
        32.19, 32.15, 32.08, 31.79],
    4: [29.14, 29.52, 29.74, 29.90, 29.82, 29.90, 30.33, 30.81, 31.07, 31.15, 31.11, 31.00,
        30.85, 30.23, 28.75, 27.29],
}
ENSEMBLE_SET5: dict[int, float] = {2: 37.63, 3: 33.82, 4: 31.53}

# VDSR (Kim, Lee & Lee, CVPR 2016), same protocol, for context: VDSR[set][scale] = (psnr, ssim)
VDSR: dict[str, dict[int, tuple[float, float]]] = {
    "Set5": {2: (37.53, 0.9587), 3: (33.66, 0.9213), 4: (31.35, 0.8838)},
    "Set14": {2: (33.03, 0.9124), 3: (29.77, 0.8314), 4: (28.01, 0.7674)},
    "B100": {2: (31.90, 0.8960), 3: (28.82, 0.7976), 4: (27.29, 0.7251)},
    "Urban100": {2: (30.76, 0.9140), 3: (27.14, 0.8279), 4: (25.18, 0.7524)},
}

SRCNN_SET5_X3 = TABLE2["Set5"][3]["SRCNN"][0]  # 32.75 dB, the bar the cpu preset aims at


def paper(set_name: str, scale: int, method: str = "DRCN") -> tuple[float, float] | None:
    """(PSNR, SSIM) the paper reports, or None when it reports nothing for that cell."""
    return TABLE2.get(set_name, {}).get(scale, {}).get(method)
