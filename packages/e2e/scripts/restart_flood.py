#!/usr/bin/python3
"""A slixmpp client that writes to a gateway contact at a steady rate while the XMPP server restarts
under it (server-restart.test.ts). Run with Debian's /usr/bin/python3 (python3-slixmpp 1.8.3).

It logs in, then sends `flood <n>` (id `f-<n>`, a XEP-0184 receipt requested) to --to every
1/--rate s until a `stop` line arrives on stdin; then it waits for the answers still owed (--tail s
at most) and prints the result. When its stream drops (the server restarted) it reconnects by
itself every 100 ms until the server listens again.

What it counts on: XEP-0198 stream management with an ack requested after every stanza, so a
message the server acknowledged is known to have reached the server; one written to a stream that
died before the ack may or may not have. Ticks that fall while the client has no session are not
sent at all (slixmpp would queue them for the next session; the test wants a clean "never sent").
The resource is fixed, so an error addressed to the full JID reaches the reconnected client, and
initial presence is sent on each session so messages Prosody stored offline meanwhile come in.

JSON lines on stdout:
  {"event": "online", "ms", "session"}     a session started (stream management enabled)
  {"event": "offline", "ms", "session"}    it ended
  {"event": "stopping", "ms", "sent"}      `stop` read: no more messages
  {"event": "result", "ms", "records": [...], "sessions": [...], "other": [...]}   last
      records: one per tick {"n", "id", "ms", "session" (null: not sent, no session),
      "acked", "echoes" (count), "echo_ms", "echo_ids" (their stanza ids), "errors": [{"condition", "type", "text", "from"}],
      "receipt"}; other: messages that matched no record (at most 50, as XML)
"""
import argparse
import asyncio
import json
import logging
import sys
import time
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS_CLIENT = "jabber:client"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_RECEIPTS = "urn:xmpp:receipts"
STARTED = time.monotonic()


def now_ms():
    return round((time.monotonic() - STARTED) * 1000)


def emit(event, **fields):
    print(json.dumps({"event": event, "ms": now_ms(), "at": round(time.time() * 1000), **fields}), flush=True)


class Flood(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        # An ack request after every stanza: each message's arrival at the server is known. No
        # resumption: a restarted server has forgotten the session anyway.
        self.register_plugin("xep_0198", {"window": 1, "allow_resume": False})
        self.session = 0
        self.online = False
        self.stopping = False
        self.records = []
        self.by_id = {}
        self.sessions = []
        self.other = []
        self.tail_done = asyncio.Event()
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("disconnected", self.on_disconnected)
        self.add_event_handler("connection_failed", self.on_connection_failed)
        self.add_event_handler("stanza_acked", self.on_acked)
        # Every message, errors and bodiless receipts included (slixmpp's "message" event needs a body).
        self.register_handler(Callback("flood messages", MatchXPath(f"{{{NS_CLIENT}}}message"), self.on_message))

    def reconnect_soon(self):
        if not self.stopping:
            self.loop.call_later(0.1, self.dial)

    def dial(self):
        self.connect(address=(self.args.host, self.args.port), disable_starttls=True, force_starttls=False)

    def on_connection_failed(self, _error):
        # slixmpp would retry after 1, 3, 7… s; the server is back within a few seconds, so poll.
        self.cancel_connection_attempt()
        self.reconnect_soon()

    def on_session_start(self, _event):
        self.session += 1
        self.online = True
        self.sessions.append({"session": self.session, "start_ms": now_ms(), "end_ms": None})
        self.send_presence()
        emit("online", session=self.session)

    def on_disconnected(self, _reason):
        # slixmpp keeps the old stream's ack counters when the session is not resumed: the new
        # stream's first <a h='1'/> then looks inconsistent and "acks" every queued stanza,
        # including ones the server discarded. A new stream counts from zero.
        sm = self.plugin["xep_0198"]
        sm.unacked_queue.clear()
        sm.last_ack = 0
        sm.seq = 0
        sm.handled = 0
        if self.online:
            self.sessions[-1]["end_ms"] = now_ms()
            emit("offline", session=self.session)
        self.online = False
        self.reconnect_soon()

    def on_acked(self, stanza):
        record = self.by_id.get(stanza["id"]) if stanza.name == "message" else None
        if record is not None:
            record["acked"] = True

    def on_message(self, msg):
        xml = msg.xml
        record = self.by_id.get(msg["id"])
        body = xml.findtext(f"{{{NS_CLIENT}}}body")
        if msg["type"] == "error" and record is not None:
            error = xml.find(f"{{{NS_CLIENT}}}error")
            condition = None
            text = None
            if error is not None:
                for child in error:
                    if child.tag == f"{{{NS_STANZAS}}}text":
                        text = child.text
                    elif child.tag.startswith(f"{{{NS_STANZAS}}}"):
                        condition = child.tag.split("}", 1)[1]
            record["errors"].append(
                {
                    "condition": condition,
                    "type": error.get("type") if error is not None else None,
                    "text": text,
                    "from": msg["from"].full,
                }
            )
        elif body is not None and body.startswith("echo: flood "):
            echoed = self.by_id.get("f-" + body[len("echo: flood ") :])
            if echoed is None:
                self.keep_other(msg)
                return
            echoed["echoes"] += 1
            echoed["echo_ids"].append(msg["id"])
            if echoed["echo_ms"] is None:
                echoed["echo_ms"] = now_ms()
        elif (received := xml.find(f"{{{NS_RECEIPTS}}}received")) is not None:
            receipted = self.by_id.get(received.get("id"))
            if receipted is None:
                self.keep_other(msg)
            else:
                receipted["receipt"] = True
        elif body is not None or msg["type"] == "error":
            self.keep_other(msg)
        self.check_tail()

    def keep_other(self, msg):
        if len(self.other) < 50:
            self.other.append(str(msg))

    def owed(self):
        """Messages the server acknowledged that have neither an echo nor an error yet."""
        return [r for r in self.records if r["acked"] and r["echoes"] == 0 and not r["errors"]]

    def check_tail(self):
        if self.stopping and self.online and not self.owed():
            self.tail_done.set()

    async def send_loop(self):
        interval = 1 / self.args.rate
        n = 0
        began = time.monotonic()
        while not self.stopping:
            n += 1
            record = {
                "n": n,
                "id": f"f-{n}",
                "ms": now_ms(),
                "session": self.session if self.online else None,
                "acked": False,
                "echoes": 0,
                "echo_ms": None,
                "echo_ids": [],
                "errors": [],
                "receipt": False,
            }
            self.records.append(record)
            self.by_id[record["id"]] = record
            if self.online:
                msg = self.make_message(mto=self.args.to, mbody=f"flood {n}", mtype="chat")
                msg["id"] = record["id"]
                msg.xml.append(ET.Element(f"{{{NS_RECEIPTS}}}request"))
                msg.send()
            # On a schedule, not a fixed sleep: the rate holds however long sending took.
            await asyncio.sleep(max(0, began + n * interval - time.monotonic()))

    async def run(self):
        self.dial()
        while not self.online:
            await asyncio.sleep(0.02)
        stop_read = asyncio.Event()
        # Any line, or the end of stdin (the test gone), stops the sending.
        self.loop.add_reader(sys.stdin.fileno(), stop_read.set)
        sender = asyncio.ensure_future(self.send_loop())
        await stop_read.wait()
        self.loop.remove_reader(sys.stdin.fileno())
        self.stopping = True
        await sender
        emit("stopping", sent=len(self.records))
        # A last ack request: the final messages' acks must not depend on the window.
        if self.online:
            self.plugin["xep_0198"].request_ack()
        self.check_tail()
        try:
            await asyncio.wait_for(self.tail_done.wait(), self.args.tail)
        except asyncio.TimeoutError:
            pass
        # Late duplicates and stragglers: a short quiet period before the count.
        await asyncio.sleep(self.args.settle)
        if self.online:
            self.sessions[-1]["end_ms"] = now_ms()
        emit("result", records=self.records, sessions=self.sessions, other=self.other)
        self.disconnect(wait=1)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--jid", required=True, help="full JID: the resource stays the same across reconnects")
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--to", required=True)
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--tail", type=float, default=15, help="seconds to wait for owed answers after stop")
    parser.add_argument("--settle", type=float, default=1, help="quiet seconds before the count")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    client = Flood(args)
    asyncio.get_event_loop().run_until_complete(client.run())


if __name__ == "__main__":
    main()
