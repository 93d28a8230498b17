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
  {"event": "message", "from", "to", "type", "body"}  every chat/normal message received
  {"event": "error", "step": ..., "message": ..., "condition": ...}
  {"event": "done", "ok": true|false}        always last; exit code 0 iff ok
"""
import argparse
import asyncio
import json
import logging
import os
import sys
import time

import slixmpp
from slixmpp.exceptions import IqError, IqTimeout

NS_DATA_FORMS = "jabber:x:data"
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
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds for the whole run")
    return parser.parse_args()


class ScriptedClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        self.session_started = asyncio.get_event_loop().create_future()
        self.replies = asyncio.Queue()
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
        emit("message", **{"from": str(msg["from"]), "to": str(msg["to"]), "type": msg["type"], "body": msg["body"]})
        self.replies.put_nowait(msg)

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

    async def wait_reply_from(self, sender):
        sender_bare = slixmpp.JID(sender).bare
        while True:
            msg = await self.replies.get()
            if msg["from"].bare == sender_bare:
                return msg


async def run(args):
    client = ScriptedClient(args)
    client.connect(address=(args.host, args.port), disable_starttls=True, force_starttls=False)
    ok = False
    try:
        if not await client.session_started:
            return False
        if args.wait_presence:
            # Available before registering, so the gateway's presences reach this resource.
            client.send_presence()
        if args.register_gateway:
            await client.register_with_gateway()
        if args.roster or args.wait_roster_item:
            await client.fetch_roster(args.wait_roster_item)
        if args.wait_presence:
            presence = await client.wait_presence(args.wait_presence, args.wait_status)
            emit("presence", **{"from": str(presence["from"]), "show": presence["show"],
                                "status": presence["status"]})
        if args.send_to:
            client.send_presence()
            client.send_message(mto=args.send_to, mbody=args.message, mtype="chat")
            emit("sent", to=args.send_to, body=args.message)
            if args.wait_reply:
                await client.wait_reply_from(args.send_to)
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
