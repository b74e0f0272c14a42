/**
 * RE2 (TensorFlow's regex engine) patterns and rewrites as JavaScript RegExps and replacement strings. RE2's
 * syntax is close to JavaScript's with the `u` flag; the differences handled here: a backslash before any ASCII
 * punctuation is a literal (JavaScript's `u` mode allows only a few), `\pL`-style one-letter classes, `\A`, `\z`,
 * `\Q…\E`, `(?P<name>…)`, POSIX classes `[[:alpha:]]`, leading flag groups `(?i)` `(?s)` `(?m)`, and RE2's `\s`
 * (ASCII whitespace without \v). Rewrites use `\0`–`\9` for groups and `\\` for a backslash. Anything JavaScript
 * cannot compile is UNIMPLEMENTED naming the pattern.
 */
import { InferdError } from '../../core/errors.ts';

const POSIX: Record<string, string> = {
  alpha: 'A-Za-z', digit: '0-9', alnum: '0-9A-Za-z', upper: 'A-Z', lower: 'a-z', space: '\\t\\n\\x0b\\f\\r ',
  punct: '!-\\x2f:-@\\x5b-`{-~', xdigit: '0-9A-Fa-f', word: '0-9A-Za-z_', blank: '\\t ', cntrl: '\\x00-\\x1f\\x7f',
};

const hex = (c: string): string => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`;
const quote = (s: string): string => Array.from(s, (c) => (/[A-Za-z0-9_]/.test(c) ? c : c.charCodeAt(0) < 0x80 ? hex(c) : c)).join('');

/** The JavaScript source of an RE2 pattern body, and the flags its leading `(?flags)` group sets. */
function translate(pattern: string, what: string): { source: string; flags: string } {
  let p = pattern;
  let flags = '';
  const lead = /^\(\?([ims]+)\)/.exec(p);
  if (lead) {
    flags = Array.from(new Set(lead[1])).join('');
    p = p.slice(lead[0].length);
  }
  let out = '';
  let inClass = false;
  for (let i = 0; i < p.length; i++) {
    const c = p[i] as string;
    if (c === '\\') {
      const n = p[i + 1];
      if (n === undefined) throw InferdError.unimplemented(`${what}: pattern ends with a backslash: ${pattern}`);
      i++;
      if (n === 'Q') {
        const end = p.indexOf('\\E', i + 1);
        out += quote(end < 0 ? p.slice(i + 1) : p.slice(i + 1, end));
        i = end < 0 ? p.length : end + 1;
      } else if ((n === 'p' || n === 'P') && p[i + 1] !== '{') {
        out += `\\${n}{${p[i + 1] ?? ''}}`;
        i++;
      } else if (n === 's' || n === 'S') {
        const set = '\\t\\n\\f\\r ';
        out += inClass ? (n === 's' ? set : `\\S`) : n === 's' ? `[${set}]` : `[^${set}]`;
      } else if (n === 'A' && !inClass) out += '(?<![\\s\\S])';
      else if (n === 'z' && !inClass) out += '(?![\\s\\S])';
      else if (/[!-/:-@[-`{-~]/.test(n)) out += hex(n);
      else out += `\\${n}`;
      continue;
    }
    if (!inClass && c === '(' && p.startsWith('(?P<', i)) {
      out += '(?<';
      i += 3;
      continue;
    }
    if (c === '[') {
      const posix = /^\[:(\^?)([a-z]+):\]/.exec(p.slice(i));
      if (inClass && posix) {
        const set = POSIX[posix[2] as string];
        if (!set || posix[1]) throw InferdError.unimplemented(`${what}: POSIX class ${posix[0]} is not supported: ${pattern}`);
        out += set;
        i += posix[0].length - 1;
        continue;
      }
      if (!inClass) {
        inClass = true;
        out += c;
        if (p[i + 1] === '^') {
          out += '^';
          i++;
        }
        if (p[i + 1] === ']') {
          out += '\\x5d';
          i++;
        }
        continue;
      }
      out += '\\x5b';
      continue;
    }
    if (c === ']' && inClass) inClass = false;
    out += c;
  }
  return { source: out, flags };
}

/** A JavaScript RegExp for an RE2 pattern (`global`: every match). `what` names the op in errors. */
export function re2ToRegExp(pattern: string, global: boolean, what: string): RegExp {
  const { source, flags } = translate(pattern, what);
  try {
    return new RegExp(source, `u${flags}${global ? 'g' : ''}`);
  } catch (e) {
    throw InferdError.unimplemented(`${what}: RE2 pattern ${JSON.stringify(pattern)} is not supported (${(e as Error).message})`);
  }
}

/** A String.prototype.replace replacement string for an RE2 rewrite. */
export function re2Replacement(rewrite: string): string {
  let out = '';
  for (let i = 0; i < rewrite.length; i++) {
    const c = rewrite[i] as string;
    if (c === '$') out += '$$';
    else if (c === '\\' && /[0-9]/.test(rewrite[i + 1] ?? '')) {
      out += rewrite[i + 1] === '0' ? '$&' : `$${rewrite[i + 1]}`;
      i++;
    } else if (c === '\\' && rewrite[i + 1] === '\\') {
      out += '\\';
      i++;
    } else out += c;
  }
  return out;
}
