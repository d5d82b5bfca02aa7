// The ingest benchmark's clients, in a process of their own (as load-generator.mjs for views): the
// batches they build and the answers they parse are then not counted in the server's RSS. Gets
// the batches to post from its parent, posts them with `concurrency` clients side by side, checks
// every answer, and reports the seconds the posting took.
import { performance } from 'node:perf_hooks';

/** Batch b of the benchmark's completions: every one new and qualifying (a learner per 5 modules). */
function batch(o, b) {
  return Array.from({ length: o.size }, (_, i) => {
    const n = b * o.size + i;
    return { courseId: o.context, moduleId: `m${(n % o.modules) + 1}`, learner: { id: `learner-${Math.floor(n / o.modules)}`, name: `Learner ${n}` }, score: 8, maxScore: 10,
      completedAt: new Date(o.t0 + n * 1000).toISOString() };
  });
}

async function post(o, items) {
  const res = await fetch(`${o.url}/api/v1/completions`, { method: 'POST', headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ completions: items }) });
  if (res.status !== 200) throw new Error(`completions answered ${res.status}: ${await res.text()}`);
  const { results } = await res.json();
  if (results.some((x) => x.status !== o.expect)) throw new Error(`a completion was not ${o.expect}`);
}

process.once('message', async (o) => {
  try {
    const start = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: o.concurrency }, async () => {
      while (next < o.batches) await post(o, batch(o, next++));
    }));
    process.send({ seconds: (performance.now() - start) / 1000 }, () => process.disconnect());
  } catch (e) {
    process.send({ error: String(e) }, () => process.disconnect());
  }
});
