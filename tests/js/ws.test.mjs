// static/ws.js: the connection indicator follows the socket, not only the browser's
// online/offline events (a blip while the websocket stays open ends "Live" again).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

class FakeSocket extends EventTarget {
  static CONNECTING = 0;
  static OPEN = 1;
  static CLOSING = 2;
  static CLOSED = 3;
  constructor(url) {
    super();
    this.url = url;
    this.readyState = FakeSocket.CONNECTING;
    this.sent = [];
    FakeSocket.made.push(this);
  }
  send(data) {
    this.sent.push(JSON.parse(data));
  }
  close() {
    this.readyState = FakeSocket.CLOSED;
    this.dispatchEvent(new Event("close"));
  }
  opened() {
    this.readyState = FakeSocket.OPEN;
    this.dispatchEvent(new Event("open"));
  }
}
FakeSocket.made = [];

globalThis.window = new EventTarget();
globalThis.WebSocket = FakeSocket;
globalThis.location = { protocol: "http:", host: "velox.test" };
Object.defineProperty(globalThis, "navigator", { value: { onLine: true }, configurable: true });
globalThis.fetch = async () => ({
  ok: true,
  status: 200,
  headers: { get: () => "application/json" },
  json: async () => ({ ticket: "t" }),
  text: async () => JSON.stringify({ ticket: "t" }),
});

const { LiveSocket } = await import("../../static/ws.js");

const tick = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("network blips", () => {
  test("offline then online while the socket stays open: Live again, no second socket", async () => {
    const states = [];
    const live = new LiveSocket({ onMessage: () => {}, onState: (s, label) => states.push([s, label]) });
    live.start();
    try {
      for (let i = 0; i < 10 && FakeSocket.made.length === 0; i += 1) await tick();
      assert.equal(FakeSocket.made.length, 1);
      FakeSocket.made[0].opened();
      assert.deepEqual(states.at(-1), ["live", "Live"]);

      navigator.onLine = false;
      window.dispatchEvent(new Event("offline"));
      assert.deepEqual(states.at(-1), ["offline", "Offline"]);
      navigator.onLine = true;
      window.dispatchEvent(new Event("online"));
      await tick();
      assert.deepEqual(states.at(-1), ["live", "Live"]);
      assert.equal(FakeSocket.made.length, 1); // the open socket is kept
      assert.deepEqual(FakeSocket.made[0].sent.at(-1), { op: "ping" }); // checked at once
    } finally {
      live.stop();
    }
  });
});
