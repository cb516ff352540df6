// Character classes the HTML scanner, the attribute parsers and the CSS tokenizer share.

/** ASCII whitespace as HTML and CSS both define it: space, tab, LF, FF, CR. */
export const isSpace = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x09 || c === 0x0c || c === 0x0d;
