"""nvt conformance runner: the ONVIF device test specification cases that apply to nvt (named
by their test IDs), the Home Assistant flow, the RTSP client matrix and the fault matrix,
against the real binary on a fresh state directory.

usage: runner.py --nvt target/{release,debug}/nvt [--only REGEX] [--doc docs/CONFORMANCE.md]

Every test ID of the specifications in catalog.json is accounted for: PASS or FAIL when a case
implements it, N/A with the reason when it cannot apply to this device (applicability.py),
PENDING while its service is not implemented yet. Ends with a table and `N passed, N failed`
on its own line; exits non-zero on any failure.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import re
import sys
import tempfile
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from conformance import applicability, profile_t  # noqa: E402
from conformance.harness import REGISTRY, Context, Failed, NotApplicable  # noqa: E402
from conformance.nvt import Nvt  # noqa: E402
from conformance.harness import Pending  # noqa: E402

CASE_MODULES = ["device", "device_relays", "security", "media", "imaging", "ptz", "rtss", "events", "clients", "real_clients", "faults",
                "multicast", "ha_flow", "rtss_multicast", "discovery", "media2", "media2_osd", "rtss_media2", "rtss_media2_metadata", "deviceio", "media2_ptz",
                "media_audio", "rtss_audio", "rtss_backchannel", "rtss_multicast_audio",
                "media_audio_out", "rtss_media2_g711", "rtss_metadata"]
USER = "admin"
PASSWORD = "conformance-Pw1"
# Cases that spend their time waiting (the spec's 60 s ContinuousMove Timeout, PTZ-3-1-4 and
# its Media2 twin; a pull-point subscription left to time out, EVENT-3-1-20): in a full run
# they go to a second runner process with its own nvt, beside the main sequence, so the run is
# about 2.4 minutes shorter (CI's budget, scripts/test-all). A process, not a task: the main
# sequence's cases block the event loop at times (subprocesses, decoders), which would skew
# these cases' clocks. The PTZ two share their nvt's head, so they run one after the other.
SIDE_LANE = ("PTZ-3-1-4", "MEDIA2_PTZ-1-1-2", "EVENT-3-1-20")


def load_catalog() -> list[dict]:
    return json.loads((HERE / "catalog.json").read_text())


async def offered_services(nvt: Nvt) -> set[str]:
    """Namespaces GetServices lists (cases needing a missing service are PENDING)."""
    ctx = Context(nvt=nvt, user=USER, password=PASSWORD, work="")
    r = await ctx.soap("<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>", auth=None)
    return set(r.find("//tds:Service/tds:Namespace/text()"))


async def run_case(c, nvt: Nvt, work: Path) -> tuple[str, str, float]:
    ctx = Context(nvt=nvt, user=USER, password=PASSWORD, work=str(work))
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(c.run(ctx), timeout=300)
        status, detail = "PASS", "; ".join(ctx.notes)
    except Failed as e:
        status, detail = "FAIL", str(e)
    except NotApplicable as e:
        status, detail = "N/A", str(e)
    except Pending as e:
        status, detail = "PENDING", "; ".join([str(e), *ctx.notes])
    except Exception as e:  # a client error or crash is a failure of the case, with its cause
        status = "FAIL"
        detail = f"{type(e).__name__}: {e}".strip()
        tb = traceback.format_exc(limit=3)
        print(tb, file=sys.stderr)
    await ctx.close()
    return status, detail, time.monotonic() - t0


async def start_lane(binary: Path, ids: list[str]):
    """The side lane (SIDE_LANE): this runner again, on `ids` only, with its own nvt."""
    out = Path(tempfile.mkdtemp(prefix="nvt-conformance-lane-")) / "rows.json"
    print(f"side lane: {', '.join(ids)} in a second runner with its own nvt", flush=True)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(Path(__file__).resolve()), "--nvt", str(binary),
        "--only", "^(" + "|".join(map(re.escape, ids)) + ")$", "--lane-out", str(out))
    return proc, out


async def finish_lane(lane, rows: list[dict], ids: list[str]) -> None:
    """Waits for the side lane and puts its rows in their places; a lane that ended without
    its rows fails its cases with the reason."""
    proc, out = lane
    rc = await proc.wait()
    got = {r["id"]: r for r in json.loads(out.read_text())} if out.exists() else {}
    for r in rows:
        if r["id"] in got:
            r.update(got[r["id"]])
        elif r["id"] in ids:
            r["detail"] = f"the side lane runner exited {rc} without this case's result"
    out.unlink(missing_ok=True)
    out.parent.rmdir()


def ensure_running(nvt: Nvt) -> None:
    """A disruptive case may leave the camera stopped: start it again on the same state."""
    if nvt.proc is None or nvt.proc.poll() is not None:
        nvt.start()


async def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nvt", required=True, type=Path)
    ap.add_argument("--only", default="", help="run only case IDs matching this regex")
    ap.add_argument("--doc", type=Path, help="write the Markdown status table here")
    ap.add_argument("--lane-out", type=Path, help=argparse.SUPPRESS)  # the side lane's rows, as JSON
    args = ap.parse_args()

    module_rules = []
    for m in CASE_MODULES:
        mod = importlib.import_module(f"conformance.cases.{m}")
        module_rules += getattr(mod, "RULES", [])
    catalog = load_catalog()
    spec_ids = {c["id"] for c in catalog}
    only = re.compile(args.only) if args.only else None

    rows: list[dict] = []
    probed = None
    selected = [c["id"] for c in catalog if c["id"] in REGISTRY and (not only or only.search(c["id"]))]
    lane_ids = [i for i in selected if i in SIDE_LANE] if not args.lane_out else []
    if len(lane_ids) == len(selected):
        lane_ids = []  # nothing to run beside
    lane = await start_lane(args.nvt, lane_ids) if lane_ids else None
    with tempfile.TemporaryDirectory(prefix="nvt-conformance-") as tmp:
        work = Path(tmp)
        nvt = Nvt(args.nvt, work / "state", PASSWORD).start()
        print(f"nvt pid {nvt.pid}: http {nvt.http_port}, rtsp {nvt.rtsp_port}, profiles {nvt.profiles}", flush=True)
        offered = await offered_services(nvt)
        try:
            # Spec cases in catalog order, then nvt's own (HA flow, client and fault
            # matrices); disruptive ones last within each.
            ordered = [c for c in catalog] + [
                {"id": k, "title": v.title, "spec": "nvt"} for k, v in REGISTRY.items() if k not in spec_ids
            ]
            ordered.sort(key=lambda c: REGISTRY[c["id"]].disruptive if c["id"] in REGISTRY else False)
            for entry in ordered:
                cid = entry["id"]
                if only and not only.search(cid):
                    continue
                row = {"id": cid, "title": entry["title"] or (REGISTRY[cid].title if cid in REGISTRY else ""), "spec": entry["spec"]}
                missing = [ns for ns in REGISTRY[cid].requires if ns not in offered] if cid in REGISTRY else []
                if cid in REGISTRY and missing:
                    row.update(status="PENDING", detail=f"needs {', '.join(missing)}, not offered yet", secs=0.0)
                elif cid in lane_ids:
                    row.update(status="FAIL", detail="", secs=0.0)  # the side lane's result, below
                elif cid in REGISTRY:
                    ensure_running(nvt)
                    status, detail, secs = await run_case(REGISTRY[cid], nvt, work)
                    row.update(status=status, detail=detail, secs=secs)
                    if status == "FAIL":
                        print(f"--- nvt log, last lines, after {cid}:", *nvt.snapshot()[-25:], sep="\n", file=sys.stderr)
                    print(f"{status:7} {cid:22} {secs:6.1f}s {detail[:150]}", flush=True)
                else:
                    status, detail = applicability.status_of(cid, module_rules)
                    row.update(status=status, detail=detail, secs=0.0)
                rows.append(row)
            if lane is not None:
                await finish_lane(lane, rows, lane_ids)
            # The Profile T support check reads what the camera reports, at the end of the
            # run (a full run only: it needs every case's status).
            if args.doc:
                ensure_running(nvt)
                pctx = Context(nvt=nvt, user=USER, password=PASSWORD, work=str(work))
                probed = await profile_t.probe(pctx)
                await pctx.close()
        finally:
            nvt.stop()

    if args.lane_out:
        args.lane_out.write_text(json.dumps(rows))
        return 0
    print_table(rows)
    if args.doc:
        write_doc(args.doc, rows, args.nvt)
        if probed is not None:
            report = args.doc.with_name("PROFILE_T.md")
            ok, of = profile_t.write(report, rows, probed)
            print(f"Profile T support check: {ok} of {of} mandatory features pass ({report})")
    passed = sum(r["status"] == "PASS" for r in rows)
    failed = sum(r["status"] == "FAIL" for r in rows)
    na = sum(r["status"] == "N/A" for r in rows)
    pending = sum(r["status"] == "PENDING" for r in rows)
    print(f"({na} not applicable, {pending} pending: listed with their reasons)")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def print_table(rows: list[dict]) -> None:
    print()
    print(f"{'ID':24} {'STATUS':8} {'TIME':>6}  DETAIL")
    for r in rows:
        if r["status"] in ("PASS", "FAIL"):
            print(f"{r['id']:24} {r['status']:8} {r['secs']:5.1f}s  {r['detail'][:110]}")
    for r in rows:
        if r["status"] not in ("PASS", "FAIL"):
            print(f"{r['id']:24} {r['status']:8} {'':6}  {r['detail'][:110]}")


def write_doc(path: Path, rows: list[dict], binary: Path) -> None:
    passed = sum(r["status"] == "PASS" for r in rows)
    failed = sum(r["status"] == "FAIL" for r in rows)
    out = [
        "# Conformance status",
        "",
        "Generated by `conformance/run` (do not edit by hand): every test ID of the ONVIF device",
        "test specifications nvt is measured against (github.com/onvif/testspecs: Base, Media",
        "Configuration, Imaging, Event Handling, Real Time Streaming, Access Policy, PTZ), and nvt's own",
        "suites (Home Assistant flow, RTSP client matrix, fault matrix). PASS/FAIL: run by the",
        "runner with real clients against the real binary. N/A: cannot apply to this device, with",
        "the reason. PENDING: applies, not run yet (the reason says what is missing).",
        "",
        f"Binary under test: `{binary}` (`CONFORMANCE_PROFILE`, see conformance/run).",
        "",
        f"**{passed} passed, {failed} failed**, "
        f"{sum(r['status'] == 'N/A' for r in rows)} not applicable, "
        f"{sum(r['status'] == 'PENDING' for r in rows)} pending.",
        "",
    ]
    by_spec: dict[str, list[dict]] = {}
    for r in rows:
        by_spec.setdefault(r["spec"], []).append(r)
    for spec, rs in by_spec.items():
        out += [f"## {spec}", "", "| Test ID | Title | Status | Detail |", "|---|---|---|---|"]
        for r in rs:
            detail = r["detail"].replace("|", "\\|").replace("\n", " ")
            out.append(f"| {r['id']} | {r['title']} | {r['status']} | {detail} |")
        out.append("")
    path.write_text("\n".join(out))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
