// The views benchmark's load generator, in a process of its own: the server's RSS and event loop
// are then the server's alone (autocannon in a worker thread counted its memory as ours). Gets
// autocannon's options from its parent, answers with the figures the benchmark prints.
import autocannon from 'autocannon';

process.once('message', async (options) => {
  const r = await autocannon(options);
  process.send({ total: r.requests.total, duration: r.duration, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors }, () => process.disconnect());
});
