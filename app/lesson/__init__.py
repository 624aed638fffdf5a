"""Code that runs inside a lesson's processes: the Scenario interface and its RunContext, the Reporter
that sends events to the server, the child watch and the signal handlers.

Nothing here imports the engine or the web layer: this package is loaded into every run process
(through the forkserver's preload), and should stay small and free of server state.
"""
