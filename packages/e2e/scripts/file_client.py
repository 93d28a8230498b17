#!/usr/bin/python3
"""A slixmpp client that sends files to a gateway's contact and reads what comes back
(files.test.ts, files.bench.ts). Run with Debian's /usr/bin/python3 (python3-slixmpp, aiohttp).

--upload-service is the client's server's XEP-0363 service (slixmpp 1.8.3 cannot discover it on
Python 3.11+). --steps is a JSON list, done in order; each step is one of
  {"upload": PATH, "type": MIME, "to": JID, "expect": "file"|"error"|"text", "declare_type": MIME?}
      uploads PATH with slixmpp's XEP-0363 plugin to the client's own server, then sends its URL as
      body + XEP-0066 OOB (+ an XEP-0447 <file-sharing/> declaring declare_type, when given).
  {"url": URL, "to": JID, "expect": …, "declare_type": MIME?}
      sends URL the same way without uploading anything.
  {"say": TEXT, "to": JID, "expect": "file"|"text"}
      sends TEXT (e.g. "/file 20": the demo's alice answers with a file).
What is waited for:
  "file": a message from the contact with OOB; its URL is downloaded (streamed, hashed), then the
          caption (the next message with a body) when "caption" is true in the step. With
          "files": N, N such messages (an album), each downloaded, reported in "album".
  "error": the error the gateway bounces for the sent message (same id).
  "text": the next message from the contact with a body.
Each step's result: {"sent_url", "upload_seconds", "seconds", "body", "oob", "sfs": {name,
media_type, size, hash, source}, "sha256", "size", "headers" (of the download), "caption",
"album": [{body, sfs, sha256, size, headers}], "error": {condition, text}}.
Prints {"ok", "steps": [...], "error"} as the last line.
"""
import argparse
import asyncio
import base64
import hashlib
import json
import logging
import os
import sys
import time

import aiohttp
import slixmpp

NS_OOB = "jabber:x:oob"
NS_SFS = "urn:xmpp:sfs:0"
NS_META = "urn:xmpp:file:metadata:0"
NS_URL_DATA = "http://jabber.org/protocol/url-data"
NS_HASHES = "urn:xmpp:hashes:2"
NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas"


def file_sharing_xml(url, media_type):
    return (
        f'<file-sharing xmlns="{NS_SFS}"><file xmlns="{NS_META}"><media-type>{media_type}</media-type></file>'
        f'<sources><url-data xmlns="{NS_URL_DATA}" target="{url}"/></sources></file-sharing>'
    )


def read_sfs(xml):
    sharing = xml.find(f"{{{NS_SFS}}}file-sharing")
    if sharing is None:
        return None
    meta = sharing.find(f"{{{NS_META}}}file")
    text = lambda name: (meta.findtext(f"{{{NS_META}}}{name}") if meta is not None else None)
    hash_el = meta.find(f"{{{NS_HASHES}}}hash") if meta is not None else None
    source = sharing.find(f"{{{NS_SFS}}}sources/{{{NS_URL_DATA}}}url-data")
    return {
        "name": text("name"),
        "media_type": text("media-type"),
        "size": text("size"),
        "width": text("width"),
        "hash": hash_el.text if hash_el is not None else None,
        "source": source.get("target") if source is not None else None,
    }


class FileClient(slixmpp.ClientXMPP):
    def __init__(self, args):
        super().__init__(args.jid, args.password)
        self.args = args
        for plugin in ("xep_0030", "xep_0066", "xep_0199", "xep_0363"):
            self.register_plugin(plugin)
        # slixmpp 1.8.3's own discovery hands asyncio.wait coroutines, which Python 3.11 refuses:
        # the upload service is given instead.
        self["xep_0363"].upload_service = slixmpp.JID(args.upload_service)
        self["xep_0363"].max_file_size = float("+inf")
        self.result = {"ok": False, "steps": []}
        self.inbox = asyncio.Queue()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", lambda msg: self.inbox.put_nowait(msg))
        self.add_event_handler("message_error", lambda msg: self.inbox.put_nowait(msg))

    async def next_message(self, accept):
        deadline = time.monotonic() + self.args.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("nothing matching came back")
            msg = await asyncio.wait_for(self.inbox.get(), left)
            if accept(msg):
                return msg

    async def download(self, url):
        digest = hashlib.sha256()
        size = 0
        async with aiohttp.ClientSession() as http:
            async with http.get(url) as response:
                response.raise_for_status()
                headers = {name.lower(): value for name, value in response.headers.items()}
                async for chunk in response.content.iter_chunked(256 * 1024):
                    digest.update(chunk)
                    size += len(chunk)
        self.last_headers = headers
        return base64.b64encode(digest.digest()).decode(), size

    async def step(self, step):
        result = {}
        to = step["to"]
        started = time.monotonic()
        if "upload" in step:
            path = step["upload"]
            url = await self["xep_0363"].upload_file(
                path, size=os.path.getsize(path), content_type=step["type"], timeout=self.args.timeout
            )
            result["upload_seconds"] = time.monotonic() - started
        else:
            url = step.get("url")
        msg = self.make_message(mto=to, mtype="chat", mbody=step.get("say", url))
        if url is not None and "say" not in step:
            msg["oob"]["url"] = url
            if step.get("declare_type"):
                msg.append(slixmpp.xmlstream.ET.fromstring(file_sharing_xml(url, step["declare_type"])))
        result["sent_url"] = url
        sent_id = msg["id"]
        sent_at = time.monotonic()
        msg.send()
        bare = slixmpp.JID(to).bare
        expect = step["expect"]
        if expect == "error":
            reply = await self.next_message(lambda m: m["type"] == "error" and m["id"] == sent_id)
            error = reply.xml.find("{jabber:client}error")
            condition = next((c.tag.split("}")[1] for c in error if c.tag.startswith(f"{{{NS_STANZAS}}}") and not c.tag.endswith("}text")), None)
            result["error"] = {"condition": condition, "text": error.findtext(f"{{{NS_STANZAS}}}text")}
        elif expect == "text":
            reply = await self.next_message(lambda m: m["from"].bare == bare and m["body"] and m["type"] != "error")
            result["body"] = reply["body"]
        elif step.get("files"):
            album = []
            for _ in range(step["files"]):
                reply = await self.next_message(lambda m: m["from"].bare == bare and m["oob"]["url"])
                item = {"body": reply["body"], "sfs": read_sfs(reply.xml)}
                item["sha256"], item["size"] = await self.download(reply["oob"]["url"])
                item["headers"] = self.last_headers
                album.append(item)
            result["album"] = album
            if step.get("caption"):
                caption = await self.next_message(lambda m: m["from"].bare == bare and m["body"])
                result["caption"] = caption["body"]
        else:
            reply = await self.next_message(lambda m: m["from"].bare == bare and m["oob"]["url"])
            result["seconds_to_message"] = time.monotonic() - sent_at
            result["body"] = reply["body"]
            result["oob"] = reply["oob"]["url"]
            result["sfs"] = read_sfs(reply.xml)
            got = time.monotonic()
            result["sha256"], result["size"] = await self.download(reply["oob"]["url"])
            result["headers"] = self.last_headers
            result["download_seconds"] = time.monotonic() - got
            if step.get("caption"):
                caption = await self.next_message(lambda m: m["from"].bare == bare and m["body"])
                result["caption"] = caption["body"]
        result["seconds"] = time.monotonic() - started
        return result

    async def start(self, _event):
        try:
            self.send_presence()
            await self.get_roster()
            for step in json.loads(self.args.steps):
                self.result["steps"].append(await self.step(step))
            self.result["ok"] = True
        except Exception as error:  # reported, not raised: the test reads the JSON
            self.result["error"] = f"{type(error).__name__}: {error}"
        finally:
            self.disconnect()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--jid", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--steps", required=True)
    parser.add_argument("--upload-service", required=True)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR, stream=sys.stderr)
    client = FileClient(args)
    client.connect((args.host, args.port), use_ssl=False, force_starttls=False, disable_starttls=True)
    client.loop.run_until_complete(client.disconnected)
    print(json.dumps(client.result))


if __name__ == "__main__":
    main()
