// One header from undici's raw header list ([name, value, name, value, ...]). Header names are
// ASCII tokens, compared case-insensitively; `name` must be given lower-case.

export function headerValue(raw: readonly (Buffer | string)[] | null, name: string): string | null {
  if (raw === null) return null;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toString().toLowerCase() === name) return raw[i + 1]!.toString();
  }
  return null;
}
