import type { Channel } from '../protocol/connectionFile';
import type { DropReason, DroppedCounters } from '../client/types';

/** Messages dropped by the read loops, per reason and per channel. Survives reconnects. */
export class DropCounter {
  #counts: DroppedCounters = { badSignature: 0, replay: 0, malformed: 0, byChannel: {} };

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
