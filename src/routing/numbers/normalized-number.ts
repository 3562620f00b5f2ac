// What number normalisation hands back (ARCHITECTURE.md "routing/"): either a classified number
// or a typed error. Bad input is what callers and trunks send every day, so nothing here throws.

export type NumberKind = 'mobile' | 'landline' | 'international' | 'short' | 'tollfree' | 'emergency';

export interface NormalizedNumber {
  kind: NumberKind;
  /** `+<country><significant>`; absent for short and emergency codes (only dialled as they are)
   *  and for a bare local number when the area code is not known. */
  e164?: string;
  /** As dialled inside the number's own country: 01088886666, 13812345678, 4008001234, 110;
   *  for a foreign number with that country's trunk prefix when we know it (+44 20… → 020…). */
  national: string;
  /** The number's country, without '+': the home country for every kind but 'international'. */
  countryCode: string;
  /** Without the trunk prefix: '10', '571'. */
  areaCode?: string;
  isMobile: boolean;
  isEmergency: boolean;
}

export type NumberErrorCode = 'empty' | 'not-a-number' | 'too-short' | 'too-long' | 'unknown-format' | 'unknown-country';

export interface NumberError {
  error: NumberErrorCode;
  /** For logs and the portal, e.g. "too long: 138123456789 has 12 digits, a mobile number 11". */
  message: string;
}

/** The home country's dialling conventions; every field defaults to China's (86, 0, 00). */
export interface NumberContext {
  countryCode?: string;
  trunkPrefix?: string;
  internationalPrefix?: string;
  /** The caller's own area code (with or without the trunk prefix), put before bare local numbers. */
  areaCode?: string;
}

export function isNumberError<T extends object>(r: T | NumberError): r is NumberError {
  return 'error' in r;
}

export function numberError(error: NumberErrorCode, message: string): NumberError {
  return { error, message };
}
