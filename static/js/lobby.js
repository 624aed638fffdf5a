// lobby.js: the lobby WebSocket (/ws): frames are arrays of run objects whose status or counters
// changed ({"id", "deleted": true} for a run that was deleted); the first frame after every (re)connect
// lists every known run. Reconnects forever.

import { wsUrl } from "./api.js";
import { ReconnectingSocket } from "./socket.js";

/**
 * Listen to the lobby.
 * @param {(runs: any[], snapshot: boolean) => void} onRuns snapshot: the frame lists every run there is
 *   (a run missing from it was deleted while the connection was down)
 * @param {(state: string) => void} [onState] connection state for the status dot
 * @returns {ReconnectingSocket}
 */
export function connectLobby(onRuns, onState) {
  let first = false;
  return new ReconnectingSocket({
    url: () => wsUrl("/ws"),
    onFrame: (frame) => {
      if (!Array.isArray(frame)) return;
      const snapshot = first;
      first = false;
      onRuns(frame, snapshot);
    },
    onState: (state) => {
      if (state === "open") first = true;
      onState?.(state);
    },
  });
}
