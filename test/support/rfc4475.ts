// Reusable RFC 4475 judge: sends every torture vector through `send` and checks the reaction
// against the MANIFEST. `send` returns the final status the server answered with, or 'drop'
// if none came within its own (bounded) wait. Provisional (1xx) answers must be skipped by `send`.
import { loadTortureVectors, reactionAccepted, type TortureVector } from './rfc4475-vectors.ts';

export type TortureReaction = number | 'drop';
export type TortureSend = (vector: TortureVector) => Promise<TortureReaction>;

export interface TortureVerdict {
  name: string;
  accept: string[];
  reaction: TortureReaction;
  ok: boolean;
}

/** Runs every vector (optionally filtered) sequentially; returns one verdict per vector. */
export async function judgeTorture(send: TortureSend, filter?: (v: TortureVector) => boolean): Promise<TortureVerdict[]> {
  const out: TortureVerdict[] = [];
  for (const v of loadTortureVectors()) {
    if (filter && !filter(v)) continue;
    const reaction = await send(v);
    out.push({ name: v.name, accept: v.accept, reaction, ok: reactionAccepted(v.accept, reaction) });
  }
  return out;
}

/** A final status from a raw response text (first line), or undefined if it is not a final response. */
export function finalStatusOf(text: string): number | undefined {
  const m = /^SIP\/2\.0 (\d{3})/.exec(text);
  if (!m) return undefined;
  const status = Number(m[1]);
  return status >= 200 ? status : undefined;
}

export { loadTortureVectors, reactionAccepted, type TortureVector };
