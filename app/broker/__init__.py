"""Scale-out through Redis: the origin server publishes runs, the lobby and presenter views to a broker
(publisher.py); edge servers mirror them from it (mirror.py) and serve viewers. docs/scale.md says why
and what Redis keeps."""
