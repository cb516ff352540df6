// Properties of link extraction (fast-check; a fixed seed under CI, the seed printed on failure):
// - any split of a body into chunks gives the same PageLinks (fixtures and generated markup);
// - links planted inside comments, script, style, textarea, title are never extracted, those in
//   <a href> always are;
// - the scanner agrees with parse5's tokenizer (the WHATWG reference implementation) on markup
//   made of the pieces that trip tokenizers up;
// - the resolver's fast paths give what `new URL(value, base)` gives.

import fc from 'fast-check';
import { Tokenizer, TokenizerMode, type Token } from 'parse5';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module shared with bench/extract.mjs, no typings
import { linkFixtures } from '../fixtures/fixtures.mjs';
import { LinkExtractor, type PageLinks } from '../src/discover/extract.js';
import { LinkCollector, SCANNER_OPTIONS } from '../src/discover/link-rules.js';
import { Resolver } from '../src/discover/resolve.js';

const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: n, ...(process.env.CI ? { seed: 20261123 } : {}) });
const PAGE = 'http://example.com/dir/page.html';

function extract(body: Buffer, requisites: boolean, cuts: number[] = [], page = PAGE): PageLinks {
  const x = new LinkExtractor(page, { requisites });
  let from = 0;
  for (const cut of [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b)) {
    x.write(body.subarray(from, cut));
    from = cut;
  }
  x.write(body.subarray(from));
  return x.end();
}

// ---- the oracle: parse5's tokenizer, switched into raw text as a browser's tree builder does ----

const RAW_MODES: Record<string, TokenizerMode> = {
  script: TokenizerMode.SCRIPT_DATA, style: TokenizerMode.RAWTEXT, xmp: TokenizerMode.RAWTEXT,
  iframe: TokenizerMode.RAWTEXT, noembed: TokenizerMode.RAWTEXT, noframes: TokenizerMode.RAWTEXT,
  title: TokenizerMode.RCDATA, textarea: TokenizerMode.RCDATA, plaintext: TokenizerMode.PLAINTEXT,
};

function oracle(html: string, requisites: boolean, page = PAGE): PageLinks {
  const opt = requisites ? SCANNER_OPTIONS.requisites : SCANNER_OPTIONS.links;
  const collector = new LinkCollector(requisites, 10_000);
  let style: string | null = null;
  const flushStyle = (): void => {
    if (style !== null) collector.style(style);
    style = null;
  };
  const text = (t: Token.CharacterToken): void => {
    if (style !== null) style += t.chars;
  };
  const tokenizer: Tokenizer = new Tokenizer({ sourceCodeLocationInfo: false }, {
    onComment() {}, onDoctype() {}, onEof: flushStyle, onEndTag: flushStyle,
    onCharacter: text, onWhitespaceCharacter: text, onNullCharacter: text,
    onStartTag(tag) {
      const wanted = opt.tags.has(tag.tagName);
      const attrs: string[] = [];
      for (const a of tag.attrs) {
        if (wanted ? opt.attributes.has(a.name) : opt.styleAttributes && a.name === 'style') attrs.push(a.name, a.value);
      }
      if (wanted || attrs.length > 0) collector.tag(tag.tagName, attrs);
      const mode = RAW_MODES[tag.tagName];
      if (mode !== undefined) {
        tokenizer.state = mode;
        if (tag.tagName === 'style' && opt.styleText) style = '';
      }
    },
  });
  tokenizer.write(html, true);
  return collector.finish(page);
}

// ---- generated markup ----

/** Pieces that change tokenizer state, and links to find (or not) among them. */
const PIECES = [
  '<', '>', '/', '!', '-', '--', '<!', '<!-', '<!--', '-->', '--!>', '<!-->', '<!--->', '<?', '</', '</>',
  '<a href=/p1>', '<A HREF="/p2">', "<a href='/p3?x=1&amp;y=2'>", '<a href=/p4 title="x>y">', '<a\nhref\n=\n"/p5">',
  '<a/href=/p6>', '<a href="/p7" href="/dup">', '<area href=/p8>', '<iframe src=/p9>', '</iframe>',
  '<link rel="next stylesheet" href=/p10>', '<link rel=icon href=/p11>', '<base href=/b/>', '<meta http-equiv=refresh content="0; url=/p12">',
  '<meta name=robots content=nofollow>', '<img src=/i1 srcset="/s1 1x, /s2 2x">', '<div style="background:url(/u1)">',
  '<script>', '</script>', '<SCRIPT>', '</script ', '<script/>', '<style>', '</style>', '<textarea>', '</textarea>', '<title>',
  '</title>', '<xmp>', '</xmp>', '<noscript>', '</noscript>', '<noembed>', '</noembed>', '<plaintext>', '<![CDATA[', ']]>',
  '"', "'", '=', ' ', '\n', '\t', 'x', 'href', '&amp;', '&', '&#38;', '&lt;', 'url(/u2)', '@import "/u3";', 'javascript:x', '/p13',
];

/** Smaller alphabets, so that the rare sequences of one area come up often. */
const FOCUSED = [
  ['<script>', '</script>', '<script ', '</SCRIPT>', '<!--', '-->', '--', '-', '<', '>', '/', '<a href=/s1>', 'x', ' '],
  ['<!--', '-->', '--!>', '--', '-', '!', '>', '<', '<!', '<a href=/c1>', 'x', '\n'],
  ['<a', ' ', 'href', 'HREF', '=', '"', "'", '/q1', '>', '/', 'title', '&amp;', '&', '\n', 'x'],
  ['<style>', '</style>', '<textarea>', '</textarea>', '</', '<title>', '</title', '>', ' ', '<a href=/r1>', 'url(/r2)', '"', '/*', '*/'],
];

const markup = fc
  .oneof(
    { weight: 2, arbitrary: fc.array(fc.constantFrom(...PIECES), { maxLength: 40, size: 'max' }) },
    ...FOCUSED.map((set) => ({ weight: 1, arbitrary: fc.array(fc.constantFrom(...set), { maxLength: 30, size: 'max' }) })),
  )
  .map((parts) => parts.join(''));

describe('link extraction properties', () => {
  it('agrees with parse5 on markup built from tokenizer traps (links and requisites)', () => {
    fc.assert(
      fc.property(markup, fc.boolean(), (html, requisites) => {
        expect(extract(Buffer.from(html), requisites)).toEqual(oracle(html, requisites));
      }),
      runs(2000),
    );
  });

  it('gives the same PageLinks for any split of generated markup into chunks', () => {
    fc.assert(
      fc.property(markup, fc.boolean(), fc.array(fc.nat(), { maxLength: 12 }), (html, requisites, cuts) => {
        const body = Buffer.from(html);
        expect(extract(body, requisites, cuts)).toEqual(extract(body, requisites));
      }),
      runs(1500),
    );
  });

  it('gives the same PageLinks for any split of any fixture (multi-byte characters split too)', () => {
    const pages = (linkFixtures() as Array<{ type: string; body: Buffer; page: string; requisites: boolean }>).filter((f) => f.type === 'html');
    fc.assert(
      fc.property(fc.constantFrom(...pages), fc.array(fc.nat(), { minLength: 1, maxLength: 40 }), (f, cuts) => {
        expect(extract(f.body, f.requisites, cuts, f.page)).toEqual(extract(f.body, f.requisites, [], f.page));
      }),
      runs(600),
    );
  });

  it('never extracts links planted in comments, script, style, textarea, title; always those in <a href>', () => {
    // Safe filler: no `<`, so nothing in it can open a tag or close a raw-text element.
    const filler = fc.stringMatching(/^[a-z .,;:>"'=&\n-]{0,30}$/).map((s) => s.replace(/--/g, '- ').replace(/-$/, ''));
    const planted = (n: number): string => `/bad-${n}`;
    const hiding = [
      (u: string, t: string) => `<!-- ${t} <a href="${u}"> ${t} -->`,
      (u: string, t: string) => `<!--<a href=${u}>--!>`,
      (u: string, t: string) => `<script>var s = '<a href="${u}">'; ${t.replace(/'/g, '')}</script>`,
      (u: string) => `<script><!-- <script> x </script> <a href=${u}> --></script>`,
      (u: string, t: string) => `<style>/* ${t.replace(/\*/g, '')} */ a[href="${u}"] {}</style>`,
      (u: string, t: string) => `<textarea>${t}<a href="${u}"></textarea>`,
      (u: string, t: string) => `<TITLE>${t}<a href='${u}'></TITLE>`,
      (u: string) => `<xmp><a href=${u}></xmp>`,
    ];
    const showing = [
      (u: string, t: string) => `<a href="${u}">${t}</a>`,
      (u: string, t: string) => `<A HREF='${u}'>${t}</A>`,
      (u: string) => `<a class=x href=${u} title="a>b">`,
      (u: string) => `<a\n  href = "${u}"\n>`,
    ];
    const doc = fc.array(
      fc.tuple(fc.boolean(), fc.nat(hiding.length - 1), fc.nat(showing.length - 1), filler),
      { maxLength: 25 },
    );
    fc.assert(
      fc.property(doc, fc.array(fc.nat(), { maxLength: 8 }), (items, cuts) => {
        let html = '<!DOCTYPE html><body>';
        const good: string[] = [];
        items.forEach(([show, h, s, text], n) => {
          if (show) {
            const url = `/good-${n}`;
            good.push(`http://example.com${url}`);
            html += showing[s]!(url, text) + '\n';
          } else {
            html += hiding[h]!(planted(n), text) + '\n';
          }
        });
        const { links } = extract(Buffer.from(html), false, cuts);
        expect(links).toEqual(good);
      }),
      runs(800),
    );
  });

  it('resolves like new URL(value, base) on its fast paths', () => {
    const bases = ['http://example.com/dir/page.html', 'https://u:p@example.com:8443/a/', 'http://[::1]:8080/x?q#f', 'http://xn--bcher-kva.example/'];
    const value = fc.oneof(
      fc.string(),
      fc.array(fc.constantFrom('/', '\\', '\t', '\n', ' ', 'http://', 'https://', 'a', '..', '.', '?', '#', '%2e', ':', '@', 'ü', '//x'), { maxLength: 10 }).map((p) => p.join('')),
    );
    fc.assert(
      fc.property(fc.constantFrom(...bases), value, (base, raw) => {
        let slow: string | null = null;
        try {
          const u = new URL(raw, base);
          if (u.protocol === 'http:' || u.protocol === 'https:') slow = u.href.split('#')[0]!;
        } catch {
          slow = null;
        }
        expect(new Resolver(base).resolve(raw)).toBe(slow);
      }),
      runs(2000),
    );
  });
});
