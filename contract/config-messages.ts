// Config problems in plain zh-CN with en beside (issue 20): zod's and the YAML parser's own texts ("Too
// big: expected number to be <=247", "Flow map in block collection must be sufficiently indented…") say
// what the library saw, not what an installer should change. Messages our schemas write themselves
// (refine/regex texts) are already written for installers and pass through unchanged.
import type { z } from 'zod';

const TYPE_ZH: Readonly<Record<string, string>> = {
  number: '数字',
  string: '文字',
  boolean: 'true 或 false',
  object: '键值映射',
  array: '列表',
  int: '整数',
};

function bound(value: unknown): string {
  return typeof value === 'bigint' ? value.toString() : String(value);
}

/** zod's own default texts; a message our schema wrote itself (min(1, 'a site needs…')) is kept as written. */
const ZOD_DEFAULT = /^(Too (big|small)|Invalid (input|option|type|value|discriminator)|Expected|No matching)/;

/** One zod issue as an installer reads it: "zh / en". */
export function zodMessage(issue: z.core.$ZodIssue): string {
  if (!ZOD_DEFAULT.test(issue.message)) return issue.message;
  switch (issue.code) {
    case 'invalid_union':
      if ('note' in issue && issue.note === 'No matching discriminator') {
        const key = String(issue.discriminator ?? 'type');
        return `${key} 不是已知的种类 / unknown ${key}; expected one of the documented kinds`;
      }
      return `不符合任何一种允许的写法 / matches none of the allowed forms`;
    case 'invalid_value':
      return `应为 ${issue.values.map((v) => JSON.stringify(v)).join('、')} 之一 / expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
    case 'too_big': {
      const max = bound(issue.maximum);
      if (issue.origin === 'string') return `太长：最多 ${max} 个字符 / too long: at most ${max} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `太多：最多 ${max} 项 / too many: at most ${max} items`;
      return issue.inclusive === false ? `太大：须小于 ${max} / too big: must be less than ${max}` : `太大：最大为 ${max} / too big: at most ${max}`;
    }
    case 'too_small': {
      const min = bound(issue.minimum);
      if (issue.origin === 'string') return min === '1' ? '不能为空 / must not be empty' : `太短：至少 ${min} 个字符 / too short: at least ${min} characters`;
      if (issue.origin === 'array' || issue.origin === 'set') return `太少：至少 ${min} 项 / too few: at least ${min} items`;
      return issue.inclusive === false ? `太小：须大于 ${min} / too small: must be more than ${min}` : `太小：最小为 ${min} / too small: at least ${min}`;
    }
    case 'invalid_type': {
      if (/received undefined/.test(issue.message)) return '缺少此项（必填） / missing (required)';
      const expected = String(issue.expected);
      return `应为${TYPE_ZH[expected] ?? expected} / expected ${expected === 'int' ? 'a whole number' : expected === 'object' ? 'a mapping (key: value)' : expected === 'array' ? 'a list' : `a ${expected}`}`;
    }
    case 'not_multiple_of':
      return `须为 ${bound(issue.divisor)} 的整数倍 / must be a multiple of ${bound(issue.divisor)}`;
    default:
      // Our own refine/regex texts are written for installers; zod's generic ones get a plain prefix.
      return /^Invalid /.test(issue.message) ? `写法不对 / not valid: ${issue.message}` : issue.message;
  }
}

/** The YAML parser's error codes as an installer reads them: "zh / en". */
export function yamlMessage(code: string, message: string): string {
  if (code === 'BAD_INDENT' && /^Flow (map|sequence)/.test(message)) {
    const [open, close] = /^Flow map/.test(message) ? ['{', '}'] : ['[', ']'];
    return `${open} 没有用 ${close} 闭合 / "${open}" is not closed with "${close}"`;
  }
  switch (code) {
    case 'TAB_AS_INDENT':
      return '缩进不能用 Tab，请用空格 / tabs are not allowed as indentation; use spaces';
    case 'DUPLICATE_KEY':
      return `同一个键写了两次 / the same key is written twice (${message})`;
    case 'BAD_INDENT':
    case 'BLOCK_AS_IMPLICIT_KEY':
    case 'MULTILINE_IMPLICIT_KEY':
      return `缩进没有对齐（检查这一行和上一行的空格数） / indentation does not line up (count the spaces on this line and the one above): ${message}`;
    case 'MISSING_CHAR':
      return `缺少符号 / missing character: ${message}`;
    default:
      return `YAML 写法错误 / YAML syntax: ${message}`;
  }
}
