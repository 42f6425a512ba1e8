import { expect } from 'chai';
import { DriversFileEditError, setInterpreterSetting, unsetInterpreterSetting } from '../../src/runtime/drivers-file-editor.js';

// Every expected file below is written out by hand: what an operator would want the file to read
// after `pie-trtllm set` or `unset`, every other line (comments included) as it was.
describe('drivers.toml editing', () => {
  describe('set', () => {
    it('adds a [driver.tensorrt_llm] table to an empty file, or after one blank line', () => {
      expect(setInterpreterSetting('', 'venv', '/opt/trt')).to.equal('[driver.tensorrt_llm]\nvenv = "/opt/trt"\n');
      const shared = '[python]\nvenv = "/shared"';
      const added = '[python]\nvenv = "/shared"\n\n[driver.tensorrt_llm]\nvenv = "/opt/trt"\n';
      expect(setInterpreterSetting(shared, 'venv', '/opt/trt'), 'no newline at the end').to.equal(added);
      expect(setInterpreterSetting(`${shared}\n`, 'venv', '/opt/trt'), 'one newline').to.equal(added);
      expect(setInterpreterSetting(`${shared}\n\n`, 'venv', '/opt/trt'), 'a blank line already').to.equal(added);
    });

    it('writes into an empty table on the line after its header, never inside the brackets', () => {
      expect(setInterpreterSetting('[driver.tensorrt_llm]\n', 'python', '/p')).to.equal('[driver.tensorrt_llm]\npython = "/p"\n');
      expect(setInterpreterSetting('[driver.tensorrt_llm]', 'python', '/p'), 'header at the end of the file').to.equal('[driver.tensorrt_llm]\npython = "/p"\n');
      expect(setInterpreterSetting('[driver.tensorrt_llm] # mine\n\n[python]\nvenv = "/s"\n', 'python', '/p')).to.equal('[driver.tensorrt_llm] # mine\npython = "/p"\n\n[python]\nvenv = "/s"\n');
    });

    it('adds below the table\'s last entry, whose comment stays on its line', () => {
      expect(setInterpreterSetting('[driver.tensorrt_llm]\nextra = 1 # note\n\n[python]\nvenv = "/s"\n', 'venv', '/v')).to.equal('[driver.tensorrt_llm]\nextra = 1 # note\nvenv = "/v"\n\n[python]\nvenv = "/s"\n');
    });

    it('replaces the same key in place, keeping its comment and every other line', () => {
      const before = '# interpreters\n[python]\nvenv = "/shared"\n\n[driver.tensorrt_llm]\n# chosen by hand\nvenv = "/old"  # trailing\n';
      expect(setInterpreterSetting(before, 'venv', '/new')).to.equal('# interpreters\n[python]\nvenv = "/shared"\n\n[driver.tensorrt_llm]\n# chosen by hand\nvenv = "/new"  # trailing\n');
    });

    it('replaces the other key (venv and python exclude each other), and drops it when both were set', () => {
      expect(setInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v"\n', 'python', '/p')).to.equal('[driver.tensorrt_llm]\npython = "/p"\n');
      expect(setInterpreterSetting('[driver.tensorrt_llm]\npython = "/p"\n', 'venv', '/v')).to.equal('[driver.tensorrt_llm]\nvenv = "/v"\n');
      expect(setInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v"\npython = "/old" # keep\n', 'python', '/new')).to.equal('[driver.tensorrt_llm]\npython = "/new" # keep\n');
      expect(setInterpreterSetting('[driver.tensorrt_llm]\npython = "/old"\nvenv = "/v"\nother = 2\n', 'python', '/new')).to.equal('[driver.tensorrt_llm]\npython = "/new"\nother = 2\n');
      // The replaced key's comment spoke of it, not of what replaces it: it goes with its line.
      expect(setInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v" # the CUDA 13 venv\nother = 2\n', 'python', '/p')).to.equal('[driver.tensorrt_llm]\npython = "/p"\nother = 2\n');
    });

    it('matches quoted keys, and writes the value as a TOML string whatever it holds', () => {
      expect(setInterpreterSetting('[driver.tensorrt_llm]\n"venv" = "/v"\n', 'python', 'a"b\\c')).to.equal('[driver.tensorrt_llm]\npython = "a\\"b\\\\c"\n');
    });

    it('leaves tables of other drivers alone', () => {
      expect(setInterpreterSetting('[driver.vllm]\nvenv = "/vllm"\n', 'venv', '/trt')).to.equal('[driver.vllm]\nvenv = "/vllm"\n\n[driver.tensorrt_llm]\nvenv = "/trt"\n');
    });
  });

  describe('unset', () => {
    it('removes the key\'s whole line, and the table once it is empty', () => {
      expect(unsetInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v"\npython = "/p"\n', 'venv')).to.deep.equal({ text: '[driver.tensorrt_llm]\npython = "/p"\n', changed: true });
      expect(unsetInterpreterSetting('[python]\nvenv = "/s"\n\n[driver.tensorrt_llm]\npython = "/p"\n', 'python')).to.deep.equal({ text: '[python]\nvenv = "/s"\n\n', changed: true });
      expect(unsetInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v"', 'venv')).to.deep.equal({ text: '', changed: true });
    });

    it('changes nothing when the key or the table is not there', () => {
      for (const text of ['[driver.tensorrt_llm]\npython = "/p"\n', '[python]\nvenv = "/s"\n', '']) {
        expect(unsetInterpreterSetting(text, 'venv'), text).to.deep.equal({ text, changed: false });
      }
    });
  });

  it('refuses, with a stable code, to edit an entry written inline or with dotted keys', () => {
    for (const text of ['driver = { tensorrt_llm = { venv = "/x" } }\n', '[driver]\ntensorrt_llm.venv = "/x"\n']) {
      for (const edit of [() => setInterpreterSetting(text, 'venv', '/y'), () => unsetInterpreterSetting(text, 'venv')]) {
        expect(edit, text).to.throw(DriversFileEditError, 'drivers.toml sets driver.tensorrt_llm inline or with dotted keys; edit that entry by hand, or rewrite it as a [driver.tensorrt_llm] table');
        expect(() => { try { edit(); } catch (error) { throw new Error((error as DriversFileEditError).code); } }).to.throw('DRIVERS_FILE_UNEDITABLE');
      }
    }
  });

  it('refuses, with the same code, a file whose driver key is not a table (adding the table would break it)', () => {
    for (const text of ['driver = 3\n', '[[driver]]\nx = 1\n']) {
      expect(() => setInterpreterSetting(text, 'venv', '/y'), text).to.throw(DriversFileEditError, 'drivers.toml sets driver to something other than a table; edit that entry by hand so that [driver.tensorrt_llm] can sit below it');
    }
  });

  it('edits only the [driver.tensorrt_llm] table itself, not its sub-tables or an array of tables', () => {
    expect(setInterpreterSetting('[driver.tensorrt_llm.extra]\nvenv = "/x"\n\n[driver.tensorrt_llm]\nvenv = "/old"\n', 'venv', '/new')).to.equal('[driver.tensorrt_llm.extra]\nvenv = "/x"\n\n[driver.tensorrt_llm]\nvenv = "/new"\n');
    expect(() => setInterpreterSetting('[[driver.tensorrt_llm]]\nvenv = "/x"\n', 'venv', '/y')).to.throw(DriversFileEditError);
    expect(setInterpreterSetting('[python.tensorrt_llm]\nvenv = "/x"\n\n[driver.tensorrt_llm]\nvenv = "/old"\n', 'venv', '/new'), 'a table of the same name under another key').to.equal('[python.tensorrt_llm]\nvenv = "/x"\n\n[driver.tensorrt_llm]\nvenv = "/new"\n');
    expect(setInterpreterSetting('[driver.tensorrt_llm]\nve.nv = 1\n', 'venv', '/v'), 'a dotted key is not the key its parts spell').to.equal('[driver.tensorrt_llm]\nve.nv = 1\nvenv = "/v"\n');
  });

  it('applies a replacement and a removal in either order of the two lines, whatever the lengths', () => {
    expect(setInterpreterSetting('[driver.tensorrt_llm]\npython = "/p"\nvenv = "/v"\n', 'python', '/a/much/longer/interpreter/path')).to.equal('[driver.tensorrt_llm]\npython = "/a/much/longer/interpreter/path"\n');
    expect(setInterpreterSetting('[driver.tensorrt_llm]\nvenv = "/v"\npython = "/p"\n', 'venv', '/a/much/longer/venv')).to.equal('[driver.tensorrt_llm]\nvenv = "/a/much/longer/venv"\n');
  });

  it('names the file and the line of a syntax error', () => {
    // `venv = = ...`: the second `=` (column 8) is where the line stops being TOML.
    expect(() => setInterpreterSetting('[python]\nvenv = = "/x"\n', 'venv', '/x', '/home/op/.pie/drivers.toml')).to.throw(/^\/home\/op\/\.pie\/drivers\.toml:2:8: TOML syntax error/);
    expect(() => unsetInterpreterSetting('venv = = 1\n', 'venv', '/home/op/.pie/drivers.toml')).to.throw(/^\/home\/op\/\.pie\/drivers\.toml:1:8: TOML syntax error/);
    expect(() => setInterpreterSetting('venv = = 1\n', 'venv', '/x')).to.throw(/^drivers\.toml:1:8:/);
    expect(() => unsetInterpreterSetting('venv = = 1\n', 'venv')).to.throw(/^drivers\.toml:1:8:/);
  });
});
