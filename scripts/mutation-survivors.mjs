#!/usr/bin/env node
// Summarises a StrykerJS JSON report (mutation-testing-report-schema) for stryker-survivors.md:
// the score of each mutated folder, then every survivor and uncovered mutant grouped by
// file:line, in the table layout that file uses, with the verdict column left for a person.
// Usage: node scripts/mutation-survivors.mjs [reports/mutation/mutation.json] [--json]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const reportPath = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
let report;
try {
  report = JSON.parse(readFileSync(reportPath, 'utf8'));
} catch (error) {
  process.stderr.write(`mutation-survivors: cannot read ${reportPath}: ${error.message}\n` +
    'Run `npm run test:mutation` first (its json reporter writes that file), or pass the report\'s path.\n');
  process.exit(2);
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

const folders = new Map();
const rows = new Map();
for (const [file, { mutants }] of Object.entries(report.files)) {
  const rel = file.replace(/^src\//, '');
  const folder = `src/${rel.split('/')[0]}/`;
  const tally = folders.get(folder) ?? { killed: 0, survived: 0, noCoverage: 0, invalid: 0 };
  folders.set(folder, tally);
  for (const m of mutants) {
    if (DETECTED.has(m.status)) tally.killed += 1;
    else if (m.status === 'Survived') tally.survived += 1;
    else if (m.status === 'NoCoverage') tally.noCoverage += 1;
    else tally.invalid += 1;
    if (!UNDETECTED.has(m.status)) continue;
    const key = `${rel}:${m.location.start.line}`;
    const undetected = { status: m.status, mutator: m.mutatorName, replacement: m.replacement ?? m.mutatorName };
    (rows.get(key) ?? rows.set(key, []).get(key)).push(undetected);
  }
}

const score = (t) => (100 * t.killed) / (t.killed + t.survived + t.noCoverage || 1);
if (asJson) {
  const summary = Object.fromEntries([...folders].map(([f, t]) => [f, { ...t, score: Number(score(t).toFixed(1)) }]));
  process.stdout.write(JSON.stringify({ folders: summary, undetected: Object.fromEntries(rows) }, null, 2) + '\n');
} else {
  const lines = ['| folder | mutation score | killed or timed out | survived | no coverage |', '| --- | --- | --- | --- | --- |'];
  for (const [f, t] of [...folders].sort()) {
    lines.push(`| \`${f}\` | ${score(t).toFixed(1)} % | ${t.killed} | ${t.survived} | ${t.noCoverage} |`);
  }
  lines.push('', '| file:line | mutants | verdict |', '| --- | --- | --- |');
  const byPlace = ([a], [b]) => {
    const [fa, la] = a.split(':');
    const [fb, lb] = b.split(':');
    return fa === fb ? Number(la) - Number(lb) : fa < fb ? -1 : 1;
  };
  // One table cell: whitespace folded, cut to 60 characters, pipes escaped.
  const cell = ({ status, replacement }) =>
    (status === 'NoCoverage' ? 'no coverage: ' : '') + '`' + replacement.replace(/\s+/g, ' ').slice(0, 60).replace(/\|/g, '\\|') + '`';
  for (const [key, undetected] of [...rows].sort(byPlace)) lines.push(`| \`${key}\` | ${undetected.map(cell).join('; ')} | |`);
  process.stdout.write(lines.join('\n') + '\n');
}
