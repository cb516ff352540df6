// The options of a recursive crawl on a commander command: the crawl itself (`sweep`) and
// `sweep enqueue` take the same ones, with the same parsers and messages (--state-dir only where
// it applies).

import { Option, type Command } from '../commander.js';
import { parse } from '../config.js';
import { compileRegex, parseScopeKind } from '../discover/scope-options.js';

type Arg = <T, P = T>(fn: (raw: string, previous: P) => T) => (raw: string, previous: P) => T;

export function addFollowOptions(cmd: Command, arg: Arg, local: boolean): Command {
  cmd
    .option('--depth <n>', 'follow links up to n hops from each seed (0: none)', arg(parse.nonNegative))
    .addOption(new Option('--scope <kind>', 'which found URLs are admitted: origin, host, domain, prefix or any (default: origin)').argParser(arg(parseScopeKind)))
    .option('--include <re>', 'admit only found URLs matching this regular expression (repeatable)', arg((raw: string, prev: RegExp[] = []) => [...prev, compileRegex(raw, '--include')]))
    .option('--exclude <re>', 'never admit found URLs matching this regular expression (repeatable; wins over --include)', arg((raw: string, prev: RegExp[] = []) => [...prev, compileRegex(raw, '--exclude')]))
    .option('--max-pages <n>', 'admit no new URL once this many are (seeds count)', arg(parse.positive));
  cmd.option('--sitemaps', "read each seed origin's robots.txt Sitemap lines (or /sitemap.xml); their URLs are depth 0");
  cmd.option('--requisites', 'also follow page requisites: images, scripts, style sheets, CSS url()');
  if (local) cmd.option('--state-dir <dir>', "where a large frontier may spill (default: the output's directory; none with stdout)");
  return cmd;
}
