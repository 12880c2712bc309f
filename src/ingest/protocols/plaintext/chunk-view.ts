/**
 * DataViews over received chunks, for reading 4 bytes at a time at any
 * offset (one unaligned load instead of four loads and shifts). Lines come
 * a chunk at a time, so the view of the last buffer asked about is kept:
 * one view per chunk, not one per line. That holds on to one chunk until
 * the next is asked about.
 *
 * @module
 */

/** A view of `buf`'s bytes (offset 0 is `buf[0]`). */
export function viewOf(buf: Uint8Array): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

let viewed: Uint8Array | null = null;
let view: DataView = viewOf(new Uint8Array(0));

/** {@link viewOf}, the same view again while `buf` is the last buffer asked about. */
export function chunkView(buf: Uint8Array): DataView {
  if (buf !== viewed) {
    viewed = buf;
    view = viewOf(buf);
  }
  return view;
}
