"""Verdicts on the real logs of ``../shared/real-logs`` beside the sound verdict of its README.

Usage::

    python bench/real_logs.py [--root ../shared/real-logs]

Printed, per run: the format it was read with, its step unit, points, the pairs, every
finding at or above the label threshold (with its pair and onset, in the run's step unit),
the sound verdict the folder's README gives (mapped to labels by DECISIONS.md, "Labels,
verdicts and runs") and whether the run's labels honour it. The real logs are public data,
never committed: the script reads them where the shared folder puts them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ganlogs.analysis import analyze  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

def _says_d_won(summary: str) -> bool:
    """The summary says the discriminator won (DECISIONS.md: D dominance)."""
    return "discriminator wins" in summary or "discriminator won" in summary


FAILURES = {"oscillating", "mode_collapse", "vanishing_gradients", "diverged"}
D_WINS = {"mode_collapse", "vanishing_gradients"}


def _won(r, pair=None) -> bool:
    return any(f.label in D_WINS and f.confidence >= r.min_confidence
               and _says_d_won(f.summary) and (pair is None or f.pair == pair)
               for f in r.findings)


def _fails(r, pair=None) -> set[str]:
    return {f.label for f in r.findings if f.label in FAILURES
            and f.confidence >= r.min_confidence and (pair is None or f.pair == pair)}


#: run id prefix -> (README's sound verdict, the check of DECISIONS.md's mapping)
EXPECTED = {
    "cyclegan_h2z_vit_restarts": ("D wins outright (both sides)",
                                  lambda r: "converged" not in r.labels and _won(r, "A")
                                  and _won(r, "B")),
    "cyclegan_maps_mikelmh": ("stable, no failure", lambda r: not _fails(r)),
    "cyclegan_stroke_val": ("B-side D overpowers G_B, A side moderate",
                            lambda r: _won(r, "B") and not _fails(r, "A")
                            and "diverged" not in r.labels),
    "dcgan_tf_imagenet_nohup": ("G overpowers D: no converged",
                                lambda r: "converged" not in r.labels and not _won(r)),
    "ezrvc_header_only": ("an empty run or a one-line error", lambda r: not r.labels),
    "kerasgan_dcgan_mnist": ("healthy", lambda r: not _fails(r)),
    "pytorchgan_wgan_gp": ("critic dominating, no convergence: no converged",
                           lambda r: "converged" not in r.labels),
    "stylegan2ada_phyto": ("healthy (ADA holds r_t at 0.6): no failure, no d_overfitting",
                           lambda r: not _fails(r) and "d_overfitting" not in r.labels),
    "stylegan2ada_sprites_resume": ("early D overfitting that ADA corrects, then stable",
                                    lambda r: "d_overfitting" in r.labels and not _fails(r)),
}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--root", type=Path, default=ROOT.parent / "shared" / "real-logs")
    args = ap.parse_args()
    if not args.root.is_dir():
        print(f"{args.root}: absent (the shared real-logs folder)")
        return 2
    res = analyze(args.root)
    ok = 0
    for r in res.runs:
        key = r.run_id.split("/")[0]
        sound, check = EXPECTED.get(key, ("(not in the README)", lambda r: True))
        unit = r.run.meta.step_unit if r.run is not None else "-"
        pairs = ", ".join(f"{n}={p.name}" for n, p in r.roles.pairs.items()) \
            if r.roles is not None and r.roles.pairs else "one pair"
        found = [f"{f.label}{'[' + f.pair + ']' if f.pair else ''} {f.confidence:.2f} "
                 f"onset {f.onset_step} {unit}" for f in r.findings
                 if f.confidence >= r.min_confidence or f.label == "insufficient_data"]
        match = bool(check(r)) if r.ok else False
        ok += match
        print(f"{r.run_id}\n  format {r.format}, step unit {unit}, {r.points} points, {pairs}"
              f"\n  findings: {'; '.join(found) or '-'}\n  README: {sound}"
              f"\n  matches: {'yes' if match else 'NO'}")
    print(f"\n{ok} of {len(res.runs)} runs match the README's sound verdict")
    return 0


if __name__ == "__main__":
    sys.exit(main())
