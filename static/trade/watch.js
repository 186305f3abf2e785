// The market watch: one row per asset with its live bid and ask, the change since today's
// open, a flash on every move and a grey row when its quotes stop.
import { get } from "../api.js";
import {
  baseAsset, escapeHtml, formatUnits, percent, priceDp, signClass, toUnits, unitsToString,
} from "../format.js";
import { $ } from "./dom.js";

const STALE_MS = 10000;
const DAY_MS = 86400000;
const DAY_RELOAD_GAP_MS = 5000; // the new day's candle may not be written at its first quote
const FLASH_GAP_MS = 900; // a busy feed would otherwise keep every row lit

function watchRow(symbol) {
  return document.querySelector(`#watch-body tr[data-symbol="${CSS.escape(symbol)}"]`);
}

function buildRow(symbol, choose) {
  const tr = document.createElement("tr");
  const base = baseAsset(symbol);
  tr.dataset.symbol = symbol;
  tr.dataset.testid = "asset-row";
  // a real button (Enter and Space, a control to assistive technology); the whole row
  // stays a pointer target. Its name starts with what it shows (voice control).
  tr.innerHTML = `
    <th scope="row" title="${escapeHtml(symbol)}"><button type="button" class="watch-pick" data-testid="asset-button" aria-label="${escapeHtml(symbol)}: show chart"><span class="sym">${escapeHtml(base)}</span><span class="quote-ccy">${escapeHtml(symbol.slice(base.length))}</span></button></th>
    <td class="num bid" data-testid="asset-bid">—</td>
    <td class="num ask" data-testid="asset-ask">—</td>
    <td class="num chg" data-testid="asset-change">—</td>`;
  tr.addEventListener("click", () => choose(symbol)); // the button's click comes here too
  return tr;
}

function flash(tr, cells, up) {
  const now = Date.now();
  if (now - (Number(tr.dataset.flashedAt) || 0) <= FLASH_GAP_MS) return;
  tr.dataset.flashedAt = String(now);
  for (const el of cells) {
    el.classList.remove("tick-up", "tick-down");
    void el.offsetWidth; // restart the animation
    el.classList.add(up ? "tick-up" : "tick-down");
  }
}

export function mountWatch({ store }) {
  const choose = (symbol) => store.select("symbol", symbol);

  function renderQuote({ symbol, previous }) {
    const q = store.quotes.get(symbol);
    const tr = watchRow(symbol);
    if (!tr || !q) return;
    const bidEl = tr.querySelector(".bid");
    const askEl = tr.querySelector(".ask");
    bidEl.textContent = formatUnits(q.bid, priceDp(q.bid));
    askEl.textContent = formatUnits(q.ask, priceDp(q.ask));
    bidEl.dataset.value = unitsToString(q.bid);
    askEl.dataset.value = unitsToString(q.ask);
    if (previous && previous.bid !== q.bid) flash(tr, [bidEl, askEl], q.bid > previous.bid);
    const day = store.dayOpen.get(symbol);
    const chg = tr.querySelector(".chg");
    if (day && q.ts >= day.start + DAY_MS) {
      // A quote of a later UTC day: the open held is yesterday's (a screen left open past
      // midnight), so the change is blank until the new day's open is read.
      chg.textContent = "—";
      chg.className = "num chg";
      reloadDayOpens();
    } else if (day) {
      const diff = (q.bid + q.ask) / 2n - day.price;
      const p = percent(diff, day.price, 2);
      chg.textContent = diff > 0n ? `+${p}%` : `${p}%`;
      chg.className = `num chg ${signClass(diff)}`;
    }
    tr.classList.remove("stale");
  }

  function markSelected() {
    for (const tr of document.querySelectorAll("#watch-body tr")) {
      const on = tr.dataset.symbol === store.symbol;
      tr.classList.toggle("selected", on);
      for (const el of [tr, tr.querySelector("button")]) {
        if (!el) continue;
        if (on) el.setAttribute("aria-current", "true");
        else el.removeAttribute("aria-current");
      }
    }
  }

  /** The asset list and its last quotes, from the server. */
  async function load() {
    const { assets } = await get("/api/v1/assets");
    store.setSymbols(assets.map((a) => a.symbol));
    $("watch-body").replaceChildren(...store.symbols.map((s) => buildRow(s, choose)));
    for (const a of assets) {
      if (a.bid !== null && a.bid !== undefined && a.ask !== null && a.ask !== undefined) {
        store.setQuote(a.symbol, toUnits(a.bid), toUnits(a.ask), a.timestamp, Date.now());
      }
    }
    markSelected();
  }

  /** Today's open of every asset (the "Daily" column); an asset without one stays blank. */
  async function loadDayOpens() {
    await Promise.all(store.symbols.map(async (symbol) => {
      try {
        const q = new URLSearchParams({ asset: symbol, duration: "1d", limit: "1" });
        const { candles } = await get(`/api/v1/candles?${q}`);
        const last = candles && candles[candles.length - 1];
        if (last) store.setDayOpen(symbol, toUnits(last.open), last.time);
      } catch { /* the change column stays empty */ }
    }));
  }

  let dayReloadAt = 0;
  /** Read the opens again once a quote of a new UTC day arrives (at most every few seconds
   * until the new day's candle is there). */
  function reloadDayOpens() {
    const now = Date.now();
    if (now - dayReloadAt < DAY_RELOAD_GAP_MS) return;
    dayReloadAt = now;
    loadDayOpens();
  }

  function checkStale() {
    const now = Date.now();
    for (const [symbol, q] of store.quotes) {
      watchRow(symbol)?.classList.toggle("stale", now - q.seenAt > STALE_MS);
    }
  }

  store.on("quote", renderQuote);
  store.on("symbol", markSelected);
  return { load, loadDayOpens, checkStale };
}
