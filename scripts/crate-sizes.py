#!/usr/bin/env python3
"""What each crate costs in an unstripped nvt binary's code, for docs/PERFORMANCE.md
("Binary size for a camera"), without rebuilding it (`cargo bloat` runs `cargo build` itself,
and one fat-LTO build of the camera binary takes 20-30 minutes of the shared machine).

Every function symbol (`llvm-nm -S`, types t/T/w/W, one per address) goes to the crate its
demangled path starts with: `<T as Trait>::f` to T's crate, core/alloc/std and std's own
dependencies (gimli, addr2line, miniz_oxide, object, ...) to "std", C symbols (musl, the
port, compiler builtins) to "[Unknown]". A generic function goes to the crate that defines it,
not the one that instantiates it (cargo bloat guesses the latter), so the rows differ from
cargo bloat's; columns of one table compare.

    scripts/crate-sizes.py BIN [BIN...]     # a Markdown table, bytes of .text per crate
"""
import collections
import re
import subprocess
import sys

STD = {"core", "alloc", "std", "std_detect", "gimli", "addr2line", "miniz_oxide", "object",
       "rustc_demangle", "panic_unwind", "unwind", "compiler_builtins", "adler2"}
# Legacy Rust mangling as llvm-nm leaves it for these symbols (`_$LT$a..b$u20$as$u20$c$GT$`).
LEGACY = [("$LT$", "<"), ("$GT$", ">"), ("$u20$", " "), ("$RF$", "&"), ("$C$", ","),
          ("$BP$", "*"), ("$u7b$", "{"), ("$u7d$", "}"), ("$u5b$", "["), ("$u5d$", "]"),
          ("..", "::")]
MIN_ROW = 4000


def decode(name):
    if name.startswith("_$"):
        name = name[1:]
        for a, b in LEGACY:
            name = name.replace(a, b)
    return name


def crate_of(name):
    n = decode(name)
    while True:
        n = n.lstrip()
        for p in ("<", "&", "mut ", "*const ", "*mut ", "dyn ", "["):
            if n.startswith(p):
                n = n[len(p):]
                break
        else:
            break
    m = re.match(r"([a-z_][A-Za-z0-9_]*)::", n)
    if not m or m.group(1) == "_":
        return "[Unknown]"
    return "std" if m.group(1) in STD else m.group(1)


def table(path):
    out = subprocess.run(["llvm-nm", "-S", "--defined-only", "-C", "--no-sort", path],
                         capture_output=True, text=True, check=True).stdout
    sizes, generated, seen = collections.Counter(), 0, set()
    for line in out.splitlines():
        parts = line.split(" ", 3)
        if len(parts) < 4 or parts[2] not in ("t", "T", "w", "W") or parts[0] in seen:
            continue
        seen.add(parts[0])
        size, crate = int(parts[1], 16), crate_of(parts[3])
        sizes[crate] += size
        if crate == "nvt" and "nvt::onvif::generated" in decode(parts[3]):
            generated += size
    return sizes, generated


def main(bins):
    ts = [table(b) for b in bins]
    big = lambda k: max(t[0][k] for t in ts) >= MIN_ROW
    keys = sorted(set().union(*(t[0] for t in ts)), key=lambda k: -max(t[0][k] for t in ts))
    row = lambda label, vals: print(f"| {label} | " + " | ".join(f"{v:,}" for v in vals) + " |")
    print("| crate | " + " | ".join(bins) + " |")
    print("|---|" + "---|" * len(bins))
    for k in filter(big, keys):
        row(k, [t[0][k] for t in ts])
        if k == "nvt":
            row("- of which nvt::onvif::generated", [t[1] for t in ts])
    rest = [k for k in keys if not big(k)]
    row(f"the rest ({len(rest)} crates, each < {MIN_ROW:,})", [sum(t[0][k] for k in rest) for t in ts])
    row("**total**", [sum(t[0].values()) for t in ts])


if __name__ == "__main__":
    main(sys.argv[1:])
