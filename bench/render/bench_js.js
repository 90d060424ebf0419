// Renders the newsletter with one JavaScript engine (mustache.js or handlebars) for every
// recipient in turn, COUNT times in all, and prints renders per second. With --print N it
// prints the rendering for recipient N instead (to check that the engines agree).
// Usage: node bench_js.js ENGINE RECIPIENTS.json COUNT [DISTINCT] | --print N
'use strict';
const fs = require('fs');
const path = require('path');

const [engine, recipientsFile, countArg, extraArg] = process.argv.slice(2);
const dir = path.join(__dirname, 'newsletter');
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
const layout = read('layout.partial.mustache');
const partials = { content: read('content.mustache') };
const all = JSON.parse(fs.readFileSync(recipientsFile, 'utf8'));
// how many different recipients to cycle through (the first DISTINCT of the file)
const distinct = countArg !== '--print' && Number(extraArg) > 0 ? Number(extraArg) : all.length;
const recipients = all.slice(0, distinct);

let render;
if (engine === 'mustache') {
  const Mustache = require('mustache');
  Mustache.parse(layout);
  Mustache.parse(partials.content);
  render = (view) => Mustache.render(layout, view, partials);
} else if (engine === 'handlebars') {
  const Handlebars = require('handlebars');
  Handlebars.registerPartial('content', partials.content);
  const compiled = Handlebars.compile(layout);
  render = (view) => compiled(view);
} else {
  throw new Error('engine must be mustache or handlebars');
}

if (countArg === '--print') {
  process.stdout.write(render(recipients[Number(extraArg)]));
  process.exit(0);
}
const count = Number(countArg);
let bytes = 0;
for (let i = 0; i < 2000; i++) bytes += render(recipients[i % recipients.length]).length; // warm-up
bytes = 0;
const start = process.cpuUsage();
for (let i = 0; i < count; i++) bytes += render(recipients[i % recipients.length]).length;
const used = process.cpuUsage(start); // CPU time, as for mailcast
const seconds = (used.user + used.system) / 1e6;
console.log(JSON.stringify({ engine, renders: count, distinct: recipients.length, seconds, per_second: count / seconds, chars: bytes }));
