"""Re-extract catalog.json from the ONVIF device test specifications (github.com/onvif/testspecs).

usage: extract_catalog.py TESTSPECS_CHECKOUT [--check]

Per specification in SPECS (in that order), every DocBook `section` whose `xml:id` starts
with `tc.` and that has a "Test Case ID:" para gives `{"id", "title", "spec"}`: the ID after
that label, the section's title with whitespace collapsed, the file name. One entry a line,
so a re-extraction diffs by test case. `--check` compares with the committed catalog instead
of writing it (exit 1 on a difference).

The checkout is read, never copied into this repository: the catalog holds only IDs and
titles, which the runner needs to account for every case of a specification.
"""

from __future__ import annotations

import json
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

HERE = Path(__file__).resolve().parent

# The specifications whose cases nvt accounts for, in the order docs/CONFORMANCE.md lists them.
SPECS = [
    "ONVIF_Base_Device_Test_Specification.xml",
    "ONVIF_Media_Configuration_Device_Test_Specification.xml",
    "ONVIF_Imaging_Device_Test_Specification.xml",
    "ONVIF_Event_Handling_Device_Test_Specification.xml",
    "ONVIF_Real_Time_Streaming_Device_Test_Specification.xml",
    "ONVIF_Access_Policy_Device_Test_Specification.xml",
    "ONVIF_PTZ_Device_Test_Specification.xml",
    # Profile T (issue 18).
    "ONVIF_Media2_Configuration_Device_Test_Specification.xml",
    "ONVIF_Real_Time_Streaming_using_Media2_Device_Test_Specification.xml",
    "ONVIF_DeviceIO_Device_Test_Specification.xml",
]

DB = "{http://docbook.org/ns/docbook}"
XML_ID = "{http://www.w3.org/XML/1998/namespace}id"


def text(el: ET.Element) -> str:
    return re.sub(r"\s+", " ", "".join(el.itertext())).strip()


def own(sec: ET.Element, tag: str):
    """The `tag` elements of a section, not of the sections nested in it."""
    for child in sec:
        if child.tag == f"{DB}section":
            continue
        if child.tag == tag:
            yield child
        yield from own(child, tag)


def cases(path: Path) -> list[dict]:
    out = []
    root = ET.parse(path).getroot()
    for sec in root.iter(f"{DB}section"):
        if not sec.get(XML_ID, "").startswith("tc."):
            continue
        test_id = None
        for para in own(sec, f"{DB}para"):
            t = text(para)
            m = re.search(r"Test Case ID:\s*(\S+)", t)
            if m:
                test_id = m.group(1)
                break
        if test_id is None:
            continue
        title = sec.find(f"{DB}title")
        out.append({"id": test_id, "title": text(title) if title is not None else "", "spec": path.name})
    return out


def render(entries: list[dict]) -> str:
    return "[\n" + ",\n".join(json.dumps(e, ensure_ascii=False) for e in entries) + "\n]\n"


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    device = Path(sys.argv[1]) / "device"
    entries = [e for spec in SPECS for e in cases(device / spec)]
    out = render(entries)
    target = HERE / "catalog.json"
    if "--check" in sys.argv[2:]:
        same = target.read_text() == out
        print("catalog.json is up to date" if same else "catalog.json differs from the specifications")
        return 0 if same else 1
    target.write_text(out)
    print(f"{len(entries)} test cases from {len(SPECS)} specifications")
    return 0


if __name__ == "__main__":
    sys.exit(main())
