import { describe, expect, it } from 'vitest';
import { InvalidError } from '../../src/errors.ts';
import { checkMessageTemplates, checkSmsLength, formatMessageTime, messageTemplateProblems, renderTemplate, smsLengthProblem, smsSegments } from '../../src/notify/message-template.ts';
import { parseTenantSettings } from '../../src/tenancy/tenant-settings.ts';

describe('renderTemplate', () => {
  it('fills the four variables, leaves unknown names as written, a missing value becomes empty', () => {
    expect(renderTemplate('{company}: call from {caller} for {extension} at {time}.', { caller: '13812345678', time: '2026-03-01 08:00', extension: '201', company: 'Acme' })).toBe(
      'Acme: call from 13812345678 for 201 at 2026-03-01 08:00.',
    );
    expect(renderTemplate('Hi {name}, {caller}{caller} {company}!', { caller: '1' })).toBe('Hi {name}, 11 !');
    expect(renderTemplate('{Caller} {caller', { caller: 'x' })).toBe('{Caller} {caller');
  });

  it('formats {time} as YYYY-MM-DD HH:MM in the tenant time zone', () => {
    const t = Date.UTC(2026, 0, 31, 23, 5);
    expect(formatMessageTime(t, 'Asia/Shanghai')).toBe('2026-02-01 07:05');
    expect(formatMessageTime(t)).toBe('2026-01-31 23:05');
    expect(formatMessageTime(Date.UTC(2026, 5, 1, 0, 0), 'UTC')).toBe('2026-06-01 00:00');
  });
});

describe('smsSegments', () => {
  it('GSM-7: 160 in one SMS, 161 takes two (153 per part); escaped characters count twice', () => {
    expect(smsSegments('a'.repeat(160))).toMatchObject({ encoding: 'gsm7', length: 160, segments: 1 });
    expect(smsSegments('a'.repeat(161))).toMatchObject({ encoding: 'gsm7', length: 161, segments: 2 });
    expect(smsSegments('a'.repeat(306)).segments).toBe(2);
    expect(smsSegments('a'.repeat(307)).segments).toBe(3);
    expect(smsSegments('{'.repeat(80))).toMatchObject({ encoding: 'gsm7', length: 160, segments: 1 });
    expect(smsSegments('{'.repeat(81)).segments).toBe(2);
    // an escape pair is not split across parts: 306 septets, but '€' does not fit after 152
    expect(smsSegments('a'.repeat(152) + '€' + 'a'.repeat(152))).toMatchObject({ length: 306, segments: 3 });
    expect(smsSegments('a'.repeat(151) + '€' + 'a'.repeat(153))).toMatchObject({ length: 306, segments: 2 });
    expect(smsSegments('é@£ ÄÖ§').encoding).toBe('gsm7');
  });

  it('UCS-2 (any non-GSM character, e.g. Chinese): 70 in one SMS, 71 takes two (67 per part)', () => {
    expect(smsSegments('中'.repeat(70))).toMatchObject({ encoding: 'ucs2', length: 70, segments: 1 });
    expect(smsSegments('中'.repeat(71))).toMatchObject({ encoding: 'ucs2', length: 71, segments: 2 });
    expect(smsSegments('中'.repeat(134)).segments).toBe(2);
    expect(smsSegments('中'.repeat(135)).segments).toBe(3);
    expect(smsSegments('a'.repeat(69) + 'ç')).toMatchObject({ encoding: 'ucs2', segments: 1 }); // ç is not in GSM-7 (Ç is)
    expect(smsSegments('a'.repeat(70) + '中')).toMatchObject({ encoding: 'ucs2', segments: 2 });
    expect(smsSegments('😀'.repeat(35))).toMatchObject({ encoding: 'ucs2', length: 70, segments: 1 });
  });
});

describe('SMS length of templates', () => {
  it('takes each variable at its longest: caller 20, time 16, extension 8, company 64 or the real name', () => {
    // 50 Chinese characters + {caller} (20) = 70: one SMS
    expect(smsLengthProblem('您'.repeat(50) + '{caller}', 1)).toBeUndefined();
    expect(smsLengthProblem('您'.repeat(51) + '{caller}', 1)).toMatch(/^1 SMS segment at most \(70 characters for Chinese text; this text can reach 71 characters with \{caller\} filled in\)/);
    expect(smsLengthProblem('a'.repeat(160 - 16 - 8) + '{time}{extension}', 1)).toBeUndefined();
    expect(smsLengthProblem('a'.repeat(161 - 16 - 8) + '{time}{extension}', 1)).toContain('160 characters for Latin (GSM) text');
    // company unknown: 64 characters; known: its own length and alphabet
    expect(smsLengthProblem('a'.repeat(96) + '{company}', 1)).toBeUndefined();
    expect(smsLengthProblem('a'.repeat(97) + '{company}', 1)).toBeDefined();
    expect(smsLengthProblem('a'.repeat(97) + '{company}', 1, 'Acme')).toBeUndefined();
    expect(smsLengthProblem('Thanks for calling {company}', 1, '北京某某科技有限公司')).toBeUndefined();
    expect(smsLengthProblem('a'.repeat(61) + '{company}', 1, '北京某某科技有限公司')).toMatch(/Chinese text; this text can reach 71/);
  });

  it('the refusal names the field, the limit, the longest length and what to cut', () => {
    const text = '感谢您致电{company}，' + '我'.repeat(180) + '来电{caller}'; // 188 fixed + 4 + 20
    let err: unknown;
    try {
      checkSmsLength(text, 3, { field: 'messages.hangup_sms.text', company: '某某公司' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as Error).message).toBe(
      'messages.hangup_sms.text: 3 SMS segments at most (70 characters each for Chinese text, 67 per part when split; this text can reach 212 characters with {company} and {caller} filled in); shorten it by at least 11 characters',
    );
    expect(checkSmsLength('Thank you for calling {company}.', 1)).toMatchObject({ encoding: 'gsm7', segments: 1 });
  });

  it('tenant settings: every message template is checked, with the company or the tenant name', () => {
    const ok = parseTenantSettings('{}');
    expect(messageTemplateProblems(ok)).toEqual([]);
    const long = parseTenantSettings(JSON.stringify({ messages: { missed_call_sms: { text: '未接来电'.repeat(50) + '{caller}' } } }));
    expect(messageTemplateProblems(long).map((p) => p.path.join('.'))).toEqual(['messages.missed_call_sms.text']);
    expect(messageTemplateProblems(long, { maxSegments: 4 })).toEqual([]);
    expect(() => checkMessageTemplates(long, { tenant: 'acme' })).toThrow(/^settings of tenant acme: messages\.missed_call_sms\.text: 3 SMS segments at most/);
  });
});
