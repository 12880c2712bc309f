/* global process */
/**
 * Preloaded (`node --import`) into karbon and torus by the graphite-web side-by-side test: the wall clock starts
 * at TORUS_FAKE_NOW (unix seconds) and runs on from there, as libfaketime does for carbon and graphite-web, so
 * retention and "now" mean the same moment the fixtures were captured at.
 */
const start = Number(process.env.TORUS_FAKE_NOW);
if (Number.isFinite(start) && start > 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  const offset = start * 1000 - realNow();
  class FakeDate extends RealDate {
    constructor(...args) {
      if (args.length === 0) super(realNow() + offset);
      else super(...args);
    }
    static now() {
      return realNow() + offset;
    }
  }
  globalThis.Date = FakeDate;
}
