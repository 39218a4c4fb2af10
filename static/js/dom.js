// Writes to the page that happen only when the value changes. A render that runs on every
// message must not touch what it leaves as it was: an attribute, a title or a text set to
// the value it already has still restyles the element (and at 500 processes such a render
// runs a hundred times a second).

/** Set each of el's properties (textContent, title, hidden, disabled, ...) that differs. */
export function setProps(el, props) {
  for (const [key, value] of Object.entries(props)) {
    if (el[key] !== value) el[key] = value;
  }
}

/** Set an attribute (data-* ones too, by their attribute name) unless it already reads so. */
export function setAttr(el, name, value) {
  const text = String(value);
  if (el.getAttribute(name) !== text) el.setAttribute(name, text);
}
