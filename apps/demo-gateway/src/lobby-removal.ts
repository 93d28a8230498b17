import type { AnyGateway, Command } from "@gangway/core";
import { LOBBY_ID } from "./lobby.js";

/** What the destroyed lobby tells the user's clients (XEP-0045 `<destroy><reason/>`). */
export const LEFT_LOBBY_REASON = "You left the lobby with leave-lobby. It comes back at your next login.";

/**
 * `leave-lobby` (chat command and XEP-0050): the user leaves the demo's group, as if removed from it
 * on the network, to try what a gateway does then (`session.rooms.remove`): the lobby is destroyed
 * under their joined clients and its bookmark retracted. The next login lists it again.
 */
export function leaveLobbyCommand(gateway: Pick<AnyGateway, "requireSession">): Command {
  return {
    node: "leave-lobby",
    name: "Leave the lobby",
    keyword: "leave-lobby",
    help: "leave the group lobby until your next login",
    access: "logged-in",
    async run(requester) {
      const session = gateway.requireSession(requester.jid, { loggedIn: true });
      const left = await session.rooms.remove(LOBBY_ID, LEFT_LOBBY_REASON);
      return {
        kind: "result",
        text: left
          ? "You left the lobby. It comes back at your next login."
          : "You are not in the lobby; log in again to get it back.",
      };
    },
  };
}
