// static/trade/coalesce.js: reloads run one at a time, and a call during a run gets one more.
import assert from "node:assert/strict";
import { test } from "node:test";

import { coalesced } from "../../static/trade/coalesce.js";

function gated() {
  const runs = [];
  const task = () => new Promise((resolve) => runs.push(resolve));
  return { runs, task };
}

test("calls during a run make one more run, after it, never two at once", async () => {
  const { runs, task } = gated();
  const run = coalesced(task);
  const first = run();
  assert.equal(runs.length, 1);
  const second = run();
  const third = run();
  assert.equal(runs.length, 1); // not while the first runs
  runs[0]();
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(runs.length, 2); // one more for both calls
  let settled = false;
  second.then(() => { settled = true; });
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(settled, false); // not before the run that started after it
  runs[1]();
  await Promise.all([first, second, third]);
  assert.equal(runs.length, 2);
});

test("a call after a run has finished starts a new one at once", async () => {
  let count = 0;
  const run = coalesced(async () => { count += 1; });
  await run();
  await run();
  assert.equal(count, 2);
});
