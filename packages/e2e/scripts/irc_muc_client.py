#!/usr/bin/python3
"""An interactive slixmpp MUC client for irc-channels.test.ts. Run with Debian's /usr/bin/python3
(python3-slixmpp 1.8.3); the MUC work is slixmpp's own plugin (XEP-0045).

It logs in and prints one JSON line per event on stdout; the test drives it with one JSON command
per line on stdin:
  {"cmd": "join", "room", "nick"}   join_muc_wait (no history), then
                                    {"event": "joined", "self_nick", "self_codes", "subject", "occupants"}
                                    (each occupant {"nick", "role", "affiliation"}) or {"event": "join-error", "error"}
  {"cmd": "say", "room", "body"}    a groupchat message
  {"cmd": "leave", "room", "nick"}  an unavailable presence to the room
  {"cmd": "quit"}                   disconnects
Events: {"event": "ready"} once logged in; {"event": "message", "from", "id", "body"} for every
groupchat message with a body; {"event": "subject", "from", "subject"}; {"event": "presence",
"from", "type", "codes", "role", "affiliation", "new_nick", "reason"} for every presence from a room.
"""
import argparse
import asyncio
import json
import logging
import os
import sys

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_MUC_USER = "http://jabber.org/protocol/muc#user"


def emit(event):
    print(json.dumps(event), flush=True)


def muc_item(stanza):
    x = stanza.xml.find(f"{{{NS_MUC_USER}}}x")
    if x is None:
        return None, []
    codes = sorted(int(s.get("code")) for s in x.findall(f"{{{NS_MUC_USER}}}status"))
    return x.find(f"{{{NS_MUC_USER}}}item"), codes


class InteractiveMuc(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.on_groupchat)
        self.add_event_handler("groupchat_subject", self.on_subject)
        # Every presence with a MUC user element, raw: slixmpp's own events skip some (the first
        # presence of a room is only "presence", the self-presence after a leave is none).
        self.register_handler(Callback("muc user presences", MatchXPath(f"{{jabber:client}}presence/{{{NS_MUC_USER}}}x"), self.on_presence))

    def on_groupchat(self, msg):
        if msg["body"]:
            emit({"event": "message", "from": str(msg["from"]), "id": msg["id"], "body": msg["body"]})

    def on_subject(self, msg):
        emit({"event": "subject", "from": str(msg["from"]), "subject": msg["subject"]})

    def on_presence(self, presence):
        item, codes = muc_item(presence)
        if item is None and presence["type"] != "error":
            return
        emit({
            "event": "presence",
            "from": str(presence["from"]),
            "type": presence["type"],
            "codes": codes,
            "role": item.get("role") if item is not None else None,
            "affiliation": item.get("affiliation") if item is not None else None,
            "new_nick": item.get("nick") if item is not None else None,
            "reason": item.findtext(f"{{{NS_MUC_USER}}}reason") if item is not None else None,
        })

    async def start(self, _event):
        self.send_presence()
        await self.get_roster()
        emit({"event": "ready"})
        asyncio.ensure_future(self.commands())

    async def commands(self):
        reader = asyncio.StreamReader()
        await self.loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        muc = self.plugin["xep_0045"]
        while True:
            line = await reader.readline()
            if not line:
                break
            command = json.loads(line)
            cmd = command["cmd"]
            if cmd == "join":
                asyncio.ensure_future(self.join(command))
            elif cmd == "say":
                self.send_message(mto=command["room"], mbody=command["body"], mtype="groupchat")
            elif cmd == "leave":
                muc.leave_muc(command["room"], command["nick"])
            elif cmd == "quit":
                break
        self.disconnect()

    async def join(self, command):
        try:
            own, subject, occupants, _history = await self.plugin["xep_0045"].join_muc_wait(
                command["room"], command["nick"], maxstanzas=0, timeout=20
            )
            _item, codes = muc_item(own)
            listed = []
            for presence in occupants:
                item, _ = muc_item(presence)
                listed.append({
                    "nick": str(presence["from"].resource),
                    "role": item.get("role") if item is not None else None,
                    "affiliation": item.get("affiliation") if item is not None else None,
                })
            emit({
                "event": "joined",
                "room": command["room"],
                "self_nick": str(own["from"].resource),
                "self_codes": codes,
                "subject": subject["subject"] if subject is not None else None,
                "occupants": sorted(listed, key=lambda o: o["nick"]),
            })
        except Exception as error:  # reported, not raised: the test reads the events
            emit({"event": "join-error", "room": command["room"], "error": f"{type(error).__name__}: {error}"})


def main():
    parser = argparse.ArgumentParser()
    for name in ("--jid", "--password", "--host"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    # IRC_MUC_CLIENT_DEBUG=1: slixmpp's debug log (every stanza) on stderr, which failures print.
    debug = os.environ.get("IRC_MUC_CLIENT_DEBUG") == "1"
    logging.basicConfig(level=logging.DEBUG if debug else logging.ERROR, stream=sys.stderr)
    client = InteractiveMuc(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    emit({"event": "closed"})


if __name__ == "__main__":
    main()
