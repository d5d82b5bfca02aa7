// A child process for test/unit/heap-growth.test.ts: allocates batches of small objects that stay
// alive for ten batches (as an import's chunks do), and prints the highest heap size V8 reserved.
// With "limit" as its argument it first applies the server's limitHeapGrowth().
import { limitHeapGrowth } from '../../src/shared/heap.js';

if (process.argv[2] === 'limit') limitHeapGrowth();
const alive: unknown[][] = [];
let peak = 0;
for (let i = 0; i < 400; i += 1) {
  alive.push(Array.from({ length: 20_000 }, (_, k) => ({ id: `award-${i}-${k}`, n: k, at: new Date(k).toISOString() })));
  if (alive.length > 10) alive.shift();
  if (i % 5 === 0) await new Promise((resolve) => setImmediate(resolve));
  peak = Math.max(peak, process.memoryUsage().heapTotal);
}
process.stdout.write(`${peak}\n`);
