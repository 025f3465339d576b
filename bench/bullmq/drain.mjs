// BullMQ side of the orphan-drain benchmark (bench/drain.sh runs it; see docs/benchmarks.md).
// For each concurrency: N delayed jobs are added (addBulk, delay 1 s, removed on completion so an
// acknowledged job leaves Redis as a SalesAuto ack does), the delay is let elapse, then one Worker
// with a no-op processor drains them; the time from the worker's start to the N-th completion
// gives jobs/s. Prints one JSON line per concurrency on stdout.
//
//   node drain.mjs --host 127.0.0.1 --port 6379 --password pw --jobs 50000 --concurrency 1,10,50,100
import { Queue, Worker } from 'bullmq';

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1] : fallback;
}

const connection = {
  host: option('host', '127.0.0.1'),
  port: Number(option('port', '6379')),
  password: option('password', undefined),
  maxRetriesPerRequest: null,
};
const jobs = Number(option('jobs', '50000'));
const concurrencies = option('concurrency', '1,10,50,100,200').split(',').map(Number);
const prefix = option('prefix', 'bench:bullmq');
const delayMs = 1000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

for (const concurrency of concurrencies) {
  const name = `drain-c${concurrency}`;
  const queue = new Queue(name, { connection, prefix });
  await queue.obliterate({ force: true });

  const payload = { source: 'lemlist', eventId: '', type: 'email.opened' };
  for (let start = 0; start < jobs; start += 1000) {
    const batch = [];
    for (let i = start; i < Math.min(jobs, start + 1000); i++) {
      batch.push({ name: 'orphan', data: { ...payload, eventId: `evt_${i}` }, opts: { delay: delayMs, removeOnComplete: true, removeOnFail: true } });
    }
    await queue.addBulk(batch);
  }
  await sleep(delayMs + 500); // every delay has elapsed: all jobs are due, as the SalesAuto items are

  let completed = 0;
  let done;
  const finished = new Promise((resolve) => { done = resolve; });
  const started = process.hrtime.bigint();
  const worker = new Worker(name, async () => {}, { connection, prefix, concurrency, autorun: false });
  worker.on('completed', () => {
    completed += 1;
    if (completed === jobs) {
      done();
    }
  });
  worker.run();
  await finished;
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await worker.close();
  const remaining = await queue.getJobCounts('delayed', 'wait', 'active');
  await queue.obliterate({ force: true });
  await queue.close();
  console.log(JSON.stringify({ concurrency, jobs, seconds, jobsPerSecond: jobs / seconds, remaining }));
}
