import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * The NVIDIA and TensorRT wheel library folders inside the interpreter's site-packages. They must be
 * on LD_LIBRARY_PATH before the runtime starts; doing it here saves the re-exec Pie's driver does.
 */
export function wheelLibraryDirs(python: string): string[] {
  const prefix = dirname(dirname(python));
  const libRoot = join(prefix, 'lib');
  if (!existsSync(libRoot)) return [];
  const dirs: string[] = [];
  for (const version of readdirSync(libRoot)) {
    if (!version.startsWith('python3')) continue;
    const site = join(libRoot, version, 'site-packages');
    const nvidia = join(site, 'nvidia');
    if (existsSync(nvidia)) {
      for (const pkg of readdirSync(nvidia)) {
        for (const sub of ['lib', 'lib64']) {
          const dir = join(nvidia, pkg, sub);
          if (existsSync(dir)) dirs.push(dir);
        }
      }
    }
    for (const extra of ['tensorrt_libs', join('tensorrt_llm', 'libs')]) {
      if (existsSync(join(site, extra))) dirs.push(join(site, extra));
    }
  }
  return dirs;
}

/** LD_LIBRARY_PATH with the wheel folders in front, each once. */
export function libraryPathWith(dirs: string[], current: string | undefined): string | undefined {
  const existing = (current ?? '').split(':').filter(Boolean);
  const missing = dirs.filter((d) => !existing.includes(d));
  if (missing.length === 0) return current;
  return [...missing, ...existing].join(':');
}
