#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Flame graphs and per-operation costs from `dev/fbpf bench --perf`.

Reads DIR/perf-CONFIG-WORK.folded (one line per distinct call stack:
"COMM;outermost;...;innermost COUNT", written by run-bench.sh from
`perf script`) and DIR/perf-CONFIG-WORK.rate (fbpf-bench's "OPS SECONDS
RATE" line), and writes:
  - DIR/perf-CONFIG-WORK.svg: a flame graph of every CPU's samples but
    the idle task's (the workload's command and, for plain FUSE, the
    daemon's threads side by side);
  - on stdout, per workload: each configuration's rate and CPU time per
    operation, its costliest functions (inclusive and self, microseconds
    per operation), and where it spends more than the reference
    configuration (overlay, else the native file system).

Samples become time through the workload's own: fbpf-bench runs on one CPU
for SECONDS, so its samples stand for SECONDS of CPU time, whatever rate
perf managed under TCG.  Under TCG a sample lands at the end of a
translated block: self times are blurred between neighbouring functions,
inclusive times much less.

usage: flamegraph.py DIR
"""
import glob
import html
import os
import sys
import zlib

WORKLOAD_COMM = "fbpf-bench"
IDLE_COMM = "swapper"
REFERENCES = ["overlay", "ext4", "tmpfs"]
ORDER = ["tmpfs", "ext4", "overlay", "bpf", "bpf-filter", "bpf-data",
         "passthrough", "plain"]
SHOWN = 12


def read_profile(folded, rate):
    """Stacks and counts, without the idle task's; ops and seconds."""
    stacks = []
    with open(folded, errors="replace") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = stack.split(";")
            if frames[0].startswith(IDLE_COMM):
                continue
            stacks.append((frames, int(count)))
    ops = secs = 0.0
    with open(rate) as f:
        fields = f.read().split()
    if len(fields) >= 2:
        ops, secs = float(fields[0]), float(fields[1])
    return stacks, ops, secs


def costs(stacks, ops, secs):
    """Microseconds per operation: total, and per function incl./self."""
    own = sum(n for fr, n in stacks if fr[0] == WORKLOAD_COMM)
    if not own or not ops:
        return None
    scale = secs / own / ops * 1e6
    incl, self_ = {}, {}
    total = 0
    for frames, n in stacks:
        total += n
        for fn in set(frames[1:]):
            incl[fn] = incl.get(fn, 0) + n
        self_[frames[-1]] = self_.get(frames[-1], 0) + n
    return {
        "total": total * scale,
        "incl": {k: v * scale for k, v in incl.items()},
        "self": {k: v * scale for k, v in self_.items()},
    }


def color(name):
    """A stable warm colour per function; fuse-bpf's own a shade of blue."""
    h = zlib.crc32(name.encode())
    if name.startswith("fuse_bpf") or name.startswith("fuse_backing"):
        return f"rgb({60 + h % 40},{120 + h % 60},{200 + h % 55})"
    return f"rgb({205 + h % 50},{90 + (h >> 8) % 110},{40 + (h >> 16) % 40})"


def svg(stacks, title, path, width=1200, row=16):
    """A flame graph: the root at the bottom, widths by samples."""
    tree = {"n": 0, "kids": {}}
    depth = 0
    for frames, n in stacks:
        node = tree
        node["n"] += n
        for fn in frames:
            node = node["kids"].setdefault(fn, {"n": 0, "kids": {}})
            node["n"] += n
        depth = max(depth, len(frames))
    total = tree["n"] or 1
    height = (depth + 3) * row
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" font-family="monospace" font-size="11">',
           f'<text x="4" y="{row - 3}">{html.escape(title)}</text>']

    def walk(node, x, level):
        for name, kid in sorted(node["kids"].items()):
            w = kid["n"] * (width - 8) / total
            if w >= 0.3:
                y = height - (level + 1) * row
                label = html.escape(name)
                pct = 100.0 * kid["n"] / total
                out.append(f'<g><title>{label} ({kid["n"]} samples, '
                           f'{pct:.1f}%)</title><rect x="{x + 4:.1f}" '
                           f'y="{y}" width="{w:.1f}" height="{row - 1}" '
                           f'fill="{color(name)}"/>')
                chars = int(w / 7)
                if chars >= 3:
                    text = name if len(name) <= chars else name[:chars - 2] + ".."
                    out.append(f'<text x="{x + 6:.1f}" y="{y + row - 4}">'
                               f'{html.escape(text)}</text>')
                out.append("</g>")
                walk(kid, x, level + 1)
            x += w

    walk(tree, 0.0, 0)
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def top(d, limit, cap=None):
    items = [(v, k) for k, v in d.items() if cap is None or v < cap]
    return sorted(items, reverse=True)[:limit]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    runs = {}
    for folded in sorted(glob.glob(os.path.join(d, "perf-*.folded"))):
        base = folded[:-len(".folded")]
        cfg, _, work = os.path.basename(base)[len("perf-"):].rpartition("-")
        rate = base + ".rate"
        if not cfg or not os.path.exists(rate):
            continue
        stacks, ops, secs = read_profile(folded, rate)
        svg(stacks, f"{cfg}: {work} ({ops:.0f} operations in {secs:.2f} s, "
            f"every CPU but idle)", base + ".svg")
        runs.setdefault(work, {})[cfg] = costs(stacks, ops, secs)
    if not runs:
        print(f"no profiles in {d}", file=sys.stderr)
        return 1
    for work, cfgs in runs.items():
        ref = next((c for c in REFERENCES if cfgs.get(c)), None)
        print(f"\n== {work}: CPU microseconds per operation (every CPU but idle)")
        for cfg in sorted(cfgs, key=lambda c: (ORDER.index(c) if c in ORDER
                                               else len(ORDER), c)):
            c = cfgs[cfg]
            if not c:
                print(f"{cfg}: no samples of {WORKLOAD_COMM}")
                continue
            print(f"\n{cfg}: {c['total']:.2f} us/op")
            # the syscall's own frames cover most of it: show what is below
            cap = 0.6 * c["total"]
            print("  inclusive: " + ", ".join(
                f"{k} {v:.2f}" for v, k in top(c["incl"], SHOWN, cap)))
            print("  self:      " + ", ".join(
                f"{k} {v:.2f}" for v, k in top(c["self"], SHOWN)))
            if ref and cfg != ref:
                r = cfgs[ref]["incl"]
                diff = {k: v - r.get(k, 0.0) for k, v in c["incl"].items()
                        if v < cap}
                print(f"  above {ref} ({c['total'] - cfgs[ref]['total']:+.2f}"
                      " us/op in all): " + ", ".join(
                          f"{k} {v:+.2f}" for v, k in top(diff, SHOWN)
                          if v > 0.005))
    print(f"\nflame graphs: {d}/perf-*.svg")
    return 0


if __name__ == "__main__":
    sys.exit(main())
