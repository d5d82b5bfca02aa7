// The analytics benchmark's client, in a process of its own (as ingest-clients.mjs and
// load-generator.mjs are): a panel's browser is not in the server, and reading a 600 kB answer
// (at a million awards) then costs the server's event loop and heap nothing. Gets the requests to
// time from its parent, warms up, times them one after another, checks every answer, and reports
// each request's milliseconds (the warm-up's too).
import { performance } from 'node:perf_hooks';

async function get(o, query) {
  const res = await fetch(`${o.url}/api/v1/analytics?${o.range}&${query}`, { headers: { authorization: `Bearer ${o.key}` } });
  if (res.status !== 200) throw new Error(`analytics answered ${res.status}: ${await res.text()}`);
  await res.arrayBuffer();
}

async function timings(queries, o) {
  const out = [];
  for (const q of queries) {
    const start = performance.now();
    await get(o, q);
    out.push(performance.now() - start);
  }
  return out;
}

process.once('message', async (o) => {
  try {
    const warm = await timings(o.warm, o);
    const course = await timings(o.course, o);
    const org = await timings(o.org, o);
    process.send({ warm, course, org }, () => process.disconnect());
  } catch (e) {
    process.send({ error: String(e) }, () => process.disconnect());
  }
});
