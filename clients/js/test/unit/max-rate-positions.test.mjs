// Unit tests of a maxRate subscription's positions (PROTOCOL.md §12.1 rule 15) on a clock the test moves:
// dedupe per partition and key, the confirmed positions, the resume position that lags, the bounded key memory.
import { test } from "node:test";
import assert from "node:assert/strict";
import { MaxRatePositions } from "../../dist/max-rate-positions.js";

/** maxRate 2: a slot every 0.5 s, a lag of 1.5 s with the margin, a sample at most every 375 ms. */
function positions() {
  const clock = { now: 0 };
  const p = new MaxRatePositions(2, () => clock.now);
  return { p, clock };
}

test("max_rate positions: a key's record held for its slot is new after a later offset of another key", () => {
  const { p } = positions();
  p.merge(0, -1n);
  assert.equal(p.accept(0, 0n, "a"), true);
  assert.equal(p.accept(0, 2n, "b"), true, "b's slot was free");
  assert.equal(p.accept(0, 1n, "a"), true, "a@1 waited for a's slot: not a duplicate of b@2");
  assert.equal(p.accept(0, 1n, "a"), false, "a@1 again");
  assert.equal(p.accept(0, 1n, "b"), false, "older than b@2");
  assert.equal(p.accept(0, 3n, undefined), true);
  assert.equal(p.accept(0, 3n, undefined), false, "keyless records share one slot");
  assert.equal(p.accept(1, 0n, "a"), true, "another partition: a key of its own");
  assert.deepEqual(p.toList(), [{ partition: 0, offset: -1n }], "nothing is 1.5 s old yet: the positions lag");
});

test("max_rate positions: the positions the gateway vouches for discard every key at or below them", () => {
  const { p } = positions();
  p.merge(0, 10n); // subscribed
  assert.equal(p.accept(0, 9n, "a"), false);
  assert.equal(p.accept(0, 11n, "a"), true);
  p.gap(0, 20n);
  assert.equal(p.accept(0, 20n, "b"), false);
  p.merge(0, 30n); // a GoAway's
  p.merge(0, 25n);
  assert.equal(p.accept(0, 30n, "c"), false);
  assert.equal(p.accept(0, 31n, "c"), true);
  assert.deepEqual(p.toList(), [{ partition: 0, offset: 30n }]);
});

test("max_rate positions: the resume position is the highest offset received a lag before the last record", () => {
  const { p, clock } = positions();
  p.merge(0, -1n);
  const at = (ms, offset, key) => {
    clock.now = ms;
    p.accept(0, offset, key);
  };
  at(0, 0n, "a");
  at(400, 5n, "b");
  at(600, 3n, "c"); // c waited for its slot; not sampled on its own: too soon after b
  at(1400, 6n, "d");
  assert.equal(p.view.get(0), -1n, "nothing received 1.5 s before the last record");
  at(1500, 7n, "a");
  assert.equal(p.view.get(0), 0n, "a@0, received at 0 ms");
  at(1900, 8n, "b");
  assert.equal(p.view.get(0), 5n, "b@5, received at 400 ms; c@3 arrived after it, lower");
  at(10_000, 9n, "c");
  assert.equal(p.view.get(0), 8n, "every record received by 1900 ms, the last sample before this record");
});

test("max_rate positions: after an abrupt loss the resume gets the held records; those handed on are duplicates", () => {
  const { p, clock } = positions();
  p.merge(0, -1n);
  clock.now = 0;
  p.accept(0, 0n, "a");
  clock.now = 500;
  p.accept(0, 1n, "b");
  clock.now = 3000;
  assert.equal(p.accept(0, 2n, "a"), true); // b@3 waits at the gateway for b's slot
  assert.equal(p.accept(0, 4n, "c"), true);
  p.connectionEnded(); // no GoAway: the node died holding b@3
  assert.deepEqual(p.toList(), [{ partition: 0, offset: 1n }], "what was received 1.5 s before the last record");
  p.merge(0, 1n); // the next connection's subscribed
  clock.now = 4000;
  assert.deepEqual([[2n, "a"], [3n, "b"], [4n, "c"], [5n, "a"]].map(([o, k]) => p.accept(0, o, k)),
    [false, true, false, true], "a@2 and c@4 sent again are duplicates; the held b@3 is new");
  clock.now = 5000;
  p.accept(0, 6n, "d");
  assert.equal(p.view.get(0), 1n, "the new connection's records are timed afresh, from 4000 ms");
});

test("max_rate positions: keys at or below the resume position are forgotten", () => {
  const { p, clock } = positions();
  p.merge(0, -1n);
  for (let i = 0; i < 1000; i++) {
    clock.now = 10 * i;
    assert.equal(p.accept(0, BigInt(i), `k${i}`), true);
  }
  // Received within the last lag (1.5 s = 150 records) plus a sampling step (375 ms = 38 records).
  assert.ok(p.keysRemembered(0) <= 150 + 38, `${p.keysRemembered(0)} keys remembered`);
  assert.ok(p.view.get(0) >= 1000n - 150n - 38n, `settled at ${p.view.get(0)}`);
  p.merge(0, 999n);
  assert.equal(p.keysRemembered(0), 0);
  assert.equal(p.accept(0, 999n, "k999"), false);
  assert.equal(p.accept(0, 1000n, "k999"), true);
  p.clear();
  assert.equal(p.view.size, 0);
  assert.equal(p.keysRemembered(0), 0);
});
