/**
 * Canonical forms of tagged names for the dispatcher, remembered: a sender
 * repeats the same few names every interval, so each is parsed and sorted
 * once, not once per point.
 *
 * @module
 */
import { canonicalTaggedName, isTaggedName, TaggedNameError } from "../../graphite/tags/tagged-name.js";

/** Why a name was refused as a tagged series. */
export interface TagRefusal {
  readonly message: string;
}

/** Names remembered before the memo is emptied and starts again: bounded, and a steady set of names stays hot. */
const MEMO_LIMIT = 100_000;
/** Only names up to this many characters are remembered (at most about 100 MB in all). */
const MEMO_NAME_MAX = 512;

export class TaggedNames {
  private readonly memo = new Map<string, string | TagRefusal>();

  /** The canonical name, or why `stat` is no valid tagged name; an untagged name comes back as it is. */
  canonical(stat: string): string | TagRefusal {
    const known = this.memo.get(stat);
    if (known !== undefined) return known;
    let out: string | TagRefusal;
    if (!isTaggedName(stat)) out = stat;
    else {
      try {
        out = canonicalTaggedName(stat);
      } catch (err) {
        if (!(err instanceof TaggedNameError)) throw err;
        out = { message: err.message };
      }
    }
    // Long names are parsed every time: remembering them would let a few senders fill memory.
    if (stat.length > MEMO_NAME_MAX) return out;
    if (this.memo.size >= MEMO_LIMIT) this.memo.clear();
    this.memo.set(stat, out);
    return out;
  }
}
