"""ONVIF Real Time Streaming using Media2 Device Test Specification (MEDIA2_RTSS-*)."""

from __future__ import annotations

MEDIA2 = "http://www.onvif.org/ver20/media/wsdl"
REQUIRES = (MEDIA2,)
