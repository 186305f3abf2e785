// The live websocket: a fresh one-time ticket for every connection, reconnect with
// exponential backoff and jitter, subscriptions restored after a reconnect, ping keepalive
// and a watchdog that drops a silent connection. `onReady` says when the socket carries the
// followed account's news: state read over HTTP from then on misses nothing.
import { ApiError, get } from "./api.js";

const PING_MS = 20000;
const SILENCE_MS = 70000; // the server heartbeats every 30 s and answers our pings
const BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 30000;
// the messages about the followed account (the rest are everyone's: prices, candles)
const OWN = new Set(["order_opened", "order_updated", "order_closed", "order_pending", "order_cancelled", "fill", "balance"]);

export class LiveSocket {
  constructor({ onMessage, onState, onOpen, onReady, onAuthFailed }) {
    this.onMessage = onMessage;
    this.onState = onState;
    this.onOpen = onOpen || (() => {});
    this.onReady = onReady || (() => {});
    this.onAuthFailed = onAuthFailed || (() => {});
    this.ws = null;
    this.attempts = 0;
    this.subs = new Map(); // key -> subscribe message
    this.account = null; // the account followed (null: the server's default, the first)
    this.switching = false; // until the server acknowledges a switch, messages are the old account's
    this.timers = { ping: null, retry: null, countdown: null };
    this.lastMessage = 0;
    this.stopped = false;
    this.connecting = false;
    window.addEventListener("online", () => this.reconnectNow());
    window.addEventListener("offline", () => this.setState("offline", "Offline"));
  }

  setState(state, label) {
    this.state = state;
    this.onState(state, label);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    if (this.ws) this.ws.close(1000, "bye");
  }

  clearTimers() {
    clearInterval(this.timers.ping);
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.countdown);
    this.timers = { ping: null, retry: null, countdown: null };
  }

  reconnectNow() {
    if (this.stopped || this.connecting) return;
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      // The socket outlived the blip: say so (the "offline" event set "Offline") and ping
      // now, so a socket that died silently meanwhile is caught by the watchdog.
      this.setState("live", "Live");
      this.sendRaw({ op: "ping" });
      return;
    }
    if (this.ws && this.ws.readyState === WebSocket.CONNECTING) {
      this.setState("connecting", "Reconnecting…");
      return;
    }
    this.clearTimers();
    this.connect();
  }

  async connect() {
    if (this.stopped || this.connecting) return;
    this.connecting = true;
    this.setState("connecting", this.attempts ? "Reconnecting…" : "Connecting…");
    let ticket;
    try {
      ticket = (await get("/api/v1/user/ws-ticket")).ticket;
    } catch (err) {
      this.connecting = false;
      if (err instanceof ApiError && err.status === 401) {
        this.setState("offline", "Signed out");
        this.onAuthFailed();
        return;
      }
      this.scheduleReconnect();
      return;
    }
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const url = `${scheme}//${location.host}/ws?ticket=${encodeURIComponent(ticket)}`;
    let ws;
    try {
      ws = new WebSocket(url);
    } catch {
      this.connecting = false;
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.addEventListener("open", () => {
      this.connecting = false;
      this.attempts = 0;
      this.lastMessage = Date.now();
      this.setState("live", "Live");
      this.switching = false;
      if (this.account) this.sendFollow(); // ready once the server acknowledges it
      for (const msg of this.subs.values()) this.sendRaw(msg);
      this.timers.ping = setInterval(() => this.keepalive(), PING_MS);
      this.onOpen();
      if (!this.account) this.onReady(); // the server's default account, followed already
    });
    ws.addEventListener("message", (event) => {
      this.lastMessage = Date.now();
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      if (!msg || msg.type === "pong") return;
      if (msg.type === "account") {
        if ((msg.accountId ?? null) !== this.account) return; // an earlier switch's
        this.switching = false;
        this.onReady();
        return;
      }
      if (this.switching && OWN.has(msg.type)) return; // the previous account's
      this.onMessage(msg);
    });
    ws.addEventListener("close", () => {
      if (this.ws !== ws) return;
      this.connecting = false;
      this.ws = null;
      clearInterval(this.timers.ping);
      if (!this.stopped) this.scheduleReconnect();
    });
    ws.addEventListener("error", () => { /* "close" follows and reconnects */ });
  }

  keepalive() {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return;
    if (Date.now() - this.lastMessage > SILENCE_MS) {
      this.ws.close(4000, "silent"); // the close handler reconnects
      return;
    }
    this.sendRaw({ op: "ping" });
  }

  scheduleReconnect() {
    if (this.stopped) return;
    if (!navigator.onLine) {
      this.setState("offline", "Offline");
      return;
    }
    const ceiling = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** Math.min(this.attempts, 16));
    const delay = ceiling / 2 + Math.random() * (ceiling / 2);
    this.attempts += 1;
    const due = Date.now() + delay;
    const show = () => {
      const s = Math.max(0, Math.ceil((due - Date.now()) / 1000));
      this.setState("reconnecting", s > 0 ? `Reconnecting in ${s}s` : "Reconnecting…");
    };
    show();
    clearInterval(this.timers.countdown);
    this.timers.countdown = setInterval(show, 1000);
    clearTimeout(this.timers.retry);
    this.timers.retry = setTimeout(() => {
      clearInterval(this.timers.countdown);
      this.connect();
    }, delay);
  }

  sendRaw(msg) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(JSON.stringify(msg));
      return true;
    }
    return false;
  }

  /**
   * Follow `accountId` (SPEC 13): its orders and figures only, from the acknowledgement on
   * (then `onReady`, on this connection and every later one).
   */
  follow(accountId) {
    this.account = accountId || null;
    this.sendFollow();
  }

  sendFollow() {
    this.switching = this.sendRaw({ op: "account", accountId: this.account });
  }

  subscribe(key, msg) {
    this.subs.set(key, msg);
    this.sendRaw(msg);
  }

  unsubscribe(key) {
    const msg = this.subs.get(key);
    if (!msg) return;
    this.subs.delete(key);
    this.sendRaw({ ...msg, op: "unsubscribe" });
  }
}
