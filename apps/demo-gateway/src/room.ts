import { LegacyRoom } from "@gangway/core";
import type { DemoSession } from "./gateway.js";
import { LOBBY_NAME, LOBBY_TOPIC } from "./lobby.js";

/** The demo network's group, shown as the room `lobby@<gateway>`. */
export class DemoRoom extends LegacyRoom<DemoSession> {
  override async updateInfo(): Promise<void> {
    const { lobby } = this.session;
    this.name = LOBBY_NAME;
    this.subject = LOBBY_TOPIC;
    this.type = "group";
    this.userNick = this.session.username;
    for (const member of lobby.members) {
      this.addParticipant(member, { contact: await this.session.contacts.byLegacyId(member) });
    }
  }

  /** Wires the lobby's events to the room's participants (called once the room exists). */
  follow(): void {
    const { lobby } = this.session;
    const as = (nick: string) => this.participants.get(nick);
    const failed = (err: unknown) => this.session.log.error({ err, room: this.legacyId }, "lobby event lost");
    lobby.on(
      "message",
      (e) => void as(e.from)?.sendText(e.text, { id: e.id, replyTo: e.replyTo }).catch(failed),
    );
    lobby.on("correction", (e) => void as(e.from)?.correct(e.id, e.text).catch(failed));
    lobby.on("retraction", (e) => void as(e.from)?.retract(e.id).catch(failed));
    lobby.on("reaction", (e) => void as(e.from)?.react(e.id, e.emojis).catch(failed));
    lobby.on(
      "joined",
      (e) =>
        void this.session.contacts
          .byLegacyId(e.member)
          .then((contact) => this.join(e.member, { contact }))
          .catch(failed),
    );
    lobby.on("left", (e) => void this.leave(e.member).catch(failed));
  }
}
