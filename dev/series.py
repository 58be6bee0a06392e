#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Export the fuse-bpf patch series from the development layout.

The repository keeps our own files at their kernel paths and our edits to
upstream files as patches/.  The series a reviewer reads is generated from
that: each patch of dev/series/ is one state of the tree, made of

  * the hunks of the upstream edits (git diff -U0 base..fbpf in the
    generated tree) whose file and function dev/series/units assigns to a
    patch at or before it, and
  * the top-level units (functions, structures, declarations, each with its
    comment) of our own C files, and our other files whole, assigned the
    same way;
  * where a later patch extends a unit that an earlier one needs already,
    the earlier text of that unit, from dev/series/early, in the states
    before that later patch.

Every line of the final state belongs to exactly one unit or hunk, so the
last patch's tree is the development tree, which this script checks.

usage: series.py export TREE WORKTREE OUTDIR
       series.py units FILE...     (list the units of C files, for units)
"""

import fnmatch
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SERIES = os.path.join(REPO, "dev", "series")


def die(msg):
    sys.stderr.write("series: error: %s\n" % msg)
    sys.exit(1)


def git(tree, *args, inp=None):
    return subprocess.run(["git", "-C", tree] + list(args), input=inp,
                          check=True, capture_output=True,
                          text=True).stdout


# ------------------------------------------------------------ C units

_STRIP = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*$')
_MACRO_LINE = re.compile(r'^[A-Z_][A-Z0-9_]*\(.*\)\s*$')


def _braces(line):
    s = _STRIP.sub("", line)
    s = re.sub(r"/\*.*?\*/", "", s)
    return s.count("{") - s.count("}")


def _name(lines):
    text = "".join(lines)
    head = re.split(r"[{;=]", text, maxsplit=1)[0]
    m = re.match(r"\s*(?:static\s+)?(?:const\s+)?(struct|enum|union)\s+(\w+)"
                 r"\s*$", head)
    if m:
        return "%s %s" % (m.group(1), m.group(2))
    m = re.search(r"(\w+)\s*\(", head)
    if m:
        return m.group(1)
    ids = re.findall(r"\w+", head)
    if ids and ids[-1] in ("struct", "enum", "union"):
        m = re.search(r"\}\s*(\w+)", text)       # static const struct { } x[]
        return m.group(1) if m else ids[-1]
    return ids[-1] if ids else "?"


def c_units(text):
    """Split C source into (name, text) units; their texts add up to it."""
    lines = text.splitlines(keepends=True)
    units, pending, i = [], [], 0
    in_comment = False
    while i < len(lines):
        line = lines[i]
        s = line.strip()
        if in_comment:
            pending.append(line)
            in_comment = "*/" not in line
            i += 1
            continue
        if not s or s.startswith("//"):
            pending.append(line)
            i += 1
            continue
        if s.startswith("/*"):
            pending.append(line)
            in_comment = "*/" not in s[2:]
            i += 1
            continue
        if line.startswith("#"):
            pp = [line]
            while pp[-1].rstrip().endswith("\\") and i + 1 < len(lines):
                i += 1
                pp.append(lines[i])
            i += 1
            units.append(("#" + pp[0][1:].split()[0] if pp[0][1:].split()
                          else "#", "".join(pending + pp)))
            pending = []
            continue
        start, depth = i, 0
        while i < len(lines):
            line = lines[i]
            depth += _braces(line)
            i += 1
            end = line.rstrip()
            if depth <= 0 and (end.endswith(";") or end.endswith("}") or
                               (i - start == 1 and
                                _MACRO_LINE.match(line))):
                break
        units.append((_name(lines[start:i]),
                      "".join(pending + lines[start:i])))
        pending = []
    if pending:
        units.append(("#tail", "".join(pending)))
    return units


def is_c(path):
    return path.endswith((".c", ".h")) and not path.endswith(".bpf.c") and \
        (path.startswith("fs/") or path.startswith("include/linux/"))


# ------------------------------------------------------- assignments

class Plan:
    def __init__(self):
        self.patches = []       # (number, message file)
        self.rules = []         # (kind, path glob, unit glob, number)
        for f in sorted(os.listdir(SERIES)):
            m = re.match(r"(\d\d)-.*\.txt$", f)
            if m:
                self.patches.append((int(m.group(1)), f))
        if not self.patches:
            die("no dev/series/NN-*.txt patch messages")
        with open(os.path.join(SERIES, "units")) as fh:
            for n, line in enumerate(fh, 1):
                line = "" if line.lstrip().startswith("#") else line.strip()
                if not line:
                    continue
                f = line.split()
                if len(f) != 4 or f[0] not in ("file", "hunk", "unit"):
                    die("dev/series/units:%d: want KIND PATH NAME NN" % n)
                self.rules.append((f[0], f[1], f[2], int(f[3])))
        self.used = set()
        self.early = {}         # (path, name, nth) -> (until, text)
        self.early_used = set()
        with open(os.path.join(SERIES, "early")) as fh:
            text = fh.read()
        for block in re.split(r"^=== ", text, flags=re.M)[1:]:
            head, _, body = block.partition("\n")
            f = head.split()
            if len(f) != 4 or f[0] not in ("unit", "hunk") or \
               not f[3].isdigit():
                die("dev/series/early: want '=== unit|hunk PATH NAME[#N] "
                    "NN': %s" % head)
            name, _, nth = f[2].rpartition("#") if "#" in f[2][1:] \
                else (f[2], "", "")
            key = (f[0], f[1], name.replace("?", " "), int(nth or 1))
            if body.endswith("\n\n"):
                body = body[:-1]
            self.early[key] = (int(f[3]), body)

    def early_of(self, kind, path, name, nth, num):
        """The earlier text of a unit or hunk, and until which patch."""
        key = (kind, path, name, nth)
        early = self.early.get(key)
        if early:
            self.early_used.add(key)
            if num is not None and early[0] <= num:
                die("dev/series/early: %s %s %s comes in patch %02d, not "
                    "before %02d" % (kind, path, name, num, early[0]))
        return early

    def patch_of(self, kind, path, name):
        for i, (k, pglob, nglob, num) in enumerate(self.rules):
            if k != kind and not (k == "file" and kind == "unit"):
                continue
            if k == "file" and kind == "hunk":
                continue
            if fnmatch.fnmatchcase(path, pglob) and \
               (k == "file" or fnmatch.fnmatchcase(name, nglob)):
                self.used.add(i)
                return num
        return None


# ------------------------------------------------------------- hunks

def upstream_hunks(tree):
    """(path, context, old_start, old_count, new_lines) of base..fbpf."""
    diff = git(tree, "diff", "-U0", "--no-color", "--no-ext-diff", "base",
               "fbpf")
    hunks, path, cur = [], None, None
    for line in diff.splitlines(keepends=True):
        if line.startswith("diff --git "):
            path, cur = None, None
        elif line.startswith("+++ "):
            path = line[6:].rstrip("\n") if line.startswith("+++ b/") \
                else None
        elif line.startswith("@@"):
            m = re.match(r"@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@ ?(.*)",
                         line)
            ctx = m.group(3).strip()
            mm = re.search(r"(\w+)\s*\(", ctx) or re.search(
                r"(struct|enum)\s+(\w+)", ctx)
            name = ("%s %s" % (mm.group(1), mm.group(2)) if mm and
                    mm.lastindex == 2 else (mm.group(1) if mm else ""))
            cur = [path, name, int(m.group(1)),
                   int(m.group(2)) if m.group(2) is not None else 1, []]
            hunks.append(cur)
        elif cur is not None and line.startswith("+"):
            cur[4].append(line[1:])
        elif line.startswith("\\"):
            if cur[4]:
                cur[4][-1] = cur[4][-1].rstrip("\n")
    return hunks


def apply_hunks(text, hunks):
    lines = text.splitlines(keepends=True)
    for _, _, start, count, new in sorted(hunks, key=lambda h: -h[2]):
        at = start if count == 0 else start - 1
        lines[at:at + count] = new
    return "".join(lines)


# ------------------------------------------------------------ export

def export(tree, work, outdir):
    plan = Plan()
    nums = [n for n, _ in plan.patches]
    own = [f for f in git(REPO, "ls-files", "--", "Documentation", "fs",
                          "include", "kernel", "samples",
                          "tools").split("\n") if f]
    pieces = {}             # path -> [(num, text)]
    missing = []
    for path in own:
        with open(os.path.join(REPO, path)) as fh:
            text = fh.read()
        if is_c(path):
            parts = c_units(text)
            if "".join(t for _, t in parts) != text:
                die("%s: units do not add up to the file" % path)
            seen = {}
            for name, t in parts:
                num = plan.patch_of("unit", path, name)
                if num is None:
                    missing.append("unit %s %s" % (path, name))
                seen[name] = seen.get(name, 0) + 1
                early = plan.early_of("unit", path, name, seen[name], num)
                pieces.setdefault(path, []).append((num, t, early))
        else:
            num = plan.patch_of("file", path, "*")
            if num is None:
                missing.append("file %s" % path)
            pieces[path] = [(num, text, None)]
    hunks = upstream_hunks(tree)
    by_file = {}
    seen = {}
    for h in hunks:
        name = h[1] or "-"
        num = plan.patch_of("hunk", h[0], name)
        if num is None:
            missing.append("hunk %s %s" % (h[0], name))
        seen[h[0], name] = seen.get((h[0], name), 0) + 1
        early = plan.early_of("hunk", h[0], name, seen[h[0], name], num)
        if early:
            early = (early[0], h[:4] + [early[1].splitlines(keepends=True)])
        by_file.setdefault(h[0], []).append((num, h, early))
    if missing:
        die("not assigned in dev/series/units:\n  " + "\n  ".join(missing))
    unused = [plan.rules[i] for i in range(len(plan.rules))
              if i not in plan.used]
    for r in unused:
        sys.stderr.write("series: warning: rule matches nothing: %s\n" %
                         " ".join(map(str, r)))
    for key in set(plan.early) - plan.early_used:
        die("dev/series/early: no %s %s %s#%d" % key)
    for num in {n for p in pieces.values() for n, _, _ in p} | \
            {n for p in by_file.values() for n, _, _ in p}:
        if num not in nums:
            die("patch %02d is assigned to but has no message" % num)

    git(work, "checkout", "-q", "-f", "--detach", "base")
    git(work, "clean", "-q", "-f", "-d", "-x")
    base = {p: git(work, "show", "base:" + p) for p in by_file}
    for num, msgfile in plan.patches:
        for path, parts in pieces.items():
            text = "".join(e[1] if e and num < e[0] else t
                           for n, t, e in parts if n <= num)
            full = os.path.join(work, path)
            if text:
                os.makedirs(os.path.dirname(full), exist_ok=True)
                with open(full, "w") as fh:
                    fh.write(text)
                if os.access(os.path.join(REPO, path), os.X_OK):
                    os.chmod(full, 0o755)
            elif os.path.exists(full):
                os.unlink(full)
        for path, hs in by_file.items():
            with open(os.path.join(work, path), "w") as fh:
                fh.write(apply_hunks(base[path],
                                     [e[1] if e and num < e[0] else h
                                      for n, h, e in hs if n <= num]))
        git(work, "add", "-A", "-f", "--", ".")
        with open(os.path.join(SERIES, msgfile)) as fh:
            msg = fh.read().rstrip("\n") + "\n"
        if git(work, "status", "--porcelain", "--untracked-files=no"):
            git(work, "-c", "user.name=" + os.environ["FBPF_NAME"],
                "-c", "user.email=" + os.environ["FBPF_EMAIL"],
                "commit", "-q", "-s", "--date=2026-01-01T00:00:00",
                "-F", "-", inp=msg)
        else:
            die("patch %02d (%s) changes nothing" % (num, msgfile))
    # The last state must be the development tree, line for line.
    for path in list(pieces) + list(by_file):
        want = git(tree, "show", "fbpf:" + path) if path in by_file else \
            open(os.path.join(REPO, path)).read()
        with open(os.path.join(work, path)) as fh:
            if fh.read() != want:
                die("%s: the last patch's file differs from the tree" % path)
    os.makedirs(outdir, exist_ok=True)
    for f in os.listdir(outdir):
        if f.endswith(".patch"):
            os.unlink(os.path.join(outdir, f))
    git(work, "format-patch", "-q", "--cover-letter", "--base=base",
        "--zero-commit", "--no-signature", "-o", outdir, "base..HEAD")
    cover(outdir, len(plan.patches))


def cover(outdir, count):
    path = [os.path.join(outdir, f) for f in sorted(os.listdir(outdir))
            if f.startswith("0000-")][0]
    with open(path) as fh:
        text = fh.read()
    with open(os.path.join(SERIES, "cover.txt")) as fh:
        subject, _, blurb = fh.read().partition("\n\n")
    text = text.replace("*** SUBJECT HERE ***", subject.strip())
    text = text.replace("*** BLURB HERE ***", blurb.rstrip("\n"))
    with open(path, "w") as fh:
        fh.write(text)


def main():
    if len(sys.argv) >= 2 and sys.argv[1] == "units":
        for path in sys.argv[2:]:
            with open(path) as fh:
                for name, text in c_units(fh.read()):
                    print("%s\t%s\t%d" % (path, name, text.count("\n")))
    elif len(sys.argv) == 5 and sys.argv[1] == "export":
        export(*sys.argv[2:])
    else:
        die(__doc__.split("usage: ", 1)[1])


if __name__ == "__main__":
    main()
