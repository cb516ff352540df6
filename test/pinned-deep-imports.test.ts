// Code that reaches into a package's internal files (undici/lib/..., hdr-histogram-js/dist/...)
// depends on that exact layout, and errors.ts on undici's exact messages: such a package must be
// pinned to one version in package.json (no ^ or ~ range), the version package-lock.json holds.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string }> };

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Packages named with a path inside them, in a require() or import of src/. */
function deepImports(): Set<string> {
  const found = new Set<string>();
  // require('x/y'), createRequire(...)('x/y'), import ... from 'x/y', import('x/y')
  const spec = /(?:require\(|\)\(|from |import\()\s*['"]((?:@[\w.-]+\/)?[\w.-]+)\/[^'"]+['"]/g;
  for (const file of sources(join(root, 'src'))) {
    for (const m of readFileSync(file, 'utf8').matchAll(spec)) if (!m[1]!.startsWith('node:') && m[1] !== '.' && m[1] !== '..') found.add(m[1]!);
  }
  return found;
}

describe('deep imports', () => {
  it('pin their package to the exact locked version', () => {
    const deep = deepImports();
    // The two known today (undici-core.ts, stats.ts): proof the scan sees them; others are checked too.
    expect([...deep]).toEqual(expect.arrayContaining(['hdr-histogram-js', 'undici']));
    for (const name of deep) {
      const range = pkg.dependencies[name];
      expect(range, name).toMatch(/^\d+\.\d+\.\d+$/);
      expect(lock.packages[`node_modules/${name}`]?.version, name).toBe(range);
      expect(lock.packages['']).toMatchObject({ dependencies: { [name]: range } });
    }
  });
});
