#!/usr/bin/python3
"""A slixmpp client that talks in a gateway's room, or, after the gateway restarted, reads the
room's history back (room-archive.test.ts). Run with Debian's /usr/bin/python3 (python3-slixmpp).

--phase talk: joins --room as --nick with no history, says each --say line and waits for echo's
  answer to it. Prints {"ok", "live": [message…], "error"}.
--phase recall: joins with <history maxstanzas=20/>, then pages through the room's archive with
  slixmpp's own XEP-0313 plugin, --page-size messages a page (RSM <max/>, then <after/> the last
  id) until <fin complete/>, and asks for the archive's metadata. Prints {"ok", "history":
  [message…], "pages": [{"ids", "complete", "first", "last"}], "archived": [message…],
  "metadata": {"start", "end"}, "error"}.

A message is {"from", "body", "stanza_id", "delayed"}; archived ones carry "archive_id" (the
<result id/>) too.
"""
import argparse
import asyncio
import json
import logging
import sys

import slixmpp

NS_SID = "urn:xmpp:sid:0"
NS_DELAY = "urn:xmpp:delay"


def describe(message_xml, room):
    """The fields the test compares, read from the XML (the gateway's own stanza-id, by the room)."""
    stanza_id = None
    for sid in message_xml.findall(f"{{{NS_SID}}}stanza-id"):
        if sid.get("by") == room:
            stanza_id = sid.get("id")
    body = message_xml.find("{jabber:client}body")
    return {
        "from": message_xml.get("from"),
        "body": body.text if body is not None else None,
        "stanza_id": stanza_id,
        "delayed": message_xml.find(f"{{{NS_DELAY}}}delay") is not None,
    }


class ArchiveClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        for plugin in ("xep_0030", "xep_0045", "xep_0059", "xep_0199", "xep_0313"):
            self.register_plugin(plugin)
        self.result = {"ok": False}
        self.live = []
        self.waiting = {}
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("groupchat_message", self.on_groupchat)

    def on_groupchat(self, msg):
        if not msg["body"] or msg.xml.find(f"{{{NS_DELAY}}}delay") is not None:
            return
        self.live.append(describe(msg.xml, self.args.room))
        future = self.waiting.pop(msg["body"], None)
        if future is not None and not future.done():
            future.set_result(True)

    async def said(self, body):
        future = asyncio.get_event_loop().create_future()
        self.waiting[body] = future
        await asyncio.wait_for(future, self.args.timeout)

    async def start(self, _event):
        try:
            self.send_presence()
            await self.get_roster()
            if self.args.phase == "talk":
                await self.talk()
            else:
                await self.recall()
            self.result["ok"] = True
        except Exception as error:  # reported, not raised: the test reads the JSON
            self.result["error"] = f"{type(error).__name__}: {error}"
        finally:
            self.disconnect()

    async def talk(self):
        muc = self.plugin["xep_0045"]
        await muc.join_muc_wait(self.args.room, self.args.nick, maxstanzas=0, timeout=self.args.timeout)
        for line in self.args.say:
            answered = self.said(f"echo: {line}")
            reflected = self.said(line)
            self.send_message(mto=self.args.room, mbody=line, mtype="groupchat")
            await asyncio.gather(reflected, answered)
        self.result["live"] = self.live

    async def recall(self):
        muc = self.plugin["xep_0045"]
        _own, _subject, _occupants, history = await muc.join_muc_wait(
            self.args.room, self.args.nick, maxstanzas=20, timeout=self.args.timeout
        )
        self.result["history"] = [describe(m.xml, self.args.room) for m in history]
        mam = self.plugin["xep_0313"]
        pages, archived, after = [], [], None
        for _ in range(20):
            rsm = {"max": self.args.page_size}
            if after is not None:
                rsm["after"] = after
            iq = await mam.retrieve(jid=slixmpp.JID(self.args.room), rsm=rsm, timeout=self.args.timeout)
            fin = iq["mam_fin"]
            ids = []
            for message in iq["mam"]["results"]:
                result = message["mam_result"]
                inner = describe(result["forwarded"]["stanza"].xml, self.args.room)
                inner["archive_id"] = result["id"]
                archived.append(inner)
                ids.append(result["id"])
            complete = fin.xml.get("complete") == "true"
            last = fin["rsm"]["last"] or None
            pages.append({"ids": ids, "complete": complete, "first": fin["rsm"]["first"] or None, "last": last})
            if complete or last is None:
                break
            after = last
        self.result["pages"] = pages
        self.result["archived"] = archived
        metadata = await mam.get_archive_metadata(jid=slixmpp.JID(self.args.room), timeout=self.args.timeout)
        bounds = metadata["mam_metadata"]
        self.result["metadata"] = {"start": bounds["start"]["id"] or None, "end": bounds["end"]["id"] or None}


def main():
    parser = argparse.ArgumentParser()
    for name in ("--jid", "--password", "--host", "--room", "--nick", "--phase"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--say", action="append", default=[])
    parser.add_argument("--page-size", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = ArchiveClient(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    print(json.dumps(client.result), flush=True)


if __name__ == "__main__":
    main()
