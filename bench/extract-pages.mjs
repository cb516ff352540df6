// Generated HTML pages for benchmarks: deterministic, ~12 KB, ~20 links each, shaped like a
// small site's article (head with a style sheet, inline style and script, a nav, paragraphs
// with inline markup, a footer). bench/extract.mjs measures extraction on them; a generated
// site for a recursive crawl can be built from the same function.

/** A deterministic PRNG (mulberry32), so every run measures the same pages. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = ('lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut ' +
  'labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi ' +
  'aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum').split(' ');

/** One page of about `bytes` bytes with `links` <a href> links, like a small site's article. */
export function generatePage(n, links = 20, bytes = 12_000) {
  const r = rng(n + 1);
  const word = () => WORDS[Math.floor(r() * WORDS.length)];
  const words = (k) => Array.from({ length: k }, word).join(' ');
  const href = () => (r() < 0.7 ? `/site/p${Math.floor(r() * 20000)}.html` : `../sec${Math.floor(r() * 50)}/item-${Math.floor(r() * 1000)}.html?ref=${word()}&amp;x=${Math.floor(r() * 100)}`);
  const head = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Page ${n}: ${words(5)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/site.css"><link rel="canonical" href="/site/p${n}.html">
<style>body{font-family:sans-serif;margin:0 auto;max-width:60em}.nav a{padding:0 .5em}.card{border:1px solid #ccc}</style>
<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());if(a<b&&c>d){}</script>
</head><body class="article page-${n}">
<header class="site-header"><div class="wrap"><span class="logo">Site</span>
<nav class="nav" aria-label="main">`;
  let html = head;
  let made = 0;
  const nav = Math.floor(links / 4);
  for (; made < nav; made++) html += `<a class="nav-link" href="${href()}">${words(2)}</a>\n`;
  html += '</nav></div></header>\n<main id="content"><article class="post">\n';
  html += `<h1 class="title">${words(6)}</h1>\n<!-- article body: ${words(8)} -->\n`;
  const foot = '</article></main>\n<footer class="site-footer"><p>&copy; Site. ' + words(10) + '</p></footer>\n</body></html>\n';
  const paragraphs = links - nav - 2;
  const perParagraph = Math.max(200, Math.floor((bytes - html.length - foot.length - 400) / paragraphs));
  for (let p = 0; p < paragraphs; p++) {
    let para = `<div class="card"><p class="para" data-id="${p}">`;
    while (para.length < perParagraph - 120) {
      const x = r();
      if (x < 0.1) para += `<b>${words(2)}</b> `;
      else if (x < 0.2) para += `<span class="hl">${words(3)}</span> `;
      else if (x < 0.25) para += `<em>${words(2)}</em>, `;
      else para += `${words(4)} `;
    }
    para += `<a href="${href()}" title="${words(2)}">${words(3)}</a>.</p></div>\n`;
    html += para;
    made++;
  }
  html += `<p class="more"><a href="${href()}">${words(2)}</a> <a href="${href()}" rel="next">next</a></p>\n`;
  return Buffer.from(html + foot);
}
