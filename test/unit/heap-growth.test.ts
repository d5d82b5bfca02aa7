// limitHeapGrowth (src/shared/heap.ts, called by main.ts): the same allocation pattern, in two child
// processes, reserves a clearly smaller heap with it than without it. The pattern's live set is
// about 40 MB; by default V8 lets the heap grow to about twice that before a full collection.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const workload = fileURLToPath(new URL('../support/heap-workload.ts', import.meta.url));
const peakHeap = async (...args: string[]) => Number((await promisify(execFile)(process.execPath, ['--import', 'tsx', workload, ...args])).stdout.trim());

describe('limitHeapGrowth', () => {
  it('keeps the heap V8 reserves closer to what is alive', async () => {
    const [unlimited, limited] = await Promise.all([peakHeap(), peakHeap('limit')]);
    expect(unlimited).toBeGreaterThan(0);
    expect(limited).toBeLessThan(unlimited * 0.75);
  }, 60_000);
});
