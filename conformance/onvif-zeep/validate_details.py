"""Validates the Detail of SOAP faults against the schemas vendored in wsdl/ (used by
tests/onvif_events.rs). lxml (libxml2's XML Schema validator) comes with onvif-zeep-async, so
the test runs it with target/zeep-venv/bin/python.

  validate_details.py WSDL_DIR FAULTS_DIR

Each FAULTS_DIR/*.xml is a SOAP 1.2 fault response. Every element of its env:Detail is
validated as a document of its own against the schema of its namespace:
  http://docs.oasis-open.org/wsn/b-2           wsdl/schema/common/b-2.xsd
  http://docs.oasis-open.org/wsrf/r-2          wsdl/schema/common/r-2.xsd
  http://www.onvif.org/ver10/events/wsdl       tev:PullMessagesFaultResponse's declaration in
                                               wsdl/ver10/events/wsdl/event.wsdl (see
                                               schema_in_wsdl)
Prints one JSON object: {file: {"valid": bool, "elements": [...], "errors": [...]}}.
Nothing is fetched from the network (schemaLocations resolve to the files next to them).
"""

import copy
import json
import os
import sys

from lxml import etree

ENV = "http://www.w3.org/2003/05/soap-envelope"
XS = "http://www.w3.org/2001/XMLSchema"


class NoNetwork(etree.Resolver):
    def resolve(self, url, pubid, context):
        if url.startswith(("http:", "https:")):
            raise ValueError("schema import from the network refused: %s" % url)
        return None


def parser():
    p = etree.XMLParser(no_network=True, resolve_entities=False)
    p.resolvers.add(NoNetwork())
    return p


def schema_file(path):
    return etree.XMLSchema(etree.parse(path, parser()))


def schema_in_wsdl(path, names):
    """The top-level element declarations `names` of the WSDL's xs:schema, copied verbatim
    into a schema of their own: libxml2 refuses the whole of event.wsdl's schema (the
    content model of EventBrokerConfig is not deterministic, XML Schema's Unique Particle
    Attribution rule), so only the fault elements' declarations are taken."""
    doc = etree.parse(path, parser())
    schemas = doc.findall(".//{%s}schema" % XS)
    if len(schemas) != 1:
        raise SystemExit("%s: expected one xs:schema, found %d" % (path, len(schemas)))
    inner = schemas[0]
    # Every namespace declaration in scope at the xs:schema (QName values use the WSDL
    # root's), and the WSDL's URL as the base.
    root = etree.Element(inner.tag, attrib=dict(inner.attrib), nsmap=inner.nsmap)
    for name in names:
        decl = inner.find("{%s}element[@name='%s']" % (XS, name))
        if decl is None:
            raise SystemExit("%s: no element %s" % (path, name))
        root.append(copy.deepcopy(decl))
    standalone = etree.fromstring(etree.tostring(root), parser(), base_url=os.path.abspath(path))
    return etree.XMLSchema(standalone)


def main():
    wsdl, faults = sys.argv[1], sys.argv[2]
    common = os.path.join(wsdl, "schema", "common")
    schemas = {
        "http://docs.oasis-open.org/wsn/b-2": schema_file(os.path.join(common, "b-2.xsd")),
        "http://docs.oasis-open.org/wsrf/r-2": schema_file(os.path.join(common, "r-2.xsd")),
        "http://www.onvif.org/ver10/events/wsdl": schema_in_wsdl(
            os.path.join(wsdl, "ver10", "events", "wsdl", "event.wsdl"),
            ["PullMessagesFaultResponse"]),
    }
    verdicts = {}
    for name in sorted(os.listdir(faults)):
        if not name.endswith(".xml"):
            continue
        v = {"valid": True, "elements": [], "errors": []}
        try:
            env = etree.parse(os.path.join(faults, name), parser()).getroot()
            details = env.findall("{%s}Body/{%s}Fault/{%s}Detail" % (ENV, ENV, ENV))
            elements = [e for d in details for e in d if isinstance(e.tag, str)]
            if not elements:
                v["valid"] = False
                v["errors"].append("no element in env:Detail")
            for e in elements:
                qname = etree.QName(e)
                v["elements"].append("{%s}%s" % (qname.namespace, qname.localname))
                schema = schemas.get(qname.namespace)
                if schema is None:
                    v["valid"] = False
                    v["errors"].append("no schema for namespace %s" % qname.namespace)
                    continue
                # As a document of its own: tostring keeps the namespace declarations used.
                standalone = etree.ElementTree(etree.fromstring(etree.tostring(e), parser()))
                if not schema.validate(standalone):
                    v["valid"] = False
                    v["errors"].extend(str(err) for err in schema.error_log)
        except etree.XMLSyntaxError as err:
            v["valid"] = False
            v["errors"].append("not XML: %s" % err)
        verdicts[name] = v
    print(json.dumps(verdicts))


if __name__ == "__main__":
    main()
