// One clock for the views' redraws. Each view says that it has something new to draw; all of
// them are drawn together, in one animation frame, at most once every PAINT_MS. Messages come
// faster than that (a batch per server hand-off, up to 50 a second), and a page whose tree,
// console, code panel and queues each drew in a frame of its own painted in nearly every
// frame: with hundreds of processes, painting the page costs more than a frame
// (bench/page_frames.py). Frames in between paint nothing and stay free for motion (a move
// of the tree runs on requestAnimationFrame of its own).

export const PAINT_MS = 90;

const due = new Set();
let waiting = false;
let last = -Infinity;

/** Run `draw` in the next painted frame (once, however often it is asked for before). */
export function onNextPaint(draw) {
  due.add(draw);
  if (waiting) return;
  waiting = true;
  const wait = Math.max(0, PAINT_MS - (performance.now() - last));
  setTimeout(() => requestAnimationFrame(paint), wait);
}

function paint() {
  waiting = false;
  last = performance.now();
  const draws = [...due];
  due.clear();
  for (const draw of draws) {
    try {
      draw();
    } catch (err) {
      console.error(err); // one view's failure does not stop the others drawing
    }
  }
}
