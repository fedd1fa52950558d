"""ONVIF Real Time Streaming Test Specification, RTSS-4-1-3 NOTIFICATION STREAMING: the
Media 1 way to stream events over RTP.

The spec's procedure, step by step: CreateProfile ("Test"), GetMetadataConfigurations (at
least one), GetVideoSourceConfigurations, AddVideoSourceConfiguration,
AddMetadataConfiguration, SetMetadataConfiguration (Analytics = false, Events present without
a filter: every event), GetStreamUri (RTP-Unicast over UDP), DESCRIBE (the SDP holds exactly
one media section, `vnd.onvif.metadata`), SETUP and PLAY, RTP notifications received and
validated, SetSynchronizationPoint (the device re-sends its property events), at least one
notification after it with PropertyOperation "Initialized" or "Changed" where it is a property
event, TEARDOWN, DeleteProfile. The metadata configuration is set back as it was.

The RTP and document checks are the Media2 metadata cases' (cases/rtss_media2_metadata.py):
version, the SDP's payload type, one SSRC, no sequence gap, a sender report of that SSRC, and
every document valid against metadatastream.xsd.
"""

from __future__ import annotations

import asyncio
import time

from conformance.cases.media import NewProfile, media, plain, restore_metadata
from conformance.cases.rtss_media2_metadata import TT, WSNT, check_documents, check_rtp, documents, event_topics, metadata_track
from conformance.harness import NS, case, check
from conformance.rtsp_client import RtspClient

REQUIRES = (NS["trt"],)
STREAM_SECS = 3.0
TOKEN = "rtss413"


def property_operations(roots) -> list[tuple[str, str | None]]:
    """(topic, PropertyOperation or None) of every notification in the documents."""
    out = []
    for r in roots:
        for n in r.iterfind(f".//{{{TT}}}Event/{{{WSNT}}}NotificationMessage"):
            topic = (n.findtext(f"{{{WSNT}}}Topic") or "").strip()
            msg = n.find(f"{{{WSNT}}}Message/{{{TT}}}Message")
            out.append((topic, None if msg is None else msg.get("PropertyOperation")))
    return out


@case("RTSS-4-1-3")
async def notification_streaming(ctx):
    m = await media(ctx)
    async with NewProfile(m, TOKEN, "Test"):
        metas = await m.GetMetadataConfigurations()
        check(metas, "GetMetadataConfigurations: no metadata configuration")
        sources = await m.GetVideoSourceConfigurations()
        check(sources, "GetVideoSourceConfigurations: no video source configuration")
        await m.AddVideoSourceConfiguration({"ProfileToken": TOKEN, "ConfigurationToken": sources[0].token})
        meta = plain(metas[0])
        await m.AddMetadataConfiguration({"ProfileToken": TOKEN, "ConfigurationToken": meta["token"]})
        # Analytics = false, Events without a filter: "the client is interested in receiving all
        # events, therefore no Filter is applied".
        cfg = dict(meta, Analytics=False, Events={})
        await m.SetMetadataConfiguration({"Configuration": cfg, "ForcePersistence": False})
        try:
            r = await m.GetStreamUri({"StreamSetup": {"Stream": "RTP-Unicast", "Transport": {"Protocol": "UDP"}}, "ProfileToken": TOKEN})
            check(r.Uri and r.Uri.startswith("rtsp://"), f"GetStreamUri: {r.Uri!r}")
            c = RtspClient(r.Uri, ctx.user, ctx.password)
            await c.connect()
            try:
                d = await c.describe()
                check(d.status == 200, f"DESCRIBE {d.status} {d.reason}")
                sdp = d.body.decode()
                sections = sdp.count("\nm=")
                check(sections == 1, f"the SDP holds {sections} media sections, not only the metadata one:\n{sdp}")
                control, pt = metadata_track(sdp, d.header("content-base") or r.Uri)
                s = await c.setup_udp(control)
                check(s.status == 200, f"SETUP of the metadata track: {s.status} {s.reason}")
                p = await c.play()
                check(p.status == 200, f"PLAY {p.status} {p.reason}")
                await asyncio.sleep(1.0)
                asked = time.monotonic()
                await m.SetSynchronizationPoint({"ProfileToken": TOKEN})
                await asyncio.sleep(STREAM_SECS)
                rtp_note = check_rtp(c, pt, "udp")
                rtp = [x for x in c.packets if not x.rtcp]
                topics = event_topics(check_documents(documents(rtp), "udp"))
                after = check_documents(documents([x for x in rtp if x.at > asked]), "udp after SetSynchronizationPoint")
                ops = property_operations(after)
                check(ops, f"no notification on the metadata track after SetSynchronizationPoint (topics in the stream: {sorted(set(topics))})")
                bad = [(t, o) for t, o in ops if o is not None and o not in ("Initialized", "Changed")]
                check(not bad, f"property events after SetSynchronizationPoint with PropertyOperation other than Initialized or Changed: {bad[:3]}")
                props = sorted({t for t, o in ops if o is not None})
                check(props, f"no property event after SetSynchronizationPoint (notifications: {ops[:5]})")
                t = await c.teardown()
                check(t.status == 200, f"TEARDOWN {t.status}")
                ctx.note(f"{rtp_note}; after SetSynchronizationPoint {len(ops)} notifications, property events {props}")
            finally:
                await c.close()
        finally:
            await restore_metadata(m, meta)
        await m.DeleteProfile({"ProfileToken": TOKEN})
