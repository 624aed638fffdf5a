// lobby.js: the lobby WebSocket (/ws): frames are arrays of run objects whose status or counters
// changed; the first frame lists every known run. Reconnects forever.

import { wsUrl } from "./api.js";
import { ReconnectingSocket } from "./socket.js";

/**
 * Listen to the lobby.
 * @param {(runs: any[]) => void} onRuns
 * @param {(state: string) => void} [onState] connection state for the status dot
 * @returns {ReconnectingSocket}
 */
export function connectLobby(onRuns, onState) {
  return new ReconnectingSocket({
    url: () => wsUrl("/ws"),
    onFrame: (frame) => {
      if (Array.isArray(frame)) onRuns(frame);
    },
    onState,
  });
}
