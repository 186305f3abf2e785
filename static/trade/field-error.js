// Errors tied to their field (WCAG 3.3.1): the field the error is about is marked
// aria-invalid and names the error text in aria-describedby (its hint kept beside it), until
// the trader changes it. A server refusal names its field, or its code says which it is.

/** Refusal code -> the request field it is about, when the server names none. */
export const CODE_FIELDS = {
  INSUFFICIENT_BALANCE: "margin",
  MARGIN_TOO_SMALL: "margin",
  INVALID_STOP_LOSS: "stopLoss",
  INVALID_TAKE_PROFIT: "takeProfit",
  WOULD_TRIGGER_IMMEDIATELY: "price",
  WOULD_NOT_FILL: "price",
  LEVERAGE_MISMATCH: "leverage",
};

/** The request field an error is about: its own `field`, else its code's (`renamed` maps
 * a field to a form's own name: the margin dialog calls "margin" "amount"); null if none. */
export function errorField(err, renamed = {}) {
  const field = (err && (err.field || CODE_FIELDS[err.code])) || null;
  return field && Object.hasOwn(renamed, field) ? renamed[field] : field;
}

/** An id list (aria-describedby) with `id` in it or not, the others kept in order. */
export function withId(list, id, on) {
  const ids = (list || "").split(/\s+/).filter((t) => t && t !== id);
  if (on) ids.push(id);
  return ids.join(" ");
}

function link(input, errorId, invalid) {
  input.setAttribute("aria-invalid", invalid ? "true" : "false");
  const ids = withId(input.getAttribute("aria-describedby"), errorId, invalid);
  if (ids) input.setAttribute("aria-describedby", ids);
  else input.removeAttribute("aria-describedby");
}

/**
 * A form's fields (request field -> input id) and its error line: `mark(field)` ties the
 * error to that field (null: to none); a field the trader changes is no longer marked.
 */
export function fieldErrors(inputs, errorEl) {
  const els = () => Object.entries(inputs).map(([key, id]) => [key, document.getElementById(id)]);
  for (const [, input] of els()) {
    const clear = () => { if (input.getAttribute("aria-invalid") === "true") link(input, errorEl.id, false); };
    input.addEventListener("input", clear);
    input.addEventListener("change", clear);
  }
  return {
    mark(field) {
      for (const [key, input] of els()) link(input, errorEl.id, key === field);
    },
  };
}
