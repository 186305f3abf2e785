// The trading terminal: account bar, market watch, chart, order ticket, positions.
import { ApiError, get, patch, post } from "./api.js";
import { CandleChart } from "./chart.js";
import {
  SCALE, escapeHtml, floorDiv, fmt, fmtPrice, fmtQty, fmtTime, formatUnits,
  isDecimalInput, percent, priceDp, signClass, toUnits, unitsToString,
} from "./format.js";
import { toast } from "./toast.js";
import { LiveSocket } from "./ws.js";

const $ = (id) => document.getElementById(id);
const terminal = $("terminal");

const REASONS = {
  MANUAL: "Manual", PARTIAL: "Partial", STOP_LOSS: "Stop-loss", TAKE_PROFIT: "Take-profit",
  TRAILING_STOP: "Trailing stop", LIQUIDATION: "Liquidation",
};
const STALE_MS = 10000;
const CLOSED_LIMIT = 200;

const state = {
  mmr: toUnits(terminal.dataset.mmr || "0.1"),
  symbols: [],
  quotes: new Map(), // symbol -> {bid, ask, ts, seenAt} (BigInt units)
  dayOpen: new Map(), // symbol -> BigInt units (open of today's 1d candle)
  symbol: null,
  duration: "1m",
  side: "LONG",
  account: null, // server figures (decimal strings)
  open: new Map(), // orderId -> order (+ _pnl BigInt|null)
  closed: [],
  announced: new Set(), // "opened:<id>" / "closed:<id>" already toasted
};

// ---------------------------------------------------------------- helpers

const baseAsset = (symbol) => symbol.replace(/(USDT|USDC|USD)$/, "");

function setMoney(el, value, { sign = false, colour = false } = {}) {
  if (value === null || value === undefined) {
    el.textContent = "—";
    el.dataset.value = "";
    el.removeAttribute("title");
    el.classList.remove("pos", "neg");
    return;
  }
  const units = toUnits(value);
  el.textContent = formatUnits(units, 2, { sign });
  el.dataset.value = typeof value === "bigint" ? unitsToString(value, 8) : String(value);
  el.title = unitsToString(units, 8);
  if (colour) {
    el.classList.toggle("pos", units > 0n);
    el.classList.toggle("neg", units < 0n);
  }
}

function apiFailed(err, title = "Request failed") {
  if (err instanceof ApiError && err.status === 401) {
    signedOut();
    return;
  }
  toast("error", title, err.message || String(err));
}

let leaving = false;
async function signedOut() {
  if (leaving) return;
  leaving = true;
  live?.stop();
  try {
    await post("/api/v1/user/signout"); // clears a stale httpOnly cookie
  } catch { /* already signed out */ }
  location.replace("/signin");
}

function orderPnl(order, quote = state.quotes.get(order.asset)) {
  if (!quote || quote.bid === null) return order._pnl ?? toUnits(order.unrealizedPnl);
  const open = toUnits(order.openPrice);
  const qty = toUnits(order.qty);
  return order.side === "LONG"
    ? floorDiv((quote.bid - open) * qty, SCALE)
    : floorDiv((open - quote.ask) * qty, SCALE);
}

function liqEstimate(side, price, margin, qty) {
  if (qty <= 0n) return null;
  const offset = floorDiv(margin * (SCALE - state.mmr), qty);
  return side === "LONG" ? price - offset : price + offset;
}

// ---------------------------------------------------------------- account bar

function renderAccount() {
  const a = state.account;
  if (!a) return;
  // Between server updates the floating figures follow the live quotes (same formulas).
  let equity = toUnits(a.equity);
  let upnl = toUnits(a.unrealizedPnl);
  let used = toUnits(a.usedMargin);
  let level = a.marginLevel;
  if (state.liveFigures && state.open.size) {
    const balance = toUnits(a.balance);
    equity = balance;
    upnl = 0n;
    used = 0n;
    for (const o of state.open.values()) {
      const margin = toUnits(o.margin);
      const pnl = o._pnl ?? 0n;
      upnl += pnl;
      used += margin;
      const value = margin + pnl;
      equity += value > 0n ? value : 0n;
    }
    level = used > 0n ? unitsToString(floorDiv(equity * 100n * 100n, used) * 1000000n, 2) : null;
  }
  setMoney($("acct-balance"), a.balance);
  setMoney($("acct-equity"), equity);
  setMoney($("acct-used"), used);
  setMoney($("acct-free"), a.freeMargin ?? a.balance);
  setMoney($("acct-upnl"), upnl, { sign: true, colour: true });
  const levelEl = $("acct-level");
  if (level === null || level === undefined) {
    levelEl.textContent = "—";
    levelEl.dataset.value = "";
    levelEl.classList.remove("neg", "warn");
  } else {
    const lv = toUnits(level);
    levelEl.textContent = `${formatUnits(lv, 2)}%`;
    levelEl.dataset.value = String(level);
    levelEl.classList.toggle("neg", lv < 150n * SCALE);
    levelEl.classList.toggle("warn", lv >= 150n * SCALE && lv < 300n * SCALE);
  }
  $("order-free").textContent = `${fmt(a.freeMargin ?? a.balance)} USD`;
}

function setAccount(figures) {
  state.account = figures;
  state.liveFigures = false; // show the server's numbers until the next quote
  renderAccount();
  updateEstimate();
}

async function refreshAccount() {
  try {
    setAccount(await get("/api/v1/order/user/balance"));
  } catch (err) {
    apiFailed(err, "Could not load the account");
  }
}

// ---------------------------------------------------------------- market watch

function watchRow(symbol) {
  return document.querySelector(`#watch-body tr[data-symbol="${CSS.escape(symbol)}"]`);
}

function renderWatch() {
  const body = $("watch-body");
  body.replaceChildren();
  for (const symbol of state.symbols) {
    const tr = document.createElement("tr");
    tr.dataset.symbol = symbol;
    tr.dataset.testid = "asset-row";
    tr.tabIndex = 0;
    tr.setAttribute("aria-label", `Show ${symbol} chart`);
    tr.innerHTML = `
      <th scope="row" title="${escapeHtml(symbol)}"><span class="sym">${escapeHtml(baseAsset(symbol))}</span><span class="quote-ccy">${escapeHtml(symbol.slice(baseAsset(symbol).length))}</span></th>
      <td class="num bid" data-testid="asset-bid">—</td>
      <td class="num ask" data-testid="asset-ask">—</td>
      <td class="num chg" data-testid="asset-change">—</td>`;
    tr.addEventListener("click", () => selectSymbol(symbol));
    tr.addEventListener("keydown", (e) => {
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        selectSymbol(symbol);
      }
    });
    body.append(tr);
    renderQuote(symbol);
  }
  markSelected();
}

function markSelected() {
  for (const tr of document.querySelectorAll("#watch-body tr")) {
    const on = tr.dataset.symbol === state.symbol;
    tr.classList.toggle("selected", on);
    if (on) tr.setAttribute("aria-current", "true");
    else tr.removeAttribute("aria-current");
  }
}

function renderQuote(symbol, prevBid = null) {
  const q = state.quotes.get(symbol);
  const tr = watchRow(symbol);
  if (tr && q) {
    const bidEl = tr.querySelector(".bid");
    const askEl = tr.querySelector(".ask");
    bidEl.textContent = formatUnits(q.bid, priceDp(q.bid));
    askEl.textContent = formatUnits(q.ask, priceDp(q.ask));
    bidEl.dataset.value = unitsToString(q.bid);
    askEl.dataset.value = unitsToString(q.ask);
    const now = Date.now();
    if (prevBid !== null && prevBid !== q.bid && now - (Number(tr.dataset.flashedAt) || 0) > 900) {
      tr.dataset.flashedAt = String(now); // a busy feed would keep every row lit
      const cls = q.bid > prevBid ? "tick-up" : "tick-down";
      for (const el of [bidEl, askEl]) {
        el.classList.remove("tick-up", "tick-down");
        void el.offsetWidth; // restart the flash animation
        el.classList.add(cls);
      }
    }
    const open = state.dayOpen.get(symbol);
    const chg = tr.querySelector(".chg");
    if (open) {
      const mid = (q.bid + q.ask) / 2n;
      const diff = mid - open;
      const p = percent(diff, open, 2);
      chg.textContent = diff > 0n ? `+${p}%` : `${p}%`;
      chg.className = `num chg ${signClass(diff)}`;
    }
    tr.classList.remove("stale");
  }
  if (symbol === state.symbol && q) {
    $("chart-bid").textContent = formatUnits(q.bid, priceDp(q.bid));
    $("chart-ask").textContent = formatUnits(q.ask, priceDp(q.ask));
    $("side-short-price").textContent = formatUnits(q.bid, priceDp(q.bid));
    $("side-long-price").textContent = formatUnits(q.ask, priceDp(q.ask));
    document.title = `${state.symbol} ${formatUnits(q.bid, priceDp(q.bid))} · Velox`;
  }
}

function onQuote(symbol, bidStr, askStr, ts) {
  const prev = state.quotes.get(symbol);
  const q = { bid: toUnits(bidStr), ask: toUnits(askStr), ts, seenAt: Date.now() };
  if (q.bid === null || q.ask === null) return;
  state.quotes.set(symbol, q);
  renderQuote(symbol, prev ? prev.bid : null);
  let touched = false;
  for (const o of state.open.values()) {
    if (o.asset !== symbol) continue;
    o._pnl = orderPnl(o, q);
    updatePositionCells(o);
    touched = true;
  }
  if (touched) {
    state.liveFigures = true;
    renderAccount();
  }
  if (symbol === state.symbol) updateEstimate();
}

function checkStale() {
  const now = Date.now();
  for (const [symbol, q] of state.quotes) {
    const tr = watchRow(symbol);
    if (tr) tr.classList.toggle("stale", now - q.seenAt > STALE_MS);
  }
}

async function loadDayOpens() {
  await Promise.all(state.symbols.map(async (symbol) => {
    try {
      const q = new URLSearchParams({ asset: symbol, duration: "1d", limit: "1" });
      const { candles } = await get(`/api/v1/candles?${q}`);
      if (candles && candles.length) {
        state.dayOpen.set(symbol, toUnits(candles[candles.length - 1].open));
        renderQuote(symbol);
      }
    } catch { /* the change column stays empty */ }
  }));
}

// ---------------------------------------------------------------- chart

let chart = null;

function selectSymbol(symbol) {
  if (symbol === state.symbol) return;
  state.symbol = symbol;
  $("chart-symbol").textContent = symbol;
  $("order-symbol").textContent = symbol;
  $("chart-bid").textContent = "—";
  $("chart-ask").textContent = "—";
  $("side-short-price").textContent = "—";
  $("side-long-price").textContent = "—";
  markSelected();
  renderQuote(symbol);
  updateEstimate();
  loadChart();
  try { localStorage.setItem("velox.symbol", symbol); } catch { /* private mode */ }
}

function selectDuration(duration) {
  if (duration === state.duration) return;
  state.duration = duration;
  for (const b of document.querySelectorAll("#tf-group .tf")) {
    b.setAttribute("aria-pressed", b.dataset.duration === duration ? "true" : "false");
  }
  loadChart();
  try { localStorage.setItem("velox.duration", duration); } catch { /* private mode */ }
}

function loadChart() {
  live.unsubscribe("candles");
  live.subscribe("candles", {
    op: "subscribe", channel: "candles", symbol: state.symbol, duration: state.duration,
  });
  chart.load(state.symbol, state.duration).then(() => chart.setPositionLines([...state.open.values()]));
}

// ---------------------------------------------------------------- order ticket

function setSide(side) {
  state.side = side;
  for (const b of document.querySelectorAll(".side-group .side")) {
    b.setAttribute("aria-pressed", b.dataset.side === side ? "true" : "false");
  }
  updateEstimate();
}

function readMargin() {
  const text = $("order-margin").value.trim();
  if (!isDecimalInput(text)) return null;
  const units = toUnits(text);
  return units > 0n ? units : null;
}

function updateEstimate() {
  const lev = Number($("order-leverage").value);
  $("order-leverage-value").textContent = `${lev}x`;
  const submit = $("order-submit");
  const sideName = state.side === "LONG" ? "Long" : "Short";
  submit.textContent = `Open ${sideName} ${lev}x`;
  submit.classList.toggle("btn-long", state.side === "LONG");
  submit.classList.toggle("btn-short", state.side === "SHORT");
  const q = state.quotes.get(state.symbol);
  const margin = readMargin();
  const ids = ["order-entry", "order-size", "order-notional", "order-liq"];
  if (!q || margin === null) {
    for (const id of ids) $(id).textContent = "—";
    if (q) $("order-entry").textContent = fmtPrice(unitsToString(state.side === "LONG" ? q.ask : q.bid));
    return;
  }
  const price = state.side === "LONG" ? q.ask : q.bid;
  const qty = (margin * BigInt(lev) * SCALE) / price;
  const dp = priceDp(price);
  $("order-entry").textContent = formatUnits(price, dp);
  $("order-size").textContent = qty > 0n
    ? `${fmtQty(unitsToString(qty))} ${baseAsset(state.symbol)}`
    : "too small";
  $("order-notional").textContent = `${formatUnits(floorDiv(qty * price, SCALE), 2)} USD`;
  const liq = liqEstimate(state.side, price, margin, qty);
  $("order-liq").textContent = liq === null ? "—" : formatUnits(liq > 0n ? liq : 0n, dp);
}

function showOrderError(message) {
  const el = $("order-error");
  el.textContent = message;
  el.hidden = !message;
}

function optionalDecimal(id, label, body, key) {
  const input = $(id);
  const text = input.value.trim();
  input.setAttribute("aria-invalid", "false");
  if (!text) return true;
  if (!isDecimalInput(text) || toUnits(text) <= 0n) {
    input.setAttribute("aria-invalid", "true");
    showOrderError(`${label} must be a positive number with at most 8 decimals.`);
    input.focus();
    return false;
  }
  body[key] = text;
  return true;
}

async function submitOrder(event) {
  event.preventDefault();
  showOrderError("");
  const marginInput = $("order-margin");
  const marginText = marginInput.value.trim();
  if (readMargin() === null) {
    marginInput.setAttribute("aria-invalid", "true");
    showOrderError("Margin must be a positive USD amount with at most 8 decimals.");
    marginInput.focus();
    return;
  }
  marginInput.setAttribute("aria-invalid", "false");
  const body = {
    asset: state.symbol,
    side: state.side,
    leverage: Number($("order-leverage").value),
    margin: marginText,
  };
  if (!optionalDecimal("order-sl", "Stop-loss", body, "stopLoss")) return;
  if (!optionalDecimal("order-tp", "Take-profit", body, "takeProfit")) return;
  if (!optionalDecimal("order-trailing", "Trailing stop", body, "trailingStop")) return;
  const submit = $("order-submit");
  submit.disabled = true;
  submit.setAttribute("aria-busy", "true");
  try {
    const order = await post("/api/v1/order/open", body);
    onOrderOpened(order);
    for (const id of ["order-sl", "order-tp", "order-trailing"]) $(id).value = "";
    refreshAccount();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    showOrderError(err.message);
    const field = { stopLoss: "order-sl", takeProfit: "order-tp", trailingStop: "order-trailing", margin: "order-margin" }[err.field];
    if (field) $(field).setAttribute("aria-invalid", "true");
    toast("error", "Order rejected", err.message);
  } finally {
    submit.disabled = false;
    submit.removeAttribute("aria-busy");
  }
}

function marginShare(share) {
  const free = state.account ? toUnits(state.account.freeMargin ?? state.account.balance) : null;
  if (free === null || free <= 0n) return;
  const cents = SCALE / 100n;
  const amount = ((free * BigInt(share)) / 100n / cents) * cents; // floored to cents
  $("order-margin").value = unitsToString(amount, 2);
  updateEstimate();
}

// ---------------------------------------------------------------- positions

function describe(order) {
  return `${order.side} ${fmtQty(order.qty)} ${order.asset} ${order.leverage}x`;
}

function sideBadge(order) {
  const cls = order.side === "LONG" ? "badge-long" : "badge-short";
  return `<span class="badge ${cls}">${order.side === "LONG" ? "Long" : "Short"}</span><span class="lev">${Number(order.leverage)}x</span>`;
}

function stopsText(order) {
  const part = (v) => (v === null || v === undefined ? "—" : fmtPrice(v));
  return `${part(order.stopLoss)} / ${part(order.takeProfit)} / ${part(order.trailingStop)}`;
}

function openRow(orderId) {
  return document.querySelector(`#open-body tr[data-order-id="${CSS.escape(orderId)}"]`);
}

function buildOpenRow(order) {
  const tr = document.createElement("tr");
  tr.dataset.testid = "open-position-row";
  tr.dataset.orderId = order.orderId;
  tr.innerHTML = `
    <td data-label="Position" class="pos-cell"><span class="sym-cell"></span><span class="side-cell"></span></td>
    <td data-label="Size" class="num" data-testid="position-qty"></td>
    <td data-label="Entry" class="num" data-testid="position-entry"></td>
    <td data-label="Mark" class="num" data-testid="position-mark"></td>
    <td data-label="Liq. price" class="num liq" data-testid="position-liq"></td>
    <td data-label="Margin" class="num" data-testid="position-margin"></td>
    <td data-label="SL / TP / Trail" class="num stops" data-testid="position-stops"></td>
    <td data-label="P/L" class="num pnl-cell"><span data-testid="position-pnl"></span><small class="roe" data-testid="position-roe"></small></td>
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
  return tr;
}

function fillOpenRow(tr, order) {
  tr.dataset.asset = order.asset;
  tr.dataset.side = order.side;
  tr.querySelector(".sym-cell").textContent = order.asset;
  tr.querySelector(".side-cell").innerHTML = sideBadge(order);
  tr.querySelector('[data-testid="position-qty"]').textContent = fmtQty(order.qty);
  tr.querySelector('[data-testid="position-entry"]').textContent = fmtPrice(order.openPrice);
  const liq = tr.querySelector('[data-testid="position-liq"]');
  liq.textContent = fmtPrice(order.liquidationPrice);
  liq.dataset.value = order.liquidationPrice ?? "";
  setMoney(tr.querySelector('[data-testid="position-margin"]'), order.margin);
  tr.querySelector('[data-testid="position-stops"]').textContent = stopsText(order);
  const desc = describe(order);
  for (const b of tr.querySelectorAll("button[data-act]")) {
    const act = b.dataset.act;
    const label = act === "partial" ? `Close ${b.dataset.percent}% of ${desc}`
      : act === "close" ? `Close ${desc}`
        : act === "edit" ? `Edit stops of ${desc}` : `Add margin to ${desc}`;
    b.setAttribute("aria-label", label);
  }
  updatePositionCells(order, tr);
}

function updatePositionCells(order, tr = openRow(order.orderId)) {
  if (!tr) return;
  const q = state.quotes.get(order.asset);
  const mark = tr.querySelector('[data-testid="position-mark"]');
  if (q) {
    const m = order.side === "LONG" ? q.bid : q.ask;
    mark.textContent = formatUnits(m, priceDp(m));
  } else {
    mark.textContent = "—";
  }
  const pnl = order._pnl ?? toUnits(order.unrealizedPnl);
  const pnlEl = tr.querySelector('[data-testid="position-pnl"]');
  setMoney(pnlEl, pnl, { sign: true, colour: true });
  const roe = tr.querySelector('[data-testid="position-roe"]');
  const margin = toUnits(order.margin);
  if (pnl !== null && margin > 0n) {
    const p = percent(pnl, margin, 2);
    roe.textContent = pnl > 0n ? `+${p}%` : `${p}%`;
    roe.className = `roe ${signClass(pnl)}`;
  } else {
    roe.textContent = "";
  }
}

function renderOpenMeta() {
  const n = state.open.size;
  $("open-count").textContent = String(n);
  $("open-empty").hidden = n > 0;
  chart?.setPositionLines([...state.open.values()]);
}

function upsertOpen(order) {
  order._pnl = order.unrealizedPnl !== null && order.unrealizedPnl !== undefined
    ? toUnits(order.unrealizedPnl) : orderPnl(order);
  state.open.set(order.orderId, order);
  let tr = openRow(order.orderId);
  if (!tr) {
    tr = buildOpenRow(order);
    // newest first (by openedAt)
    const body = $("open-body");
    const after = [...body.children].find((row) => {
      const other = state.open.get(row.dataset.orderId);
      return other && Number(other.openedAt) < Number(order.openedAt);
    });
    body.insertBefore(tr, after || null);
  }
  fillOpenRow(tr, order);
  renderOpenMeta();
}

function removeOpen(orderId) {
  state.open.delete(orderId);
  openRow(orderId)?.remove();
  renderOpenMeta();
}

function renderClosed() {
  const body = $("closed-body");
  body.replaceChildren();
  for (const o of state.closed.slice(0, CLOSED_LIMIT)) {
    const tr = document.createElement("tr");
    tr.dataset.testid = "closed-position-row";
    tr.dataset.orderId = o.orderId;
    tr.dataset.reason = o.closeReason || "";
    const pnl = toUnits(o.pnl);
    const reason = o.closeReason || "";
    tr.innerHTML = `
      <td data-label="Position" class="pos-cell"><span class="sym-cell">${escapeHtml(o.asset)}</span><span class="side-cell">${sideBadge(o)}</span></td>
      <td data-label="Size" class="num">${escapeHtml(fmtQty(o.qty))}</td>
      <td data-label="Entry" class="num">${escapeHtml(fmtPrice(o.openPrice))}</td>
      <td data-label="Close" class="num">${escapeHtml(fmtPrice(o.closePrice))}</td>
      <td data-label="Reason"><span class="badge reason reason-${escapeHtml(reason.toLowerCase())}" data-testid="close-reason" data-reason="${escapeHtml(reason)}">${escapeHtml(REASONS[reason] || reason || "—")}</span></td>
      <td data-label="Margin" class="num">${escapeHtml(fmt(o.margin))}</td>
      <td data-label="Realized P/L" class="num ${signClass(pnl)}"><span data-testid="realized-pnl" data-value="${escapeHtml(o.pnl ?? "")}" title="${escapeHtml(o.pnl ?? "")}">${escapeHtml(formatUnits(pnl, 2, { sign: true }))}</span></td>
      <td data-label="Closed" class="num muted">${escapeHtml(fmtTime(o.closedAt))}</td>`;
    body.append(tr);
  }
  $("closed-empty").hidden = state.closed.length > 0;
}

function addClosed(order) {
  if (state.closed.some((o) => o.orderId === order.orderId)) return;
  state.closed.unshift(order);
  state.closed.sort((a, b) => Number(b.closedAt) - Number(a.closedAt));
  renderClosed();
}

// ---------------------------------------------------------------- order events

function announceOnce(key) {
  if (state.announced.has(key)) return false;
  state.announced.add(key);
  return true;
}

function onOrderOpened(order) {
  if (order.status === "CLOSED") return onOrderClosed(order);
  upsertOpen(order);
  if (announceOnce(`opened:${order.orderId}`)) {
    toast("success", `Filled: ${order.side === "LONG" ? "Long" : "Short"} ${order.asset} ${order.leverage}x`,
      `${fmtQty(order.qty)} ${baseAsset(order.asset)} @ ${fmtPrice(order.openPrice)} · margin ${fmt(order.margin)} USD`);
  }
}

function onOrderClosed(order) {
  if (state.open.has(order.orderId)) removeOpen(order.orderId);
  addClosed(order);
  if (!announceOnce(`closed:${order.orderId}`)) return;
  const pnl = toUnits(order.pnl);
  const pnlText = `P/L ${formatUnits(pnl, 2, { sign: true })} USD`;
  const what = `${order.side === "LONG" ? "Long" : "Short"} ${order.asset} ${order.leverage}x`;
  const at = `${fmtQty(order.qty)} ${baseAsset(order.asset)} @ ${fmtPrice(order.closePrice)}`;
  switch (order.closeReason) {
    case "LIQUIDATION":
      toast("liquidation", `Liquidated: ${what}`, `${at} · ${pnlText}`);
      break;
    case "STOP_LOSS":
      toast("warn", `Stop-loss hit: ${what}`, `${at} · ${pnlText}`);
      break;
    case "TRAILING_STOP":
      toast("warn", `Trailing stop hit: ${what}`, `${at} · ${pnlText}`);
      break;
    case "TAKE_PROFIT":
      toast("success", `Take-profit hit: ${what}`, `${at} · ${pnlText}`);
      break;
    case "PARTIAL":
      toast("info", `Partially closed: ${what}`, `${at} · ${pnlText}`);
      break;
    default:
      toast("info", `Closed: ${what}`, `${at} · ${pnlText}`);
  }
}

function onOrderUpdated(order) {
  if (order.status === "CLOSED") return onOrderClosed(order);
  upsertOpen(order);
}

// ---------------------------------------------------------------- row actions

async function closeOrder(order, percentValue, button) {
  button.disabled = true;
  try {
    if (percentValue) {
      const res = await post(`/api/v1/order/close/${encodeURIComponent(order.orderId)}`, { percent: percentValue });
      if (res.closed) onOrderClosed(res.closed);
      if (res.order) onOrderUpdated(res.order);
    } else {
      onOrderClosed(await post(`/api/v1/order/close/${encodeURIComponent(order.orderId)}`));
    }
    refreshAccount();
  } catch (err) {
    if (err instanceof ApiError && err.code === "ORDER_CLOSED") {
      removeOpen(order.orderId);
      loadClosed();
    }
    apiFailed(err, "Close failed");
  } finally {
    button.disabled = false;
  }
}

function dialogError(dialog, message) {
  const el = dialog.querySelector(".form-error");
  el.textContent = message;
  el.hidden = !message;
}

let editing = null;

function openEdit(order) {
  editing = order;
  const dialog = $("edit-dialog");
  $("edit-desc").textContent = describe(order);
  $("edit-sl").value = order.stopLoss === null ? "" : unitsToString(toUnits(order.stopLoss), priceDp(toUnits(order.stopLoss)));
  $("edit-tp").value = order.takeProfit === null ? "" : unitsToString(toUnits(order.takeProfit), priceDp(toUnits(order.takeProfit)));
  $("edit-trailing").value = order.trailingStop === null ? "" : unitsToString(toUnits(order.trailingStop), 2);
  for (const id of ["edit-sl", "edit-tp", "edit-trailing"]) $(id).dataset.initial = $(id).value;
  dialogError(dialog, "");
  dialog.showModal();
  $("edit-sl").focus();
}

async function saveEdit(event) {
  event.preventDefault();
  const dialog = $("edit-dialog");
  const order = editing;
  if (!order) return dialog.close();
  const body = {};
  const fields = [["edit-sl", "stopLoss", "Stop-loss"], ["edit-tp", "takeProfit", "Take-profit"], ["edit-trailing", "trailingStop", "Trailing stop"]];
  for (const [id, key, label] of fields) {
    const input = $(id);
    const text = input.value.trim();
    if (text === input.dataset.initial) continue; // unchanged: leave it as it is
    if (!text) {
      body[key] = null;
    } else if (isDecimalInput(text) && toUnits(text) > 0n) {
      body[key] = text;
    } else {
      input.setAttribute("aria-invalid", "true");
      return dialogError(dialog, `${label} must be a positive number with at most 8 decimals.`);
    }
    input.setAttribute("aria-invalid", "false");
  }
  if (!Object.keys(body).length) return dialog.close();
  try {
    onOrderUpdated(await patch(`/api/v1/order/${encodeURIComponent(order.orderId)}`, body));
    dialog.close();
    toast("info", `Stops updated: ${order.asset}`, stopsText(state.open.get(order.orderId) || order));
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    dialogError(dialog, err.message);
  }
}

let margining = null;

function openMargin(order) {
  margining = order;
  const dialog = $("margin-dialog");
  $("margin-desc").textContent = describe(order);
  $("margin-amount").value = "";
  $("margin-free").textContent = state.account ? fmt(state.account.freeMargin ?? state.account.balance) : "—";
  $("margin-liq").textContent = fmtPrice(order.liquidationPrice);
  dialogError(dialog, "");
  dialog.showModal();
  $("margin-amount").focus();
}

function previewMargin() {
  const order = margining;
  if (!order) return;
  const text = $("margin-amount").value.trim();
  if (!isDecimalInput(text)) {
    $("margin-liq").textContent = fmtPrice(order.liquidationPrice);
    return;
  }
  const open = toUnits(order.openPrice);
  const liq = liqEstimate(order.side, open, toUnits(order.margin) + toUnits(text), toUnits(order.qty));
  $("margin-liq").textContent = liq === null ? "—" : formatUnits(liq > 0n ? liq : 0n, priceDp(open));
}

async function saveMargin(event) {
  event.preventDefault();
  const dialog = $("margin-dialog");
  const order = margining;
  if (!order) return dialog.close();
  const text = $("margin-amount").value.trim();
  if (!isDecimalInput(text) || toUnits(text) <= 0n) {
    $("margin-amount").setAttribute("aria-invalid", "true");
    return dialogError(dialog, "Amount must be a positive USD amount with at most 8 decimals.");
  }
  $("margin-amount").setAttribute("aria-invalid", "false");
  try {
    onOrderUpdated(await post(`/api/v1/order/${encodeURIComponent(order.orderId)}/margin`, { amount: text }));
    dialog.close();
    refreshAccount();
    toast("info", `Margin added: ${order.asset}`, `${fmt(text)} USD · new liq. price ${fmtPrice(state.open.get(order.orderId)?.liquidationPrice)}`);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    dialogError(dialog, err.message);
  }
}

function onPositionAction(event) {
  const button = event.target.closest("button[data-act]");
  if (!button) return;
  const tr = button.closest("tr");
  const order = state.open.get(tr.dataset.orderId);
  if (!order) return;
  switch (button.dataset.act) {
    case "close": return closeOrder(order, null, button);
    case "partial": return closeOrder(order, Number(button.dataset.percent), button);
    case "edit": return openEdit(order);
    case "margin": return openMargin(order);
    default: return undefined;
  }
}

// ---------------------------------------------------------------- data loading

async function loadOpen() {
  const { orders } = await get("/api/v1/order/user/orders?status=OPEN");
  const seen = new Set();
  for (const o of orders) {
    seen.add(o.orderId);
    upsertOpen(o);
  }
  for (const id of [...state.open.keys()]) if (!seen.has(id)) removeOpen(id);
  renderOpenMeta();
}

async function loadClosed() {
  const wasOpen = new Set(state.open.keys());
  const { orders } = await get("/api/v1/order/user/orders?status=CLOSED");
  state.closed = orders;
  renderClosed();
  for (const o of orders) {
    // A position we showed as open that closed while the socket was down still gets its
    // toast (a liquidation must not pass unnoticed); older history does not.
    if (wasOpen.has(o.orderId)) onOrderClosed(o);
    else state.announced.add(`closed:${o.orderId}`);
  }
}

async function loadAssets() {
  const { assets } = await get("/api/v1/assets");
  state.symbols = assets.map((a) => a.symbol);
  for (const a of assets) {
    if (a.bid !== null && a.bid !== undefined && a.ask !== null && a.ask !== undefined) {
      state.quotes.set(a.symbol, { bid: toUnits(a.bid), ask: toUnits(a.ask), ts: a.timestamp, seenAt: Date.now() });
    }
  }
}

async function checkHealth() {
  try {
    const res = await fetch("/healthz", { headers: { Accept: "application/json" } });
    const h = await res.json();
    $("sim-banner").hidden = !(h.feed && h.feed.simulated);
    const banner = $("engine-banner");
    if (h.engine && h.engine !== "READY") {
      banner.textContent = `The trading engine is ${String(h.engine).toLowerCase()}: orders are paused until it is ready.`;
      banner.hidden = false;
      setTimeout(checkHealth, 3000);
    } else {
      banner.hidden = true;
    }
  } catch { /* the connection indicator tells the story */ }
}

/** After a (re)connect: anything may have happened meanwhile, so reload the state. */
async function resync() {
  try {
    await Promise.all([refreshAccount(), checkHealth(), loadClosed().then(loadOpen)]);
  } catch (err) {
    apiFailed(err, "Could not refresh");
  }
}

// ---------------------------------------------------------------- websocket

function onMessage(msg) {
  switch (msg.type) {
    case "price_update":
      if (msg.data) onQuote(msg.symbol, msg.data.bidPrice, msg.data.askPrice, msg.data.timestamp);
      break;
    case "candle":
      chart.onCandle(msg);
      break;
    case "order_opened":
      onOrderOpened(msg.data);
      break;
    case "order_updated":
      onOrderUpdated(msg.data);
      break;
    case "order_closed":
      onOrderClosed(msg.data);
      break;
    case "balance":
      setAccount(msg.data);
      break;
    case "error":
      if (msg.error) toast("error", "Server", msg.error.message || String(msg.error));
      break;
    default:
      break;
  }
}

function onConnState(stateName, label) {
  const el = $("conn");
  el.dataset.state = stateName;
  $("conn-label").textContent = label;
}

let live = null;
let connectedOnce = false;

// ---------------------------------------------------------------- wiring

function bindTabs() {
  const tabs = [...document.querySelectorAll('.toolbox [role="tab"]')];
  const select = (tab) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    }
  };
  tabs.forEach((tab, i) => {
    tab.tabIndex = tab.getAttribute("aria-selected") === "true" ? 0 : -1;
    tab.addEventListener("click", () => select(tab));
    tab.addEventListener("keydown", (e) => {
      if (e.key !== "ArrowRight" && e.key !== "ArrowLeft") return;
      const next = tabs[(i + (e.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
      select(next);
      next.focus();
    });
  });
}

function bindUi() {
  for (const b of document.querySelectorAll(".side-group .side")) {
    b.addEventListener("click", () => setSide(b.dataset.side));
  }
  $("order-leverage").addEventListener("input", updateEstimate);
  $("order-margin").addEventListener("input", updateEstimate);
  $("order-form").addEventListener("submit", submitOrder);
  for (const chip of document.querySelectorAll("#margin-chips .chip")) {
    chip.addEventListener("click", () => marginShare(Number(chip.dataset.share)));
  }
  for (const b of document.querySelectorAll("#tf-group .tf")) {
    b.addEventListener("click", () => selectDuration(b.dataset.duration));
  }
  $("open-body").addEventListener("click", onPositionAction);
  $("edit-form").addEventListener("submit", saveEdit);
  $("margin-form").addEventListener("submit", saveMargin);
  $("margin-amount").addEventListener("input", previewMargin);
  for (const b of document.querySelectorAll("dialog [data-close]")) {
    b.addEventListener("click", () => b.closest("dialog").close());
  }
  $("signout").addEventListener("click", async () => {
    live?.stop();
    try {
      await post("/api/v1/user/signout");
    } catch { /* signed out anyway */ }
    location.assign("/");
  });
  bindTabs();
}

async function main() {
  bindUi();
  let me;
  try {
    me = await get("/api/v1/user/me");
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return signedOut();
    toast("error", "Could not load your account", err.message);
    return undefined;
  }
  $("user-email").textContent = me.user ? me.user.email : "";
  try {
    await loadAssets();
  } catch (err) {
    apiFailed(err, "Could not load the assets");
  }
  let saved = null;
  let savedDuration = null;
  try {
    saved = localStorage.getItem("velox.symbol");
    savedDuration = localStorage.getItem("velox.duration");
  } catch { /* private mode */ }
  state.symbol = state.symbols.includes(saved) ? saved : (state.symbols[0] || "BTCUSDT");
  if (savedDuration && document.querySelector(`#tf-group .tf[data-duration="${CSS.escape(savedDuration)}"]`)) {
    state.duration = savedDuration;
  }
  for (const b of document.querySelectorAll("#tf-group .tf")) {
    b.setAttribute("aria-pressed", b.dataset.duration === state.duration ? "true" : "false");
  }
  $("chart-symbol").textContent = state.symbol;
  $("order-symbol").textContent = state.symbol;
  renderWatch();
  renderClosed();
  renderOpenMeta();
  updateEstimate();

  chart = new CandleChart($("chart"), $("chart-empty"));
  live = new LiveSocket({
    onMessage,
    onState: onConnState,
    onAuthFailed: signedOut,
    onOpen: () => {
      const conn = $("conn");
      conn.dataset.connects = String(Number(conn.dataset.connects || 0) + 1);
      // the first load happens below; later (re)connects resync what may have been missed
      if (connectedOnce) resync();
      connectedOnce = true;
    },
  });
  loadChart();
  await resync();
  live.start();
  loadDayOpens();
  setInterval(checkStale, 2000);
  return undefined;
}

main();
