import { Buffer } from "node:buffer";

/**
 * The hash tag Redis Cluster would hash for `key`: the text between the
 * first `{` and the next `}`, or the whole key when there is none or it
 * is empty.
 */
export function hashTagOf(key: string): string {
  const open = key.indexOf("{");
  if (open === -1) return key;
  const close = key.indexOf("}", open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** CRC16/XMODEM table, the checksum Redis Cluster uses for key slots. */
const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** The cluster slot (0..16383) of a key, hash tags honoured. */
export function slotOf(key: string): number {
  const bytes = Buffer.from(hashTagOf(key), "utf8");
  let crc = 0;
  for (let i = 0; i < bytes.length; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc & 0x3fff;
}
