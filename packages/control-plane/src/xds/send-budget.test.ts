import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SendBudget, type BudgetWaiter } from './send-budget.js';
import { cluster, endpoints, names, NODE, startHarness } from './test-fixtures.js';
import { CLUSTER_TYPE, ENDPOINT_TYPE } from './type-urls.js';

describe('send budget', () => {
  it('lets one response through when idle, queues beyond the cap, and wakes waiters in order as bytes drain', () => {
    const budget = new SendBudget(100);
    assert.equal(budget.tryTake(150), true, 'an oversized response goes out alone');
    assert.equal(budget.tryTake(1), false);
    const woken: string[] = [];
    const waiter = (name: string, ok: boolean): BudgetWaiter => ({ isClosed: false, drainBacklog: () => (woken.push(name), ok) });
    budget.wait(waiter('a', true));
    budget.wait(waiter('b', false));
    budget.wait(waiter('c', true));
    budget.release(150);
    assert.deepEqual(woken, ['a', 'b'], 'b still waits, so c is not served ahead of it');
    assert.equal(budget.bytesInFlight, 0);
  });

  it('delivers every response, in order, to many streams through a one-byte budget', async () => {
    const h = await startHarness([cluster('a'), cluster('b'), endpoints('a', [1]), endpoints('b', [2])], 0, 1);
    try {
      const clients = [0, 1, 2, 3].map((i) => {
        const c = h.client(i % 2 === 0 ? 'sotw' : 'delta');
        const node = { ...NODE, id: `budget-${i}` };
        if (c.variant === 'sotw') {
          c.send({ node, type_url: CLUSTER_TYPE });
          c.send({ type_url: ENDPOINT_TYPE, resource_names: ['a', 'b'] });
        } else {
          c.send({ node, type_url: CLUSTER_TYPE });
          c.send({ type_url: ENDPOINT_TYPE, resource_names_subscribe: ['a', 'b'] });
        }
        return c;
      });
      for (const c of clients) {
        const first = await c.next();
        const second = await c.next();
        assert.deepEqual([first.type_url, second.type_url], [CLUSTER_TYPE, ENDPOINT_TYPE]);
        assert.deepEqual(names(second).sort(), ['a', 'b']);
      }
      const views = h.ads.syncz();
      assert.equal(views.length, 4);
      for (const v of views) assert.equal(v.queuedResponses, 0);
    } finally {
      await h.close();
    }
  });
});
