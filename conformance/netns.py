"""Two network namespaces joined by a veth pair, for what must not touch the host's network:
multicast (224.0.0.0/4 routed over the veth in each namespace, ONVIF.md recipe) and cutting
the link under a running stream. Always removed, even when a case fails.
"""

from __future__ import annotations

import os
import subprocess


def ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class NetnsPair:
    """Server namespace (camera, 10.214.N.1) and client namespace (10.214.N.2)."""

    def __init__(self, tag: str):
        n = os.getpid() % 200 + 20
        self.server, self.client = f"nvtS{tag}{os.getpid()}", f"nvtC{tag}{os.getpid()}"
        self.vs, self.vc = f"vS{tag}{os.getpid() % 10000}", f"vC{tag}{os.getpid() % 10000}"
        self.server_ip, self.client_ip = f"10.214.{n}.1", f"10.214.{n}.2"

    def __enter__(self) -> "NetnsPair":
        try:
            ip("netns", "add", self.server)
            ip("netns", "add", self.client)
            ip("link", "add", self.vs, "type", "veth", "peer", "name", self.vc)
            ip("link", "set", self.vs, "netns", self.server)
            ip("link", "set", self.vc, "netns", self.client)
            for ns, dev, addr in ((self.server, self.vs, self.server_ip), (self.client, self.vc, self.client_ip)):
                ip("-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
                ip("-n", ns, "link", "set", dev, "up")
                ip("-n", ns, "link", "set", "lo", "up")
                ip("-n", ns, "route", "add", "224.0.0.0/4", "dev", dev)
        except Exception:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for ns in (self.server, self.client):
            subprocess.run(["ip", "netns", "del", ns], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def in_client(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.client, *cmd]

    def in_server(self, *cmd: str) -> list[str]:
        return ["ip", "netns", "exec", self.server, *cmd]

    def link(self, up: bool) -> None:
        """Cuts (down) or heals (up) the link, on the client's side."""
        ip("-n", self.client, "link", "set", self.vc, "up" if up else "down")
