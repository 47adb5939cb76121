"""`python -m mkteach.paper [--json]`: the paper's claims against the model, as a table or JSON."""

from __future__ import annotations

import argparse
import json
import sys

from .claims import BASES, Claim, claims


def fmt(value: object) -> str:
    """Return a claim value for the table: ranges as 'low-high'."""
    if isinstance(value, tuple):
        return f"{fmt(value[0])}-{fmt(value[1])}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def table(rows: list[Claim]) -> str:
    """Return the claims as a fixed-width text table."""
    head = ("claim", "section", "paper", "model", "unit", "basis", "holds")
    body = [(c.id, c.section, fmt(c.paper), fmt(c.model), c.unit, c.basis,
             "yes" if c.holds else "NO") for c in rows]  # fmt: skip
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(v.ljust(wd) for v, wd in zip(r, widths, strict=True)) for r in [head, *body]]
    lines.insert(1, "  ".join("-" * wd for wd in widths))
    held = sum(c.holds for c in rows)
    lines.append(f"\n{held} of {len(rows)} claims hold within their tolerance.")
    lines.append(basis_counts(rows))
    return "\n".join(lines)


def basis_counts(rows: list[Claim]) -> str:
    """Return one line per basis: how many claims rest on it and how many of those hold."""
    lines = []
    for basis in BASES:
        group = [c for c in rows if c.basis == basis]
        held = sum(c.holds for c in group)
        lines.append(f"{basis}: {len(group)} claims, {held} hold")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Print the claims; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m mkteach.paper", description=__doc__)
    parser.add_argument("--json", action="store_true", help="print a JSON list instead")
    args = parser.parse_args(argv)
    rows = claims()
    if args.json:
        keys = ("id", "section", "paper", "model", "unit", "holds", "basis")
        print(json.dumps([{k: c.to_dict()[k] for k in keys} for c in rows], indent=1))
    else:
        print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
