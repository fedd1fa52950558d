"""Why a test ID of the specifications is not run: it cannot apply to this device (N/A, with
the capability that says so), or its service is not built yet (PENDING).

Rules are matched in order; the first whose pattern matches the ID wins. An ID that matches
nothing and has no case is PENDING with a generic reason, so nothing is ever silently left
out of docs/CONFORMANCE.md.
"""

from __future__ import annotations

import re

NO_IPV6 = "IPv6 is not offered (GetCapabilities Network.IPVersion6 = false)"
NO_G726 = "G.726 is not offered: the SDK's AI caps list G.711 and AAC (the contract has no G.726 codec)"
NO_H265 = "H.265 is not offered: the SDK encodes H.264 only (Media2 encoder options list H264 only)"
NO_TLS = "HTTPS and RTSPS are not offered (TLS is conditional in Profile T, left out of issue 18)"
NO_WEBSOCKET = "RTSP over WebSocket is not offered (Media2 StreamingCapabilities has no RTSPWebSocketUri)"
NO_ANALYTICS = "no analytics service or analytics configurations (Media2 lists no Analytics configuration)"
NO_JPEG_MPEG4 = "only H.264 is offered (GetVideoEncoderConfigurationOptions lists no JPEG or MPEG4)"

RULES: list[tuple[str, str, str]] = [
    # --- Base: network configuration belongs to the host OS
    (r"^IPCONFIG-", "N/A", "interface addressing (DHCP, link-local, IPv6) belongs to the host OS; "
     "SetNetworkInterfaces is not offered"),
    (r"^DEVICE-2-1-(5|6|7|8|9|10)$", "N/A", "SetDNS is not offered: DNS belongs to the host OS "
     "(GetDNS reports it; ONVIF.md first wave)"),
    (r"^DEVICE-2-1-(18|19|20|21)$", "N/A", "SetNetworkInterfaces is not offered: addressing belongs to "
     "the host OS"),
    (r"^DEVICE-2-1-(28|29|30|31)$", "N/A", "SetNetworkDefaultGateway is not offered: routing belongs to "
     "the host OS"),
    (r"^DEVICE-2-1-(13|16)$", "N/A", NO_IPV6),
    (r"^DEVICE-2-1-(36|37)$", "N/A", "dynamic DNS is not offered (Network.DynDNS = false)"),
    (r"^DEVICE-1-1-11$", "N/A", "no analytics service"),
    (r"^DEVICE-1-1-(20|21|22|23|24|25|26|27|28|29)$", "N/A", "service not offered (replay, recording, "
     "receiver, access control, door control, advanced security, access rules, credential, schedule)"),
    (r"^DEVICE-3-1-10$", "N/A", "system log is not offered (System.SystemLogging = false)"),
    (r"^DEVICE-3-1-12$", "N/A", "NTP client not offered: the clock belongs to the host OS (SetNTP is "
     "stored and reported)"),
    (r"^DEVICE-3-1-(13|14|15)$", "N/A", "system backup/restore is not offered (System.SystemBackup = false)"),
    (r"^DEVICE-3-1-(16|17)$", "N/A", "firmware upgrade is not offered (System.FirmwareUpgrade = false)"),
    (r"^DEVICE-4-1-(10|11)$", "N/A", "remote user handling is not offered "
     "(Security.RemoteUserHandling = false)"),
    (r"^DEVICE-7-", "N/A", "IP address filter is not offered (Network.IPFilter = false)"),
    (r"^DEVICE-8-", "N/A", "auxiliary commands are not offered"),
    (r"^DEVICE-9-1-(2|8|9|10|11|12)$", "N/A", "no such hardware or feature (reset reason, backup, fan, "
     "power supply, storage, temperature sensor)"),
    (r"^DEVICE-9-1-7$", "N/A", "NTP client not offered"),
    # --- Real time streaming
    (r"^RTSS-.*IPv6|^RTSS-1-1-(54|55|56|57|58|59|60|61|62)$|^RTSS-1-2-(16|17|18|22)$", "N/A", NO_IPV6),
    (r"^RTSS-2-1-(3[7-9]|4\d|5[0-4])$|^RTSS-3-1-(19|2[0-7])$", "N/A", NO_IPV6),
    (r"^RTSS-2-1-(2[2-4]|3[1-3])$|^RTSS-3-1-1[3-5]$", "N/A", NO_G726),
    (r"^RTSS-2-2-(12|14|16)$|^RTSS-3-2-(17|19|21)$", "N/A", NO_IPV6),
    (r"^RTSS-2-2-13$|^RTSS-3-2-18$|^RTSS-5-1-11$", "N/A", NO_G726),
    (r"^RTSS-1-1-(24|25|34|35|36|37|38|39|40|46|47|53)$|^RTSS-1-2-(13|14)$|^RTSS-5-1-7$", "N/A",
     NO_JPEG_MPEG4),
    # --- Media2 configuration (Profile T, issue 18)
    (r"^MEDIA2-1-1-9$", "N/A", "Profile M is not claimed (the case checks Profile M's analytics profile)"),
    (r"^MEDIA2-2-4-", "N/A", "video source modes are not offered (Media2 capabilities VideoSourceMode = false)"),
    (r"^MEDIA2-9-", "N/A", NO_ANALYTICS),
    (r"^MEDIA2-10-", "N/A", "privacy masks are not offered (Media2 capabilities Mask = false)"),
    # --- Real time streaming using Media2
    (r"^MEDIA2_RTSS-1-1-(5|6|7|12|13|14|17|18|21|22)$|^MEDIA2_RTSS-1-2-(2|4)$|^MEDIA2_RTSS-4-1-(5|6|7|9|11)$"
     r"|^MEDIA2_RTSS-4-2-2$", "N/A", NO_IPV6),
    (r"^MEDIA2_RTSS-1-1-(8|9|10|11|16|20|25)$|^MEDIA2_RTSS-1-2-3$", "N/A", NO_H265),
    (r"^MEDIA2_RTSS-1-1-15$|^MEDIA2_RTSS-4-1-8$", "N/A", NO_TLS),
    (r"^MEDIA2_RTSS-1-1-19$|^MEDIA2_RTSS-4-1-10$", "N/A", NO_WEBSOCKET),
    (r"^MEDIA2_RTSS-5-1-([4-6]|1[0-2])$", "N/A", NO_IPV6),
    (r"^MEDIA2_RTSS-5-2-(2|4)$", "N/A", NO_IPV6),
    (r"^MEDIA2_RTSS-2-1-(13|14|15|16)$", "N/A", NO_TLS),
    (r"^MEDIA2_RTSS-2-1-(17|18|19|20)$", "N/A", NO_WEBSOCKET),
    (r"^MEDIA2_RTSS-2-1-(4|5|6|10|11|12)$", "N/A", NO_IPV6),
    (r"^MEDIA2_RTSS-2-2-(2|4)$", "N/A", NO_IPV6),
    # --- DeviceIO
    (r"^DEVICEIO-6-", "N/A", "no serial ports (DeviceIO capabilities SerialPorts = 0)"),
]


def status_of(test_id: str, extra_rules=()) -> tuple[str, str]:
    """`extra_rules`: (pattern, status, reason) declared by case modules as `RULES`; they
    come first, so a module that owns a specification decides for its IDs."""
    for pattern, status, reason in [*extra_rules, *RULES]:
        if re.search(pattern, test_id):
            return status, reason
    return "PENDING", "applies; case not written yet"
