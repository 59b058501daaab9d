'use strict';

// The leak tests' measure and judgment.
//
// Measure: the bytes glibc's malloc has handed out and not had back
// (mallinfo2: uordblks + hblkhd), which every native object of the library
// (a client, a cancel token, a device, an id list) is made of, so a missing
// `_free` adds exactly its objects' bytes per call; and what JavaScript
// keeps once garbage is collected (V8's heap in use and external memory),
// where a settled call's promise, closure or Buffer left reachable shows.
//
// Judgment: after a warm-up, samples are taken after each of several
// segments, and the growth per call is the Theil-Sen slope over them (the
// median of the slopes between every pair of samples): a steady leak moves
// it, while a one-off jump (an arena or the V8 heap growing once) moves only
// the pairs that straddle it, which are too few to move a median.

const koffi = require('koffi');

const libc = koffi.load('libc.so.6');
const MallInfo2 = koffi.struct('el_test_mallinfo2', {
  arena: 'size_t',
  ordblks: 'size_t',
  smblks: 'size_t',
  hblks: 'size_t',
  hblkhd: 'size_t',
  usmblks: 'size_t',
  fsmblks: 'size_t',
  uordblks: 'size_t',
  fordblks: 'size_t',
  keepcost: 'size_t',
});
const mallinfo2 = libc.func('mallinfo2', MallInfo2, []);

/** Bytes in use from malloc: small blocks and mmap'd ones. */
function mallocInUse() {
  const m = mallinfo2();
  return Number(m.uordblks) + Number(m.hblkhd);
}

/** The Theil-Sen slope of `ys` over 0, 1, 2, ...: per step. */
function theilSen(ys) {
  const slopes = [];
  for (let i = 0; i < ys.length; i++) {
    for (let j = i + 1; j < ys.length; j++) slopes.push((ys[j] - ys[i]) / (j - i));
  }
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid] : (slopes[mid - 1] + slopes[mid]) / 2;
}

module.exports = { mallocInUse, theilSen };
