// code/editor.js: the Python editor of "Edit and run" (CodeMirror 6, the vendored bundle): highlighting,
// line numbers, undo, search, Ctrl/Cmd+Enter to run, and one marked line (a syntax error or the line a
// traceback points at) with a ✖ in the gutter and a text label, so the mark never rests on colour alone.
// Its type follows the page's (rem): the projector theme (`p`) makes it larger. Colours are the page's
// custom properties (code.css), so the dark and the projector highlight styles are the themes' own.
//
// The editor lives in a shadow root: CodeMirror adds its own styles, and the page's Content Security Policy
// (style-src 'self') refuses <style> elements but not a shadow root's constructed style sheets. Custom
// properties inherit into it, so the theme's colours and type still reach the editor.
//
// Escape, then Tab, leaves the editor (CodeMirror's own escape hatch for Tab, which indents inside it).

import {
  Compartment, Decoration, EditorState, EditorView, GutterMarker, HighlightStyle, RangeSetBuilder, StateEffect, StateField,
  bracketMatching, defaultKeymap, drawSelection, gutter, highlightActiveLine, highlightActiveLineGutter,
  highlightSelectionMatches, highlightSpecialChars, history, historyKeymap, indentOnInput, indentUnit,
  indentWithTab, keymap, lineNumbers, python, searchKeymap, syntaxHighlighting, tags,
} from "../../vendor/codemirror-6.44.2/codemirror.min.js";

/** Python tokens -> the page's colour properties (code.css sets them for each theme). */
const STYLE = HighlightStyle.define([
  { tag: [tags.keyword, tags.controlKeyword, tags.definitionKeyword, tags.moduleKeyword, tags.operatorKeyword], color: "var(--py-kw)", fontWeight: "700" },
  { tag: [tags.string, tags.special(tags.string)], color: "var(--py-str)" },
  { tag: tags.comment, color: "var(--py-com)", fontStyle: "italic" },
  { tag: [tags.number, tags.bool, tags.null], color: "var(--py-num)" },
  { tag: [tags.function(tags.definition(tags.variableName)), tags.definition(tags.className)], color: "var(--py-fn)" },
  { tag: [tags.standard(tags.variableName), tags.self], color: "var(--py-bi)" },
  { tag: tags.meta, color: "var(--py-deco)" },
]);

/**
 * A long line wraps (no sideways scrolling on a projector) with a hanging indent: its continuation rows
 * start one level deeper than the line's own indentation, never at column 0. A class per level (the CSP
 * refuses style attributes), its padding and negative text-indent in the theme, in `ch` of the mono font.
 */
const HANG_LEVELS = 12;
const HANG = Array.from({ length: HANG_LEVELS + 1 }, (_, n) => Decoration.line({ class: `cm-hang-${n}` }));
const HANG_THEME = Object.fromEntries(HANG.map((_, n) => [`.cm-line.cm-hang-${n}`, { paddingLeft: `calc(${n * 4 + 4}ch + 6px)`, textIndent: `-${n * 4 + 4}ch` }]));

/** @param {any} doc */
function hangs(doc) {
  const b = new RangeSetBuilder();
  for (let i = 1; i <= doc.lines; i++) {
    const line = doc.line(i);
    const lead = /^[ \t]*/.exec(line.text)?.[0] ?? "";
    const cols = lead.length + 3 * (lead.split("\t").length - 1); // a tab: 4 columns
    b.add(line.from, line.from, HANG[Math.min(HANG_LEVELS, Math.floor(cols / 4))]);
  }
  return b.finish();
}

const hangField = StateField.define({
  create: (/** @type {any} */ state) => hangs(state.doc),
  update: (/** @type {any} */ deco, /** @type {any} */ tr) => (tr.docChanged ? hangs(tr.state.doc) : deco),
  provide: (/** @type {any} */ f) => EditorView.decorations.from(f),
});

const THEME = EditorView.theme({
  "&": { height: "100%", flex: "1 1 auto", minHeight: "0", fontSize: "0.95rem", backgroundColor: "var(--code-bg)", color: "var(--code-ink)" },
  ".cm-scroller": { fontFamily: "var(--font-mono)", lineHeight: "1.5" },
  ".cm-content": { caretColor: "var(--text)" },
  ".cm-cursor, .cm-dropCursor": { borderLeftColor: "var(--text)", borderLeftWidth: "2px" },
  ".cm-gutters": { backgroundColor: "var(--panel)", color: "var(--dim)", borderRight: "1px solid var(--border)" },
  ".cm-activeLine": { backgroundColor: "var(--cm-active)" },
  ".cm-activeLineGutter": { backgroundColor: "var(--cm-active)", color: "var(--text)" },
  "&.cm-focused .cm-selectionBackground, .cm-selectionBackground, ::selection": { backgroundColor: "var(--cm-selection) !important" },
  ".cm-error-line": { backgroundColor: "var(--cm-error-bg)", outline: "2px solid var(--bad)", outlineOffset: "-2px" },
  ".cm-error-gutter .cm-gutterElement": { color: "var(--bad)", fontWeight: "800", padding: "0 4px" },
  ...HANG_THEME,
}, { dark: true });

/** @type {any} */
const setMark = StateEffect.define();

class ErrorMarker extends GutterMarker {
  toDOM() {
    const el = document.createElement("span");
    el.textContent = "✖";
    el.setAttribute("aria-hidden", "true");
    return el;
  }
}
const ERROR_MARKER = new ErrorMarker();

/** The marked line (1-based, 0: none), moved along with edits above it. */
const markField = StateField.define({
  create: () => 0,
  /** @param {number} line @param {any} tr */
  update(line, tr) {
    for (const e of tr.effects) if (e.is(setMark)) return e.value;
    if (!line || !tr.docChanged) return line;
    const old = tr.startState.doc;
    if (line > old.lines) return 0;
    return tr.state.doc.lineAt(tr.changes.mapPos(old.line(line).from)).number;
  },
  /** @param {any} f */
  provide: (f) => [
    EditorView.decorations.from(f, (line) => (/** @type {any} */ view) => lineDeco(view.state, line)),
  ],
});

/** @param {any} state @param {number} line */
function lineDeco(state, line) {
  if (!line || line > state.doc.lines) return Decoration.none;
  const at = state.doc.line(line).from;
  return Decoration.set([Decoration.line({ class: "cm-error-line", attributes: { "data-error-line": String(line) } }).range(at)]);
}

const errorGutter = gutter({
  class: "cm-error-gutter",
  /** @param {any} view @param {any} line */
  lineMarker: (view, line) => {
    const mark = view.state.field(markField);
    return mark && mark <= view.state.doc.lines && view.state.doc.line(mark).from === line.from ? ERROR_MARKER : null;
  },
  lineMarkerChange: (/** @type {any} */ update) => update.startState.field(markField) !== update.state.field(markField),
  initialSpacer: () => ERROR_MARKER,
});

export class CodeEditor {
  /**
   * @param {HTMLElement} parent
   * @param {{onRun?: () => void, onChange?: () => void, label?: string}} [options] onRun: Ctrl/Cmd+Enter
   */
  constructor(parent, options = {}) {
    this.options = options;
    this.readOnly = new Compartment();
    const host = document.createElement("div");
    host.className = "code-host";
    parent.append(host);
    const shadow = host.attachShadow({ mode: "open" });
    this.locked = false;
    /** @type {any[]} */
    this.extensions = [
      keymap.of([
        { key: "Mod-Enter", preventDefault: true, run: () => (this.options.onRun?.(), true) },
        ...defaultKeymap, ...historyKeymap, ...searchKeymap, indentWithTab,
      ]),
      lineNumbers(), errorGutter, highlightActiveLineGutter(), highlightSpecialChars(), history(), drawSelection(),
      indentOnInput(), bracketMatching(), highlightActiveLine(), highlightSelectionMatches(),
      indentUnit.of("    "), EditorState.tabSize.of(4),
      python(), syntaxHighlighting(STYLE), THEME, markField, EditorView.lineWrapping, hangField, // no sideways scrolling on a projector
      this.readOnly.of([]),
      // tabindex: focusable when read-only too (a follower scrolls it with the keyboard)
      EditorView.contentAttributes.of({ "aria-label": options.label ?? "Python", "data-testid": "code-editor", tabindex: "0" }),
      EditorView.updateListener.of((/** @type {any} */ u) => {
        if (u.docChanged) this.options.onChange?.();
      }),
    ];
    this.view = new EditorView({ parent: shadow, root: shadow, state: EditorState.create({ doc: "", extensions: this.extensions }) });
  }

  /** @returns {string} */
  get text() {
    return this.view.state.doc.toString();
  }

  /**
   * Load a program: a fresh document with no mark and an empty undo history (undo never goes back to
   * another program, or to the blank page shown while this one loaded).
   * @param {string} text
   */
  load(text) {
    this.view.setState(EditorState.create({ doc: text, extensions: this.extensions }));
    if (this.locked) this.setReadOnly(true);
  }

  /** @param {boolean} on no edits (a follower, or code runs are off) */
  setReadOnly(on) {
    this.locked = on;
    this.view.dispatch({ effects: this.readOnly.reconfigure(on ? [EditorState.readOnly.of(true), EditorView.editable.of(false)] : []) });
  }

  /**
   * Mark a line (1-based; 0 clears) and bring it into view, with the cursor on it.
   * @param {number} line
   * @param {number} [col] 1-based column for the cursor
   */
  mark(line, col = 1) {
    const doc = this.view.state.doc;
    if (!line || line > doc.lines) {
      this.view.dispatch({ effects: setMark.of(0) });
      return;
    }
    const l = doc.line(line);
    const at = Math.min(l.to, l.from + Math.max(0, col - 1));
    this.view.dispatch({ effects: [setMark.of(line), EditorView.scrollIntoView(at, { y: "center" })], selection: { anchor: at } });
  }

  /** @returns {number} the marked line, 0 for none */
  get marked() {
    return this.view.state.field(markField);
  }

  focus() {
    this.view.focus();
  }
}
