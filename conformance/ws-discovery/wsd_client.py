"""WS-Discovery client side of tests/discovery_netns.rs, run inside the client network
namespace. Every subcommand prints JSON lines on stdout.

  search [--type NS LOCAL]... [--scope URI]... [--match-by URI] [--timeout S]
      Probe with the WSDiscovery library; prints {"found": [...], "all": [...]}: "found" is
      the library's filtered answer, "all" every service that replied (unfiltered).
  resolve EPR [--timeout S]      Resolve with the library; prints {"all": [...]}.
  listen                         Prints {"ready": true}, then one line per Hello or Bye.
  raw [--to ADDR:PORT | --to [V6%IFACE]:PORT] (--probe|--garbage|--oversize|--tiny|--flood N)
      [--wait S]
      Sends datagrams from one UDP socket, counts what comes back:
      {"sent": n, "sent_bytes": [...], "replies": n, "reply_bytes": [...], "send_secs": s}.
  soap URL USER PASSWORD BODY    POSTs a SOAP 1.2 request with a WS-UsernameToken digest.
  starve --flood-from A,B,... --nvr-from A --rate R --searches N [--interval S] [--timeout S]
      While Probes go to the group from every address of --flood-from (R a second in all,
      each with its own MessageID, round robin), searches N times for a
      NetworkVideoTransmitter from --nvr-from, as an NVR would (one Probe per search, every
      --interval s, waiting --timeout s for a ProbeMatches relating to it); prints
      {"searches": N, "answered": n, "delays": [s...], "flood_sent": n, "flood_replies": n,
       "flood_secs": s}.
"""

import argparse
import base64
import datetime
import hashlib
import json
import os
import socket
import sys
import threading
import time
import urllib.request
import uuid

GROUP = ("239.255.255.250", 3702)


def out(obj):
    print(json.dumps(obj), flush=True)


def service_json(s):
    return {
        "epr": s.getEPR(),
        "types": ["{%s}%s" % (t.getNamespace(), t.getLocalname()) for t in s.getTypes()],
        "scopes": [sc.getValue() for sc in s.getScopes()],
        "xaddrs": list(s.getXAddrs()),
    }


def discovery():
    from wsdiscovery.discovery import ThreadedWSDiscovery
    wsd = ThreadedWSDiscovery()
    wsd.start()
    return wsd


def cmd_search(a):
    from wsdiscovery import QName, Scope
    wsd = discovery()
    try:
        types = [QName(ns, local) for ns, local in a.type] or None
        scopes = [Scope(u, a.match_by) for u in a.scope] or None
        wsd.clearRemoteServices()
        found = wsd.searchServices(types=types, scopes=scopes, timeout=a.timeout)
        everything = list(wsd._remoteServices.values())
        out({"found": [service_json(s) for s in found],
             "all": [service_json(s) for s in everything]})
    finally:
        wsd.stop()


def cmd_resolve(a):
    wsd = discovery()
    try:
        wsd.clearRemoteServices()
        wsd._sendResolve(a.epr)
        time.sleep(a.timeout)
        out({"all": [service_json(s) for s in wsd._remoteServices.values()]})
    finally:
        wsd.stop()


def cmd_listen(a):
    wsd = discovery()
    # The library's Service objects drop MetadataVersion and AppSequence: print them from the
    # parsed message itself, then let the library go on as usual.
    hello, bye = wsd._handle_hello, wsd._handle_bye

    def on_hello(env, addr):
        out({"hello": {
            "epr": env.getEPR(),
            "types": ["{%s}%s" % (t.getNamespace(), t.getLocalname()) for t in env.getTypes()],
            "scopes": [sc.getValue() for sc in env.getScopes()],
            "xaddrs": list(env.getXAddrs()),
            "metadata_version": env.getMetadataVersion(),
            "instance_id": env.getInstanceId(),
            "message_number": env.getMessageNumber(),
        }})
        hello(env, addr)

    def on_bye(env, addr):
        out({"bye": env.getEPR()})
        bye(env, addr)

    wsd._handle_hello, wsd._handle_bye = on_hello, on_bye
    out({"ready": True})
    # Until the test closes our stdin or kills us.
    try:
        sys.stdin.read()
    finally:
        wsd.stop()


def probe_bytes(message_id, pad=0):
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing"'
        ' xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery"'
        ' xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
        '<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Probe</a:Action>'
        '<a:MessageID>%s</a:MessageID>'
        '<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>'
        '<s:Body>%s<d:Probe><d:Types>dn:NetworkVideoTransmitter</d:Types></d:Probe></s:Body>'
        '</s:Envelope>' % (message_id, " " * pad)
    ).encode()


# The smallest Probe a WS-Discovery parser can take: default namespaces, WS-Addressing 1.0,
# no Action, To or Types, a one-byte MessageID (an attacker's, for the largest amplification).
TINY_PROBE = (
    b'<Envelope xmlns="http://www.w3.org/2003/05/soap-envelope">'
    b'<Header><MessageID xmlns="http://www.w3.org/2005/08/addressing">%s</MessageID></Header>'
    b'<Body><Probe xmlns="http://schemas.xmlsoap.org/ws/2005/04/discovery"/></Body></Envelope>'
)


def cmd_raw(a):
    host, port = a.to.rsplit(":", 1)
    if host.startswith("["):
        # [ff02::c%iface]:3702: IPv6, link scope.
        dest = socket.getaddrinfo(host[1:-1], int(port), socket.AF_INET6, socket.SOCK_DGRAM)[0][4]
        s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
        s.bind(("::", 0))
    else:
        dest = (host, int(port))
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.bind(("0.0.0.0", 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    if a.probe:
        datagrams = [probe_bytes(uuid.uuid4().urn)]
    elif a.garbage:
        datagrams = [os.urandom(300), b"<not-xml", b"\x00" * 64,
                     probe_bytes(uuid.uuid4().urn).replace(b"d:Probe", b"d:Hello")]
    elif a.oversize:
        datagrams = [probe_bytes(uuid.uuid4().urn, pad=6000)]
    elif a.tiny:
        datagrams = [TINY_PROBE % os.urandom(1).hex()[:1].encode()]
    else:
        datagrams = [probe_bytes(uuid.uuid4().urn) for _ in range(a.flood)]
    t0 = time.monotonic()
    for i, d in enumerate(datagrams):
        s.sendto(d, dest)
        if a.flood:
            # Spread the flood over about one second.
            ahead = t0 + (i + 1) / len(datagrams) - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    send_secs = time.monotonic() - t0
    replies = []
    deadline = time.monotonic() + a.wait
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            break
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(65535)
        except socket.timeout:
            break
        replies.append(len(data))
    out({"sent": len(datagrams), "sent_bytes": [len(d) for d in datagrams],
         "replies": len(replies), "reply_bytes": replies, "send_secs": send_secs})


def cmd_starve(a):
    addrs = [x for x in a.flood_from.split(",") if x]
    socks = []
    for addr in addrs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.bind((addr, 0))
        s.setblocking(False)
        socks.append(s)
    stop = threading.Event()
    flood = {"sent": 0, "replies": 0, "secs": 0.0}

    def drain():
        for s in socks:
            while True:
                try:
                    s.recvfrom(65535)
                except BlockingIOError:
                    break
                flood["replies"] += 1

    def flooder():
        t0 = time.monotonic()
        i = 0
        while not stop.is_set():
            try:
                socks[i % len(socks)].sendto(probe_bytes(uuid.uuid4().urn), GROUP)
            except OSError:
                pass
            i += 1
            if i % 64 == 0:
                drain()
            ahead = t0 + i / a.rate - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        flood["sent"] = i
        flood["secs"] = time.monotonic() - t0
        drain()

    t = threading.Thread(target=flooder, daemon=True)
    t.start()
    # Let the flood take the budget first, as it had when the NVR came.
    time.sleep(a.interval)
    # The NVR: its own address, one socket, one Probe per search (no retransmission), and
    # a match is a ProbeMatches relating to that Probe, parsed by the WSDiscovery library.
    from wsdiscovery.message import parseSOAPMessage
    nvr = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    nvr.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
    nvr.bind((a.nvr_from, 0))
    answered = 0
    delays = []
    try:
        for _ in range(a.searches):
            started = time.monotonic()
            mid = uuid.uuid4().urn
            nvr.sendto(probe_bytes(mid), GROUP)
            deadline = started + a.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                nvr.settimeout(left)
                try:
                    data, _ = nvr.recvfrom(65535)
                except socket.timeout:
                    break
                env = parseSOAPMessage(data, a.nvr_from)
                if env is not None and env.getRelatesTo() == mid and env.getProbeResolveMatches():
                    answered += 1
                    delays.append(round(time.monotonic() - started, 3))
                    break
            left = a.interval - (time.monotonic() - started)
            if left > 0:
                time.sleep(left)
    finally:
        stop.set()
        t.join()
    out({"searches": a.searches, "answered": answered, "delays": delays,
         "flood_sent": flood["sent"], "flood_replies": flood["replies"],
         "flood_secs": flood["secs"]})


def cmd_soap(a):
    nonce = os.urandom(16)
    created = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = base64.b64encode(
        hashlib.sha1(nonce + created.encode() + a.password.encode()).digest()).decode()
    wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    tok = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"'
        ' xmlns:tds="http://www.onvif.org/ver10/device/wsdl"'
        ' xmlns:tt="http://www.onvif.org/ver10/schema">'
        '<s:Header><wsse:Security xmlns:wsse="%s" xmlns:wsu="%s"><wsse:UsernameToken>'
        '<wsse:Username>%s</wsse:Username>'
        '<wsse:Password Type="%s#PasswordDigest">%s</wsse:Password>'
        '<wsse:Nonce>%s</wsse:Nonce><wsu:Created>%s</wsu:Created>'
        '</wsse:UsernameToken></wsse:Security></s:Header>'
        '<s:Body>%s</s:Body></s:Envelope>'
        % (wsse, wsu, a.user, tok, digest, base64.b64encode(nonce).decode(), created, a.body)
    ).encode()
    req = urllib.request.Request(a.url, data=body, method="POST", headers={
        "Content-Type": "application/soap+xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            out({"status": r.status, "body": r.read().decode()})
    except urllib.error.HTTPError as e:
        out({"status": e.code, "body": e.read().decode()})


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("search")
    s.add_argument("--type", nargs=2, action="append", default=[], metavar=("NS", "LOCAL"))
    s.add_argument("--scope", action="append", default=[])
    s.add_argument("--match-by", default=None)
    s.add_argument("--timeout", type=float, default=3.0)
    r = sub.add_parser("resolve")
    r.add_argument("epr")
    r.add_argument("--timeout", type=float, default=3.0)
    sub.add_parser("listen")
    w = sub.add_parser("raw")
    w.add_argument("--to", default="%s:%d" % GROUP)
    g = w.add_mutually_exclusive_group(required=True)
    g.add_argument("--probe", action="store_true")
    g.add_argument("--garbage", action="store_true")
    g.add_argument("--oversize", action="store_true")
    g.add_argument("--tiny", action="store_true")
    g.add_argument("--flood", type=int)
    w.add_argument("--wait", type=float, default=2.0)
    o = sub.add_parser("soap")
    o.add_argument("url")
    o.add_argument("user")
    o.add_argument("password")
    o.add_argument("body")
    v = sub.add_parser("starve")
    v.add_argument("--flood-from", required=True)
    v.add_argument("--nvr-from", required=True)
    v.add_argument("--rate", type=float, required=True)
    v.add_argument("--searches", type=int, default=16)
    v.add_argument("--interval", type=float, default=2.0)
    v.add_argument("--timeout", type=float, default=2.0)
    a = p.parse_args()
    {"search": cmd_search, "resolve": cmd_resolve, "listen": cmd_listen, "raw": cmd_raw,
     "soap": cmd_soap, "starve": cmd_starve}[a.cmd](a)


if __name__ == "__main__":
    main()
