#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Summarise a `dev/fbpf bench` run.

Reads the guest's results log (lines written by run-bench.sh), and writes:
  - a table on stdout: per workload and configuration, the median over the
    repetitions, its spread and its ratio to the native backing file system;
  - OUTDIR/results.csv: one row per workload and configuration;
  - OUTDIR/results.png: ratios to native (log scale), with gnuplot.

With --scaling (a `dev/fbpf bench --scaling` log), instead:
  - per workload, depth and configuration, the median cost of one operation
    (microseconds) at every N, and how it grew from the smallest N;
  - OUTDIR/scaling.csv: one row per configuration, workload, N and depth;
  - OUTDIR/scaling-WORKLOAD.png: microseconds per operation against N (log
    axes), one line per configuration, a panel per depth (matplotlib).

usage: report.py [--scaling] RESULTS_LOG OUTDIR [--baseline CONFIG]
"""
import csv
import os
import shutil
import statistics
import subprocess
import sys
import textwrap

CONFIG_ORDER = ["tmpfs", "ext4", "overlay", "bpf", "bpf-filter",
                "bpf-data", "passthrough", "plain"]
CONFIG_TITLE = {
    "tmpfs": "native tmpfs",
    "ext4": "native ext4",
    "overlay": "overlayfs",
    "bpf": "fuse-bpf",
    "bpf-filter": "fuse-bpf+filter",
    "bpf-data": "fuse-bpf+data",
    "passthrough": "passthrough",
    "plain": "plain FUSE",
}
WORKLOAD_NOTE = {
    "create": "create+write 4K+close, tree",
    "stat-cold": "lstat walk, after drop_caches",
    "stat-warm": "lstat walk, dcache warm",
    "open-close": "open+close, warm",
    "stat-warm-smp": "lstat walk, warm, a process per CPU (sum)",
    "open-close-smp": "open+close, warm, a process per CPU (sum)",
    "unlink": "unlink, warm",
    "readdir-cold": "getdents, after drop_caches",
    "readdir-warm": "getdents, warm",
    "untar": "tar -x of a source tree",
    "seq-write": "fio 1M write + fsync",
    "seq-read": "fio 1M read, cold",
    "rand-read": "fio 4K randread, warm",
    "rand-write": "fio 4K randwrite, warm",
    "git-status-cold": "git status of the tree, after drop_caches",
    "git-status-warm": "git status again, warm",
    "git-diff-stat": "git diff --stat, a few files changed",
    "find-stat": "find -type f | xargs stat of the tree, warm",
    "du": "du -s of the tree, warm",
    "tar-c": "tar -c of the tree into a pipe, cold",
    "make": "make -j(nproc) of the C project, translation units/s",
}


def parse(path):
    values, units, order = {}, {}, []
    skips, fails, infos, reqs = {}, [], [], {}
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("bench: "):
                parts = line.split()
                if len(parts) != 6:
                    continue
                _, cfg, wl, _rep, val, unit = parts
                try:
                    v = float(val)
                except ValueError:
                    fails.append(line)
                    continue
                values.setdefault((wl, cfg), []).append(v)
                units[wl] = unit
                if wl not in order:
                    order.append(wl)
            elif line.startswith("bench-skip: "):
                cfg, _, why = line[len("bench-skip: "):].partition(" ")
                skips[cfg] = why
            elif line.startswith("bench-fail: "):
                fails.append(line[len("bench-fail: "):])
            elif line.startswith("bench-info: "):
                infos.append(line[len("bench-info: "):])
            elif line.startswith("bench-req: "):
                parts = line.split()
                if len(parts) >= 4:
                    counts = dict(p.split("=", 1) for p in parts[3:] if "=" in p)
                    reqs[(parts[2], parts[1])] = counts
    return values, units, order, skips, fails, infos, reqs


def quartiles(v):
    if len(v) < 2:
        return v[0], v[0]
    q = statistics.quantiles(v, n=4, method="inclusive")
    return q[0], q[2]


def si(x):
    for div, suf in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suf}"
    return f"{x:.3g}"


def main():
    if "--scaling" in sys.argv:
        sys.argv.remove("--scaling")
        if len(sys.argv) < 3:
            sys.exit(__doc__)
        scaling_main(sys.argv[1], sys.argv[2])
        return
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    log, outdir = sys.argv[1], sys.argv[2]
    base = "ext4"
    if "--baseline" in sys.argv:
        base = sys.argv[sys.argv.index("--baseline") + 1]
    values, units, order, skips, fails, infos, reqs = parse(log)
    configs = [c for c in CONFIG_ORDER if any(k[1] == c for k in values)]
    configs += sorted({k[1] for k in values} - set(configs))
    os.makedirs(outdir, exist_ok=True)

    rows = []
    for wl in order:
        b = values.get((wl, base))
        bmed = statistics.median(b) if b else None
        for cfg in configs:
            v = values.get((wl, cfg))
            if not v:
                continue
            med = statistics.median(v)
            q1, q3 = quartiles(v)
            rows.append({
                "workload": wl, "config": cfg, "unit": units[wl],
                "reps": len(v), "median": round(med, 2),
                "min": round(min(v), 2), "max": round(max(v), 2),
                "q1": round(q1, 2), "q3": round(q3, 2),
                "ratio_to_native": round(med / bmed, 4) if bmed else "",
                "values": " ".join(f"{x:g}" for x in v),
            })

    csv_path = os.path.join(outdir, "results.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0].keys()) if rows else
                           ["workload", "config"])
        w.writeheader()
        w.writerows(rows)
        for cfg, why in skips.items():
            w.writerow({"workload": "*", "config": cfg, "unit": "skipped: " + why})

    for i in infos:
        print("# " + i)
    byk = {(r["workload"], r["config"]): r for r in rows}
    print()
    print(f"Median over repetitions (higher is better) and ratio to native "
          f"{base} (x); [min-max] spread below each row.")
    cw = 17
    ww = max([13] + [len(wl) + 1 for wl in order])
    head = f"{'workload':<{ww}}{'unit':<10}" + "".join(
        f"{CONFIG_TITLE.get(c, c):>{cw}}" for c in configs)
    print(head)
    print("-" * len(head))
    for wl in order:
        line = f"{wl:<{ww}}{units[wl]:<10}"
        spread = f"{'':<{ww + 10}}"
        for cfg in configs:
            r = byk.get((wl, cfg))
            if not r:
                line += f"{'-':>{cw}}"
                spread += f"{'':>{cw}}"
                continue
            ratio = r["ratio_to_native"]
            cell = si(r["median"]) + (f" {ratio:.2f}x" if ratio != "" else "")
            line += f"{cell:>{cw}}"
            spread += f"{'[' + si(r['min']) + '-' + si(r['max']) + ']':>{cw}}"
        print(line)
        print(spread)
    print()
    for wl in order:
        print(f"  {wl:<{ww}} {WORKLOAD_NOTE.get(wl, '')}")
    print_requests(order, configs, reqs)
    for cfg, why in skips.items():
        print(f"skipped: {CONFIG_TITLE.get(cfg, cfg)} ({cfg}): {why}")
    for fl in fails:
        print(f"failed: {fl}")
    print(f"\nCSV: {csv_path}")

    plot(outdir, order, configs, byk, base)


def print_requests(order, configs, reqs):
    """What reached the daemon during each timed step of repetition 1."""
    cfgs = [c for c in configs if any(k[1] == c for k in reqs)]
    if not cfgs:
        return
    print("\nRequests that reached the daemon during each timed step "
          "(repetition 1; total, then the most frequent):")
    for cfg in cfgs:
        print(f"  {CONFIG_TITLE.get(cfg, cfg)}:")
        for wl in order:
            c = reqs.get((wl, cfg))
            if c is None:
                continue
            total = int(c.pop("total", 0))
            top = sorted(((int(v), k) for k, v in c.items()), reverse=True)[:5]
            print(f"    {wl:<15} {total:>8}  " +
                  " ".join(f"{k} {v}" for v, k in top))


def plot(outdir, order, configs, byk, base):
    """Grouped bars: ratio to native per workload, one bar per configuration,
    with the min-max spread of the repetitions as error bars."""
    gp = shutil.which("gnuplot")
    png = os.path.join(outdir, "results.png")
    if not gp or not order:
        print("no plot: gnuplot is missing (apt-get install gnuplot-nox)"
              if not gp else "no plot: no results")
        return
    dat = os.path.join(outdir, "ratios.dat")
    with open(dat, "w") as f:
        f.write("workload" + "".join(f' "{CONFIG_TITLE.get(c, c)}" min max'
                                     for c in configs) + "\n")
        for wl in order:
            cells = []
            for cfg in configs:
                r = byk.get((wl, cfg))
                b = byk.get((wl, base))
                if r and b and r["ratio_to_native"] != "" and b["median"]:
                    cells += [str(r["ratio_to_native"]),
                              f"{r['min'] / b['median']:.4f}",
                              f"{r['max'] / b['median']:.4f}"]
                else:
                    cells += ["NaN"] * 3
            f.write(f'"{wl}" ' + " ".join(cells) + "\n")
    cols = ", ".join(f'"{dat}" using {2 + 3 * i}:{3 + 3 * i}:{4 + 3 * i}:xtic(1) '
                     f'title columnheader({2 + 3 * i})' for i in range(len(configs)))
    script = f"""
set terminal pngcairo size 1400,700 font ",10"
set output "{png}"
set title "fuse-bpf benchmark: median throughput relative to native {base}, min-max of the repetitions (higher is better)"
set style data histogram
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y 10
set yrange [0.005:*]
set ylabel "ratio to native {base} (log scale)"
set grid ytics
set xtics rotate by -30
set key outside right top
set arrow from graph 0, first 1 to graph 1, first 1 nohead lc rgb "black" dt 2
plot {cols}
"""
    res = subprocess.run([gp], input=script, text=True, capture_output=True)
    if res.returncode != 0:
        print("gnuplot failed:\n" + res.stderr)
    else:
        print(f"plot: {png}")


# ------------------------------------------------------------------ scaling
SCALE_NOTE = {
    "create": "open(O_CREAT)+close of empty files, tree",
    "stat-cold": "lstat walk, after drop_caches",
    "stat-warm": "lstat walk, dcache warm",
    "readdir-cold": "getdents of one directory, after drop_caches",
    "readdir-warm": "getdents of one directory, warm",
}


def scaling_parse(path):
    """bench-scale: CONFIG WORKLOAD N DEPTH REP US lines, by key."""
    values, order, fails, infos = {}, [], [], []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("bench-scale: "):
                parts = line.split()
                if len(parts) != 7:
                    continue
                _, cfg, wl, n, depth, _rep, us = parts
                try:
                    key = (wl, int(depth), cfg, int(n))
                    values.setdefault(key, []).append(float(us))
                except ValueError:
                    fails.append(line)
                    continue
                if wl not in order:
                    order.append(wl)
            elif line.startswith("bench-fail: "):
                fails.append(line[len("bench-fail: "):])
            elif line.startswith("bench-skip: "):
                fails.append("skipped " + line[len("bench-skip: "):])
            elif line.startswith("bench-info: "):
                infos.append(line[len("bench-info: "):])
    return values, order, fails, infos


def scaling_main(log, outdir):
    values, order, fails, infos = scaling_parse(log)
    os.makedirs(outdir, exist_ok=True)
    configs = [c for c in CONFIG_ORDER if any(k[2] == c for k in values)]
    configs += sorted({k[2] for k in values} - set(configs))
    ns = sorted({k[3] for k in values})
    med = {k: statistics.median(v) for k, v in values.items()}

    csv_path = os.path.join(outdir, "scaling.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["workload", "depth", "config", "n", "reps", "median_us",
                    "min_us", "max_us", "growth_from_smallest_n", "values_us"])
        for wl in order:
            for depth in sorted({k[1] for k in values if k[0] == wl}):
                for cfg in configs:
                    first = None
                    for n in ns:
                        v = values.get((wl, depth, cfg, n))
                        if not v:
                            continue
                        m = med[(wl, depth, cfg, n)]
                        first = m if first is None else first
                        w.writerow([wl, depth, cfg, n, len(v), round(m, 3),
                                    round(min(v), 3), round(max(v), 3),
                                    round(m / first, 3) if first else "",
                                    " ".join(f"{x:g}" for x in v)])

    for i in infos:
        print("# " + i)
    print()
    print("Median microseconds per operation (lower is better) at each N; "
          "in brackets, the cost at the largest N over the cost at the "
          "smallest (1.0x: flat).")
    cw = 24
    for wl in order:
        depths = sorted({k[1] for k in values if k[0] == wl})
        for depth in depths:
            title = f"{wl}" + (f", depth {depth}" if wl.startswith(("create", "stat")) else "")
            print(f"\n{title}: {SCALE_NOTE.get(wl, '')}")
            print(f"{'N':>8}" + "".join(f"{CONFIG_TITLE.get(c, c):>{cw}}" for c in configs))
            for n in ns:
                cells = [med.get((wl, depth, c, n)) for c in configs]
                if all(x is None for x in cells):
                    continue
                print(f"{n:>8}" + "".join(f"{'-' if x is None else f'{x:.2f}':>{cw}}"
                                          for x in cells))
            growth = []
            for c in configs:
                have = [n for n in ns if (wl, depth, c, n) in med]
                if len(have) < 2:
                    growth.append("-")
                    continue
                g = med[(wl, depth, c, have[-1])] / med[(wl, depth, c, have[0])]
                growth.append(f"[{g:.2f}x]")
            print(f"{'growth':>8}" + "".join(f"{g:>{cw}}" for g in growth))
    for fl in fails:
        print(f"failed: {fl}")
    print(f"\nCSV: {csv_path}")
    scaling_plot(outdir, order, configs, ns, med)


def scaling_plot(outdir, order, configs, ns, med):
    """One PNG per workload: microseconds per operation against N, log-log,
    one line per configuration, one panel per depth."""
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib import ticker
    except ImportError:
        print("no plot: matplotlib is missing (apt-get install python3-matplotlib)")
        return
    for wl in order:
        depths = sorted({k[1] for k in med if k[0] == wl})
        width = 5.5 * len(depths) + 2
        fig, axes = plt.subplots(1, len(depths), figsize=(width, 4.5),
                                 squeeze=False, sharey=True)
        for ax, depth in zip(axes[0], depths):
            for cfg in configs:
                pts = [(n, med[(wl, depth, cfg, n)]) for n in ns
                       if (wl, depth, cfg, n) in med]
                if not pts:
                    continue
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="o",
                        label=CONFIG_TITLE.get(cfg, cfg))
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xticks(ns)
            ax.xaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
            ax.xaxis.set_minor_formatter(ticker.NullFormatter())
            ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(ticker.FuncFormatter(lambda v, _: f"{v:g}"))
            ax.set_xlabel("N (files or entries, log scale)")
            ax.set_title(f"depth {depth}" if wl.startswith(("create", "stat"))
                         else "one directory")
            ax.grid(True, which="both", alpha=0.3)
        axes[0][0].set_ylabel("microseconds per operation (log scale)")
        # Beside the panels: inside, it hides the lines of some panel
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="center right", fontsize="small")
        title = (f"fuse-bpf scaling: {wl} ({SCALE_NOTE.get(wl, '')}), "
                 "median of the repetitions; flat lines: the cost per "
                 "operation does not grow with N")
        fig.suptitle(textwrap.fill(title, int(width * 14)), fontsize="medium")
        # the legend's 1.9 inches on the right
        fig.tight_layout(rect=(0, 0, 1 - 1.9 / width, 1))
        png = os.path.join(outdir, f"scaling-{wl}.png")
        fig.savefig(png, dpi=90)
        plt.close(fig)
        print(f"plot: {png}")


if __name__ == "__main__":
    main()
