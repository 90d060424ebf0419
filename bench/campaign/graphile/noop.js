// graphile-worker processing no-op jobs on a given PostgreSQL database: the queue's own cost,
// for comparison with mailcast's send queue (bench/campaign/run.py).
//
//   node noop.js DSN JOBS [WORKERS] [CONCURRENCY] [POSTMASTER_PID]
//
// DSN is libpq's key=value form ("host=/socket/dir dbname=x user=y") or a postgres:// URL.
// The script installs graphile-worker's schema, starts WORKERS worker processes (default 1),
// each running graphile-worker with CONCURRENCY jobs at a time (default 1), waits until they
// are connected and idle, then adds JOBS no-op jobs in one statement (timed on its own) and
// waits until the workers have completed them all. With the PID of the cluster's postmaster,
// it also measures the CPU time of every process of the cluster for each phase.
// The last line of output is the results as JSON.
"use strict";

const { fork } = require("child_process");
const fs = require("fs");
const { Pool } = require("pg");
const { run, runMigrations, Logger } = require("graphile-worker");

// Warnings and errors go to stderr; graphile-worker's per-job info lines would cost CPU.
const quietLogger = new Logger(() => (level, message) => {
  if (level === "error" || level === "warning") console.error("graphile-worker: " + message);
});

function poolFor(dsn, max) {
  if (/^postgres(ql)?:\/\//.test(dsn)) return new Pool({ connectionString: dsn, max });
  const config = { max };
  const names = { host: "host", port: "port", dbname: "database", user: "user", password: "password" };
  for (const pair of dsn.trim().split(/\s+/)) {
    const at = pair.indexOf("=");
    const key = names[pair.slice(0, at)];
    if (!key) throw new Error("unsupported DSN key in " + pair);
    config[key] = pair.slice(at + 1);
  }
  return new Pool(config);
}

// CPU seconds used so far by the cluster: the postmaster, its live children, and the
// children it has already reaped (a backend that exited is counted in the postmaster's
// cutime/cstime once the postmaster has waited for it).
function clusterCpuSeconds(postmasterPid) {
  const ticks = 100; // USER_HZ on Linux
  const stat = (pid) => {
    const text = fs.readFileSync("/proc/" + pid + "/stat", "utf8");
    return text.slice(text.lastIndexOf(")") + 2).split(" ");
  };
  const own = stat(postmasterPid);
  // fields after the command: state=0 ppid=1 ... utime=11 stime=12 cutime=13 cstime=14
  let total = +own[11] + +own[12] + +own[13] + +own[14];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fields;
    try {
      fields = stat(entry);
    } catch {
      continue; // exited meanwhile
    }
    if (+fields[1] === postmasterPid) total += +fields[11] + +fields[12];
  }
  return total / ticks;
}

// A worker process: runs graphile-worker until told to stop, reporting completed jobs.
async function worker(dsn, concurrency) {
  const pgPool = poolFor(dsn, concurrency + 1);
  let done = 0;
  let reported = 0;
  const report = () => {
    if (done !== reported) {
      reported = done;
      process.send({ done });
    }
  };
  const runner = await run({
    pgPool,
    concurrency,
    noHandleSignals: true,
    pollInterval: 2000,
    logger: quietLogger,
    taskList: { noop: async () => {} },
  });
  runner.events.on("job:complete", () => {
    if (++done % 1000 === 0) report();
  });
  runner.events.on("worker:getJob:empty", report);
  const start = process.cpuUsage();
  process.on("message", async (message) => {
    if (message !== "finish") return;
    const cpu = process.cpuUsage(start);
    process.send({
      done,
      cpuSeconds: (cpu.user + cpu.system) / 1e6,
      peakRssKb: process.resourceUsage().maxRSS,
    });
    await runner.stop();
    await pgPool.end();
    process.disconnect();
  });
  process.send({ ready: true });
}

async function main(dsn, jobs, workers, concurrency, postmasterPid) {
  const pgCpu = postmasterPid ? () => clusterCpuSeconds(postmasterPid) : () => NaN;
  const pool = poolFor(dsn, 2);
  await runMigrations({ pgPool: pool, logger: quietLogger });

  const children = [];
  const ready = [];
  let completed = 0;
  let allDone, workerFailed;
  const finished = new Promise((resolve) => (allDone = resolve));
  // a worker that dies stops the measurement instead of leaving it waiting for ever
  const failure = new Promise((_, reject) => (workerFailed = reject));
  failure.catch(() => {});
  for (let i = 0; i < workers; i++) {
    const child = fork(__filename, ["--worker", dsn, String(concurrency)], {
      env: { ...process.env, NO_LOG_SUCCESS: "1" },
    });
    const state = { done: 0, result: null };
    children.push({ child, state });
    child.on("exit", (code, signal) => {
      if (!state.result) workerFailed(new Error("a worker exited with " + (signal || code)));
    });
    ready.push(
      new Promise((resolve) =>
        child.on("message", (message) => {
          if (message.ready) resolve();
          if (message.cpuSeconds !== undefined) state.result = message;
          if (message.done !== undefined) {
            completed += message.done - state.done;
            state.done = message.done;
            if (completed >= jobs) allDone();
          }
        })
      )
    );
  }
  const stopAll = () => children.forEach(({ child }) => child.kill());
  await Promise.race([Promise.all(ready), failure]).catch((error) => {
    stopAll();
    throw error;
  });

  // One statement: the jobs become visible to the workers when it commits.
  const cpu0 = pgCpu();
  const t0 = process.hrtime.bigint();
  await pool.query(
    "SELECT count(*) FROM graphile_worker.add_jobs(ARRAY(SELECT ROW('noop', '{}'::json," +
      " NULL, NULL, NULL, NULL, NULL, NULL)::graphile_worker.job_spec" +
      " FROM generate_series(1, $1::integer)))",
    [jobs]
  );
  const t1 = process.hrtime.bigint();
  const cpu1 = pgCpu();
  await Promise.race([finished, failure]).catch((error) => {
    stopAll();
    throw error;
  });
  const t2 = process.hrtime.bigint();
  const cpu2 = pgCpu();

  const exits = children.map(({ child }) => new Promise((resolve) => child.on("exit", resolve)));
  for (const { child } of children) child.send("finish");
  await Promise.all(exits);
  const left = (await pool.query("SELECT count(*)::int AS n FROM graphile_worker.jobs")).rows[0].n;
  await pool.end();

  const seconds = Number(t2 - t1) / 1e9;
  const workerCpu = children.reduce((sum, { state }) => sum + state.result.cpuSeconds, 0);
  const result = {
    jobs,
    workers,
    concurrency,
    completed,
    left,
    enqueueSeconds: Number(t1 - t0) / 1e9,
    enqueuePostgresCpuSeconds: cpu1 - cpu0,
    seconds,
    jobsPerSecond: completed / seconds,
    workerCpuPer1000: (workerCpu * 1000) / completed,
    postgresCpuPer1000: ((cpu2 - cpu1) * 1000) / completed,
    peakRssMb: Math.max(...children.map(({ state }) => state.result.peakRssKb)) / 1024,
  };
  console.log(JSON.stringify(result));
  if (left !== 0 || completed !== jobs) process.exitCode = 1;
}

const args = process.argv.slice(2);
if (args[0] === "--worker") {
  worker(args[1], Number(args[2])).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else if (args.length >= 2) {
  main(args[0], Number(args[1]), Number(args[2] || 1), Number(args[3] || 1), Number(args[4] || 0)).catch(
    (error) => {
      console.error(error);
      process.exit(1);
    }
  );
} else {
  console.error("usage: node noop.js DSN JOBS [WORKERS] [CONCURRENCY] [POSTMASTER_PID]");
  process.exit(2);
}
