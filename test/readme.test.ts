// The README's option table must match the real --help: every flag in one is in the other.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers.js';

const flagsIn = (text: string): Set<string> => new Set(text.match(/--[a-z][a-z0-9-]*/g) ?? []);

describe('README', () => {
  it('documents every option of --help in its option table, and nothing else', async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.split('## Options')[1]!.split('\n## ')[0]!;
    const tableFlags = flagsIn(table.split('\n').filter((l) => l.startsWith('| `-')).join('\n'));
    const help = await runCli(['--help']);
    const helpFlags = flagsIn(help.stdout.split('Commands:')[0]!);
    expect([...tableFlags].sort()).toEqual([...helpFlags].sort());
  });

  it("documents every option of `sweep work --help` in the distributed section's table, and nothing else", async () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.split('Options of `sweep work`')[1]!.split('\n\n')[1]!;
    const tableFlags = flagsIn(section.split('\n').filter((l) => l.startsWith('| `-')).join('\n'));
    const help = await runCli(['work', '--help']);
    const helpFlags = flagsIn(help.stdout.split('Options:')[1]!);
    helpFlags.delete('--help');
    expect([...tableFlags].sort()).toEqual([...helpFlags].sort());
  });

  it('opens with the two set-up commands', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const firstBlock = readme.split('```sh')[1]!.split('```')[0]!;
    expect(firstBlock).toMatch(/npm ci && npm start/);
    expect(firstBlock).toMatch(/npm ci && npm test/);
  });
});
