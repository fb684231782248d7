import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StatsStore } from '../stats-store.js';
import { SinkRegistry } from './file-sink.js';

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'weft-sink-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('buffers lines until flushed, then appends them in order', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'access.log');
  fs.writeFileSync(file, 'existing\n');
  const reg = new SinkRegistry({ flushIntervalMs: 60_000 });
  t.after(() => reg.closeAll());
  const sink = reg.get(file);
  sink.write('a\n');
  sink.write('b\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'existing\n', 'nothing written before a flush');
  reg.flushAll();
  assert.equal(fs.readFileSync(file, 'utf8'), 'existing\na\nb\n', 'opened for append');
});

test('flushes as soon as the buffer reaches the size limit', (t) => {
  const file = path.join(tempDir(t), 'access.log');
  const reg = new SinkRegistry({ flushIntervalMs: 60_000, flushBytes: 10 });
  t.after(() => reg.closeAll());
  const sink = reg.get(file);
  sink.write('12345\n');
  assert.equal(fs.readFileSync(file, 'utf8'), '');
  sink.write('67890\n');
  assert.equal(fs.readFileSync(file, 'utf8'), '12345\n67890\n');
});

test('flushes on the interval timer', async (t) => {
  const file = path.join(tempDir(t), 'access.log');
  const store = new StatsStore();
  const reg = new SinkRegistry({ flushIntervalMs: 20 });
  reg.attachStats(store);
  t.after(() => reg.closeAll());
  reg.get(file).write('tick\n');
  for (let i = 0; i < 50 && fs.readFileSync(file, 'utf8') === ''; i++) await sleep(10);
  assert.equal(fs.readFileSync(file, 'utf8'), 'tick\n');
  assert.equal(store.counter('filesystem.flushed_by_timer').value(), 1);
  assert.equal(store.counter('filesystem.write_buffered').value(), 1);
  assert.equal(store.counter('filesystem.write_completed').value(), 1);
  assert.equal(store.gauge('filesystem.write_total_buffered').value(), 0);
});

test('shares one sink per path', (t) => {
  const file = path.join(tempDir(t), 'access.log');
  const reg = new SinkRegistry();
  t.after(() => reg.closeAll());
  assert.equal(reg.get(file), reg.get(file));
  assert.notEqual(reg.get(file), reg.get(`${file}.other`));
});

test('reopen after a rename writes new lines to a fresh file (logrotate)', (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'access.log');
  const rotated = path.join(dir, 'access.log.1');
  const reg = new SinkRegistry({ flushIntervalMs: 60_000 });
  t.after(() => reg.closeAll());
  const sink = reg.get(file);
  sink.write('before\n');
  reg.flushAll();
  fs.renameSync(file, rotated);
  sink.write('buffered-at-rotation\n');
  reg.reopenAll();
  sink.write('after\n');
  reg.flushAll();
  assert.equal(fs.readFileSync(rotated, 'utf8'), 'before\nbuffered-at-rotation\n');
  assert.equal(fs.readFileSync(file, 'utf8'), 'after\n');
});

test('a failed reopen keeps writing to the old file and is counted', (t) => {
  const dir = tempDir(t);
  const sub = path.join(dir, 'sub');
  fs.mkdirSync(sub);
  const file = path.join(sub, 'access.log');
  const store = new StatsStore();
  const reg = new SinkRegistry({ flushIntervalMs: 60_000 });
  reg.attachStats(store);
  t.after(() => reg.closeAll());
  const sink = reg.get(file);
  fs.renameSync(sub, path.join(dir, 'moved'));
  reg.reopenAll();
  assert.equal(store.counter('filesystem.reopen_failed').value(), 1);
  sink.write('still\n');
  reg.flushAll();
  assert.equal(fs.readFileSync(path.join(dir, 'moved', 'access.log'), 'utf8'), 'still\n');
});

test('closeAll flushes what is buffered and later gets open afresh', (t) => {
  const file = path.join(tempDir(t), 'access.log');
  const reg = new SinkRegistry({ flushIntervalMs: 60_000 });
  const first = reg.get(file);
  first.write('x\n');
  reg.closeAll();
  assert.equal(fs.readFileSync(file, 'utf8'), 'x\n');
  const second = reg.get(file);
  assert.notEqual(second, first);
  second.write('y\n');
  reg.closeAll();
  assert.equal(fs.readFileSync(file, 'utf8'), 'x\ny\n');
});

test('opening a path in a missing directory throws', () => {
  const reg = new SinkRegistry();
  assert.throws(() => reg.get(path.join(os.tmpdir(), 'weft-no-such-dir-xyz', 'a.log')), /ENOENT/);
  reg.closeAll();
});
