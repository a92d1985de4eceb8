/**
 * The load generator of H1 in a process of its own (`node dist/bench/api-child.js URL TOKEN SECONDS`), so that it does
 * not share the server's event loop: runs autocannon against the URL and prints its result as one JSON line.
 */
import autocannon from 'autocannon';

const [url, token, seconds] = process.argv.slice(2);
if (url === undefined || token === undefined || seconds === undefined) {
  process.stderr.write('usage: api-child URL TOKEN SECONDS\n');
  process.exit(2);
}
const result = await autocannon({
  url,
  connections: 32,
  duration: Number(seconds),
  headers: { authorization: `Bearer ${token}` },
});
process.stdout.write(
  `${JSON.stringify({
    requests: result.requests.total,
    perSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  })}\n`,
);
