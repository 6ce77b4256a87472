#!/usr/bin/python3
"""Runs `gnnkd bench-speed` and its PyTorch peer (torch_gcn.py) on the same
datasets, models and thread counts, one process after the other, and prints a
Markdown table of seconds per training epoch, the speed-up (torch / gnnkd),
inference milliseconds and peak RSS.

  /usr/bin/python3 benchmarks/peers/compare.py --gnnkd build/gnnkd \
      --datasets cora,pubmed --models gcn:16 --threads 2 --out results.md

--repeats N (default 3) runs each configuration's pair N times, alternating the
sides (gnnkd then torch in odd repeats, torch then gnnkd in even ones), each
run in its own process. A shared machine has slow phases of a few seconds in
which everything runs 2-3x slower; one run a side would make the ratio a matter
of luck. Each side's s/epoch (and inference ms) is the median over its runs of
each run's median; the table also gives the smallest and largest torch/gnnkd
ratio of the N back-to-back pairs, which shows how far the machine drifted.

Writes the table to --out FILE and every run's JSON object, one a line and
tagged with "repeat" (1-based), to FILE.json. A gnnkd that is missing or fails
is reported (in the table and on stderr) and the torch side is still run.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--gnnkd", default="./build/gnnkd", help="the gnnkd program (default ./build/gnnkd)")
    p.add_argument("--python", default="/usr/bin/python3",
                   help="the Python that has torch (default /usr/bin/python3, Debian's)")
    p.add_argument("--datasets", default="cora,citeseer,pubmed", help="comma-separated (default all three)")
    p.add_argument("--models", default="gcn:16,gcn:256", help="comma-separated (default gcn:16,gcn:256)")
    p.add_argument("--threads", default="1,2", help="comma-separated thread counts (default 1,2)")
    p.add_argument("--data-dir", default=os.environ.get("GNNKD_DATA"),
                   help="folder of the datasets, passed to both (default $GNNKD_DATA)")
    p.add_argument("--out", help="write the Markdown table here and the raw JSON lines to OUT.json")
    p.add_argument("--gnnkd-args", default="", help="extra arguments for gnnkd bench-speed (one string)")
    p.add_argument("--torch-args", default="",
                   help="extra arguments for torch_gcn.py (one string), e.g. '--input-dropout mask'")
    p.add_argument("--skip-gnnkd", action="store_true", help="run the torch side only")
    p.add_argument("--skip-torch", action="store_true", help="run the gnnkd side only")
    p.add_argument("--timeout", type=float, default=3600, help="seconds allowed to one run (default 3600)")
    p.add_argument("--repeats", type=int, default=3,
                   help="runs of each side per configuration, alternating which goes first (default 3)")
    a = p.parse_args(argv)
    if a.repeats < 1:
        p.error("--repeats: at least 1")
    a.dataset_list = [s for s in a.datasets.split(",") if s]
    a.model_list = [s for s in a.models.split(",") if s]
    try:
        a.thread_list = [int(s) for s in a.threads.split(",") if s]
    except ValueError:
        p.error("--threads: comma-separated whole numbers")
    if not a.dataset_list or not a.model_list or not a.thread_list:
        p.error("nothing to run")
    if not a.data_dir:
        p.error("no data directory: set $GNNKD_DATA or pass --data-dir")
    return a


def eprint(*msg):
    print(*msg, file=sys.stderr, flush=True)


def last_json_object(text):
    """The last line of text that is a JSON object with epoch_seconds (else the
    last JSON object), or None."""
    found = None
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{") and line.endswith("}"):
            try:
                obj = json.loads(line)
            except ValueError:
                continue
            if isinstance(obj, dict):
                if "epoch_seconds" in obj:
                    return obj
                found = found or obj
    return found


def run_json(cmd, env, timeout):
    """Runs cmd; returns (object, None) or (None, error text)."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              text=True, timeout=timeout)
    except FileNotFoundError:
        return None, "not found: %s" % cmd[0]
    except PermissionError:
        return None, "not executable: %s" % cmd[0]
    except subprocess.TimeoutExpired:
        return None, "timed out after %.0f s" % timeout
    wall = time.perf_counter() - t0
    obj = last_json_object(proc.stdout)
    if proc.returncode != 0 or obj is None:
        err = (proc.stderr.strip() or proc.stdout.strip() or "no output").splitlines()
        tail = " | ".join(err[-3:])
        if proc.returncode != 0:
            return None, "exit %d: %s" % (proc.returncode, tail)
        return None, "no JSON object on stdout: %s" % tail
    obj.setdefault("wall_seconds", round(wall, 2))
    return obj, None


def get(obj, *path):
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj if isinstance(obj, (int, float)) and not isinstance(obj, bool) else None


def fmt(x, spec):
    return "—" if x is None else format(x, spec)


def machine_note():
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    try:
        load = "%.2f %.2f %.2f" % os.getloadavg()
    except OSError:
        load = "?"
    return "%s, %d logical CPUs, load average at start %s" % (cpu, os.cpu_count() or 0, load)


def tool_version(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
        return p.stdout.strip().splitlines()[-1] if p.returncode == 0 and p.stdout.strip() else None
    except (OSError, subprocess.TimeoutExpired):
        return None


SIDES = ("gnnkd", "torch")

HEADER = ("| dataset | model | threads | gnnkd s/epoch | torch s/epoch | speed-up (torch/gnnkd) "
          "| best runs' speed-up | per-pair speed-ups (min-max) | runs "
          "| gnnkd inference ms | torch inference ms | gnnkd peak RSS MiB | torch peak RSS MiB "
          "| gnnkd test acc | torch test acc |\n"
          "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: "
          "| ---: |")


def median_of(objs, *path):
    """The median of the numbers at path in objs (objects without one are left
    out), or None."""
    vals = [v for v in (get(o, *path) for o in objs) if v is not None]
    return statistics.median(vals) if vals else None


def min_of(objs, *path):
    """The smallest of the numbers at path in objs, or None."""
    vals = [v for v in (get(o, *path) for o in objs) if v is not None]
    return min(vals) if vals else None


def summarize(objs):
    """One side's successful runs of a configuration as one object shaped like a
    run's: epoch_seconds and inference_ms = the median over the runs of each
    run's median, peak_rss_mb = the largest, test_acc = the first run's. None
    if no run succeeded."""
    if not objs:
        return None
    rss = [v for v in (get(o, "peak_rss_mb") for o in objs) if v is not None]
    return {"epoch_seconds": {"median": median_of(objs, "epoch_seconds", "median"),
                              "best": min_of(objs, "epoch_seconds", "median")},
            "inference_ms": {"median": median_of(objs, "inference_ms", "median")},
            "peak_rss_mb": max(rss) if rss else None,
            "test_acc": get(objs[0], "test_acc"),
            "runs": len(objs)}


def pair_speedups(r):
    """torch / gnnkd median s/epoch of each repeat in which both sides succeeded."""
    out = []
    for g, t in zip(r["gnnkd_runs"], r["torch_runs"]):
        gs, ts = get(g, "epoch_seconds", "median"), get(t, "epoch_seconds", "median")
        if gs and ts:
            out.append(ts / gs)
    return out


def ratio_range(ratios):
    """'9.1-11.8x' (one value alone as '9.1x'), or '—' if there is none."""
    if not ratios:
        return "—"
    lo, hi = min(ratios), max(ratios)
    return "%.1fx" % lo if len(ratios) == 1 else "%.1f-%.1fx" % (lo, hi)


def side_cell(r, side):
    """A side's s/epoch cell: the number, 'failed' (every run failed) or 'not run'."""
    if r[side]:
        return fmt(get(r[side], "epoch_seconds", "median"), ".5f")
    return "failed" if r[side + "_errors"] else "not run"


def row_text(r):
    g, t = r["gnnkd"], r["torch"]
    gs, ts = get(g, "epoch_seconds", "median"), get(t, "epoch_seconds", "median")
    speed = "%.1fx" % (ts / gs) if gs and ts else "—"
    gb, tb = get(g, "epoch_seconds", "best"), get(t, "epoch_seconds", "best")
    best = "%.1fx" % (tb / gb) if gb and tb else "—"
    runs = "%d+%d" % tuple(sum(o is not None for o in r[side + "_runs"]) for side in SIDES)
    return "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["dataset"], r["model"], r["threads"], side_cell(r, "gnnkd"), side_cell(r, "torch"), speed,
        best, ratio_range(pair_speedups(r)), runs,
        fmt(get(g, "inference_ms", "median"), ".2f"), fmt(get(t, "inference_ms", "median"), ".2f"),
        fmt(get(g, "peak_rss_mb"), ".1f"), fmt(get(t, "peak_rss_mb"), ".1f"),
        fmt(get(g, "test_acc"), ".3f"), fmt(get(t, "test_acc"), ".3f"))


def failure_lines(rows):
    """One line per configuration, side and error text, naming the repeats that
    failed with it."""
    out = []
    for r in rows:
        for side in SIDES:
            by_err = {}
            for i, err in r[side + "_errors"]:
                by_err.setdefault(err, []).append(str(i))
            for err, reps in by_err.items():
                out.append("- %s %s threads=%d, %s, repeat%s %s: %s" % (
                    r["dataset"], r["model"], r["threads"], side, "s" if len(reps) > 1 else "",
                    ", ".join(reps), err.replace("|", "/")))
    return out


def markdown(rows, meta, repeats):
    out = ["# gnnkd vs PyTorch: GCN training speed", ""]
    out += ["- %s: %s" % (k, v) for k, v in meta.items()]
    out += ["", "Each configuration ran %d time%s a side, alternating the sides (gnnkd then torch in "
            "odd repeats, torch then gnnkd in even ones), each run in its own process, so that a slow "
            "phase of a shared machine does not fall on one side only. s/epoch = the median over a "
            "side's runs of each run's median seconds per training epoch (forward + backward + Adam "
            "step, after 5 warm-up epochs); speed-up = torch's / gnnkd's. Best runs' speed-up = the same "
            "ratio of each side's fastest run (the smallest of its runs' medians): both sides get the "
            "same number of tries, and a run that a slow phase hit drops out. Per-pair speed-ups = the "
            "smallest and largest torch / gnnkd ratio of the two runs of one repeat (run back to back): "
            "a wide range says the machine's speed changed during the measurement. Runs = successful "
            "runs of gnnkd + torch. Inference = full-graph forward in eval mode, median of 20 in each "
            "run, then the median over the runs. Peak RSS is the largest of a side's runs' ru_maxrss "
            "(the torch side includes the Python + torch runtime). Test accuracy, from each side's "
            "first successful run, is a sanity check only: gnnkd's after its warm-up + timed epochs "
            "(55), torch's after 200 epochs." % (repeats, "" if repeats == 1 else "s"), "",
            HEADER]
    out += [row_text(r) for r in rows]
    errs = failure_lines(rows)
    if errs:
        out += ["", "Failures:", ""] + errs
    return "\n".join(out) + "\n"


def run_config(a, env, ds, model, th, gnnkd_error, jsonl):
    """Runs one configuration's pair a.repeats times, alternating which side
    goes first; writes each run's object (tagged with "repeat") to jsonl.
    Returns (the table row, gnnkd_error: set once gnnkd cannot run at all)."""
    r = {"dataset": ds, "model": model, "threads": th}
    for side in SIDES:
        r[side + "_runs"] = [None] * a.repeats  # per repeat: the run's object, None if failed / not run
        r[side + "_errors"] = []                # (repeat, error text)
    common = ["--dataset", ds, "--model", model, "--threads", str(th), "--data-dir", a.data_dir, "--json"]
    jobs = []
    if not a.skip_gnnkd:
        jobs.append(("gnnkd", [a.gnnkd, "bench-speed"] + common + ["--quiet"] + shlex.split(a.gnnkd_args)))
    if not a.skip_torch:
        jobs.append(("torch", [a.python, os.path.join(HERE, "torch_gcn.py")] + common
                     + shlex.split(a.torch_args)))
    for i in range(1, a.repeats + 1):
        for side, cmd in (jobs if i % 2 == 1 else jobs[::-1]):
            if side == "gnnkd" and gnnkd_error:
                obj, err = None, gnnkd_error
            else:
                eprint("compare: %s %s threads=%d: %s, repeat %d/%d ..." % (ds, model, th, side, i, a.repeats))
                obj, err = run_json(cmd, env, a.timeout)
            if err:
                if err != gnnkd_error:
                    eprint("compare:   %s FAILED: %s" % (side, err))
                r[side + "_errors"].append((i, err))
                if side == "gnnkd" and ("unknown command" in err or err.startswith("not ")):
                    gnnkd_error = "gnnkd bench-speed unavailable: " + err
                rec = {"impl": "gnnkd" if side == "gnnkd" else "pytorch", "dataset": ds,
                       "model": model, "threads": th, "repeat": i, "error": err, "command": cmd}
            else:
                r[side + "_runs"][i - 1] = obj
                rec = dict(obj, repeat=i)
                eprint("compare:   %s median %.5f s/epoch" % (
                    side, get(obj, "epoch_seconds", "median") or float("nan")))
            if jsonl:
                jsonl.write(json.dumps(rec) + "\n")
                jsonl.flush()
    for side in SIDES:
        r[side] = summarize([o for o in r[side + "_runs"] if o is not None])
    gs, ts = get(r["gnnkd"], "epoch_seconds", "median"), get(r["torch"], "epoch_seconds", "median")
    if gs and ts:
        eprint("compare:   speed-up %.1fx (per pair %s)" % (ts / gs, ratio_range(pair_speedups(r))))
    return r, gnnkd_error


def main(a):
    env = dict(os.environ)
    env["GNNKD_DATA"] = a.data_dir

    gnnkd_error = None  # set once when the program cannot run at all: skip the rest
    if a.skip_gnnkd:
        gnnkd_version = None
    elif not os.path.isfile(a.gnnkd):
        gnnkd_error = "gnnkd not found at %s (not built yet?)" % a.gnnkd
        gnnkd_version = None
    elif not os.access(a.gnnkd, os.X_OK):
        gnnkd_error = "gnnkd at %s is not executable" % a.gnnkd
        gnnkd_version = None
    else:
        gnnkd_version = tool_version([a.gnnkd, "--version"])
    if gnnkd_error:
        eprint("compare: %s; running the torch side only" % gnnkd_error)
    torch_version = None if a.skip_torch else tool_version(
        [a.python, "-c", "import torch; print(torch.__version__)"])
    if not a.skip_torch and torch_version is None:
        eprint("compare: %s cannot import torch (install python3-torch: benchmarks/peers/run.sh does)"
               % a.python)

    meta = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "machine": machine_note(),
        "gnnkd": gnnkd_version or gnnkd_error or ("skipped" if a.skip_gnnkd else "?"),
        "torch": ("PyTorch %s (%s)" % (torch_version, a.python)) if torch_version else
                 ("skipped" if a.skip_torch else "unavailable"),
        "data": a.data_dir,
        "repeats": "%d a side per configuration, alternating which side goes first" % a.repeats,
    }
    if a.gnnkd_args:
        meta["gnnkd extra args"] = "`%s`" % a.gnnkd_args
    if a.torch_args:
        meta["torch extra args"] = "`%s`" % a.torch_args

    jsonl = open(a.out + ".json", "w") if a.out else None
    rows = []
    for ds in a.dataset_list:
        for model in a.model_list:
            for th in a.thread_list:
                r, gnnkd_error = run_config(a, env, ds, model, th, gnnkd_error, jsonl)
                rows.append(r)
                if a.out:  # rewrite after every row: a partial run still leaves a table
                    with open(a.out, "w") as f:
                        f.write(markdown(rows, meta, a.repeats))
    if jsonl:
        jsonl.close()
    text = markdown(rows, meta, a.repeats)
    print(text, end="")
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
        eprint("compare: wrote %s and %s.json" % (a.out, a.out))
    ok_torch = a.skip_torch or all(r["torch"] for r in rows)
    return 0 if ok_torch else 1


if __name__ == "__main__":
    sys.exit(main(parse_args()))
