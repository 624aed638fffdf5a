// timeline/lost.js: finds lost updates. Per shared value name, walk value.write events in time order
// keeping the last written value; a write whose value is <= that last value overwrote
// (last - value + 1) other updates.

import { Column, upperBound } from "./arrays.js";

class Writes {
  constructor() {
    this.t = new Column(Float64Array);
    this.value = new Column(Float64Array);
    this.lane = new Column(Int32Array);
    this.seq = new Column(Int32Array);
  }
}

/** Per-lane markers, rebuilt lazily: time, how many updates the write overwrote, its seq. */
export class LaneMarkers {
  constructor() {
    this.t = new Column(Float64Array, 16);
    this.lost = new Column(Float64Array, 16);
    this.seq = new Column(Int32Array, 16);
  }
}

export class LostTracker {
  constructor() {
    /** @type {Map<string, Writes>} */
    this.names = new Map();
    /** @type {Map<number, LaneMarkers>} lane index -> markers */
    this.byLane = new Map();
    /** @type {Map<number, {lost: number, over: number}>} seq -> updates it overwrote, value it wrote over */
    this.bySeq = new Map();
    this.total = 0;
    this.dirty = false;
  }

  /**
   * Record a value.write event (non-numeric values are ignored).
   * @param {import("../run-stream.js").RunEvent} ev
   * @param {number} lane lane index
   */
  add(ev, lane) {
    const value = ev.data.value;
    if (typeof value !== "number") return;
    const name = String(ev.data.name ?? "");
    let w = this.names.get(name);
    if (!w) this.names.set(name, (w = new Writes()));
    const n = w.t.n;
    const i = n && w.t.a[n - 1] > ev.t ? upperBound(w.t.a, ev.t, 0, n) : n; // arrival order ~ time order
    w.t.insert(i, ev.t);
    w.value.insert(i, value);
    w.lane.insert(i, lane);
    w.seq.insert(i, ev.seq);
    this.dirty = true;
  }

  /** Recompute markers if writes arrived since the last call. O(writes), once per frame at most. */
  update() {
    if (!this.dirty) return;
    this.dirty = false;
    this.byLane.clear();
    this.bySeq.clear();
    this.total = 0;
    for (const w of this.names.values()) {
      const v = w.value.a;
      for (let j = 1; j < w.t.n; j++) {
        if (v[j] > v[j - 1]) continue;
        const lost = v[j - 1] - v[j] + 1;
        const laneIdx = w.lane.a[j];
        let m = this.byLane.get(laneIdx);
        if (!m) this.byLane.set(laneIdx, (m = new LaneMarkers()));
        m.t.push(w.t.a[j]);
        m.lost.push(lost);
        m.seq.push(w.seq.a[j]);
        this.bySeq.set(w.seq.a[j], { lost, over: v[j - 1] });
        this.total += lost;
      }
    }
    if (this.names.size > 1) for (const m of this.byLane.values()) sortMarkers(m);
  }
}

/** @param {LaneMarkers} m */
function sortMarkers(m) {
  const order = Array.from({ length: m.t.n }, (_, i) => i).sort((a, b) => m.t.a[a] - m.t.a[b]);
  const t = order.map((i) => m.t.a[i]);
  const lost = order.map((i) => m.lost.a[i]);
  const seq = order.map((i) => m.seq.a[i]);
  m.t.a.set(t);
  m.lost.a.set(lost);
  m.seq.a.set(seq);
}
