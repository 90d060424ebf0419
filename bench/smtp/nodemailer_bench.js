// The nodemailer side of the SMTP benchmark: the same templates, rendered the same way,
// sent through a pooled SMTP transport with the same connection count and messages per
// connection. Prints "nodemailer messages=N failed=F seconds=S rate=R".
'use strict';
const fs = require('fs');
const net = require('net');
const nodemailer = require('nodemailer');

function arg(name, fallback) {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const port = Number(arg('port', '2525'));
const total = Number(arg('messages', '50000'));
const connections = Number(arg('connections', '4'));
const perConnection = Number(arg('per-connection', '100'));
const dkimKey = arg('dkim-key', null);
const templates = JSON.parse(fs.readFileSync(arg('templates'), 'utf8'));

function render(src, i) {
  return src
    .replaceAll('{{name}}', `Subscriber ${i}`)
    .replaceAll('{{email}}', `user${i}@example.org`)
    .replaceAll('{{unsubscribe}}', `https://news.example.com/u/${i}`);
}

const options = {
  pool: true,
  host: '127.0.0.1',
  port,
  secure: false,
  ignoreTLS: true,
  maxConnections: connections,
  maxMessages: perConnection,
  name: 'bench.example.com',
  // Like mailcast's transport, turn off Nagle's algorithm: otherwise every message waits
  // for the sink's delayed ACK and both sides measure the kernel's 40 ms timer, not code.
  getSocket(opts, callback) {
    const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => callback(null, { connection: socket }));
    socket.once('error', (err) => callback(err));
  },
};
if (dkimKey) {
  options.dkim = {
    domainName: 'example.com',
    keySelector: 'bench',
    privateKey: fs.readFileSync(dkimKey, 'utf8'),
  };
}
const transport = nodemailer.createTransport(options);

async function main() {
  let next = 0;
  let failed = 0;
  const started = process.hrtime.bigint();
  // a bounded window of messages in flight keeps memory flat; the pool queues the rest
  async function worker() {
    while (next < total) {
      const i = next++;
      const t = templates[i % templates.length];
      try {
        await transport.sendMail({
          from: '"Example News" <news@example.com>',
          to: `"Subscriber ${i}" <user${i}@example.org>`,
          subject: render(t.subject, i),
          html: render(t.html, i),
          text: render(t.text, i),
          envelope: { from: 'bounces@example.com', to: `user${i}@example.org` },
          list: {
            id: 'news.example.com',
            unsubscribe: [`https://news.example.com/u/${i}`, 'unsubscribe@example.com'],
          },
          headers: {
            'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
            'Feedback-ID': '1:news:campaign:mailcast',
          },
        });
      } catch (e) {
        failed++;
      }
    }
  }
  await Promise.all(Array.from({ length: connections * 8 }, worker));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  transport.close();
  console.log(`nodemailer messages=${total} failed=${failed} seconds=${seconds.toFixed(2)} ` +
              `rate=${Math.round(total / seconds)}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
