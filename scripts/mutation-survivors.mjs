#!/usr/bin/env node
// Summarises a StrykerJS JSON report (mutation-testing-report-schema) for stryker-survivors.md:
// the score of each mutated folder, then every survivor and uncovered mutant grouped by
// file:line, in the table layout that file uses, with the verdict column left for a person.
// Usage: node scripts/mutation-survivors.mjs [reports/mutation/mutation.json] [--json]
import { readFileSync } from 'node:fs';

const args = process.argv.slice(2);
const asJson = args.includes('--json');
const reportPath = args.find((a) => !a.startsWith('--')) ?? 'reports/mutation/mutation.json';
const report = JSON.parse(readFileSync(reportPath, 'utf8'));

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
    const text = m.replacement ?? m.mutatorName;
    if (asJson) {
      (rows.get(key) ?? rows.set(key, []).get(key)).push({ status: m.status, mutator: m.mutatorName, replacement: text });
      continue;
    }
    const shown = (m.status === 'NoCoverage' ? 'no coverage: ' : '') + '`' + text.replace(/\s+/g, ' ').slice(0, 60).replace(/\|/g, '\\|') + '`';
    (rows.get(key) ?? rows.set(key, []).get(key)).push(shown);
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
  for (const [key, shown] of [...rows].sort(byPlace)) lines.push(`| \`${key}\` | ${shown.join('; ')} | |`);
  process.stdout.write(lines.join('\n') + '\n');
}
