"""The responses the cases read, checked against the official ONVIF schema (the vendored WSDL
and XSD in wsdl/): every element of a reply's SOAP Body but a Fault must be valid against the
service's WSDL schema and the `tt:` schema it imports.

libxml2 (lxml.etree.XMLSchema) refuses onvif.xsd: many ONVIF types end an optional element
with `xs:any namespace="##any"`, which breaks XSD 1.0's Unique Particle Attribution rule
(tt:PTZStatus, tr2:Capabilities2, ...). XSD 1.1 drops that rule for wildcards, so the schema
is loaded with the `xmlschema` package's XSD 1.1 validator (pinned in
conformance/onvif-zeep/requirements.txt). Building it takes 8 to 13 s, once per runner
process and WSDL.
"""

from __future__ import annotations

import copy
import functools
import warnings
from pathlib import Path

from lxml import etree

from conformance.harness import Failed

WSDL_DIR = Path(__file__).resolve().parent.parent / "wsdl"
XS = "http://www.w3.org/2001/XMLSchema"
ENV12 = "http://www.w3.org/2003/05/soap-envelope"


WSDL_NS = "http://schemas.xmlsoap.org/wsdl/"


def inline_schemas(path: Path, seen: set | None = None) -> list[str]:
    """The inline `xs:schema` of the WSDL at `path` and of the WSDLs it `wsdl:import`s (the
    DeviceIO WSDL takes SetRelayOutputState from the device management one), each as a
    document of its own: imports resolved to absolute paths, and the WSDL's namespace
    declarations carried onto the schema element, since its QName attribute values
    (type="tr2:...") use prefixes declared on wsdl:definitions."""
    seen = set() if seen is None else seen
    path = path.resolve()
    if path in seen:
        return []
    seen.add(path)
    doc = etree.parse(str(path))
    out = []
    for inline in doc.getroot().iterfind(f"{{{WSDL_NS}}}types/{{{XS}}}schema"):
        root = etree.Element(inline.tag, nsmap={**doc.getroot().nsmap, **inline.nsmap}, attrib=dict(inline.attrib))
        root.extend(copy.deepcopy(c) for c in inline)
        for imp in root.findall(f"{{{XS}}}import"):
            if imp.get("schemaLocation"):
                imp.set("schemaLocation", str((path.parent / imp.get("schemaLocation")).resolve()))
        out.append(etree.tostring(root).decode())
    for imp in doc.getroot().iterfind(f"{{{WSDL_NS}}}import"):
        out += inline_schemas(path.parent / imp.get("location"), seen)
    return out


@functools.lru_cache(maxsize=None)
def service_schema(wsdl: str):
    """The XSD 1.1 schema of the WSDL `wsdl` (relative to wsdl/, e.g.
    "ver20/media/wsdl/media.wsdl"): its inline schemas and those of the WSDLs it imports,
    with their imports (onvif.xsd and what that imports)."""
    import xmlschema

    path = WSDL_DIR / wsdl
    sources = inline_schemas(path)
    with warnings.catch_warnings():
        # devicemgmt.wsdl's two tds:Capabilities element declarations (GetServices' optional
        # one, GetServiceCapabilities' required one) draw a type-table notice, not an error.
        warnings.simplefilter("ignore")
        return xmlschema.XMLSchema11(sources, base_url=str(path.parent) + "/")


def body_errors(envelope, wsdl: str) -> list[str]:
    """Schema errors of every non-Fault element of the envelope's Body (empty: valid)."""
    schema = service_schema(wsdl)
    body = envelope.find(f"{{{ENV12}}}Body")
    if body is None:
        return ["no SOAP 1.2 Body"]
    out = []
    for el in body:
        if not isinstance(el.tag, str) or el.tag == f"{{{ENV12}}}Fault":
            continue
        for err in schema.iter_errors(el):
            out.append(f"{etree.QName(el).localname}: {err.reason} at {err.path}")
            if len(out) >= 3:
                return out
    return out


def check_envelope(envelope, wsdl: str) -> None:
    errors = body_errors(envelope, wsdl)
    if errors:
        raise Failed("response not valid against the ONVIF schema: " + "; ".join(errors))


def zeep_plugin(wsdl: str, counter: dict | None = None):
    """A zeep plugin that checks every reply a typed client reads (`counter["valid"]` counts
    the replies checked)."""
    from zeep import Plugin

    class SchemaCheck(Plugin):
        def ingress(self, envelope, http_headers, operation):
            check_envelope(envelope, wsdl)
            if counter is not None:
                counter["valid"] = counter.get("valid", 0) + 1
            return envelope, http_headers

    return SchemaCheck()
