// The link-extraction candidates bench/extract.mjs compares. All of them feed the same rules
// (dist/discover/link-rules.js: which tags and attributes are links, base, refresh, robots);
// only the tokenizer in front differs. The shipped one is sweep's own scanner
// (dist/discover/extract.js); the htmlparser2 ones stay here, for the comparison.

import { StringDecoder } from 'node:string_decoder';
import { Parser, Tokenizer } from 'htmlparser2';
import { fromCodePoint } from 'entities/decode';
import { LinkExtractor } from '../dist/discover/extract.js';
import { DEFAULT_MAX_LINKS, LinkCollector, SCANNER_OPTIONS } from '../dist/discover/link-rules.js';

const optionsFor = (requisites) => (requisites ? SCANNER_OPTIONS.requisites : SCANNER_OPTIONS.links);

/** htmlparser2 10's Parser: onopentag hands over a decoded attribute object. */
class Htmlparser2Parser {
  constructor(pageUrl, { requisites }) {
    this.pageUrl = new URL(pageUrl).href;
    const opt = optionsFor(requisites);
    const collector = (this.collector = new LinkCollector(requisites, DEFAULT_MAX_LINKS));
    this.decoder = new StringDecoder('utf8');
    let style = null;
    this.parser = new Parser(
      {
        onopentag(name, attribs) {
          const wanted = opt.tags.has(name);
          const attrs = [];
          for (const key in attribs) {
            if (wanted ? opt.attributes.has(key) : opt.styleAttributes && key === 'style') attrs.push(key, attribs[key]);
          }
          if (wanted || attrs.length > 0) collector.tag(name, attrs);
          if (name === 'style' && opt.styleText) style = '';
        },
        ontext(text) {
          if (style !== null) style += text;
        },
        onclosetag() {
          if (style !== null) { collector.style(style); style = null; }
        },
      },
      { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
    );
  }
  write(chunk) { this.parser.write(this.decoder.write(chunk)); }
  end() {
    this.parser.write(this.decoder.end());
    this.parser.end();
    return this.collector.finish(this.pageUrl);
  }
}

/** htmlparser2 10's Tokenizer alone: index callbacks, strings sliced only for wanted tags. */
class Htmlparser2Tokenizer {
  constructor(pageUrl, { requisites }) {
    this.pageUrl = new URL(pageUrl).href;
    const opt = optionsFor(requisites);
    const collector = (this.collector = new LinkCollector(requisites, DEFAULT_MAX_LINKS));
    this.decoder = new StringDecoder('utf8');
    // The tokenizer reports absolute indices into the stream of chunks it was given.
    const buffers = (this.buffers = []);
    let offset = 0;
    const slice = (start, end) => {
      while (buffers.length > 1 && start - offset >= buffers[0].length) offset += buffers.shift().length;
      let out = buffers[0].slice(start - offset, end - offset);
      let base = offset + buffers[0].length;
      for (let k = 1; end > base && k < buffers.length; k++) {
        out += buffers[k].slice(0, end - base);
        base += buffers[k].length;
      }
      return out;
    };
    let name = '';
    let want = 0; // 0 none, 1 listed attributes, 2 style only
    let attrs = [];
    let attrName = '';
    let keep = false;
    let value = '';
    let style = null;
    const endOpen = () => {
      if (want === 1 || (want === 2 && attrs.length > 0)) collector.tag(name, attrs);
      if (name === 'style' && opt.styleText) style = '';
    };
    this.tokenizer = new Tokenizer({ xmlMode: false, decodeEntities: true }, {
      onopentagname(start, end) {
        name = slice(start, end).toLowerCase();
        want = opt.tags.has(name) ? 1 : opt.styleAttributes ? 2 : 0;
        attrs = [];
      },
      onattribname(start, end) {
        if (want === 0) { keep = false; return; }
        attrName = slice(start, end).toLowerCase();
        keep = (want === 1 ? opt.attributes.has(attrName) : attrName === 'style') && !attrs.includes(attrName);
        value = '';
      },
      onattribdata(start, end) { if (keep) value += slice(start, end); },
      onattribentity(cp) { if (keep) value += fromCodePoint(cp); },
      onattribend() { if (keep) attrs.push(attrName, value); keep = false; },
      onopentagend: endOpen,
      onselfclosingtag: endOpen,
      ontext(start, end) { if (style !== null) style += slice(start, end); },
      ontextentity(cp) { if (style !== null) style += fromCodePoint(cp); },
      onclosetag() { if (style !== null) { collector.style(style); style = null; } },
      oncomment() {}, oncdata() {}, ondeclaration() {}, onprocessinginstruction() {},
      onend() { if (style !== null) { collector.style(style); style = null; } },
    });
  }
  write(chunk) {
    const text = this.decoder.write(chunk);
    this.buffers.push(text);
    this.tokenizer.write(text);
  }
  end() {
    const text = this.decoder.end();
    if (text) { this.buffers.push(text); this.tokenizer.write(text); }
    this.tokenizer.end();
    return this.collector.finish(this.pageUrl);
  }
}

export const CANDIDATES = [
  { name: 'sweep scanner (shipped)', make: (url, opt) => new LinkExtractor(url, opt) },
  { name: 'htmlparser2 Tokenizer', make: (url, opt) => new Htmlparser2Tokenizer(url, opt) },
  { name: 'htmlparser2 Parser', make: (url, opt) => new Htmlparser2Parser(url, opt) },
];
