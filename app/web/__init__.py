"""The web layer: routes, WebSocket streams, guards and pages over the engine; nothing below imports it."""
