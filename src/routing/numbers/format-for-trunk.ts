// How a trunk wants a callee or caller number: carriers differ (+86…, 0086…, or 0…/138… as
// dialled at home), so each trunk's settings name one format and routing formats through here.
import type { NormalizedNumber } from './normalized-number.ts';

export type TrunkNumberFormat = 'e164' | 'national' | 'international00';

/** Short and emergency codes, and local numbers without a known area code, have no E.164 form
 *  and go out as dialled whatever the format. 'national' means as dialled from the home country,
 *  so a foreign number gets the home international prefix (00 by default). */
export function formatForTrunk(
  n: NormalizedNumber,
  format: TrunkNumberFormat,
  ctx: { internationalPrefix?: string } = {},
): string {
  if (n.e164 === undefined) return n.national;
  const internationalPrefix = ctx.internationalPrefix ?? '00';
  switch (format) {
    case 'e164':
      return n.e164;
    case 'international00':
      return internationalPrefix + n.e164.slice(1);
    case 'national':
      return n.kind === 'international' ? internationalPrefix + n.e164.slice(1) : n.national;
  }
}
