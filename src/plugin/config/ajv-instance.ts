import { Ajv } from 'ajv';

/** Keywords the schemas carry for editors (taplo, VS Code) and for code generation. */
const editorVocabulary = ['x-taplo', 'x-message', 'tsType', 'markdownDescription'];

/**
 * One strict draft-07 Ajv for every schema of the package. Editor keywords are declared as
 * vocabulary so strict mode stays on for everything else.
 */
export function createAjv(): Ajv {
  const ajv = new Ajv({ strict: true, allErrors: true, verbose: true, allowUnionTypes: true });
  for (const keyword of editorVocabulary) {
    ajv.addKeyword({ keyword });
  }
  return ajv;
}
