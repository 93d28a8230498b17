#!/usr/bin/python3
"""A slixmpp client that tries every message feature in the demo gateway's room `lobby`
(room-features.test.ts). Run with Debian's /usr/bin/python3 (python3-slixmpp 1.8.3).

It joins with slixmpp's MUC plugin (XEP-0045), then, one step after the other, sends what a
client sends for each feature and waits for what the room must answer:
  text → echo's answer; correction (XEP-0308) → echo's corrected answer; reply (XEP-0461) → echo's
  answer replying to its earlier one; reaction (XEP-0444) → echo's reaction on the user's message;
  mention by nick → alice's read marker (XEP-0333) and echo's answer naming the user (XEP-0372);
  retraction (XEP-0424) → echo's retraction; moderation (XEP-0425) → the moderated retraction;
  kick (XEP-0045 §8.2) → bob's 307; subject → the new subject.
One JSON line on stdout: {"ok", "steps": {name: what was seen}, "error"}.
"""
import argparse
import asyncio
import json
import logging
import sys
import uuid
import xml.etree.ElementTree as ET

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

NS = {
    "client": "jabber:client",
    "muc_user": "http://jabber.org/protocol/muc#user",
    "correct": "urn:xmpp:message-correct:0",
    "reply": "urn:xmpp:reply:0",
    "reactions": "urn:xmpp:reactions:0",
    "markers": "urn:xmpp:chat-markers:0",
    "reference": "urn:xmpp:reference:0",
    "retract": "urn:xmpp:message-retract:1",
    "moderate": "urn:xmpp:message-moderate:1",
    "sid": "urn:xmpp:sid:0",
}


def child(stanza, path):
    return stanza.xml.find(path.format(**{k: "{" + v + "}" for k, v in NS.items()}))


def text_of(stanza, path):
    found = child(stanza, path)  # an element without children is falsy: compare with None
    return None if found is None else found.text


class FeatureClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0045")
        self.seen = []
        self.arrived = asyncio.Event()
        self.result = {"ok": False, "steps": {}}
        self.add_event_handler("session_start", self.start)
        for name in ("message", "presence"):
            self.register_handler(
                Callback(f"all {name}s", MatchXPath(f"{{jabber:client}}{name}"), self.on_stanza)
            )

    def on_stanza(self, stanza):
        self.seen.append(stanza)
        self.arrived.set()

    async def wait_for(self, predicate, what):
        """The first stanza received since `mark` that `predicate` accepts."""
        deadline = asyncio.get_event_loop().time() + self.args.timeout
        while True:
            for stanza in self.seen[self.mark:]:
                if predicate(stanza):
                    return stanza
            remaining = deadline - asyncio.get_event_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"no {what}")
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def send_groupchat(self, body=None, payload=""):
        """A groupchat message with an origin-id = id, as Conversations and Gajim send; returns the id."""
        msg_id = uuid.uuid4().hex
        self.mark = len(self.seen)
        msg = self.make_message(mto=self.args.room, mtype="groupchat")
        msg["id"] = msg_id
        if body is not None:
            msg["body"] = body
        extra = f"<x xmlns='jabber:client'>{payload}<origin-id xmlns='{NS['sid']}' id='{msg_id}'/></x>"
        for element in ET.fromstring(extra):
            msg.xml.append(element)
        msg.send()
        return msg_id

    def from_nick(self, stanza, nick):
        return str(stanza["from"]) == f"{self.args.room}/{nick}"

    async def start(self, _event):
        steps = self.result["steps"]
        nick = self.args.nick
        try:
            self.send_presence()
            await self.get_roster()
            self.mark = 0
            await self.plugin["xep_0045"].join_muc_wait(self.args.room, nick, maxstanzas=0, timeout=self.args.timeout)
            is_echo = lambda s: s.name == "message" and self.from_nick(s, "echo")
            body_of = lambda s: s["body"]

            first = self.send_groupchat("hi")
            answer = await self.wait_for(lambda s: is_echo(s) and body_of(s) == "echo: hi", "echo's answer")
            echo_id = answer["id"]
            steps["text"] = body_of(answer)

            self.send_groupchat("hello", f"<replace xmlns='{NS['correct']}' id='{first}'/>")
            corrected = await self.wait_for(lambda s: is_echo(s) and child(s, "{correct}replace") is not None, "correction")
            steps["correction"] = {"body": body_of(corrected), "replaces": child(corrected, "{correct}replace").get("id") == echo_id}

            self.send_groupchat("again", f"<reply xmlns='{NS['reply']}' id='{first}' to='{self.args.room}/{nick}'/>")
            replied = await self.wait_for(lambda s: is_echo(s) and body_of(s) == "echo: again", "reply")
            reply = child(replied, "{reply}reply")
            steps["reply"] = {"to_echo_answer": reply is not None and reply.get("id") == echo_id}

            self.send_groupchat(payload=f"<reactions xmlns='{NS['reactions']}' id='{echo_id}'><reaction>👍</reaction></reactions>")
            reacted = await self.wait_for(lambda s: is_echo(s) and child(s, "{reactions}reactions") is not None, "reaction")
            reactions = child(reacted, "{reactions}reactions")
            steps["reaction"] = {"on_own_message": reactions.get("id") == first, "emojis": [r.text for r in reactions]}

            pinged = self.send_groupchat("alice, echo: ping")
            marker = await self.wait_for(lambda s: self.from_nick(s, "alice") and child(s, "{markers}displayed") is not None, "alice's marker")
            mention_answer = await self.wait_for(lambda s: is_echo(s) and child(s, "{reference}reference") is not None, "mention")
            reference = child(mention_answer, "{reference}reference")
            steps["marker"] = {"displayed_own": child(marker, "{markers}displayed").get("id") == pinged}
            steps["mention"] = {"body": body_of(mention_answer), "uri": reference.get("uri"), "begin": reference.get("begin"), "end": reference.get("end")}

            self.send_groupchat(payload=f"<retract xmlns='{NS['retract']}' id='{first}'/>")
            retracted = await self.wait_for(lambda s: is_echo(s) and child(s, "{retract}retract") is not None, "retraction")
            steps["retraction"] = {"of_echo_answer": child(retracted, "{retract}retract").get("id") == echo_id}

            self.mark = len(self.seen)
            moderation = self.make_iq_set(ito=self.args.room)
            moderation.append(ET.fromstring(
                f"<moderate xmlns='{NS['moderate']}' id='{mention_answer['id']}'><retract xmlns='{NS['retract']}'/><reason>tidy</reason></moderate>"
            ))
            await moderation.send(timeout=self.args.timeout)
            moderated = await self.wait_for(lambda s: s.name == "message" and child(s, "{retract}retract/{moderate}moderated") is not None, "moderated retraction")
            retract = child(moderated, "{retract}retract")
            steps["moderation"] = {"of": retract.get("id") == mention_answer["id"], "by": child(moderated, "{retract}retract/{moderate}moderated").get("by"), "reason": text_of(moderated, "{retract}retract/{retract}reason")}

            self.mark = len(self.seen)
            await self.plugin["xep_0045"].set_role(self.args.room, "bob", "none", reason="nap")
            gone = await self.wait_for(lambda s: s.name == "presence" and self.from_nick(s, "bob") and s["type"] == "unavailable", "bob's kick")
            steps["kick"] = {"codes": sorted(int(e.get("code")) for e in gone.xml.findall(f"{{{NS['muc_user']}}}x/{{{NS['muc_user']}}}status"))}

            self.mark = len(self.seen)
            self.plugin["xep_0045"].set_subject(self.args.room, "Quiet please")
            subject = await self.wait_for(lambda s: s.name == "message" and s["subject"] == "Quiet please", "subject")
            steps["subject"] = {"from": str(subject["from"])}
            self.result["ok"] = True
        except Exception as error:  # reported, not raised: the test reads the JSON
            self.result["error"] = f"{type(error).__name__}: {error}"
        finally:
            self.disconnect()


def main():
    parser = argparse.ArgumentParser()
    for name in ("--jid", "--password", "--host", "--room", "--nick"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--timeout", type=float, default=15)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = FeatureClient(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    print(json.dumps(client.result), flush=True)


if __name__ == "__main__":
    main()
