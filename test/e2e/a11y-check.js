/* global document, getComputedStyle, NodeFilter */
// Runs inside the page (page.evaluate); plain JS because the root tsconfig has no DOM types.
// biome-ignore lint/correctness/noUnusedVariables: called by harness.ts
function a11yCheck() {
  const problems = [];
  const visible = (el) => {
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  for (const el of document.querySelectorAll('input, select, textarea')) {
    const input = el;
    if (input.type === 'hidden' || (!visible(input) && !input.labels?.length)) continue;
    const named =
      (input.labels && input.labels.length > 0) ||
      input.getAttribute('aria-label') ||
      input.getAttribute('aria-labelledby');
    if (!named) problems.push(`unlabelled ${input.tagName.toLowerCase()}#${input.id || '?'}`);
  }
  for (const el of document.querySelectorAll('button, a[href]')) {
    if (!visible(el)) continue;
    const name = (el.textContent ?? '').trim() || el.getAttribute('aria-label') || el.getAttribute('title');
    if (!name) problems.push(`unnamed ${el.tagName.toLowerCase()}`);
  }
  const parse = (c) => {
    const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(c);
    return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : null;
  };
  const lum = (c) => {
    const f = (v) => {
      const s = v / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  };
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const s = getComputedStyle(e);
      if (s.backgroundImage !== 'none') return null; // gradients/images: not measurable this way
      const c = parse(s.backgroundColor);
      if (c && c.a >= 0.99) return c;
    }
    return { r: 255, g: 255, b: 255 };
  };
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || seen.has(el) || !(n.textContent ?? '').trim() || !visible(el)) continue;
    seen.add(el);
    const s = getComputedStyle(el);
    const fg = parse(s.color);
    const bg = background(el);
    if (!fg || !bg || el.disabled) continue;
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const large =
      Number.parseFloat(s.fontSize) >= 24 || (Number.parseFloat(s.fontSize) >= 18.5 && +s.fontWeight >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`contrast ${ratio.toFixed(2)} on "${(n.textContent ?? '').trim().slice(0, 30)}"`);
    }
  }
  return problems;
}
