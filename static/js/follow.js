// Viewers follow the presenter: when the presenter starts a run, every viewer's page moves to it.
// The lobby WebSocket says which run is current, on connect and on every new run.

import { api, token } from "./api.js";
import { Connection, wsUrl } from "./connection.js";
import { applyStatic, onLangChange, t } from "./i18n.js";

const ACTIVE = new Set(["starting", "running"]);
const FOLLOW_KEY = "procviz.follow"; // per tab: a student who turned it off keeps it off while here

/** The presenter holds the token, or the server asks for none (then everyone may control). */
export function isPresenter() {
  return document.body.dataset.tokenRequired !== "true" || Boolean(token());
}

/** Whether to follow: as the tab last said, else `byDefault`. */
function followWanted(byDefault) {
  try {
    const said = sessionStorage.getItem(FOLLOW_KEY);
    return said === null ? byDefault : said !== "off";
  } catch {
    return byDefault;
  }
}

function rememberFollow(on) {
  try {
    sessionStorage.setItem(FOLLOW_KEY, on ? "on" : "off");
  } catch {
    // Without storage it is remembered on this page only.
  }
}

export class Follower {
  /**
   * @param {HTMLElement} banner the viewer's "viewing only" banner: the switch goes on its line
   * @param {string|null} runId the run this page shows, if any
   * @param {{host?: HTMLElement, starting?: () => boolean, onLobby?: (msg: object) => void}} options
   *   host: where the switch goes instead of a strip of its own (on loopback, where a page
   *   without the token also controls: the students' card); starting: this page is starting a
   *   run itself, and goes to it; onLobby: hears every lobby message too (predict.js)
   */
  constructor(banner, runId, { host, starting = () => false, onLobby = null } = {}) {
    this.starting = starting;
    this.onLobby = onLobby;
    const toggle = document.createElement("label");
    toggle.className = "follow";
    toggle.id = "follow";
    toggle.innerHTML = `<input type="checkbox" id="follow-toggle"><span class="follow-dot" aria-hidden="true"></span><span data-i18n="follow_presenter"></span>`;
    if (host) {
      host.append(toggle);
    } else {
      // One strip under the top bar (which is full already): what a viewer can and cannot do.
      const strip = document.createElement("div");
      strip.className = "viewer-strip";
      banner.before(strip);
      strip.append(banner, toggle);
    }
    this.toggle = toggle;
    this.box = toggle.querySelector("input");
    this.runId = runId;
    this.current = undefined; // the presenter's run as last heard; undefined before the first word
    // A viewer follows unless it said no; a page that controls too (loopback without the
    // token: `host`) stays where its user put it unless asked to follow.
    this.box.checked = followWanted(!host);
    this.box.addEventListener("change", () => {
      rememberFollow(this.box.checked);
      this.render();
      // Turned (back) on: catch up with where the presenter is now, if that run is live.
      if (this.box.checked && this.current) this.consider(this.current, false);
    });
    applyStatic(toggle);
    const hint = () => {
      toggle.title = t("follow_hint");
    };
    hint();
    onLangChange(hint);
    this.conn = new Connection(wsUrl("/ws/lobby"), {
      onMessage: (msg) => this.onMessage(msg),
      onStatus: (status) => {
        toggle.dataset.conn = status;
      },
      isFinished: () => false,
    });
    this.conn.open();
    this.render();
  }

  onMessage(msg) {
    this.onLobby?.(msg);
    if (msg?.type !== "current") return;
    const first = this.current === undefined;
    const changed = msg.run !== this.current;
    this.current = msg.run ?? null;
    this.toggle.dataset.presenterRun = this.current ?? "";
    if (!this.current || !changed) return;
    // A new run while we listened: go. The run current when we arrived: only if it is live
    // (a student opening the page after the demo ended should not be thrown into it).
    this.consider(this.current, !first);
  }

  async consider(run, isNew) {
    // A page that pressed Run goes to its run by itself: a second navigation would cut the first.
    if (!this.box.checked || run === this.runId || this.starting()) return;
    if (!isNew) {
      const res = await api("GET", `/api/runs/${encodeURIComponent(run)}`);
      if (!res.ok || !ACTIVE.has(res.data?.state)) return;
    }
    if (this.box.checked && run === this.current && !this.starting()) location.assign(`/runs/${encodeURIComponent(run)}`);
  }

  render() {
    this.toggle.classList.toggle("on", this.box.checked);
  }
}
