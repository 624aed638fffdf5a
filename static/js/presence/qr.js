// presence/qr.js: a QR code of a URL as an inline SVG, made in the browser by the vendored
// qrcode-generator (static/vendor/qrcode-generator-2.0.4, MIT): nothing goes over the network.

import qrcode from "../../vendor/qrcode-generator-2.0.4/qrcode.mjs";

const SVG = "http://www.w3.org/2000/svg";

/**
 * An <svg> of `text` as a QR code (error correction M, four modules of quiet zone), black on white
 * whatever the theme, since phone cameras expect that. `data-text` holds what it encodes.
 * @param {string} text
 * @param {string} label accessible name
 * @returns {SVGSVGElement}
 */
export function qrSvg(text, label) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const quiet = 4;
  const size = n + 2 * quiet;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) if (qr.isDark(r, c)) d += `M${c + quiet} ${r + quiet}h1v1h-1z`;
  }
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", `0 0 ${size} ${size}`);
  svg.setAttribute("shape-rendering", "crispEdges");
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", label);
  svg.setAttribute("class", "qr");
  svg.dataset.text = text;
  const bg = document.createElementNS(SVG, "rect");
  bg.setAttribute("width", String(size));
  bg.setAttribute("height", String(size));
  bg.setAttribute("fill", "#fff");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", d);
  path.setAttribute("fill", "#000");
  svg.append(bg, path);
  return svg;
}
