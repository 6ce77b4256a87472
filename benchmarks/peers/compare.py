#!/usr/bin/python3
"""Runs `gnnkd bench-speed` and its PyTorch peer (torch_gcn.py) on the same
datasets, models and thread counts, one process after the other, and prints a
Markdown table of seconds per training epoch, the speed-up (torch / gnnkd),
inference milliseconds and peak RSS.

  /usr/bin/python3 benchmarks/peers/compare.py --gnnkd build/gnnkd \
      --datasets cora,pubmed --models gcn:16 --threads 2 --out results.md

Writes the table to --out FILE and every tool's JSON object, one a line, to
FILE.json. A gnnkd that is missing or fails is reported (in the table and on
stderr) and the torch side is still run.
"""
import argparse
import datetime
import json
import os
import platform
import shlex
import subprocess
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
    a = p.parse_args(argv)
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


HEADER = ("| dataset | model | threads | gnnkd s/epoch | torch s/epoch | speed-up (torch/gnnkd) "
          "| gnnkd inference ms | torch inference ms | gnnkd peak RSS MiB | torch peak RSS MiB "
          "| gnnkd test acc | torch test acc |\n"
          "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")


def row_text(r):
    g, t = r["gnnkd"], r["torch"]
    gs, ts = get(g, "epoch_seconds", "median"), get(t, "epoch_seconds", "median")
    speed = "%.1fx" % (ts / gs) if gs and ts else "—"
    gcell = fmt(gs, ".5f") if g else ("failed" if r["gnnkd_error"] else "not run")
    tcell = fmt(ts, ".5f") if t else ("failed" if r["torch_error"] else "not run")
    return "| %s | %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
        r["dataset"], r["model"], r["threads"], gcell, tcell, speed,
        fmt(get(g, "inference_ms", "median"), ".2f"), fmt(get(t, "inference_ms", "median"), ".2f"),
        fmt(get(g, "peak_rss_mb"), ".1f"), fmt(get(t, "peak_rss_mb"), ".1f"),
        fmt(get(g, "test_acc"), ".3f"), fmt(get(t, "test_acc"), ".3f"))


def markdown(rows, meta):
    out = ["# gnnkd vs PyTorch: GCN training speed", ""]
    out += ["- %s: %s" % (k, v) for k, v in meta.items()]
    out += ["", "Median seconds per training epoch (forward + backward + Adam step, after 5 warm-up "
            "epochs); inference = full-graph forward in eval mode, median of 20. Peak RSS is each "
            "process's ru_maxrss (the torch side includes the Python + torch runtime). Test "
            "accuracy is a sanity check only: gnnkd's after its warm-up + timed epochs (55), "
            "torch's after 200 epochs.", "",
            HEADER]
    out += [row_text(r) for r in rows]
    errs = [(r, side) for r in rows for side in ("gnnkd", "torch") if r[side + "_error"]]
    if errs:
        out += ["", "Failures:", ""]
        out += ["- %s %s threads=%d, %s: %s" % (r["dataset"], r["model"], r["threads"], side,
                                                r[side + "_error"].replace("|", "/"))
                for r, side in errs]
    return "\n".join(out) + "\n"


def main(a):
    env = dict(os.environ)
    env["GNNKD_DATA"] = a.data_dir
    torch_script = os.path.join(HERE, "torch_gcn.py")

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
                r = {"dataset": ds, "model": model, "threads": th, "gnnkd": None, "torch": None,
                     "gnnkd_error": None, "torch_error": None}
                common = ["--dataset", ds, "--model", model, "--threads", str(th),
                          "--data-dir", a.data_dir, "--json"]
                jobs = []
                if not a.skip_gnnkd:
                    jobs.append(("gnnkd", [a.gnnkd, "bench-speed"] + common + ["--quiet"]
                                 + shlex.split(a.gnnkd_args)))
                if not a.skip_torch:
                    jobs.append(("torch", [a.python, torch_script] + common + shlex.split(a.torch_args)))
                for side, cmd in jobs:
                    if side == "gnnkd" and gnnkd_error:
                        obj, err = None, gnnkd_error
                    else:
                        eprint("compare: %s %s threads=%d: %s ..." % (ds, model, th, side))
                        obj, err = run_json(cmd, env, a.timeout)
                    if err:
                        if err != gnnkd_error:
                            eprint("compare:   %s FAILED: %s" % (side, err))
                        r[side + "_error"] = err
                        if side == "gnnkd" and ("unknown command" in err or err.startswith("not ")):
                            gnnkd_error = "gnnkd bench-speed unavailable: " + err
                        rec = {"impl": "gnnkd" if side == "gnnkd" else "pytorch", "dataset": ds,
                               "model": model, "threads": th, "error": err, "command": cmd}
                    else:
                        r[side] = obj
                        rec = obj
                        eprint("compare:   %s median %.5f s/epoch" % (
                            side, get(obj, "epoch_seconds", "median") or float("nan")))
                    if jsonl:
                        jsonl.write(json.dumps(rec) + "\n")
                        jsonl.flush()
                rows.append(r)
                if a.out:  # rewrite after every row: a partial run still leaves a table
                    with open(a.out, "w") as f:
                        f.write(markdown(rows, meta))
    if jsonl:
        jsonl.close()
    text = markdown(rows, meta)
    print(text, end="")
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
        eprint("compare: wrote %s and %s.json" % (a.out, a.out))
    ok_torch = a.skip_torch or all(r["torch"] for r in rows)
    return 0 if ok_torch else 1


if __name__ == "__main__":
    sys.exit(main(parse_args()))
