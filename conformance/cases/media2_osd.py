"""ONVIF Media2 Configuration Device Test Specification, OSD (MEDIA2-6-1-*): the OSDs of each
video source configuration, their options and consistency, text and image OSDs created and
set from the options (Annex A.4, OSDConfigurationOptions and OSDConfiguration mapping),
checked back and deleted. Zeep on the vendored Media2 WSDL with every reply schema-checked,
as cases/media2.py.

The pre-requisite "OSD feature is supported by DUT" is Media2's capability OSD. While it is
false (the OSD operations are being built, issue 18) the cases are PENDING with that reason;
CreateOSD and the like answering ActionNotSupported are PENDING too (media2.write). OSDs a
case deletes to make room (HelperDeviceConfigurationToCreateOSD) are created again after it.
"""

from __future__ import annotations

import asyncio
import struct
import zlib

import aiohttp

from conformance.cases.media2 import capabilities, m2case, media2, no_duplicates, plain, write
from conformance.harness import Pending, check

TEXT_TYPES = ("Plain", "Date", "Time", "DateAndTime")
# timeout1 after an image upload: the test tool's Operation Delay, here a fixed wait.
UPLOAD_WAIT = 2.0
RULES = []


async def osd_supported(m) -> None:
    if not (await capabilities(m)).OSD:
        raise Pending("Media2 capabilities OSD = false: OSD is not offered yet")


async def osds(m, **by):
    return await m.GetOSDs(by) or []


def vsc_of(osd) -> str:
    t = osd.VideoSourceConfigurationToken
    return getattr(t, "_value_1", t)


# --- reads (MEDIA2-6-1-5..7) ----------------------------------------------------------------


@m2case("MEDIA2-6-1-5")
async def get_osds(ctx):
    m = await media2(ctx)
    await osd_supported(m)
    complete = await osds(m)
    tokens = no_duplicates(complete, "OSDs")
    for vsc in await m.GetVideoSourceConfigurations({}):
        listed = await osds(m, ConfigurationToken=vsc.token)
        got = no_duplicates(listed, f"OSDs of {vsc.token}")
        missing = [t for t in got if t not in tokens]
        check(not missing, f"OSDs of {vsc.token} not in the complete list: {missing}")
    ctx.note(f"{len(tokens)} OSD(s)")


def check_osd_options(o, where: str) -> None:
    """MEDIA2-6-1-6's checks of one GetOSDOptionsResponse with Total > 0."""
    types = list(o.Type or [])
    check(("Text" in types) == (o.TextOption is not None), f"{where}: Type {types} vs TextOption {'present' if o.TextOption is not None else 'absent'}")
    check(("Image" in types) == (o.ImageOption is not None), f"{where}: Type {types} vs ImageOption {'present' if o.ImageOption is not None else 'absent'}")
    mx = o.MaximumNumberOfOSDs
    check(not (mx.PlainText or 0) or "Text" in types, f"{where}: MaximumNumberOfOSDs PlainText {mx.PlainText} without Type Text")
    check(not (mx.Image or 0) or "Image" in types, f"{where}: MaximumNumberOfOSDs Image {mx.Image} without Type Image")
    io = o.ImageOption
    if io is not None and io.FormatsSupported is not None:
        check("image/png" in list(io.FormatsSupported), f"{where}: FormatsSupported {list(io.FormatsSupported)} lacks image/png")
        check(io.MaxSize is not None or (io.MaxWidth is not None and io.MaxHeight is not None), f"{where}: no MaxSize nor MaxWidth and MaxHeight")
        check(io.MaxSize is None or io.MaxSize >= 1024, f"{where}: MaxSize {io.MaxSize} < 1024")
        check(io.MaxWidth is None or io.MaxWidth >= 16, f"{where}: MaxWidth {io.MaxWidth} < 16")
        check(io.MaxHeight is None or io.MaxHeight >= 16, f"{where}: MaxHeight {io.MaxHeight} < 16")
    to = o.TextOption
    if to is not None:
        tt = list(to.Type or [])
        check("Date" not in tt or to.DateFormat, f"{where}: text Type Date without DateFormat")
        check("Time" not in tt or to.TimeFormat, f"{where}: text Type Time without TimeFormat")
        check("DateAndTime" not in tt or (to.DateFormat and to.TimeFormat), f"{where}: text Type DateAndTime without DateFormat and TimeFormat")


@m2case("MEDIA2-6-1-6")
async def get_osd_options(ctx):
    m = await media2(ctx)
    await osd_supported(m)
    some = 0
    for vsc in await m.GetVideoSourceConfigurations({}):
        o = await m.GetOSDOptions({"ConfigurationToken": vsc.token})
        if o.MaximumNumberOfOSDs.Total > 0:
            check_osd_options(o, vsc.token)
            some += 1
            ctx.note(f"{vsc.token}: Total {o.MaximumNumberOfOSDs.Total}, types {list(o.Type or [])}")
    check(some, "no video source configuration with MaximumNumberOfOSDs.Total > 0")


def color_ok(color, options) -> str | None:
    """Why the tt:Color `color` is outside a tt:ColorOptions (None: within)."""
    c = options.Color if options is not None else None
    if c is None:
        return "no Color in the options"
    lists = list(getattr(c, "ColorList", None) or [])
    ranges = list(getattr(c, "ColorspaceRange", None) or [])
    v = color.Color
    if lists and not any((x.X, x.Y, x.Z, x.Colorspace) == (v.X, v.Y, v.Z, v.Colorspace) for x in lists):
        return f"color {v.X},{v.Y},{v.Z} not in ColorList"
    if ranges:
        if v.Colorspace is None:
            return "color without Colorspace"
        if not any(r.Colorspace == v.Colorspace and r.X.Min <= v.X <= r.X.Max and r.Y.Min <= v.Y <= r.Y.Max and r.Z.Min <= v.Z <= r.Z.Max
                   for r in ranges):
            return f"color {v.X},{v.Y},{v.Z} in {v.Colorspace} in no ColorspaceRange"
    if color.Transparent is not None:
        t = getattr(options, "Transparent", None)
        if t is None or not t.Min <= color.Transparent <= t.Max:
            return f"Transparent {color.Transparent} outside the options"
    return None


@m2case("MEDIA2-6-1-7")
async def osds_and_options(ctx):
    m = await media2(ctx)
    await osd_supported(m)
    n = 0
    for vsc in await m.GetVideoSourceConfigurations({}):
        listed = await osds(m, ConfigurationToken=vsc.token)
        if not listed:
            continue
        o = await m.GetOSDOptions({"ConfigurationToken": vsc.token})
        for osd in listed:
            where = f"OSD {osd.token}"
            check(vsc_of(osd) == vsc.token, f"{where}: VideoSourceConfigurationToken {vsc_of(osd)}, listed for {vsc.token}")
            check(o.MaximumNumberOfOSDs.Total > 0, f"{vsc.token}: OSDs but MaximumNumberOfOSDs.Total {o.MaximumNumberOfOSDs.Total}")
            check(osd.Type in list(o.Type or []), f"{where}: Type {osd.Type} not in {list(o.Type or [])}")
            check(osd.Position.Type in list(o.PositionOption or []), f"{where}: Position {osd.Position.Type} not in {list(o.PositionOption or [])}")
            ts = osd.TextString
            if ts is not None:
                to = o.TextOption
                check(to is not None and ts.Type in list(to.Type or []), f"{where}: text Type {ts.Type} not in the options")
                check(ts.DateFormat is None or ts.DateFormat in list(to.DateFormat or []), f"{where}: DateFormat {ts.DateFormat}")
                check(ts.TimeFormat is None or ts.TimeFormat in list(to.TimeFormat or []), f"{where}: TimeFormat {ts.TimeFormat}")
                if ts.FontSize is not None:
                    r = to.FontSizeRange
                    check(r is not None and r.Min <= ts.FontSize <= r.Max, f"{where}: FontSize {ts.FontSize} outside the range")
                for name in ("FontColor", "BackgroundColor"):
                    col = getattr(ts, name)
                    if col is not None:
                        why = color_ok(col, getattr(to, name))
                        check(why is None, f"{where}: {name}: {why}")
            if osd.Image is not None:
                check(o.ImageOption is not None and osd.Image.ImgPath in list(o.ImageOption.ImagePath or []),
                      f"{where}: ImgPath {osd.Image.ImgPath} not in the options")
            n += 1
    ctx.note(f"{n} OSD(s) within their options")


# --- writes (MEDIA2-6-1-1..4) ----------------------------------------------------------------


def osd_from_options(o, vsc: str, kind: str, last: bool, text_type: str | None = None) -> dict:
    """Annex A.4: an OSD of `kind` from the options, the first (or minimum) of each list or
    range, or with `last` the last (or maximum)."""
    def pick(items):
        items = list(items or [])
        check(items, f"options list empty for a {kind} OSD")
        return items[-1] if last else items[0]

    pos = pick(o.PositionOption)
    osd = {"token": "testOSD", "VideoSourceConfigurationToken": {"_value_1": vsc}, "Type": kind,
           "Position": {"Type": pos, **({"Pos": {"x": 1.0 if last else -1.0, "y": 1.0 if last else -1.0}} if pos == "Custom" else {})}}
    if kind == "Text":
        to = o.TextOption
        check(to is not None, "Type Text without TextOption")
        t = text_type or pick([x for x in to.Type or [] if x in TEXT_TYPES])
        ts = {"Type": t}
        if t in ("Date", "DateAndTime"):
            ts["DateFormat"] = pick(to.DateFormat)
        if t in ("Time", "DateAndTime"):
            ts["TimeFormat"] = pick(to.TimeFormat)
        if to.FontSizeRange is not None:
            ts["FontSize"] = to.FontSizeRange.Max if last else to.FontSizeRange.Min
        for name in ("FontColor", "BackgroundColor"):
            co = getattr(to, name)
            if co is None or co.Color is None:
                continue
            color = None
            if getattr(co.Color, "ColorList", None):
                x = pick(co.Color.ColorList)
                color = {"X": x.X, "Y": x.Y, "Z": x.Z, "Colorspace": x.Colorspace}
            elif getattr(co.Color, "ColorspaceRange", None):
                r = pick(co.Color.ColorspaceRange)
                end = "Max" if last else "Min"
                color = {"X": getattr(r.X, end), "Y": getattr(r.Y, end), "Z": getattr(r.Z, end), "Colorspace": r.Colorspace}
            if color is not None:
                ts[name] = {"Color": color}
                if co.Transparent is not None:
                    ts[name]["Transparent"] = co.Transparent.Max if last else co.Transparent.Min
        if t == "Plain":
            ts["PlainText"] = "ONVIF conformance"
        osd["TextString"] = ts
    else:
        check(o.ImageOption is not None, "Type Image without ImageOption")
        osd["Image"] = {"ImgPath": pick(o.ImageOption.ImagePath)}
    return osd


def check_osd_as_set(got, want: dict, where: str) -> None:
    g = plain(got)
    check(vsc_of(got) == want["VideoSourceConfigurationToken"]["_value_1"], f"{where}: VideoSourceConfigurationToken {vsc_of(got)}")
    check(g["Type"] == want["Type"], f"{where}: Type {g['Type']}, set {want['Type']}")
    check(g["Position"]["Type"] == want["Position"]["Type"], f"{where}: Position {g['Position']['Type']}, set {want['Position']['Type']}")
    for k, v in (want.get("TextString") or {}).items():
        seen = (g.get("TextString") or {}).get(k)
        if isinstance(v, dict):
            seen = {kk: (seen or {}).get(kk) for kk in v}
            if "Color" in v:
                seen["Color"] = {kk: ((seen.get("Color") or {}) or {}).get(kk) for kk in v["Color"]}
        check(seen == v, f"{where}: TextString.{k} {seen!r}, set {v!r}")
    if "Image" in want:
        check((g.get("Image") or {}).get("ImgPath") == want["Image"]["ImgPath"], f"{where}: ImgPath {(g.get('Image') or {}).get('ImgPath')}")


class Room:
    """HelperDeviceConfigurationToCreateOSD: OSDs deleted to make room for one of `kind`,
    created again on exit."""

    def __init__(self, m, vsc: str, options, kind: str):
        self.m, self.vsc, self.o, self.kind, self.deleted = m, vsc, options, kind, []

    async def __aenter__(self):
        listed = await osds(self.m, ConfigurationToken=self.vsc)
        mx = self.o.MaximumNumberOfOSDs
        victims = []
        if self.kind == "Image" and mx.Image is not None:
            images = [x for x in listed if x.Type == "Image"]
            if len(images) >= mx.Image:
                check(images, "no image OSD to delete")
                victims = images[:1]
        elif self.kind == "Text":
            victims = [x for x in listed if x.Type == "Text"]
        rest = [x for x in listed if x not in victims]
        if not victims and len(rest) >= mx.Total:
            check(rest, "no OSD to delete")
            victims = rest[:1]
        for v in victims:
            self.deleted.append(plain(v))
            await write(self.m.DeleteOSD({"OSDToken": v.token}), "DeleteOSD")
        return self

    async def __aexit__(self, *exc):
        for v in self.deleted:
            await self.m.CreateOSD({"OSD": v})


def png_16x16() -> bytes:
    """Annex A.28's picture: a PNG of 16x16 pixels, at most 1024 bytes (RGBA, a red square)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack("!I", len(data)) + kind + data + struct.pack("!I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\0" + b"\xff\x00\x00\xff" * 16 for _ in range(16))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", 16, 16, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


async def upload_images(ctx, o) -> None:
    """MEDIA2-6-1-2/3: with FormatsSupported, the PNG is POSTed to the first image path (and
    the last, if there are more), each answered 200."""
    io = o.ImageOption
    if io is None or io.FormatsSupported is None:
        return
    paths = list(io.ImagePath or [])
    check(paths, "ImageOption without ImagePath")
    body = png_16x16()
    for path in dict.fromkeys([paths[0], paths[-1]]):
        async with aiohttp.ClientSession(middlewares=(aiohttp.DigestAuthMiddleware(ctx.user, ctx.password),)) as s:
            async with s.post(path, data=body, headers={"Content-Type": "image/png"}, timeout=aiohttp.ClientTimeout(total=30)) as r:
                check(r.status == 200, f"POST of a PNG to {path}: HTTP {r.status}")
        await asyncio.sleep(UPLOAD_WAIT)


async def create_check_delete(m, vsc: str, osd: dict, before: list[str], where: str) -> None:
    token = await write(m.CreateOSD({"OSD": osd}), "CreateOSD")
    try:
        check(token and token not in before, f"{where}: CreateOSD returned {token!r}, already listed before")
        got = [x for x in await osds(m, OSDToken=token) if x.token == token]
        check(got, f"{where}: GetOSDs({token}) does not list it")
        check_osd_as_set(got[0], osd, f"{where} {token}")
    finally:
        await write(m.DeleteOSD({"OSDToken": token}), "DeleteOSD")
    check(token not in [x.token for x in await osds(m, ConfigurationToken=vsc)], f"{where}: {token} still listed after DeleteOSD")


async def create_case(ctx, kind: str) -> None:
    m = await media2(ctx)
    await osd_supported(m)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    done = []
    for vsc in vscs:
        before = [x.token for x in await osds(m, ConfigurationToken=vsc.token)]
        o = await m.GetOSDOptions({"ConfigurationToken": vsc.token})
        if kind not in list(o.Type or []):
            continue
        async with Room(m, vsc.token, o, kind):
            if kind == "Image":
                await upload_images(ctx, o)
            for last in (False, True):
                await create_check_delete(m, vsc.token, osd_from_options(o, vsc.token, kind, last), before, f"{vsc.token} {kind} ({'last' if last else 'first'} values)")
        done.append(vsc.token)
    ctx.note(f"{kind} OSDs created, read back and deleted on {', '.join(done)}" if done else f"no video source offers {kind} OSDs")


@m2case("MEDIA2-6-1-1")
async def create_text_osd(ctx):
    await create_case(ctx, "Text")


@m2case("MEDIA2-6-1-2")
async def create_image_osd(ctx):
    await create_case(ctx, "Image")


async def set_case(ctx, kind: str) -> None:
    m = await media2(ctx)
    await osd_supported(m)
    vscs = await m.GetVideoSourceConfigurations({})
    check(vscs, "no video source configuration")
    done = []
    for vsc in vscs:
        o = await m.GetOSDOptions({"ConfigurationToken": vsc.token})
        if kind not in list(o.Type or []):
            continue
        async with Room(m, vsc.token, o, kind):
            if kind == "Image":
                await upload_images(ctx, o)
            first = osd_from_options(o, vsc.token, kind, False)
            token = await write(m.CreateOSD({"OSD": first}), "CreateOSD")
            try:
                check([x for x in await osds(m, OSDToken=token) if x.token == token], f"GetOSDs({token}) does not list it")
                text_type = first.get("TextString", {}).get("Type")
                changed = dict(osd_from_options(o, vsc.token, kind, True, text_type), token=token)
                await write(m.SetOSD({"OSD": changed}), "SetOSD")
                got = [x for x in await osds(m, OSDToken=token) if x.token == token]
                check(got, f"GetOSDs({token}) does not list it after SetOSD")
                check_osd_as_set(got[0], changed, f"{vsc.token} {kind} OSD {token} after SetOSD")
            finally:
                await write(m.DeleteOSD({"OSDToken": token}), "DeleteOSD")
        done.append(vsc.token)
    ctx.note(f"{kind} OSDs set to the options' last values on {', '.join(done)}" if done else f"no video source offers {kind} OSDs")


@m2case("MEDIA2-6-1-3")
async def set_image_osd(ctx):
    await set_case(ctx, "Image")


@m2case("MEDIA2-6-1-4")
async def set_text_osd(ctx):
    await set_case(ctx, "Text")
