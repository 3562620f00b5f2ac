// Message templates (tenant settings `messages.*.text`): rendering {caller} {time} {extension}
// {company}, and checking that a template, filled in at its longest, still fits the SMS limit.
// SMS length follows GSM 03.38: text made only of GSM-7 characters is 160 characters in one
// SMS and 153 per part of a longer one (^ { } [ ] ~ | \ € count twice); any other character
// (Chinese, emoji, …) makes the whole text UCS-2: 70 in one SMS, 67 per part (UTF-16 units).
import { InvalidError } from '../errors.ts';

export interface TemplateVars {
  caller?: string;
  time?: string;
  extension?: string;
  company?: string;
}

export const TEMPLATE_VARIABLES = ['caller', 'time', 'extension', 'company'] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

/** The SMS length limit when none is configured (notify.sms.max_segments' default). */
export const DEFAULT_SMS_MAX_SEGMENTS = 3;

const VARIABLE = /\{(caller|time|extension|company)\}/g;

/** Fills in the known variables; a missing value becomes '', unknown {names} stay as written. */
export function renderTemplate(text: string, vars: TemplateVars): string {
  return text.replace(VARIABLE, (_m, name: TemplateVariable) => vars[name] ?? '');
}

/** {time} as messages show it: 'YYYY-MM-DD HH:MM' in the tenant's time zone. */
export function formatMessageTime(ms: number, timeZone = 'UTC'): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(ms);
  const p = (type: string) => parts.find((x) => x.type === type)?.value ?? '';
  return `${p('year')}-${p('month')}-${p('day')} ${p('hour')}:${p('minute')}`;
}

const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const gsmBasic = new Set(GSM_BASIC);
const gsmExtension = new Set(GSM_EXTENSION);

export interface SmsLength {
  encoding: 'gsm7' | 'ucs2';
  /** Septets (GSM-7) or UTF-16 code units (UCS-2). */
  length: number;
  segments: number;
  /** Characters in one SMS, and per part of a longer one. */
  single: number;
  perPart: number;
}

/** How many SMS a text takes (a part never splits an escaped GSM character or a surrogate pair). */
export function smsSegments(text: string): SmsLength {
  const chars = [...text];
  const gsm = chars.every((c) => gsmBasic.has(c) || gsmExtension.has(c));
  const widths = gsm ? chars.map((c) => (gsmExtension.has(c) ? 2 : 1)) : chars.map((c) => c.length);
  const single = gsm ? 160 : 70;
  const perPart = gsm ? 153 : 67;
  const length = widths.reduce((a, b) => a + b, 0);
  let segments = 1;
  if (length > single) {
    segments = 1;
    let used = 0;
    for (const w of widths) {
      if (used + w > perPart) {
        segments++;
        used = 0;
      }
      used += w;
    }
  }
  return { encoding: gsm ? 'gsm7' : 'ucs2', length, segments, single, perPart };
}

/** The longest realistic value of each variable (the company's real name when known). */
export function longestVars(company?: string): Required<TemplateVars> {
  return {
    caller: '+' + '8'.repeat(19), // 20: international prefix and the longest number
    time: '2026-12-31 23:59', // 16
    extension: '8'.repeat(8),
    company: company ?? 'x'.repeat(64),
  };
}

function list(names: string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

/**
 * Why a template does not fit in `maxSegments` SMS once filled in at its longest, or undefined
 * when it fits. Without `company` the company name is taken as 64 Latin characters.
 */
export function smsLengthProblem(template: string, maxSegments: number, company?: string): string | undefined {
  const filled = smsSegments(renderTemplate(template, longestVars(company)));
  if (filled.segments <= maxSegments) return undefined;
  const used = [...new Set([...template.matchAll(VARIABLE)].map((m) => `{${m[1]}}`))];
  const kind = filled.encoding === 'ucs2' ? 'Chinese text' : 'Latin (GSM) text';
  const limit = maxSegments === 1 ? filled.single : filled.perPart * maxSegments;
  const what = maxSegments === 1 ? `1 SMS segment at most (${filled.single} characters for ${kind}` : `${maxSegments} SMS segments at most (${filled.single} characters each for ${kind}, ${filled.perPart} per part when split`;
  const reach = used.length > 0 ? `this text can reach ${filled.length} characters with ${list(used)} filled in` : `this text has ${filled.length} characters`;
  return `${what}; ${reach}); shorten it by at least ${filled.length - limit} character${filled.length - limit === 1 ? '' : 's'}`;
}

/** Throws InvalidError("<field>: …") when the template cannot fit; returns its longest length otherwise. */
export function checkSmsLength(template: string, maxSegments: number, opts: { field?: string; company?: string } = {}): SmsLength {
  const problem = smsLengthProblem(template, maxSegments, opts.company);
  if (problem !== undefined) throw new InvalidError(opts.field ? `${opts.field}: ${problem}` : problem);
  return smsSegments(renderTemplate(template, longestVars(opts.company)));
}

/** The parts of tenant settings that hold message templates. */
export interface MessageSettings {
  company?: string | undefined;
  messages: Record<string, { text: string }>;
}

/** Every template of a tenant's messages that does not fit, with its settings path (messages.hangup_sms.text). */
export function messageTemplateProblems(settings: MessageSettings, opts: { company?: string | undefined; maxSegments?: number | undefined } = {}): Array<{ path: string[]; message: string }> {
  const company = settings.company ?? opts.company;
  const max = opts.maxSegments ?? DEFAULT_SMS_MAX_SEGMENTS;
  const out: Array<{ path: string[]; message: string }> = [];
  for (const [name, m] of Object.entries(settings.messages)) {
    const problem = smsLengthProblem(m.text, max, company);
    if (problem !== undefined) out.push({ path: ['messages', name, 'text'], message: problem });
  }
  return out;
}

/**
 * Refuses tenant settings whose templates cannot fit (InvalidError "settings of tenant T:
 * messages.x.text: …"). `company` is the tenant's name, used when settings.company is unset.
 */
export function checkMessageTemplates(settings: MessageSettings, opts: { tenant?: string; company?: string; maxSegments?: number } = {}): void {
  const problems = messageTemplateProblems(settings, { company: opts.company ?? opts.tenant, maxSegments: opts.maxSegments });
  if (problems.length === 0) return;
  const text = problems.map((p) => `${p.path.join('.')}: ${p.message}`).join('; ');
  throw new InvalidError(opts.tenant ? `settings of tenant ${opts.tenant}: ${text}` : text);
}
