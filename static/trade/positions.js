// The open positions table: a row per position, newest first, its mark price, PnL and
// return on margin following every quote of its asset. P/L comes right after the size: the
// action buttons stay pinned at the right of a table wider than its panel, over whatever
// column is last, and the figure a trader watches must never be the one under them.
import {
  fmtPrice, fmtQty, formatUnits, percent, priceDp, signClass, toUnits,
} from "../format.js";
import { exitPrice } from "../estimates.js";
import { $, restoreRowFocus, rowFocus, setMoney } from "./dom.js";
import { describe, sideBadge, stopsText } from "./labels.js";

const ROW = `
  <td data-label="Position" class="pos-cell"><span class="sym-cell"></span><span class="side-cell"></span></td>
  <td data-label="Size" class="num" data-testid="position-qty"></td>
  <td data-label="P/L" class="num pnl-cell"><span data-testid="position-pnl"></span><small class="roe" data-testid="position-roe"></small></td>
  <td data-label="Entry" class="num" data-testid="position-entry"></td>
  <td data-label="Mark" class="num" data-testid="position-mark"></td>
  <td data-label="Liq. price" class="num liq" data-testid="position-liq"></td>
  <td data-label="Margin" class="num" data-testid="position-margin"></td>
  <td data-label="Fees / Funding" class="num costs"><span data-testid="position-fee"></span> / <span data-testid="position-funding"></span></td>
  <td data-label="SL / TP / Trail" class="num stops" data-testid="position-stops"></td>
  <td class="actions">
    <div class="row-actions">
      <div class="partial" role="group" aria-label="Partial close">
        <button type="button" class="btn btn-xs" data-act="partial" data-percent="25" data-testid="partial-close">25%</button>
        <button type="button" class="btn btn-xs" data-act="partial" data-percent="50" data-testid="partial-close">50%</button>
        <button type="button" class="btn btn-xs" data-act="partial" data-percent="75" data-testid="partial-close">75%</button>
      </div>
      <button type="button" class="btn btn-xs" data-act="edit" data-testid="edit-button">SL/TP</button>
      <button type="button" class="btn btn-xs" data-act="margin" data-testid="add-margin-button">+Margin</button>
      <button type="button" class="btn btn-xs btn-close" data-act="close" data-testid="close-button">Close</button>
    </div>
  </td>`;

const FRAME_BUDGET_MS = 6; // of row updates per animation frame, for quotes

const cell = (tr, testid) => tr.querySelector(`[data-testid="${testid}"]`);

/** A button's accessible name starts with its visible text (voice control: "click SL/TP"). */
function actionLabel(button, desc) {
  switch (button.dataset.act) {
    case "partial": return `${button.dataset.percent}%: close ${button.dataset.percent}% of ${desc}`;
    case "close": return `Close ${desc}`;
    case "edit": return `SL/TP: edit stops of ${desc}`;
    default: return `+Margin: add margin to ${desc}`;
  }
}

/** The row of an open position, if shown. */
export function openRow(orderId) {
  return document.querySelector(`#open-body tr[data-order-id="${CSS.escape(orderId)}"]`);
}

export function mountPositions({ store }) {
  const body = $("open-body");

  const liveCells = new WeakMap(); // row -> its cells a quote changes (found once, not per tick)
  function cellsOf(tr) {
    let cells = liveCells.get(tr);
    if (!cells) {
      cells = { mark: cell(tr, "position-mark"), pnl: cell(tr, "position-pnl"), roe: cell(tr, "position-roe") };
      liveCells.set(tr, cells);
    }
    return cells;
  }

  function showLive(order, tr) {
    const q = store.quotes.get(order.asset);
    const mark = q ? exitPrice(order.side, q) : null;
    const { mark: markCell, pnl: pnlCell, roe } = cellsOf(tr);
    markCell.textContent = mark === null ? "—" : formatUnits(mark, priceDp(mark));
    const pnl = store.pnlOf(order);
    setMoney(pnlCell, pnl, { sign: true, colour: true });
    const margin = toUnits(order.margin);
    if (margin > 0n) {
      const p = percent(pnl, margin, 2);
      roe.textContent = pnl > 0n ? `+${p}%` : `${p}%`;
      roe.className = `roe ${signClass(pnl)}`;
    } else {
      roe.textContent = "";
    }
  }

  function fill(tr, order) {
    tr.dataset.asset = order.asset;
    tr.dataset.side = order.side;
    tr.querySelector(".sym-cell").textContent = order.asset;
    tr.querySelector(".side-cell").innerHTML = sideBadge(order);
    cell(tr, "position-qty").textContent = fmtQty(order.qty);
    cell(tr, "position-entry").textContent = fmtPrice(order.openPrice);
    const liq = cell(tr, "position-liq");
    liq.textContent = fmtPrice(order.liquidationPrice);
    liq.dataset.value = order.liquidationPrice ?? "";
    setMoney(cell(tr, "position-margin"), order.margin);
    // what the position paid in fees (SPEC 12) and its net funding (+ received, - paid)
    setMoney(cell(tr, "position-fee"), order.fee ?? "0");
    setMoney(cell(tr, "position-funding"), order.funding ?? "0", { sign: true, colour: true });
    cell(tr, "position-stops").textContent = stopsText(order);
    const desc = describe(order);
    for (const b of tr.querySelectorAll("button[data-act]")) b.setAttribute("aria-label", actionLabel(b, desc));
    showLive(order, tr);
  }

  const rows = new Map(); // orderId -> its row (a lookup, not a search of 5,000 rows)

  const shown = new WeakMap(); // row -> the description it shows (a resync repeats most)

  /** The row of `order`, filled in (unless it shows that already); a new one is not placed. */
  function rowOf(order) {
    let tr = rows.get(order.orderId);
    if (!tr) {
      tr = document.createElement("tr");
      tr.dataset.testid = "open-position-row";
      tr.dataset.orderId = order.orderId;
      tr.dataset.openedAt = String(order.openedAt);
      tr.innerHTML = ROW;
      rows.set(order.orderId, tr);
    }
    const description = JSON.stringify(order);
    if (shown.get(tr) !== description) fill(tr, order);
    shown.set(tr, description);
    return tr;
  }

  function upsert(order) {
    if (rows.has(order.orderId)) return void rowOf(order);
    const tr = rowOf(order);
    const after = [...body.children].find((row) => Number(row.dataset.openedAt) < Number(order.openedAt));
    body.insertBefore(tr, after || null); // newest first
  }

  function showCount() {
    $("open-count").textContent = String(store.open.size);
    $("open-empty").hidden = store.open.size > 0;
  }

  function remove(order) {
    rows.get(order.orderId)?.remove();
    rows.delete(order.orderId);
  }

  /** Many changes at once (a load, a resync, a switch of account): the table once. */
  function applyBatch(changes) {
    const focus = rowFocus(body);
    for (const { kind, order } of changes) {
      if (kind === "closed") remove(order);
      else rowOf(order);
    }
    const list = [...store.open.values()].filter((o) => rows.has(o.orderId));
    list.sort((a, b) => Number(b.openedAt) - Number(a.openedAt)); // newest first
    const wanted = list.map((o) => rows.get(o.orderId));
    const now = body.children;
    if (wanted.length !== now.length || wanted.some((tr, i) => now[i] !== tr)) body.replaceChildren(...wanted);
    showCount();
    restoreRowFocus(body, focus, $("open-empty"));
  }

  store.on("position", (detail) => {
    if (detail.kind === "batch") return applyBatch(detail.changes);
    const { kind, order } = detail;
    if (kind !== "closed") {
      upsert(order);
      return showCount();
    }
    const tr = rows.get(order.orderId);
    const focus = tr ? rowFocus(body) : null; // a Close pressed by keyboard keeps the focus
    remove(order);
    showCount();
    return restoreRowFocus(body, focus, $("open-empty"));
  });

  // Quotes come many a second: the ticked assets' rows are updated once per frame, a few
  // milliseconds' worth a frame (thousands of rows: the rest at the next frames, with the
  // quote of then), so a tick never blocks the page.
  const ticked = new Set();
  const stale = new Set(); // orderIds whose row waits for the latest quote
  let frame = 0;
  function showTicks() {
    frame = 0;
    if (ticked.size) {
      for (const o of store.open.values()) if (ticked.has(o.asset)) stale.add(o.orderId);
      ticked.clear();
    }
    const until = performance.now() + FRAME_BUDGET_MS;
    for (const id of stale) {
      stale.delete(id);
      const o = store.open.get(id);
      const tr = o && rows.get(id);
      if (tr) showLive(o, tr);
      if (performance.now() > until) break;
    }
    if (stale.size && !frame) frame = requestAnimationFrame(showTicks);
  }
  store.on("quote", ({ symbol }) => {
    ticked.add(symbol);
    if (!frame) frame = requestAnimationFrame(showTicks);
  });
  showCount();
}
