import { readConfigText } from '../config/config-file-reader.js';
import { TomlDocument } from '../config/toml-document.js';

/** An interpreter setting in `$PIE_HOME/drivers.toml`: a venv folder or an interpreter path. */
export interface InterpreterSetting {
  venv?: string;
  python?: string;
}

export interface DriversFileSettings {
  /** `[driver.tensorrt_llm]` */
  driver: InterpreterSetting;
  /** `[python]`, the default for every Python driver */
  python: InterpreterSetting;
}

function setting(table: unknown): InterpreterSetting {
  if (table === null || typeof table !== 'object') return {};
  const { venv, python } = table as Record<string, unknown>;
  return { ...(typeof venv === 'string' && venv ? { venv } : {}), ...(typeof python === 'string' && python ? { python } : {}) };
}

/** Reads the interpreter settings; a missing file means none (as in Pie). Throws on a file that is not TOML. */
export function readDriversFile(path: string): DriversFileSettings {
  const text = readConfigText(path, { missingOk: true });
  if (text === undefined) return { driver: {}, python: {} };
  const value = TomlDocument.parse(text, path).value;
  const driver = (value.driver as Record<string, unknown> | undefined)?.tensorrt_llm;
  return { driver: setting(driver), python: setting(value.python) };
}
