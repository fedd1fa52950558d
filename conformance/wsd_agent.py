"""The WS-Discovery client of the DISCOVERY-* cases (cases/discovery.py), run inside the client
network namespace: raw SOAP-over-UDP datagrams out, every datagram back, and the Device
service's HTTP from the same namespace. Standard library only.

usage: wsd_agent.py CLIENT_IP

Reads one JSON command a line on stdin, answers one JSON line on stdout:
  {"op": "probe", "items": [{"to": [host, port], "data": str, "src": ip}], "wait": s,
   "first": bool}
      Sends each item's datagram from its own UDP socket (bound to `src`, multicast TTL 1,
      no loopback) and collects what comes back to each socket for `wait` seconds, or until
      every socket has a reply when `first`: {"replies": [[{"from": [h, p], "data": str}]...]}.
  {"op": "events", "since": n}
      Multicast datagrams received on 239.255.255.250:3702 since the start, from index n:
      {"events": [{"from": [h, p], "data": str, "at": unix}], "next": m}.
  {"op": "http", "url": str, "body": str}
      POSTs a SOAP 1.2 document: {"status": n, "body": str}.
"""

import json
import select
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.request

GROUP = "239.255.255.250"
PORT = 3702

events: list[dict] = []
lock = threading.Lock()


def listen(client_ip: str, ready: threading.Event) -> None:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("", PORT))
    s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                 struct.pack("4s4s", socket.inet_aton(GROUP), socket.inet_aton(client_ip)))
    ready.set()
    while True:
        data, addr = s.recvfrom(65535)
        with lock:
            events.append({"from": list(addr), "data": data.decode("utf-8", "replace"), "at": time.time()})


def probe(items: list[dict], wait: float, first: bool) -> dict:
    socks = []
    for it in items:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)
        s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 0)
        s.bind((it.get("src", "0.0.0.0"), 0))
        if it.get("src"):
            s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(it["src"]))
        socks.append(s)
    replies: list[list[dict]] = [[] for _ in items]
    for s, it in zip(socks, items):
        s.sendto(it["data"].encode(), (it["to"][0], int(it["to"][1])))
    deadline = time.monotonic() + wait
    while True:
        if first and all(replies):
            break
        left = deadline - time.monotonic()
        if left <= 0:
            break
        ready, _, _ = select.select(socks, [], [], left)
        for s in ready:
            data, addr = s.recvfrom(65535)
            replies[socks.index(s)].append({"from": list(addr), "data": data.decode("utf-8", "replace")})
    for s in socks:
        s.close()
    return {"replies": replies}


def http(url: str, body: str) -> dict:
    req = urllib.request.Request(url, data=body.encode(), method="POST",
                                 headers={"Content-Type": "application/soap+xml; charset=utf-8"})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return {"status": r.status, "body": r.read().decode("utf-8", "replace")}
    except urllib.error.HTTPError as e:
        return {"status": e.code, "body": e.read().decode("utf-8", "replace")}


def main() -> None:
    ready = threading.Event()
    threading.Thread(target=listen, args=(sys.argv[1], ready), daemon=True).start()
    ready.wait(10)
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        cmd = json.loads(line)
        try:
            if cmd["op"] == "probe":
                out = probe(cmd["items"], float(cmd["wait"]), bool(cmd.get("first")))
            elif cmd["op"] == "events":
                with lock:
                    out = {"events": events[cmd.get("since", 0):], "next": len(events)}
            elif cmd["op"] == "http":
                out = http(cmd["url"], cmd["body"])
            else:
                out = {"error": f"unknown op {cmd['op']}"}
        except Exception as e:  # reported to the case, which fails with it
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
