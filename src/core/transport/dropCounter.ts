import type { Channel } from '../protocol/connectionFile';

/** Why a read loop dropped a message. */
export type DropReason = 'badSignature' | 'replay' | 'malformed';
export type DroppedCounters = Record<DropReason, number> & {
  byChannel: Partial<Record<Channel, Partial<Record<DropReason, number>>>>;
};

/** No message dropped yet. */
export function emptyDropped(): DroppedCounters {
  return { badSignature: 0, replay: 0, malformed: 0, byChannel: {} };
}

/** Messages dropped by the read loops, per reason and per channel. Survives reconnects. */
export class DropCounter {
  #counts: DroppedCounters = emptyDropped();

  add(channel: Channel, reason: DropReason): void {
    this.#counts[reason]++;
    const ch = (this.#counts.byChannel[channel] ??= {});
    ch[reason] = (ch[reason] ?? 0) + 1;
  }

  get total(): number {
    return this.#counts.badSignature + this.#counts.replay + this.#counts.malformed;
  }

  /** A copy, safe to keep or serialize. */
  snapshot(): DroppedCounters {
    const byChannel: DroppedCounters['byChannel'] = {};
    for (const [ch, counts] of Object.entries(this.#counts.byChannel)) byChannel[ch as Channel] = { ...counts };
    return { badSignature: this.#counts.badSignature, replay: this.#counts.replay, malformed: this.#counts.malformed, byChannel };
  }
}
