#!/usr/bin/python3
"""A slixmpp client that looks for the rooms a gateway told it about (bookmarks.test.ts). Run with
Debian's /usr/bin/python3 (python3-slixmpp 1.8.3).

It logs in, sends its presence (so the server hands over what it kept offline), then:
- with --read-bookmarks, reads its XEP-0402 bookmarks from its own PEP (node urn:xmpp:bookmarks:1);
- with --wait-invitation, waits for an XEP-0249 invitation (jabber:x:conference) to --room;
- with --join-nick, joins --room (XEP-0045), waits for the room's destruction (an unavailable
  self-presence with <destroy/>), then (with --read-bookmarks) reads its bookmarks again.
One JSON line on stdout:
  {"ok", "bookmarks": [{"jid", "name", "autojoin", "nick"}], "invitations": [{"from", "jid", "reason", "body"}],
   "joined_codes", "destroyed": {"codes", "reason", "affiliation", "role"}, "bookmarks_after", "error"}
"""
import argparse
import asyncio
import json
import logging
import sys
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.exceptions import IqError

NS_PUBSUB = "http://jabber.org/protocol/pubsub"
NS_BOOKMARKS = "urn:xmpp:bookmarks:1"
NS_CONFERENCE = "jabber:x:conference"
NS_MUC = "http://jabber.org/protocol/muc"
NS_MUC_USER = "http://jabber.org/protocol/muc#user"


class BookmarksClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0199")
        loop = asyncio.get_event_loop()
        self.invited = loop.create_future()
        self.joined = loop.create_future()
        self.destroyed = loop.create_future()
        self.result = {"ok": False, "invitations": []}
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.on_message)
        self.add_event_handler("presence", self.on_presence)

    def on_message(self, msg):
        x = msg.xml.find(f"{{{NS_CONFERENCE}}}x")
        if x is None:
            return
        self.result["invitations"].append(
            {"from": str(msg["from"]), "jid": x.get("jid"), "reason": x.get("reason"), "body": msg["body"]}
        )
        if x.get("jid") == self.args.room and not self.invited.done():
            self.invited.set_result(True)

    def on_presence(self, presence):
        if presence["from"].bare != self.args.room:
            return
        x = presence.xml.find(f"{{{NS_MUC_USER}}}x")
        if x is None:
            return
        codes = sorted(int(s.get("code")) for s in x.findall(f"{{{NS_MUC_USER}}}status"))
        if 110 not in codes:
            return
        if presence["type"] != "unavailable":
            if not self.joined.done():
                self.joined.set_result(codes)
            return
        destroy = x.find(f"{{{NS_MUC_USER}}}destroy")
        item = x.find(f"{{{NS_MUC_USER}}}item")
        if destroy is not None and not self.destroyed.done():
            reason = destroy.find(f"{{{NS_MUC_USER}}}reason")
            self.destroyed.set_result(
                {
                    "codes": codes,
                    "reason": reason.text if reason is not None else None,
                    "affiliation": item.get("affiliation") if item is not None else None,
                    "role": item.get("role") if item is not None else None,
                }
            )

    async def read_bookmarks(self):
        iq = self.Iq(stype="get")
        iq.append(ET.fromstring(f'<pubsub xmlns="{NS_PUBSUB}"><items node="{NS_BOOKMARKS}"/></pubsub>'))
        try:
            result = await iq.send(timeout=self.args.timeout)
        except IqError as error:
            if error.condition == "item-not-found":
                return []
            raise
        bookmarks = []
        for item in result.xml.iter(f"{{{NS_PUBSUB}}}item"):
            conference = item.find(f"{{{NS_BOOKMARKS}}}conference")
            if conference is None:
                continue
            nick = conference.find(f"{{{NS_BOOKMARKS}}}nick")
            bookmarks.append(
                {
                    "jid": item.get("id"),
                    "name": conference.get("name"),
                    "autojoin": conference.get("autojoin") in ("true", "1"),
                    "nick": nick.text if nick is not None else None,
                }
            )
        return bookmarks

    async def start(self, _event):
        try:
            self.send_presence()
            await self.get_roster()
            if self.args.read_bookmarks:
                self.result["bookmarks"] = await self.read_bookmarks()
            if self.args.wait_invitation:
                await asyncio.wait_for(self.invited, self.args.timeout)
            if self.args.join_nick:
                join = self.make_presence(pto=f"{self.args.room}/{self.args.join_nick}")
                join.append(ET.Element(f"{{{NS_MUC}}}x"))
                join.send()
                self.result["joined_codes"] = await asyncio.wait_for(self.joined, self.args.timeout)
                # The test removes the room once the gateway counts this resource as joined.
                self.result["destroyed"] = await asyncio.wait_for(self.destroyed, self.args.timeout)
                if self.args.read_bookmarks:
                    self.result["bookmarks_after"] = await self.read_bookmarks()
            self.result["ok"] = True
        except Exception as error:  # reported, not raised: the test reads the JSON
            self.result["error"] = f"{type(error).__name__}: {error}"
        finally:
            self.disconnect()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--jid", "--password", "--host", "--room"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--read-bookmarks", action="store_true")
    parser.add_argument("--wait-invitation", action="store_true")
    parser.add_argument("--join-nick")
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = BookmarksClient(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    print(json.dumps(client.result), flush=True)


if __name__ == "__main__":
    main()
