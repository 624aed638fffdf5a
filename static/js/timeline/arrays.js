// timeline/arrays.js: growable typed arrays and binary search, the storage under every lane.

/** A typed array that doubles when full. `a` is the backing array; only `a[0..n)` is valid. */
export class Column {
  /**
   * @param {Float64ArrayConstructor|Int32ArrayConstructor|Uint8ArrayConstructor} Type
   * @param {number} [capacity]
   */
  constructor(Type, capacity = 64) {
    this.Type = Type;
    this.a = new Type(capacity);
    this.n = 0;
  }

  grow() {
    const b = new this.Type(this.a.length * 2);
    b.set(this.a);
    this.a = b;
  }

  /** @param {number} v */
  push(v) {
    if (this.n === this.a.length) this.grow();
    this.a[this.n++] = v;
  }

  /**
   * Insert `v` at index `i`, shifting the tail right (cheap when `i` is near the end).
   * @param {number} i
   * @param {number} v
   */
  insert(i, v) {
    if (this.n === this.a.length) this.grow();
    this.a.copyWithin(i + 1, i, this.n);
    this.a[i] = v;
    this.n++;
  }
}

/**
 * First index i in [lo, hi) with a[i] >= x (hi when none).
 * @param {ArrayLike<number>} a sorted ascending
 * @param {number} x
 * @param {number} [lo]
 * @param {number} [hi]
 * @returns {number}
 */
export function lowerBound(a, x, lo = 0, hi = a.length) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * First index i in [lo, hi) with a[i] > x (hi when none).
 * @param {ArrayLike<number>} a sorted ascending
 * @param {number} x
 * @param {number} [lo]
 * @param {number} [hi]
 * @returns {number}
 */
export function upperBound(a, x, lo = 0, hi = a.length) {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
