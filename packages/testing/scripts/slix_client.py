#!/usr/bin/python3
"""An independent "real client" for Gangway tests: Debian's python3-slixmpp (1.8.3).

Run with /usr/bin/python3 (a pyenv python3 on PATH does not see Debian's dist-packages).
Every step prints one JSON object per line on stdout; @gangway/testing parses them:
  {"event": "account_registered"}            after --register-account
  {"event": "session_start", "jid": ...}
  {"event": "gateway_registered", "gateway": ...}   after --register-gateway
  {"event": "roster", "items": [{"jid", "name", "subscription", "groups"}]}   with --roster
      (with --wait-roster-item: the first roster that holds every such JID, polled)
  {"event": "presence", "from", "show", "status"}   with --wait-presence, once it arrived
  {"event": "commands", "jid", "items": [{"node", "name"}]}   with --list-commands (XEP-0050 disco#items)
  {"event": "adhoc_stage", "stage_index", "node", "status", "sessionid", "actions", "default_action",
   "notes": [{"type", "text"}], "form": {...} | null}   with --adhoc-json: every command response
      (stage_index null for the answer to the initial execute, i for the answer to stages[i])
  {"event": "adhoc_error", "stage_index", "condition", "type", "text"}   an IQ error from the command
  {"event": "sent", "to", "body"}   every message sent (--send-to, chat "send" steps)
  {"event": "chat_matched", "step_index", "body", "regex"}   a chat "expect" step matched
  {"event": "message", "from", "to", "type", "body"[, "oob_url"]}  every chat/normal message received
  {"event": "stanza", "index", "name", "xml"}   with --raw-json: every message/presence/iq received
      since login, raw (index counts from 0 in arrival order)
  {"event": "raw_sent", "step_index", "xml"}   a raw "send" step, placeholders filled in
  {"event": "raw_matched", "step_index", "index", "xml", "captured": {name: value}}   a raw "expect" matched
  {"event": "error", "step": ..., "message": ..., "condition": ...}
      (a failed chat expect adds "step_index", "regex", "last_bodies"; a failed raw expect adds
      "step_index", "expect", "unmatched": the last stanzas no step consumed)
  {"event": "done", "ok": true|false}        always last; exit code 0 iff ok
Steps run in this order: register account, log in, register with the gateway, list commands,
ad-hoc command, chat dialogue, raw stanza script, roster, wait for presence, send --message.
"""
import argparse
import asyncio
import copy
import json
import logging
import os
import re
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET, tostring

NS_DATA_FORMS = "jabber:x:data"
NS_COMMANDS = "http://jabber.org/protocol/commands"
NS_MEDIA = "urn:xmpp:media-element"
NS_OOB = "jabber:x:oob"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"
NS_CLIENT = "jabber:client"
RAW_STANZAS = ("message", "presence", "iq")
# RFC 6120: a message without `type` is "normal", a presence without one is available.
DEFAULT_TYPES = {"message": "normal", "presence": "available"}
PLACEHOLDER = re.compile(r"\{last:([A-Za-z0-9_.-]+)\}")
LAST_UNMATCHED = 8
DEFAULT_EXPECT_TIMEOUT = 5.0
LAST_BODIES = 5
STARTED = time.monotonic()


def emit(event, **fields):
    fields["event"] = event
    fields["ms"] = round((time.monotonic() - STARTED) * 1000)
    print(json.dumps(fields), flush=True)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--register-account", action="store_true", help="create the account with XEP-0077 first")
    parser.add_argument("--register-gateway", metavar="JID", help="XEP-0077 registration with a gateway component")
    parser.add_argument("--gateway-field", action="append", default=[], metavar="NAME=VALUE",
                        help="a registration form value for --register-gateway (repeatable)")
    parser.add_argument("--roster", action="store_true", help="fetch the roster and print it")
    parser.add_argument("--wait-roster-item", action="append", default=[], metavar="JID",
                        help="poll the roster until it holds this JID (repeatable; implies --roster). "
                             "A gateway fills the roster asynchronously after registration (XEP-0356).")
    parser.add_argument("--wait-presence", metavar="JID",
                        help="before sending, wait for an available presence from this JID (bare match); "
                             "sends initial presence right after login so it can arrive")
    parser.add_argument("--wait-status", metavar="TEXT",
                        help="with --wait-presence: the presence's <status/> must be exactly TEXT")
    parser.add_argument("--send-to", metavar="JID", help="send --message to this JID")
    parser.add_argument("--message", default="hello from slixmpp")
    parser.add_argument("--wait-reply", action="store_true", help="wait for a message back from --send-to")
    parser.add_argument("--list-commands", metavar="JID", help="list the XEP-0050 commands JID offers")
    parser.add_argument("--adhoc-json", metavar="JSON",
                        help='run an XEP-0050 command: {"jid", "node", "stages": [{"values": {...}, "action"}]}')
    parser.add_argument("--expect-adhoc-error", action="store_true",
                        help="the --adhoc-json command must answer with an IQ error (the run fails otherwise)")
    parser.add_argument("--chat-json", metavar="JSON",
                        help='a scripted dialogue: {"with": JID, "steps": [{"send": TEXT} | '
                             '{"expect": REGEX, "flags": "ims", "timeout_ms": N}]}')
    parser.add_argument("--raw-json", metavar="JSON",
                        help='a scripted stanza exchange: {"steps": [{"send": XML} | {"expect": {"stanza", '
                             '"from", "type", "id", "has": [PATH], "lacks": [PATH], "body": REGEX, "flags"}, '
                             '"capture": NAME | {NAME: "PATH@ATTR"}, "timeout_ms": N}]}; {last:NAME} in a '
                             'send or an expect is replaced by a captured value')
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for the whole run")
    return parser.parse_args()


class ScriptedClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.session_started = asyncio.get_event_loop().create_future()
        # Every chat/normal message, oldest first; readers keep their own cursor into it.
        self.received = []
        self.message_arrived = asyncio.Event()
        self.register_plugin("xep_0030")
        self.register_plugin("xep_0004")
        self.register_plugin("xep_0077")
        if args.register_account:
            self["xep_0077"].force_registration = True
            self.add_event_handler("register", self.on_register_account)
            # slixmpp 1.8.3 queues every stanza until session start ("NOT SENT"), which deadlocks
            # pre-login XEP-0077 registration; this private flag lets the register IQs through.
            self._always_send_everything = True
        self.add_event_handler("session_start", self.on_session_start)
        self.add_event_handler("failed_auth", self.on_failed_auth)
        self.add_event_handler("message", self.on_message)
        self.presences = []
        self.presence_arrived = asyncio.Event()
        # Raw mode: every message/presence/iq since login, as received; consumed by expect steps.
        self.raw_received = []
        self.raw_consumed = set()
        self.raw_arrived = asyncio.Event()
        self.captures = {}
        if args.wait_presence:
            self.add_event_handler("presence_available", self.on_presence_available)

    async def on_register_account(self, _form):
        iq = self.Iq()
        iq["type"] = "set"
        iq["register"]["username"] = self.boundjid.user
        iq["register"]["password"] = self.password
        try:
            await iq.send()
            emit("account_registered", jid=self.boundjid.bare)
        except IqError as error:
            emit("error", step="register_account", condition=error.condition, message=error.text)
        except IqTimeout:
            emit("error", step="register_account", condition="timeout", message="no answer")

    def on_session_start(self, _event):
        # Registration has happened (or was not asked for); normal queuing rules apply again.
        self._always_send_everything = False
        emit("session_start", jid=str(self.boundjid))
        if not self.session_started.done():
            self.session_started.set_result(True)

    def on_failed_auth(self, _event):
        emit("error", step="login", condition="not-authorized", message="authentication failed")
        if not self.session_started.done():
            self.session_started.set_result(False)

    def on_presence_available(self, presence):
        self.presences.append(presence)
        self.presence_arrived.set()

    async def wait_presence(self, sender, status):
        """Waits for an available presence from `sender` (bare JID match), with `status` if given."""
        sender_bare = slixmpp.JID(sender).bare
        seen = 0
        while True:
            while seen < len(self.presences):
                presence = self.presences[seen]
                seen += 1
                if presence["from"].bare == sender_bare and (status is None or presence["status"] == status):
                    return presence
            self.presence_arrived.clear()
            await self.presence_arrived.wait()

    def on_message(self, msg):
        if msg["type"] not in ("chat", "normal"):
            return
        fields = {"from": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "body": msg["body"]}
        # XEP-0066 out-of-band data, read raw: the xep_0066 plugin is not needed for one element.
        oob_url = msg.xml.findtext("{%s}x/{%s}url" % (NS_OOB, NS_OOB))
        if oob_url is not None:
            fields["oob_url"] = oob_url.strip()
        emit("message", **fields)
        self.received.append(msg)
        self.message_arrived.set()

    async def next_message_from(self, sender, cursor):
        """Waits for the first message from `sender` at or after index `cursor` of `self.received`.

        `sender` matches bare when it is a bare JID, exactly otherwise. Returns (message, next cursor).
        """
        wanted = slixmpp.JID(sender)
        while True:
            while cursor < len(self.received):
                msg = self.received[cursor]
                cursor += 1
                if wanted.resource:
                    if msg["from"] == wanted:
                        return msg, cursor
                elif msg["from"].bare == wanted.bare:
                    return msg, cursor
            self.message_arrived.clear()
            await self.message_arrived.wait()

    def bodies_from(self, sender):
        wanted = slixmpp.JID(sender)
        return [msg["body"] for msg in self.received
                if (msg["from"] == wanted if wanted.resource else msg["from"].bare == wanted.bare)]

    def incoming_filter(self, xml):
        """Raw mode records every stanza here, as parsed and before any handler saw it.

        Later slixmpp adds what the sender left out (xml:lang) to the element it hands to handlers,
        so the recorded copy is the one the peer really sent; IQ results of raw IQs are included.
        """
        if self.args.raw_json and xml.tag in ["{%s}%s" % (NS_CLIENT, name) for name in RAW_STANZAS]:
            index = len(self.raw_received)
            element = copy.deepcopy(xml)
            self.raw_received.append(element)
            emit("stanza", index=index, name=xml.tag.split("}", 1)[1], xml=self.serialize(element))
            self.raw_arrived.set()
        return super().incoming_filter(xml)

    def serialize(self, element):
        return tostring(element, xmlns=NS_CLIENT, stream=self, top_level=True)

    def fill_placeholders(self, text):
        def value(match):
            name = match.group(1)
            if name not in self.captures:
                raise RawStepError(f"{{last:{name}}} was never captured (captured: {sorted(self.captures)})")
            return self.captures[name]
        return PLACEHOLDER.sub(value, text)

    def raw_matches(self, xml, spec):
        name = xml.tag.split("}", 1)[1]
        if spec.get("stanza") and name != spec["stanza"]:
            return False
        if "from" in spec:
            wanted = slixmpp.JID(self.fill_placeholders(spec["from"]))
            actual = slixmpp.JID(xml.get("from") or "")
            if (actual != wanted) if wanted.resource else (actual.bare != wanted.bare):
                return False
        if "type" in spec and (xml.get("type") or DEFAULT_TYPES.get(name, "")) != spec["type"]:
            return False
        if "id" in spec and xml.get("id") != self.fill_placeholders(spec["id"]):
            return False
        for path in as_list(spec.get("has")):
            if xml.find(self.fill_placeholders(path)) is None:
                return False
        for path in as_list(spec.get("lacks")):
            if xml.find(self.fill_placeholders(path)) is not None:
                return False
        if "body" in spec:
            body = xml.find("{%s}body" % NS_CLIENT)
            regex = re.compile(self.fill_placeholders(spec["body"]), python_flags(spec.get("flags", "")))
            if body is None or not regex.search(text_of(body)):
                return False
        return True

    def capture(self, stanza, capture):
        """Remembers values of the matched stanza: its id (a plain name) or {name: "path@attr"}."""
        wanted = {capture: "@id"} if isinstance(capture, str) else capture
        captured = {}
        for name, where in wanted.items():
            path, _, attribute = where.rpartition("@")
            element = stanza if path in ("", ".") else stanza.find(path)
            value = element.get(attribute) if element is not None else None
            if value is None:
                raise RawStepError(f"capture {name!r}: the matched stanza has no {where!r}")
            captured[name] = value
        self.captures.update(captured)
        return captured

    async def next_raw_match(self, spec):
        """The earliest stanza since login that matches `spec` and no earlier step consumed."""
        while True:
            for index, stanza in enumerate(self.raw_received):
                if index not in self.raw_consumed and self.raw_matches(stanza, spec):
                    self.raw_consumed.add(index)
                    return index, stanza
            self.raw_arrived.clear()
            await self.raw_arrived.wait()

    async def run_raw(self, spec):
        """Sends raw stanzas and expects stanzas, in order. Returns True when every step succeeded."""
        for index, step in enumerate(spec.get("steps", [])):
            try:
                if "send" in step:
                    data = self.fill_placeholders(step["send"])
                    self.send_raw(data)
                    emit("raw_sent", step_index=index, xml=data)
                    continue
                expected = step["expect"]
                timeout = step.get("timeout_ms", DEFAULT_EXPECT_TIMEOUT * 1000) / 1000
                try:
                    found, stanza = await asyncio.wait_for(self.next_raw_match(expected), timeout)
                except asyncio.TimeoutError:
                    unmatched = [self.serialize(stanza) for i, stanza in enumerate(self.raw_received)
                                 if i not in self.raw_consumed][-LAST_UNMATCHED:]
                    emit("error", step="raw", condition="timeout", step_index=index, expect=expected,
                         unmatched=unmatched,
                         message=f"raw step {index}: no stanza matched {json.dumps(expected)} within {timeout:g} s")
                    return False
                captured = self.capture(stanza, step["capture"]) if "capture" in step else {}
                emit("raw_matched", step_index=index, index=found, xml=self.serialize(stanza), captured=captured)
            except (RawStepError, SyntaxError, re.error) as error:
                # SyntaxError: an ElementTree path it cannot parse; re.error: a bad body regex.
                emit("error", step="raw", condition="bad-step", step_index=index, expect=step.get("expect"),
                     unmatched=[], message=f"raw step {index}: {error}")
                return False
        return True

    async def list_commands(self, jid):
        result = await self["xep_0030"].get_items(jid=jid, node=NS_COMMANDS)
        items = [{"jid": str(item_jid), "node": node, "name": name}
                 for item_jid, node, name in result["disco_items"]["items"]]
        emit("commands", jid=jid, items=items)

    async def run_adhoc(self, spec):
        """Executes an XEP-0050 command with raw IQs, answering each form with the next stage.

        Returns True when the command ran without an IQ error, False after an `adhoc_error`.
        """
        jid, node = spec["jid"], spec["node"]
        stages = spec.get("stages", [])
        sessionid = None
        command = None
        stage_index = None
        action = "execute"
        values = None
        while True:
            iq = self.Iq()
            iq["type"] = "set"
            iq["to"] = jid
            request = ET.Element("{%s}command" % NS_COMMANDS, {"node": node, "action": action})
            if sessionid is not None:
                request.set("sessionid", sessionid)
            if values is not None:
                request.append(submit_form(values, command))
            iq.append(request)
            try:
                reply = await iq.send()
            except IqError as error:
                emit("adhoc_error", stage_index=stage_index, condition=error.condition,
                     type=error.etype, text=error.text or "")
                return False
            command = reply.xml.find("{%s}command" % NS_COMMANDS)
            if command is None:
                emit("adhoc_error", stage_index=stage_index, condition="no-command",
                     type="", text="the result IQ carries no <command/>")
                return False
            stage = describe_command(command)
            sessionid = stage.get("sessionid") or sessionid
            emit("adhoc_stage", stage_index=stage_index,
                 **{key: value for key, value in stage.items() if key != "has_actions"})
            next_index = 0 if stage_index is None else stage_index + 1
            if stage["status"] in ("completed", "canceled") or next_index >= len(stages):
                return True
            stage_index = next_index
            step = stages[stage_index]
            action = step.get("action") or default_action(stage)
            # prev and cancel carry no payload (XEP-0050 6.3, 6.5); every other action answers the form.
            values = None if action in ("prev", "cancel") else step.get("values", {})

    async def run_chat(self, spec):
        """Sends and expects messages in order. Returns True when every step succeeded."""
        peer = spec["with"]
        cursor = 0
        for index, step in enumerate(spec.get("steps", [])):
            if "send" in step:
                self.send_message(mto=peer, mbody=step["send"], mtype="chat")
                emit("sent", to=peer, body=step["send"])
                continue
            pattern = step["expect"]
            regex = re.compile(pattern, python_flags(step.get("flags", "")))
            timeout = step.get("timeout_ms", DEFAULT_EXPECT_TIMEOUT * 1000) / 1000
            deadline = time.monotonic() + timeout
            while True:
                remaining = deadline - time.monotonic()
                try:
                    if remaining <= 0:
                        raise asyncio.TimeoutError()
                    msg, cursor = await asyncio.wait_for(self.next_message_from(peer, cursor), remaining)
                except asyncio.TimeoutError:
                    emit("error", step="chat", condition="timeout", step_index=index, regex=pattern,
                         last_bodies=self.bodies_from(peer)[-LAST_BODIES:],
                         message=f"chat step {index}: no message from {peer} matched /{pattern}/ "
                                 f"within {timeout:g} s")
                    return False
                if regex.search(msg["body"]):
                    emit("chat_matched", step_index=index, regex=pattern, body=msg["body"])
                    break
        return True

    async def register_with_gateway(self):
        gateway = self.args.register_gateway
        values = dict(field.split("=", 1) for field in self.args.gateway_field)
        form_iq = await self["xep_0077"].get_registration(jid=gateway)
        query = form_iq["register"]
        submit = self.Iq()
        submit["type"] = "set"
        submit["to"] = gateway
        form = query.xml.find("{%s}x" % NS_DATA_FORMS)
        if form is not None:
            # The gateway speaks data forms: answer with a submitted form carrying every value.
            reply = self["xep_0004"].make_form(ftype="submit")
            reply.add_field(var="FORM_TYPE", ftype="hidden", value="jabber:iq:register")
            for name, value in values.items():
                reply.add_field(var=name, value=value)
            submit["register"].append(reply)
        else:
            for name, value in values.items():
                submit["register"][name] = value
        await submit.send()
        emit("gateway_registered", gateway=gateway)

    async def fetch_roster(self, wanted=()):
        wanted = {slixmpp.JID(jid).bare for jid in wanted}
        while True:
            # A plain roster get, without XEP-0237 `ver`: the server's whole roster every time
            # (with a version it may answer empty and push the changes instead).
            iq = self.Iq()
            iq["type"] = "get"
            iq.enable("roster")
            result = await iq.send()
            # slixmpp keys roster items by JID; the values carry name, subscription and groups.
            jids = {str(jid) for jid in result["roster"]["items"]}
            if wanted <= jids:
                break
            await asyncio.sleep(0.05)
        items = []
        for jid, item in result["roster"]["items"].items():
            items.append({
                "jid": str(jid),
                "name": item["name"],
                "subscription": item["subscription"],
                "groups": list(item["groups"]),
            })
        emit("roster", items=sorted(items, key=lambda entry: entry["jid"]))



class RawStepError(Exception):
    """A raw step that cannot run: an unknown placeholder, or a capture the stanza lacks."""


def as_list(value):
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def python_flags(flags):
    """JS RegExp flags as Python re flags: i, m and s mean the same; g, u and y do not matter here."""
    result = 0
    for flag in flags:
        if flag == "i":
            result |= re.IGNORECASE
        elif flag == "m":
            result |= re.MULTILINE
        elif flag == "s":
            result |= re.DOTALL
        elif flag not in "guy":
            raise ValueError(f"unsupported regex flag {flag!r}")
    return result


def default_action(stage):
    """The action a user pressing "OK" takes: the <actions execute=''> default, else what XEP-0050 implies."""
    if stage["default_action"]:
        return stage["default_action"]
    # <actions/> without a default: "execute" lets the responder pick; no <actions/>: a single stage to complete.
    return "execute" if stage["has_actions"] else "complete"


def text_of(element):
    return "".join(element.itertext()) if element is not None else ""


def describe_field(field):
    described = {"type": field.get("type") or "text-single", "required": field.find("{%s}required" % NS_DATA_FORMS) is not None}
    for attribute in ("var", "label"):
        if field.get(attribute) is not None:
            described[attribute] = field.get(attribute)
    desc = field.find("{%s}desc" % NS_DATA_FORMS)
    if desc is not None:
        described["desc"] = text_of(desc)
    values = [text_of(value) for value in field.findall("{%s}value" % NS_DATA_FORMS)]
    described["values"] = values
    if values:
        described["value"] = values[0]
    described["options"] = [
        {"label": option.get("label") or "", "value": option.findtext("{%s}value" % NS_DATA_FORMS) or ""}
        for option in field.findall("{%s}option" % NS_DATA_FORMS)
    ]
    media = []
    for element in field.findall("{%s}media" % NS_MEDIA):
        for uri in element.findall("{%s}uri" % NS_MEDIA):
            entry = {"type": uri.get("type") or "", "uri": text_of(uri).strip()}
            for attribute in ("width", "height"):
                if element.get(attribute) is not None:
                    entry[attribute] = element.get(attribute)
            media.append(entry)
    described["media"] = media
    return described


def describe_form(form):
    described = {
        "type": form.get("type") or "",
        "instructions": [text_of(element) for element in form.findall("{%s}instructions" % NS_DATA_FORMS)],
        "fields": [describe_field(field) for field in form.findall("{%s}field" % NS_DATA_FORMS)],
    }
    title = form.find("{%s}title" % NS_DATA_FORMS)
    if title is not None:
        described["title"] = text_of(title)
    reported = form.find("{%s}reported" % NS_DATA_FORMS)
    if reported is not None:
        described["reported"] = [describe_field(field) for field in reported.findall("{%s}field" % NS_DATA_FORMS)]
    items = form.findall("{%s}item" % NS_DATA_FORMS)
    if items:
        described["items"] = [
            {field.get("var") or "": [text_of(value) for value in field.findall("{%s}value" % NS_DATA_FORMS)]
             for field in item.findall("{%s}field" % NS_DATA_FORMS)}
            for item in items
        ]
    return described


def describe_command(command):
    actions_element = command.find("{%s}actions" % NS_COMMANDS)
    actions = []
    if actions_element is not None:
        actions = [child.tag.split("}", 1)[-1] for child in actions_element]
    form = command.find("{%s}x" % NS_DATA_FORMS)
    stage = {
        "node": command.get("node") or "",
        "status": command.get("status") or "",
        "actions": actions,
        "has_actions": actions_element is not None,
        "default_action": actions_element.get("execute") if actions_element is not None else None,
        "notes": [{"type": note.get("type") or "info", "text": text_of(note)}
                  for note in command.findall("{%s}note" % NS_COMMANDS)],
        "form": describe_form(form) if form is not None else None,
    }
    if command.get("sessionid") is not None:
        stage["sessionid"] = command.get("sessionid")
    return stage


def submit_form(values, command):
    """A `submit` data form: the last form's hidden and prefilled fields, overridden by `values`.

    That is what a user pressing "OK" in a real client sends. Booleans become "1"/"0"; lists become
    one <value/> each, and so does each line of a string for a text-multi or jid-multi field.
    """
    form = command.find("{%s}x" % NS_DATA_FORMS) if command is not None else None
    types = {}
    submitted = {}
    if form is not None:
        for field in form.findall("{%s}field" % NS_DATA_FORMS):
            name = field.get("var")
            if not name or field.get("type") == "fixed":
                continue
            types[name] = field.get("type") or "text-single"
            prefilled = [text_of(value) for value in field.findall("{%s}value" % NS_DATA_FORMS)]
            if prefilled:
                submitted[name] = prefilled
    for name, value in values.items():
        if isinstance(value, bool):
            submitted[name] = ["1" if value else "0"]
        elif isinstance(value, list):
            submitted[name] = [str(item) for item in value]
        elif types.get(name) in ("text-multi", "jid-multi"):
            submitted[name] = str(value).split("\n")
        else:
            submitted[name] = [str(value)]
    x = ET.Element("{%s}x" % NS_DATA_FORMS, {"type": "submit"})
    for name, field_values in submitted.items():
        field = ET.SubElement(x, "{%s}field" % NS_DATA_FORMS, {"var": name})
        for item in field_values:
            ET.SubElement(field, "{%s}value" % NS_DATA_FORMS).text = item
    return x


async def run(args):
    client = ScriptedClient(args)
    client.connect(address=(args.host, args.port), disable_starttls=True, force_starttls=False)
    ok = False
    try:
        if not await client.session_started:
            return False
        if args.wait_presence or args.chat_json or args.raw_json:
            # Available before registering, so the gateway's presences reach this resource; and
            # messages to the bare JID (a chat bot's answers) reach it instead of offline storage.
            client.send_presence()
        if args.register_gateway:
            await client.register_with_gateway()
        if args.list_commands:
            await client.list_commands(args.list_commands)
        if args.adhoc_json:
            adhoc_ok = await client.run_adhoc(json.loads(args.adhoc_json))
            if args.expect_adhoc_error and adhoc_ok:
                emit("error", step="adhoc", condition="no-error",
                     message="expected the command to answer with an IQ error; it did not")
                return False
            if not adhoc_ok and not args.expect_adhoc_error:
                return False
        if args.chat_json:
            if not await client.run_chat(json.loads(args.chat_json)):
                return False
        if args.raw_json:
            if not await client.run_raw(json.loads(args.raw_json)):
                return False
        if args.roster or args.wait_roster_item:
            await client.fetch_roster(args.wait_roster_item)
        if args.wait_presence:
            presence = await client.wait_presence(args.wait_presence, args.wait_status)
            emit("presence", **{"from": str(presence["from"]), "show": presence["show"],
                                "status": presence["status"]})
        if args.send_to:
            client.send_presence()
            cursor = len(client.received)
            client.send_message(mto=args.send_to, mbody=args.message, mtype="chat")
            emit("sent", to=args.send_to, body=args.message)
            if args.wait_reply:
                await client.next_message_from(slixmpp.JID(args.send_to).bare, cursor)
        ok = True
    except IqError as error:
        emit("error", step="iq", condition=error.condition, message=error.text)
    except IqTimeout:
        emit("error", step="iq", condition="timeout", message="no answer")
    finally:
        client.disconnect()
        await asyncio.sleep(0.1)
    return ok


def main():
    args = parse_args()
    if os.environ.get("GANGWAY_SLIX_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    try:
        ok = asyncio.run(asyncio.wait_for(run(args), args.timeout))
    except asyncio.TimeoutError:
        emit("error", step="run", condition="timeout", message=f"gave up after {args.timeout} s")
        ok = False
    emit("done", ok=ok)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
