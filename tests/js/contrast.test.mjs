// static/app.css: text colours reach WCAG AA (4.5:1) on every panel they are shown on, focus
// rings and control borders 3:1. Computed from the :root variables, as a browser would.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

const css = readFileSync(new URL("../../static/app.css", import.meta.url), "utf8");
const root = css.slice(css.indexOf(":root {"), css.indexOf("}", css.indexOf(":root {")));
const vars = Object.fromEntries([...root.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1], m[2]]));
const colour = (name) => (name.startsWith("#") ? name : vars[name]);

function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((v) => (v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

export function contrast(a, b) {
  const [hi, lo] = [luminance(colour(a)), luminance(colour(b))].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

const PANELS = ["bg", "panel", "panel-2", "panel-3"];

test("the formula: white on black is 21:1, a colour on itself 1:1", () => {
  assert.equal(Math.round(contrast("#ffffff", "#000000")), 21);
  assert.equal(contrast("#3b82f6", "#3b82f6"), 1);
});

test("small text colours reach 4.5:1 on every panel", () => {
  for (const text of ["text", "text-2", "muted", "red", "green", "warn"]) {
    for (const panel of PANELS) {
      const ratio = contrast(text, panel);
      assert.ok(ratio >= 4.5, `--${text} on --${panel}: ${ratio.toFixed(2)}:1`);
    }
  }
  for (const panel of ["bg", "panel"]) {
    assert.ok(contrast("link", panel) >= 4.5, `--link on --${panel}`);
  }
});

test("white text on the accent and on the strong red (buttons, badges) reaches 4.5:1", () => {
  assert.ok(contrast("#ffffff", "accent") >= 4.5, `white on --accent: ${contrast("#ffffff", "accent").toFixed(2)}`);
  assert.ok(contrast("#ffffff", "red-strong") >= 4.5, "white on --red-strong");
  // the rules that put white text on them use them
  assert.match(css, /\.btn-primary \{[^}]*background: var\(--accent\)[^}]*color: #fff/);
  assert.match(css, /\.btn-short \{[^}]*background: var\(--red-strong\)[^}]*color: #fff/);
  assert.match(css, /\.reason-liquidation \{[^}]*background: var\(--red-strong\)[^}]*color: #fff/);
});

test("focus rings and the accent's borders reach 3:1 on every panel", () => {
  for (const panel of PANELS) {
    assert.ok(contrast("focus", panel) >= 3, `--focus on --${panel}`);
    assert.ok(contrast("accent", panel) >= 3, `--accent on --${panel}`);
  }
});

// an rgba() tint as the browser paints it over `panel`
function over(tint, panel) {
  const [r, g, b, a] = tint.match(/rgba\(([^)]+)\)/)[1].split(",").map(Number);
  const under = colour(panel);
  return "#" + [r, g, b].map((v, i) => {
    const base = parseInt(under.slice(1 + 2 * i, 3 + 2 * i), 16);
    return Math.round(v * a + base * (1 - a)).toString(16).padStart(2, "0");
  }).join("");
}

test("the LONG and SHORT badges' text reaches 4.5:1 on their tint over every panel", () => {
  // (a keyboard review: the SHORT badge's red on its red tint was 4.07:1 on --panel-3)
  const tints = Object.fromEntries([...root.matchAll(/--([\w-]+-bg):\s*(rgba\([^)]+\))\s*;/g)].map((m) => [m[1], m[2]]));
  for (const side of ["long", "short"]) {
    const rule = css.match(new RegExp(`\\.badge-${side} \\{ background: var\\(--([\\w-]+)\\); color: var\\(--([\\w-]+)\\); \\}`));
    assert.ok(rule, `.badge-${side} sets a tint and a text colour`);
    const [, tint, text] = rule;
    for (const panel of PANELS) {
      const ratio = contrast(text, over(tints[tint], panel));
      assert.ok(ratio >= 4.5, `.badge-${side} on --${panel}: ${ratio.toFixed(2)}:1`);
    }
  }
});
