#!/usr/bin/python3
"""A slixmpp client that joins a gateway's room with slixmpp's own MUC plugin (XEP-0045) and says
one line in it (rooms.test.ts). Run with Debian's /usr/bin/python3 (python3-slixmpp 1.8.3).

It logs in, joins --room as --nick (join_muc_wait: blocks until the self-presence, subject and
history are in), sends --say as a groupchat message and waits for --expect-from's message (and the
reflection of its own). One JSON line on stdout:
  {"ok", "self_nick", "self_codes", "subject", "occupants", "history", "messages": [{"from", "id", "body"}],
   "error"}
"""
import argparse
import asyncio
import json
import logging
import sys

import slixmpp

NS_MUC_USER = "http://jabber.org/protocol/muc#user"


class MucClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.register_plugin("xep_0199")
        self.messages = []
        self.done = asyncio.get_event_loop().create_future()
        self.result = {"ok": False}
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.on_groupchat)

    def on_groupchat(self, msg):
        if not msg["body"]:
            return
        self.messages.append({"from": str(msg["from"]), "id": msg["id"], "body": msg["body"]})
        nicks = {m["from"].split("/", 1)[-1] for m in self.messages if "/" in m["from"]}
        if self.args.expect_from in nicks and self.args.nick in nicks and not self.done.done():
            self.done.set_result(True)

    async def start(self, _event):
        try:
            self.send_presence()
            await self.get_roster()
            muc = self.plugin["xep_0045"]
            own, subject, occupants, history = await muc.join_muc_wait(
                self.args.room, self.args.nick, maxstanzas=self.args.maxstanzas, timeout=self.args.timeout
            )
            codes = sorted(int(s.get("code")) for s in own.xml.findall(f"{{{NS_MUC_USER}}}x/{{{NS_MUC_USER}}}status"))
            self.result.update(
                self_nick=str(own["from"].resource),
                self_codes=codes,
                subject=subject["subject"] if subject is not None else None,
                occupants=sorted(str(p["from"].resource) for p in occupants),
                history=[m["body"] for m in history],
            )
            self.send_message(mto=self.args.room, mbody=self.args.say, mtype="groupchat")
            await asyncio.wait_for(self.done, self.args.timeout)
            self.result["ok"] = True
        except Exception as error:  # reported, not raised: the test reads the JSON
            self.result["error"] = f"{type(error).__name__}: {error}"
        finally:
            self.result["messages"] = self.messages
            self.disconnect()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--jid", "--password", "--host", "--room", "--nick", "--say", "--expect-from"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--maxstanzas", type=int, default=20)
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = MucClient(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    print(json.dumps(client.result), flush=True)


if __name__ == "__main__":
    main()
