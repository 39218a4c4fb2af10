// The pause controls of a run page: the top-bar button, and while paused a bar saying how far
// behind the view is, with Resume, Step and Live. The tree holds still while paused.

import { t } from "./i18n.js";

export class PauseBar {
  /**
   * @param {import("./viewgate.js").ViewGate} gate
   * @param {{button: HTMLElement, host: HTMLElement}} els the top-bar button, and where the bar goes
   */
  constructor(gate, { button, host }) {
    this.gate = gate;
    this.button = button;
    this.bar = document.createElement("div");
    this.bar.className = "pause-bar";
    this.bar.id = "pause-bar";
    this.bar.setAttribute("role", "status");
    this.bar.hidden = true;
    this.bar.innerHTML = `<span class="pause-icon" aria-hidden="true">❚❚</span><span class="pause-text" id="pause-text"></span>
      <button type="button" class="btn" id="pause-resume"></button>
      <button type="button" class="btn" id="pause-step"></button>
      <button type="button" class="btn" id="pause-live"></button>`;
    host.append(this.bar);
    this.text = this.bar.querySelector(".pause-text");
    this.bar.querySelector("#pause-resume").addEventListener("click", () => gate.resume());
    this.bar.querySelector("#pause-step").addEventListener("click", () => gate.step());
    this.bar.querySelector("#pause-live").addEventListener("click", () => gate.live());
    button.hidden = false;
    button.addEventListener("click", () => gate.toggle());
    gate.onChange(() => this.render());
    this.render();
  }

  render() {
    const g = this.gate;
    const behind = g.behind();
    const state = g.paused ? "paused" : g.catchingUp ? "catching-up" : "live";
    document.documentElement.dataset.view = state;
    this.bar.hidden = state === "live";
    this.bar.dataset.state = state;
    this.bar.dataset.behind = String(behind);
    this.text.textContent = g.paused
      ? `${t("paused")} · ${t("frames_behind").replace("{n}", behind)}`
      : `${t("catching_up")} · ${t("frames_behind").replace("{n}", behind)}`;
    this.bar.querySelector("#pause-resume").textContent = `▶ ${t("resume")}`;
    this.bar.querySelector("#pause-step").textContent = `▶❚ ${t("step")}`;
    this.bar.querySelector("#pause-step").disabled = !g.paused || behind === 0;
    this.bar.querySelector("#pause-live").textContent = `▶▶ ${t("jump_live")}`;
    this.bar.querySelector("#pause-resume").hidden = !g.paused;
    this.button.setAttribute("aria-pressed", String(g.paused));
    this.button.textContent = g.paused ? `▶ ${t("resume")}` : `❚❚ ${t("pause_view")}`;
    this.button.title = `${t("pause_hint")} (${t("key_name_space")})`;
  }
}

/**
 * While the view is paused the tree is not redrawn and ghosts do not fade away, so what the
 * class sees holds still; on resume it is drawn from the model again.
 */
export function holdTreeWhilePaused(gate, tree, model) {
  const schedule = tree.schedule.bind(tree);
  const prune = model.prune.bind(model);
  let missed = false;
  let steps = gate.steps;
  tree.schedule = () => {
    if (gate.paused) missed = true;
    else schedule();
  };
  model.prune = (now) => (gate.paused ? false : prune(now));
  gate.onChange(() => {
    // A step shows one more frame: draw it even though the view stays paused.
    const stepped = gate.steps !== steps;
    steps = gate.steps;
    if ((!gate.paused || stepped) && missed) {
      missed = false;
      schedule();
    }
  });
}
