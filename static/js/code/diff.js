// code/diff.js: a line diff of two programs (longest common subsequence over lines), for the compare
// page: what changed between two code runs ("with the lock moved"). Programs are at most 64 KiB, so the
// common prefix and suffix are cut first and the quadratic table is only for the changed middle; past
// MAX_CELLS it gives up on alignment and shows the middle as removed then added (still correct, less tidy).

const MAX_CELLS = 4_000_000;

/**
 * @typedef {{op: "same"|"del"|"add", text: string, a: number|null, b: number|null}} DiffLine
 * a / b: 1-based line numbers in each program (null where the line is not in that one)
 */

/**
 * @param {string} left
 * @param {string} right
 * @returns {DiffLine[]}
 */
export function diffLines(left, right) {
  const a = split(left);
  const b = split(right);
  let pre = 0;
  while (pre < a.length && pre < b.length && a[pre] === b[pre]) pre++;
  let suf = 0;
  while (suf < a.length - pre && suf < b.length - pre && a[a.length - 1 - suf] === b[b.length - 1 - suf]) suf++;
  /** @type {DiffLine[]} */
  const out = [];
  for (let i = 0; i < pre; i++) out.push({ op: "same", text: a[i], a: i + 1, b: i + 1 });
  const am = a.slice(pre, a.length - suf);
  const bm = b.slice(pre, b.length - suf);
  for (const line of middle(am, bm)) {
    out.push({ ...line, a: line.a === null ? null : line.a + pre, b: line.b === null ? null : line.b + pre });
  }
  for (let k = suf; k > 0; k--) out.push({ op: "same", text: a[a.length - k], a: a.length - k + 1, b: b.length - k + 1 });
  return out;
}

/** @param {string} text @returns {string[]} */
function split(text) {
  if (!text) return [];
  const lines = text.split(/\r?\n/);
  if (lines[lines.length - 1] === "") lines.pop(); // a final newline ends the last line, it is no line
  return lines;
}

/**
 * @param {string[]} a
 * @param {string[]} b
 * @returns {DiffLine[]} 1-based line numbers within a and b
 */
function middle(a, b) {
  const n = a.length;
  const m = b.length;
  if (n * m > MAX_CELLS) {
    return [
      ...a.map((text, i) => ({ op: /** @type {const} */ ("del"), text, a: i + 1, b: null })),
      ...b.map((text, j) => ({ op: /** @type {const} */ ("add"), text, a: null, b: j + 1 })),
    ];
  }
  // len[i][j]: the LCS length of a[i:] and b[j:], one flat array
  const len = new Uint32Array((n + 1) * (m + 1));
  const at = (/** @type {number} */ i, /** @type {number} */ j) => i * (m + 1) + j;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[at(i, j)] = a[i] === b[j] ? len[at(i + 1, j + 1)] + 1 : Math.max(len[at(i + 1, j)], len[at(i, j + 1)]);
    }
  }
  /** @type {DiffLine[]} */
  const out = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push({ op: "same", text: a[i], a: i + 1, b: j + 1 });
      i++;
      j++;
    } else if (j < m && (i >= n || len[at(i, j + 1)] > len[at(i + 1, j)])) {
      out.push({ op: "add", text: b[j], a: null, b: j + 1 });
      j++;
    } else {
      out.push({ op: "del", text: a[i], a: i + 1, b: null });
      i++;
    }
  }
  return out;
}

/**
 * Only the changes, each with `context` unchanged lines around it; a skipped stretch becomes one
 * {op: "skip", count} entry.
 * @param {DiffLine[]} lines
 * @param {number} context
 * @returns {(DiffLine | {op: "skip", count: number})[]}
 */
export function hunks(lines, context = 2) {
  const keep = lines.map(() => false);
  lines.forEach((l, k) => {
    if (l.op === "same") return;
    for (let c = Math.max(0, k - context); c <= Math.min(lines.length - 1, k + context); c++) keep[c] = true;
  });
  /** @type {(DiffLine | {op: "skip", count: number})[]} */
  const out = [];
  let skipped = 0;
  lines.forEach((l, k) => {
    if (keep[k]) {
      if (skipped) out.push({ op: "skip", count: skipped });
      skipped = 0;
      out.push(l);
    } else skipped++;
  });
  if (skipped) out.push({ op: "skip", count: skipped });
  return out;
}
