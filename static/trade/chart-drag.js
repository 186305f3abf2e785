// The markers and price lines drawn over the candle chart, and dragging a line (a stop-loss,
// take-profit or pending order's): methods of CandleChart (chart.js), kept here to keep it short.
import { DRAG_FIELDS, diffLines, dragPrice } from "./chart-lines.js";
import { toChartTime } from "./chart-time.js";

const GRAB_PX = 6; // how close to a draggable line a press must be to take it
const GRAB_TOUCH_PX = 16; // ... with a finger, less precise than a mouse
const MOVE_PX = 3; // a press that moves less is a click, not a drag

export const lineMethods = {
  /** Markers ({time (s), position, color, shape, text}, oldest first) for closes and fills,
   * at their bars' chart times. */
  setMarkers(markers) {
    if (!this.chart) return;
    this.markers.setMarkers(markers.map((m) => ({ ...m, time: toChartTime(m.time, this.duration) })));
    this.container.dataset.markers = String(markers.length);
  },

  /** The y (px, in the chart) of the line `key`, or null when it is not drawn or off-scale. */
  lineY(key) {
    const entry = this.lines.get(key);
    if (!entry || !this.series) return null;
    return this.series.priceToCoordinate(Number(entry.handle.options().price));
  },

  /**
   * Make the drawn price lines be `lines` ({key, price, color, title, style, draggable}, see
   * trade/chart-lines.js): only lines that are new, moved or gone are touched, and a line
   * being dragged keeps following the pointer.
   */
  syncLines(lines) {
    if (!this.chart) return;
    const before = new Map([...this.lines].map(([key, entry]) => [key, entry.spec]));
    const { added, changed, removed } = diffLines(before, lines);
    for (const key of removed) {
      this.series.removePriceLine(this.lines.get(key).handle);
      this.lines.delete(key);
      if (this.drag && this.drag.key === key) this.endDrag(null);
    }
    for (const spec of changed) {
      const entry = this.lines.get(spec.key);
      entry.spec = spec;
      if (this.drag && this.drag.key === spec.key) continue;
      entry.handle.applyOptions({ price: Number(spec.price), title: spec.title, color: spec.color });
    }
    const styles = { dashed: this.LWC.LineStyle.Dashed, dotted: this.LWC.LineStyle.Dotted };
    for (const spec of added) {
      const handle = this.series.createPriceLine({
        price: Number(spec.price), color: spec.color, lineWidth: spec.draggable ? 2 : 1,
        lineStyle: styles[spec.style], axisLabelVisible: true, title: spec.title,
      });
      this.lines.set(spec.key, { spec, handle });
    }
    this.lineOps += added.length + changed.length + removed.length;
    this.container.dataset.lines = String(this.lines.size);
    this.container.dataset.lineOps = String(this.lineOps);
  },

  /** The draggable line within `grab` px of `y`, nearest first. */
  lineAt(y, grab = GRAB_PX) {
    let best = null;
    for (const [key, entry] of this.lines) {
      if (!entry.spec.draggable) continue;
      const at = this.series.priceToCoordinate(Number(entry.spec.price));
      if (at === null) continue;
      const distance = Math.abs(at - y);
      if (distance <= grab && (!best || distance < best.distance)) best = { key, entry, distance };
    }
    return best;
  },

  /** Drag a stop-loss or take-profit line: it follows the pointer and, on release, asks
   * `onLineDrag`; a refusal (false) puts the line back where it was. */
  bindDrag() {
    const el = this.container;
    const yOf = (e) => e.clientY - el.getBoundingClientRect().top;
    el.addEventListener("pointerdown", (e) => {
      if (e.button !== 0 || !this.onLineDrag) return;
      const hit = this.lineAt(yOf(e), e.pointerType === "touch" ? GRAB_TOUCH_PX : GRAB_PX);
      if (!hit) return;
      e.preventDefault();
      e.stopPropagation();
      this.chart.applyOptions({ handleScroll: false, handleScale: false });
      el.setPointerCapture(e.pointerId);
      this.drag = { key: hit.key, spec: hit.entry.spec, startY: yOf(e), price: null };
      el.dataset.dragging = hit.key;
    }, { capture: true });
    el.addEventListener("pointermove", (e) => {
      if (!this.drag) {
        el.style.cursor = this.onLineDrag && this.lineAt(yOf(e)) ? "ns-resize" : "";
        return;
      }
      const price = this.series.coordinateToPrice(yOf(e));
      if (price === null || Math.abs(yOf(e) - this.drag.startY) < MOVE_PX) return;
      this.drag.price = dragPrice(price, this.precision);
      if (this.drag.price) this.lines.get(this.drag.key).handle.applyOptions({ price: Number(this.drag.price) });
    }, { capture: true });
    // A finger: the page would take the gesture as a scroll (touch-action is auto, so the
    // page stays scrollable on a phone) and cancel the pointer. While a line is held, the
    // touch's default is prevented: the line moves, the page does not (pointerdown comes
    // before touchstart, so the grab is known by then).
    const holdTouch = (e) => { if (this.drag && e.cancelable) e.preventDefault(); };
    el.addEventListener("touchstart", holdTouch, { capture: true, passive: false });
    el.addEventListener("touchmove", holdTouch, { capture: true, passive: false });
    const release = (e) => {
      if (!this.drag) return;
      if (el.hasPointerCapture(e.pointerId)) el.releasePointerCapture(e.pointerId);
      this.endDrag(this.drag.price);
    };
    el.addEventListener("pointerup", release, { capture: true });
    el.addEventListener("pointercancel", (e) => {
      if (this.drag) this.drag.price = null;
      release(e);
    }, { capture: true });
  },

  /** The drag is over: ask for `price` (null: nothing to ask), else put the line back. */
  async endDrag(price) {
    const { key, spec } = this.drag;
    this.drag = null;
    delete this.container.dataset.dragging;
    this.chart.applyOptions({ handleScroll: true, handleScale: true });
    const putBack = () => {
      const entry = this.lines.get(key);
      if (entry) entry.handle.applyOptions({ price: Number(entry.spec.price) });
    };
    if (price === null || !this.lines.has(key)) return putBack();
    const kept = await this.onLineDrag({
      orderId: spec.orderId, kind: spec.kind, field: DRAG_FIELDS[spec.kind], price,
    });
    if (!kept) putBack();
    return undefined;
  },
};
