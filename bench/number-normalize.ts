// Number normalisation throughput: normalizeNumber over N mixed inputs (mobiles in every prefix
// form, landlines with separators, short and toll-free codes, foreign numbers, tel:/sip: URIs,
// errors), as routing will run it on every call's caller and callee. Prints one JSON object.
//
//   node --import tsx bench/number-normalize.ts [N=1000000]
import { performance } from 'node:perf_hooks';
import { normalizeNumber } from '../src/routing/numbers/normalize-number.ts';
import { isNumberError } from '../src/routing/numbers/normalized-number.ts';

const total = Number(process.argv[2] ?? 1_000_000);
const templates = [
  (i: number) => `138${pad(i, 8)}`,
  (i: number) => `+86 159 ${pad(i, 4)} ${pad(i * 7, 4)}`,
  (i: number) => `0086186${pad(i, 8)}`,
  (i: number) => `010-8${pad(i, 3)}-${pad(i, 4)}`,
  (i: number) => `(0571) 8${pad(i, 7)}`,
  (i: number) => `+86 (0)755 2${pad(i, 7)}`,
  (i: number) => `6${pad(i, 7)}`,
  (i: number) => `sip:+86137${pad(i, 8)}@gw.carrier.example;user=phone`,
  (i: number) => `tel:8${pad(i, 7)};phone-context=+86-21`,
  (i: number) => ['110', '119', '12345', '10086', '95588'][i % 5],
  (i: number) => `400${pad(i, 7)}`,
  (i: number) => `+1 415 ${pad(i, 3)} ${pad(i, 4)}`,
  (i: number) => `00852 9${pad(i, 7)}`,
  (i: number) => `120${pad(i, 8)}`, // error: 1[0-2]x of mobile length
  (i: number) => `138${pad(i, 9)}`, // error: 12 digits
];
function pad(i: number, width: number): string {
  return String(i % 10 ** width).padStart(width, '0');
}

const inputs = Array.from({ length: total }, (_, i) => templates[i % templates.length](i * 7919));
const ctx = { areaCode: '571' };
for (let i = 0; i < 50_000; i++) normalizeNumber(inputs[i % inputs.length], ctx); // warm-up

const t0 = performance.now();
let errors = 0;
let mobiles = 0;
for (const input of inputs) {
  const r = normalizeNumber(input, ctx);
  if (isNumberError(r)) errors++;
  else if (r.isMobile) mobiles++;
}
const seconds = (performance.now() - t0) / 1000;

console.log(JSON.stringify({
  inputs: total,
  seconds: Number(seconds.toFixed(3)),
  numbersPerSecond: Math.round(total / seconds),
  nsPerNumber: Math.round((seconds * 1e9) / total),
  mobiles,
  errors,
  node: process.version,
}));
