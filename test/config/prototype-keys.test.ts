import { expect } from 'chai';
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { answer } from '../../src/cli/commands/serve-command.js';
import { validateDriverTable } from '../../src/config/driver-validator.js';
import { validatePieToml } from '../../src/config/pie-file-validator.js';
import { TomlSyntaxError } from '../../src/config/toml-document.js';
import { readDriversFile } from '../../src/runtime/drivers-file.js';
import { withDriver } from '../helpers/driver-fixture.js';

const FORBIDDEN = ['__proto__', 'constructor', 'prototype'] as const;
const VALID_MODEL = '[[model]]\nname = "m"\nhf_repo = "org/m"\n[model.driver]\ntype = "tensorrt_llm"\ndevice = "cuda:0"\n';

/** Object.prototype's own keys: a polluted prototype gains one. */
const prototypeKeys = () => Object.getOwnPropertyNames(Object.prototype).sort();

/**
 * One forbidden key placed at `depth` below `[model.driver.options]`, written in one of TOML's
 * ways of naming a key. Returns the text and the 1-based line the key is written on.
 */
function placed(form: 'header' | 'dotted' | 'inline' | 'arrayOfTables' | 'quoted', key: string, depth: number): { text: string; line: number } {
  const above = Array.from({ length: depth }, (_, i) => `t${i}`);
  const head = `${VALID_MODEL}[model.driver.options]\n`;
  const line = head.split('\n').length; // the line after the header
  switch (form) {
    case 'header':
      return { text: `${head}[${['model', 'driver', 'options', ...above, key].join('.')}]\nx = 1\n`, line };
    case 'arrayOfTables':
      return { text: `${head}[[${['model', 'driver', 'options', ...above, key].join('.')}]]\nx = 1\n`, line };
    case 'dotted':
      return { text: `${head}${[...above, key, 'x'].join('.')} = 1\n`, line };
    case 'quoted':
      return { text: `${head}${[...above, `"${key}"`].join('.')} = "AQAAAA=="\n`, line };
    case 'inline': {
      const open = above.map((k) => `${k} = { `).join('');
      const close = above.map(() => ' }').join('');
      return { text: `${head}v = [ { ${open}${key} = { x = 1 }${close} } ]\n`, line };
    }
  }
}

describe('keys that name the prototype in TOML files', () => {
  it('are refused where written, in every form and at every depth, and nothing reaches Object.prototype', () => {
    const before = prototypeKeys();
    fc.assert(
      fc.property(
        fc.constantFrom('header', 'dotted', 'inline', 'arrayOfTables', 'quoted' as const),
        fc.constantFrom(...FORBIDDEN),
        fc.integer({ min: 0, max: 6 }),
        (form, key, depth) => {
          const { text, line } = placed(form, key, depth);
          let error: unknown;
          try {
            validatePieToml(text, 'pie.toml');
          } catch (caught) {
            error = caught;
          }
          expect(error, text).to.be.instanceOf(TomlSyntaxError);
          expect((error as TomlSyntaxError).line).to.equal(line);
          expect((error as Error).message).to.contain(`"${key}" is not allowed`);
          expect(prototypeKeys()).to.deep.equal(before);
        },
      ),
      { numRuns: 120 },
    );
  });

  it('keeps keys that only resemble them (one character more or less)', () => {
    for (const key of ['__proto', '__proto__x', 'constructors', 'prototyp', 'Constructor']) {
      const result = validatePieToml(`${VALID_MODEL}[model.driver.options.llm_kwargs]\n${key} = 1\n`, 'pie.toml');
      expect(result.problems, key).to.deep.equal([]);
    }
  });

  it('a drivers.toml that names the prototype is refused with its path, and no setting leaks into other objects', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pie-proto-'));
    try {
      const file = join(dir, 'drivers.toml');
      writeFileSync(file, '[__proto__]\ntokens = "AQAAAA=="\nLD_PRELOAD = "/tmp/x.so"\n');
      expect(() => readDriversFile(file)).to.throw(TomlSyntaxError, `${file}:1:2:`);
      expect(({} as Record<string, unknown>).tokens).to.equal(undefined);
      expect(({} as Record<string, unknown>).LD_PRELOAD).to.equal(undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** `{"k":` wrappers `depth` deep around `inner`, with the forbidden key at the innermost level. */
function nestedJson(key: string, depth: number, inner: string): string {
  return `${'{"k":'.repeat(depth)}{"${key}":${inner}}${'}'.repeat(depth)}`;
}

describe('keys that name the prototype in JSON messages and host-built tables', function () {
  this.timeout(60_000);

  it('serve messages: such a key anywhere in a message is data, never its prototype', async () => {
    const before = prototypeKeys();
    await withDriver({}, async (driver) => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...FORBIDDEN),
          fc.integer({ min: 0, max: 6 }),
          fc.constantFrom('message', 'batch', 'sampler'),
          async (key, depth, where) => {
            const payload = nestedJson(key, depth, '{"op":"shutdown","polluted":1,"token_ids":[9]}');
            const batch = `{"context_ids":[5],"token_ids":[1],"position_ids":[0],"qo_indptr":[0,1],"samplers":[{"type":"top_p","temperature":0,"p":1${where === 'sampler' ? `,"x":${payload}` : ''}}],"sampler_indptr":[0,1]${where === 'batch' ? `,"x":${payload}` : ''}}`;
            const text = `{"id":3,"op":"forward","batch":${batch}${where === 'message' ? `,"x":${payload}` : ''}}`;
            const { reply, stop } = await answer(driver, JSON.parse(text));
            expect(stop, 'a prototype key never turns a message into another op').to.equal(undefined);
            expect(reply.id).to.equal(3);
            expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
            expect(prototypeKeys()).to.deep.equal(before);
          },
        ),
        { numRuns: 60 },
      );
    });
  });

  it('a driver table a host builds from JSON: refused at every depth, naming the path', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FORBIDDEN), fc.integer({ min: 0, max: 6 }), (key, depth) => {
        const table = JSON.parse(`{"type":"trtllm","device":"cuda:0","options":{"llm_kwargs":${nestedJson(key, depth, '{"x":1}')}}}`);
        const result = validateDriverTable(table);
        expect(result.ok).to.equal(false);
        expect(result.problems[0]!.path).to.equal(['model.driver.options.llm_kwargs', ...Array.from({ length: depth }, () => 'k'), key].join('.'));
      }),
      { numRuns: 60 },
    );
  });
});
