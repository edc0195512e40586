// Run by tests/e2e/test_pseudo_locale.py on each page shown in the pseudo-locale. Returns
// {untranslated: [{where, text}], layout: [{where, what, text}]}:
// - untranslated: shown text with letters outside the ⟦markers⟧ of a pseudo-translated string
//   and outside data: [translate=no] (names, SKUs, dates, the shopper's own entries…) and
//   [data-content] (what people wrote: descriptions, reviews, the policy text);
// - layout: a page wider than the window, and text cut off or running out of its box.
() => {
  const OPEN = "\u27e6";
  const CLOSE = "\u27e7";
  const MARKED = /\u27e6[^\u27e7]*\u27e7/g;
  const LETTER = /\p{L}/u;
  const viewport = window.innerWidth;
  const clientWidth = document.documentElement.clientWidth;

  const where = (element) => {
    const parts = [];
    for (let e = element; e && e !== document.documentElement; e = e.parentElement) {
      let part = e.localName;
      if (e.id) {
        parts.unshift(`${part}#${e.id}`);
        break;
      }
      const classes = [...e.classList].slice(0, 2);
      if (classes.length) part += `.${classes.join(".")}`;
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const visible = (element) =>
    element.checkVisibility({ checkOpacity: true, checkVisibilityCSS: true });
  // An option is drawn when its list opens: it counts when its select is shown.
  const shown = (element) => visible(element.closest("select") || element);
  const isData = (element) => element.closest("[translate=no], [data-content]") !== null;
  const code = (element) => element.closest("script, style, template, noscript");
  // A text area's text is what the shopper typed.
  const typed = (element) => element.closest("textarea") !== null;

  const untranslated = [];
  const report = (element, text) =>
    untranslated.push({ where: where(element), text: text.trim().slice(0, 160) });

  // Text nodes in document order: a translation may hold markup, so its ⟦ and ⟧ can sit in
  // different nodes; the depth carries across them.
  let depth = 0;
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || code(parent) || typed(parent)) continue;
    let outside = "";
    for (const char of node.data) {
      if (char === OPEN) depth += 1;
      else if (char === CLOSE) depth = Math.max(0, depth - 1);
      else if (depth === 0) outside += char;
    }
    if (LETTER.test(outside) && !isData(parent) && shown(parent)) report(parent, node.data);
  }
  // Words the shopper reads that are not text nodes.
  const attributes = [
    ["input[placeholder], textarea[placeholder]", (e) => e.getAttribute("placeholder")],
    ["input[type=submit][value], input[type=button][value]", (e) => e.value],
  ];
  for (const [selector, read] of attributes) {
    for (const element of document.querySelectorAll(selector)) {
      const text = read(element);
      if (LETTER.test(text.replace(MARKED, "")) && !isData(element) && shown(element)) {
        report(element, text);
      }
    }
  }

  const layout = [];
  const problem = (element, what) =>
    layout.push({
      where: where(element),
      what,
      text: (element.innerText || element.value || "").trim().slice(0, 80),
    });
  const pageWidth = document.documentElement.scrollWidth;
  if (pageWidth > viewport) {
    layout.push({
      where: "html",
      what: `the page scrolls sideways: ${pageWidth}px wide in a ${viewport}px window`,
      text: "",
    });
  }
  const clips = (overflow) => overflow === "hidden" || overflow === "clip";
  const scrolls = (style) => style.overflowX !== "visible";
  const insideScroller = (element) => {
    for (let e = element.parentElement; e && e !== document.body; e = e.parentElement) {
      if (scrolls(getComputedStyle(e))) return true;
    }
    return false;
  };
  const CONTROLS = [
    "button", "a", "label", "summary", "legend", "select", ".button",
    "input[type=submit]", "input[type=button]",
  ].join(", ");
  const REPLACED = new Set([
    "img", "input", "textarea", "select", "video", "iframe", "canvas", "progress", "meter",
  ]);
  for (const element of document.body.querySelectorAll("*")) {
    if (code(element) || element.closest("svg") || !visible(element)) continue;
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    // Visually hidden text (1px, clipped on purpose) is for screen readers only.
    if (box.width <= 1 || box.height <= 1 || style.clip !== "auto") continue;
    const inline = style.display === "inline" || style.display === "contents";
    if (!inline && !REPLACED.has(element.localName)) {
      const wide = element.scrollWidth > element.clientWidth + 1;
      const tall = element.scrollHeight > element.clientHeight + 1;
      const size = (content, room) => `${content}px of content in ${room}px`;
      if (clips(style.overflowX) && wide) {
        problem(element, `text cut off at the side: ${size(element.scrollWidth, element.clientWidth)}`);
      } else if (clips(style.overflowY) && tall) {
        problem(element, `text cut off below: ${size(element.scrollHeight, element.clientHeight)}`);
      } else if (!scrolls(style) && wide && element.matches(CONTROLS)) {
        problem(element, `text runs out of its box: ${size(element.scrollWidth, element.clientWidth)}`);
      }
    }
    if (element.matches(CONTROLS) && !insideScroller(element)) {
      if (box.right > clientWidth + 1) {
        problem(element, `sticks out of the window: right edge at ${Math.round(box.right)}px`);
      } else if (box.left < -1 && box.right > 0) {
        // (Wholly off to the left is hidden on purpose, like the skip link until focused.)
        problem(element, `cut off at the window's left edge: left edge at ${Math.round(box.left)}px`);
      }
    }
  }
  // What makes the page wider than the window: the outermost boxes that stick out, and boxes
  // positioned out of a scrolling box (visually hidden text whose containing block is the page).
  if (pageWidth > viewport) {
    let culprits = 0;
    for (const element of document.body.querySelectorAll("*")) {
      const box = element.getBoundingClientRect();
      if (box.right <= viewport + 1 || culprits >= 10) continue;
      const escapes = ["absolute", "fixed"].includes(getComputedStyle(element).position);
      const parent = element.parentElement.getBoundingClientRect();
      if (escapes || (parent.right <= viewport + 1 && !insideScroller(element))) {
        problem(element, `wider than the window: right edge at ${Math.round(box.right)}px`);
        culprits += 1;
      }
    }
  }
  return { untranslated, layout };
}
