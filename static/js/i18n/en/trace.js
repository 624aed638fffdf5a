// i18n/en/trace.js: in English, the words of a traced program's panel (views/trace.js).
//
// Loaded, with the other areas and languages, by i18n/catalog.js; the code reads them through i18n.js.
// Plain data, checked by tests/test_translations.py: `export default` one JSON object (double-quoted
// keys and strings, no comments inside, no trailing comma). Every key is in each language's file of
// the area, and each language's string has the same {names} (filled from t()'s vars).

export default {
  "trace.processes": "Processes",
  "trace.running": "Running",
  "trace.exitcode": "Exit code",
  "trace.locks": "Locks and Semaphores",
  "trace.name": "Name",
  "trace.holder": "Held by",
  "trace.waiting": "Waiting",
  "trace.taken": "Acquired",
  "trace.free": "free",
  "trace.inside": "{n} inside",
  "trace.values": "Shared values (Value)",
  "trace.value": "Value",
  "trace.writes": "Writes",
  "trace.lastWriter": "Last writer",
  "trace.queues": "Queues",
  "trace.depth": "Depth",
  "trace.putGot": "put / get",
  "trace.blocked": "Blocked",
  "trace.waitPut": "full, waiting to put: {who}",
  "trace.waitGet": "empty, waiting to get: {who}",
  "trace.pipes": "Pipes",
  "trace.sentRecv": "sent / received",
  "trace.lastMsg": "Last message",
  "trace.sync": "Event, Barrier, Condition",
  "trace.kind": "Kind",
  "trace.state": "State",
  "trace.manager": "Manager proxies",
  "trace.proxy": "Proxy",
  "trace.calls": "Calls",
  "trace.meanUs": "Mean µs",
  "trace.lastCall": "Last call",
  "trace.pool": "Pool workers",
  "trace.worker": "Worker",
  "trace.tasks": "Tasks",
  "trace.done": "Done",
  "trace.summary": "Tracing: {dropped} events dropped, {errors} instrumentation errors.",
  "trace.shm": "Shared memory (shared_memory)",
  "trace.segment": "Segment",
  "trace.size": "Bytes",
  "trace.shmOpen": "Open in",
  "trace.shmNote": "Reads and writes of a segment's bytes through shm.buf cannot be traced (a memoryview onto the memory runs no Python code): only create, attach, close and unlink, and ShareableList items, are shown.",
  "trace.threads": "Threads"
};
