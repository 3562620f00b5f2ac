// Per-country dialling facts: trunk and international prefixes and emergency numbers. Only what
// this table holds is known about a country; add a row to support another home country or to
// give a foreign number its national form. Emergency numbers are never sent with a country code.

export interface CountryDialling {
  trunkPrefix: string;
  internationalPrefix: string;
  emergency: readonly string[];
}

export const COUNTRIES: Readonly<Record<string, CountryDialling>> = {
  '86': { trunkPrefix: '0', internationalPrefix: '00', emergency: ['110', '119', '120', '122'] },
  '852': { trunkPrefix: '', internationalPrefix: '001', emergency: ['999', '112'] },
  '853': { trunkPrefix: '', internationalPrefix: '00', emergency: ['999', '112'] },
  '886': { trunkPrefix: '0', internationalPrefix: '002', emergency: ['110', '119', '112'] },
  '1': { trunkPrefix: '1', internationalPrefix: '011', emergency: ['911'] },
  '44': { trunkPrefix: '0', internationalPrefix: '00', emergency: ['999', '112'] },
  '49': { trunkPrefix: '0', internationalPrefix: '00', emergency: ['110', '112'] },
};

export function isEmergencyNumber(countryCode: string, digits: string): boolean {
  return COUNTRIES[countryCode]?.emergency.includes(digits) ?? false;
}
