// How each psutil status looks: colour (Okabe–Ito, colour-blind safe) AND letter AND shape.

const STATUS = {
  running: { letter: "R", color: "#009E73", ink: "#fff", shape: "circle" },
  sleeping: { letter: "S", color: "#0072B2", ink: "#fff", shape: "rounded" },
  "disk-sleep": { letter: "D", color: "#E69F00", ink: "#000", shape: "diamond" },
  stopped: { letter: "T", color: "#CC79A7", ink: "#000", shape: "square" },
  "tracing-stop": { letter: "t", color: "#CC79A7", ink: "#000", shape: "square" },
  zombie: { letter: "Z", color: "#D55E00", ink: "#fff", shape: "octagon" },
  dead: { letter: "X", color: "#333333", ink: "#fff", shape: "cross" },
  idle: { letter: "I", color: "#7a7a7a", ink: "#fff", shape: "rounded" },
  waking: { letter: "W", color: "#56B4E9", ink: "#000", shape: "circle" },
};
const OTHER = { letter: "?", color: "#7a7a7a", ink: "#fff", shape: "triangle" };

export const LEGEND_ORDER = ["running", "sleeping", "disk-sleep", "stopped", "zombie", "dead"];

export function statusStyle(status) {
  return STATUS[status] ?? OTHER;
}

/** An SVG path for a badge of the given shape and radius, centred on 0,0. */
export function shapePath(shape, r) {
  const k = r * 0.9;
  switch (shape) {
    case "circle":
      return `M${-r},0a${r},${r} 0 1,0 ${2 * r},0a${r},${r} 0 1,0 ${-2 * r},0Z`;
    case "rounded": {
      const c = r * 0.35;
      return `M${-k + c},${-k}H${k - c}Q${k},${-k} ${k},${-k + c}V${k - c}Q${k},${k} ${k - c},${k}`
        + `H${-k + c}Q${-k},${k} ${-k},${k - c}V${-k + c}Q${-k},${-k} ${-k + c},${-k}Z`;
    }
    case "diamond":
      return `M0,${-r * 1.15}L${r * 1.15},0L0,${r * 1.15}L${-r * 1.15},0Z`;
    case "square":
      return `M${-k},${-k}H${k}V${k}H${-k}Z`;
    case "octagon": {
      const pts = [];
      for (let i = 0; i < 8; i++) {
        const a = Math.PI / 8 + (i * Math.PI) / 4;
        pts.push(`${(r * 1.08 * Math.cos(a)).toFixed(2)},${(r * 1.08 * Math.sin(a)).toFixed(2)}`);
      }
      return `M${pts.join("L")}Z`;
    }
    case "cross": {
      const w = r * 0.38;
      return `M${-r},${-r + w}L${-r + w},${-r}L0,${-w}L${r - w},${-r}L${r},${-r + w}L${w},0`
        + `L${r},${r - w}L${r - w},${r}L0,${w}L${-r + w},${r}L${-r},${r - w}L${-w},0Z`;
    }
    default:
      return `M0,${-r}L${r},${r * 0.8}L${-r},${r * 0.8}Z`;
  }
}

// Dark enough to read on white and under white text; told apart with common colour-vision deficiencies.
const PID_COLORS = ["#0b5fa5", "#b35900", "#007a5a", "#a3336f", "#5b4bb3", "#7a6200", "#006d8f", "#8c2d04", "#3d6b00", "#9c1f5f"];
const pidColors = new Map();

/** One colour per PID for the page's life, handed out in order of first sight (no clashes among the first ten). */
export function pidColor(pid) {
  if (!pidColors.has(pid)) pidColors.set(pid, PID_COLORS[pidColors.size % PID_COLORS.length]);
  return pidColors.get(pid);
}
