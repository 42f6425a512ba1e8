import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createAjv } from '../../src/config/ajv-instance.js';
import { loadSchema } from '../../src/config/schema-files.js';
import { repoRoot } from '../helpers/package-paths.js';

type Schema = { properties?: Record<string, Schema>; description?: string; not?: unknown; definitions?: Record<string, Schema>; items?: Schema };

function undocumented(schema: Schema, at: string, out: string[]): string[] {
  for (const [key, child] of Object.entries(schema.properties ?? {})) {
    if (typeof child === 'object' && !child.description) out.push(`${at}.${key}`);
    if (typeof child === 'object') undocumented(child, `${at}.${key}`, out);
  }
  for (const [key, child] of Object.entries(schema.definitions ?? {})) undocumented(child, `${at}#${key}`, out);
  return out;
}

describe('schemas', () => {
  for (const name of ['driver', 'pie'] as const) {
    it(`${name}.schema.json compiles under Ajv strict mode as draft-07`, () => {
      const schema = loadSchema(name);
      expect(schema.$schema).to.equal('http://json-schema.org/draft-07/schema#');
      expect(() => createAjv().compile(schema)).not.to.throw();
    });

    it(`${name}.schema.json documents every property`, () => {
      expect(undocumented(loadSchema(name) as Schema, name, [])).to.deep.equal([]);
    });
  }

  it('documents the 25 options of Pie\'s driver plus venv, python, pipeline_parallel_size and the two lookahead settings of its own, and the rejected capacity keys', () => {
    const options = (loadSchema('driver') as Schema).properties!.options!.properties!;
    const accepted = Object.entries(options).filter(([, s]) => !s.not).map(([k]) => k);
    const rejected = Object.entries(options).filter(([, s]) => s.not).map(([k]) => k);
    expect(accepted).to.have.length(30);
    expect(accepted).to.include.members(['venv', 'python', 'llm_kwargs', 'lookahead_tokens', 'max_batch_size', 'pipeline_parallel_size', 'lookahead_mode', 'lookahead_stream_tokens']);
    expect(rejected).to.have.members([
      'max_num_kv_pages', 'max_batch_tokens', 'linear_attn_max_slots', 'total_pages', 'cpu_pages', 'max_forward_tokens',
      'max_forward_requests', 'max_num_seqs', 'max_num_batched_tokens', 'max_running_requests', 'max_total_tokens',
    ]);
  });

  it('generated types and the whole-file schema are up to date', async function () {
    // A check of the repository's files, not of code: Stryker's sandbox rewrites sources.
    if (process.env.STRYKER_MUTATOR_WORKER !== undefined) this.skip();
    const { stderr } = await promisify(execFile)(process.execPath, [join(repoRoot, 'scripts', 'generate-types.mjs'), '--check']);
    expect(stderr).to.equal('');
  });
});
