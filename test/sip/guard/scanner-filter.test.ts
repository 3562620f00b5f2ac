import { describe, expect, it } from 'vitest';
import { ScannerFilter } from '../../../src/sip/guard/scanner-filter.ts';

describe('ScannerFilter', () => {
  const f = new ScannerFilter();
  it('recognises known scanner User-Agents, case-insensitively', () => {
    for (const ua of ['friendly-scanner', 'sipvicious/0.3.4', 'SIPVicious', 'sipcli/v1.8', 'VaxSIPUserAgent/3.1', 'iWar', 'pplsip', 'sundayddr']) {
      expect(f.isScanner(ua), ua).toBe(true);
      expect(f.isScanner(ua), `${ua} (cached)`).toBe(true);
    }
  });
  it('lets real phones and tools through', () => {
    for (const ua of ['Yealink SIP-T46S 66.86.0.15', 'Grandstream GXP2170 1.0.11.3', 'Zoiper rv2.10', 'PortSIP UAC', 'eyeBeam release 1004p', 'sipsak 0.9.8', 'Asterisk PBX 20.5.0', undefined, '']) {
      expect(f.isScanner(ua), String(ua)).toBe(false);
    }
  });
  it('takes a configured list and extra patterns', () => {
    const g = new ScannerFilter({ patterns: ['evil'], extraPatterns: ['Bad-Bot'] });
    expect(g.isScanner('EVIL 1.0')).toBe(true);
    expect(g.isScanner('bad-bot/2')).toBe(true);
    expect(g.isScanner('friendly-scanner')).toBe(false);
  });
});
