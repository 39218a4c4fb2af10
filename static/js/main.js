// Wires the page: lessons and controls always; on /runs/{id} also the live view of that run.

import { api, captureToken, token } from "./api.js";
import { CodeView } from "./code.js";
import { CodeTracker } from "./codetrack.js";
import { Connection, runWsUrl } from "./connection.js";
import { ConsoleView } from "./console.js";
import { Controls, lessonHeading } from "./controls.js";
import { Drafts, NEW_PROGRAM, programToRun } from "./drafts.js";
import { ExportMenu, drawnTimeline } from "./export.js";
import { Follower, isPresenter } from "./follow.js";
import { applyStatic, fill, lang, onLangChange, pick, setLang, setText, t } from "./i18n.js";
import { Keys, toggleFullscreen } from "./keys.js";
import { LessonBrief } from "./lessonbrief.js";
import { holdTreeWhilePaused, PauseBar } from "./pausebar.js";
import { PoolsView } from "./pools.js";
import { PredictView } from "./predict.js";
import { ProgramFiles } from "./programfiles.js";
import { onDisplayChange, setupDisplay, toggleProjector, toggleTheme } from "./projector.js";
import { QueuesView } from "./queues.js";
import { startReplay } from "./player.js";
import { REPLAY_SPEEDS } from "./replay.js";
import { ResultView } from "./result.js";
import { RunsList } from "./runs.js";
import { ShareCard } from "./share.js";
import { SignalMenu } from "./signals.js";
import { RunModel, TERMINAL_STATES } from "./state.js";
import { LEGEND_ORDER, shapePath, statusStyle } from "./status.js";
import { load, save } from "./store.js";
import { Breakpoints, FrozenBanner, TimeControl } from "./timecontrol.js";
import { TimelineView } from "./timeline.js";
import { TreeView } from "./tree.js";
import { ViewGate } from "./viewgate.js";

const $ = (id) => document.getElementById(id);
const LAST_LESSON_KEY = "procviz.lesson";

function readLessons() {
  try {
    return JSON.parse($("lessons").textContent) ?? [];
  } catch {
    return [];
  }
}

function renderLegend() {
  const ul = $("legend");
  ul.replaceChildren();
  for (const status of LEGEND_ORDER) {
    const st = statusStyle(status);
    const li = document.createElement("li");
    li.dataset.status = status;
    li.innerHTML = `<svg viewBox="-14 -14 28 28" width="26" height="26" aria-hidden="true"><path></path><text dy="0.36em" text-anchor="middle"></text></svg><span></span>`;
    li.querySelector("path").setAttribute("d", shapePath(st.shape, 11));
    li.querySelector("path").setAttribute("fill", st.color);
    const letter = li.querySelector("text");
    letter.textContent = st.letter;
    letter.setAttribute("fill", st.ink);
    li.querySelector("span").textContent = t(`st_${status}`);
    ul.append(li);
  }
}

function setupLanguage(rerender) {
  const btn = $("lang-toggle");
  // The switch names the other language in that language: it is for its readers.
  btn.translate = false;
  const label = () => {
    btn.textContent = lang() === "zh" ? "English" : "中文";
    btn.lang = lang() === "zh" ? "en" : "zh-CN";
    btn.setAttribute("aria-label", t("language_toggle"));
    $("legend").setAttribute("aria-label", t("legend"));
    $("replay-speed").setAttribute("aria-label", t("replay_speed"));
  };
  btn.addEventListener("click", () => setLang(lang() === "zh" ? "en" : "zh"));
  onLangChange(() => {
    label();
    rerender();
  });
  applyStatic();
  label();
}

// The run this page watches has ended: a connection still open says "ended", not "live".
let runHasEnded = () => false;

function setConn(given) {
  const el = $("conn");
  el.dataset.given = given;
  const status = given === "live" && runHasEnded() ? "ended" : given;
  el.hidden = status === "idle";
  el.dataset.status = status;
  const speed = new URL(location.href).searchParams.get("replay");
  el.querySelector(".conn-text").textContent = t(`conn_${status}`) + (status === "replay" ? ` ${speed}×` : "");
}

function initialLesson(lessons) {
  const wanted = new URL(location.href).searchParams.get("lesson") || load(LAST_LESSON_KEY);
  return lessons.some((l) => l.id === wanted) ? wanted : lessons[0]?.id;
}

function main() {
  const body = document.body;
  const runId = body.dataset.runId || null;
  const serverPid = Number(body.dataset.serverPid) || null;
  const lessons = readLessons();
  const byId = new Map(lessons.map((l) => [l.id, l]));
  const tok = captureToken();
  if (body.dataset.tokenRequired === "true" && !tok) {
    $("token-banner").dataset.i18n = "token_missing_hint";
    $("token-banner").hidden = false;
  }

  const code = new CodeView($("code-body"));
  const drafts = new Drafts();
  // The presenter's editor, on the start page only (loaded after the page is up).
  let workbench = null;
  const fetchSaved = async (id) => {
    const res = await api("GET", `/api/lessons/${encodeURIComponent(id)}`);
    return res.ok ? { files: res.data.files, entry: res.data.entry } : null;
  };
  let predict = null; // "Predict, then run" (predict.js), made once the controls are
  const controls = new Controls(
    {
      list: $("lesson-list"),
      heading: $("lesson-heading"),
      summary: $("lesson-summary"),
      watch: $("lesson-watch"),
      form: $("param-form"),
      fields: $("param-fields"),
      error: $("form-error"),
      run: $("run-btn"),
      stops: [$("stop-btn"), $("stop-run")],
    },
    lessons,
    {
      runId,
      onSelect: (lesson) => {
        save(LAST_LESSON_KEY, lesson.id);
        if (lesson.id !== NEW_PROGRAM) code.show(lesson.id);
        workbench?.show(lesson);
        predict?.lessonSelected(lesson);
      },
      programFor: (lesson) => {
        workbench?.flush();
        return programToRun(lesson, drafts, fetchSaved);
      },
      onRunError: (error) => workbench?.showError(error),
      stepMode: () => Boolean(workbench) && $("step-mode-box").checked,
    },
  );

  predict = new PredictView({ panel: $("predict"), ask: $("predict-ask") }, { presenter: isPresenter(), runId });
  if (controls.selected) predict.lessonSelected(controls.selected);
  const rerender = [() => controls.relabel(), renderLegend, () => setConn($("conn").dataset.given), () => predict.render()];
  setupLanguage(() => rerender.forEach((fn) => fn()));
  renderLegend();
  setConn("idle");
  setupLessonsToggle();
  const lecture = setupLectureHall(rerender);
  lecture.qr = setupAudience(runId, controls, (msg) => predict.lobbyMessage(msg));

  if (!runId) {
    // Only with the token: running or saving code of one's own needs it, also on loopback.
    if (tok) {
      controls.addLesson({ ...newProgramLesson(lessons), mark: "＋" });
      import("./workbench.js").then(({ Workbench }) => {
        workbench = new Workbench({ controls, drafts });
        rerender.push(() => workbench.relabel());
        if (controls.selected) workbench.show(controls.selected);
        $("step-mode").hidden = false;
      });
    }
    const first = initialLesson(controls.lessons);
    if (first) controls.select(first);
    const runs = new RunsList($("recent-runs"), $("recent-list"), byId);
    rerender.push(() => runs.render());
    document.title = "procviz";
    lecture.space = () => $("run-btn").click();
    return;
  }
  Object.assign(lecture, watchRun(runId, serverPid, { byId, controls, rerender, code, predict }));
}

/** "Start from an empty file": a program with the common parameters (speed, start method). */
function newProgramLesson(lessons) {
  const common = lessons[0]?.params?.properties ?? {};
  const properties = Object.fromEntries(["speed", "start_method"].filter((n) => common[n]).map((n) => [n, common[n]]));
  return {
    id: NEW_PROGRAM,
    chapter: "",
    title: { en: "New program", zh: "新程序" },
    summary: { en: "Start from an empty file: write a program, add the data files it reads, run it.", zh: "从空文件开始：写一个程序，添加它读取的数据文件，然后运行。" },
    watch: {},
    punchline: {},
    result_keys: [],
    params: { type: "object", additionalProperties: false, properties },
  };
}

/** Projector mode, theme and the keyboard; a run page adds pausing the view. */
function setupLectureHall(rerender) {
  const relabel = setupDisplay({ projectorBtn: $("projector-toggle"), themeBtn: $("theme-toggle") });
  const actions = {
    space: null,
    step: null,
    live: null,
    stop: () => [$("stop-run"), $("stop-btn")].find((b) => !b.disabled)?.click(),
    freeze: null,
    next: null,
    projector: toggleProjector,
    theme: toggleTheme,
    lang: () => setLang(lang() === "zh" ? "en" : "zh"),
    fullscreen: toggleFullscreen,
  };
  const keys = new Keys(actions);
  rerender.push(relabel, () => keys.relabel());
  return actions;
}

/** Everyone sees the viewers' link (text and QR code). A page without the token can follow
 * the presenter's runs (on loopback too, where it may also run lessons); a viewer, who
 * cannot control, is not shown the controls. Returns what the Q key does: minimise the
 * card or bring it back. */
function setupAudience(runId, controls, onLobby) {
  const share = new ShareCard($("queues"), runId);
  const toggleShare = () => share.toggle();
  if (token()) return toggleShare;
  if (isPresenter()) {
    // The presenter's question view listens to the lobby itself (predict.js).
    new Follower($("token-banner"), runId, { host: $("share-card"), starting: () => controls.busy });
    return toggleShare;
  }
  new Follower($("token-banner"), runId, { onLobby });
  document.body.classList.add("viewer");
  controls.setReadOnly();
  return toggleShare;
}

const replayingNow = () => new URL(location.href).searchParams.has("replay");

function watchRun(runId, serverPid, { byId, controls, rerender, code, predict }) {
  const model = new RunModel(serverPid);
  predict.followRun(model);
  runHasEnded = () => model.isTerminal() && !replayingNow();
  // Pausing the view holds the server's messages here; the run itself goes on.
  // A function in the stream is a step of ours in its place (a reconnect's reset), not a message.
  const gate = new ViewGate((msg) => (typeof msg === "function" ? msg() : model.apply(msg)));
  const menu = new SignalMenu($("node-menu"), { runId, isActive: () => !model.isTerminal() && !replayingNow() });
  // The presenter's Freeze and step buttons (viewers never see them); the banner is everyone's.
  let timeControl = null;
  const tree = new TreeView($("tree"), model, {
    onNodeClick: (proc, ev) => timeControl?.nodeClicked(proc) || menu.open(proc, ev),
    isSelected: (pid) => timeControl?.selected === pid,
    replay: Number(new URL(location.href).searchParams.get("replay")) || 1,
  });
  if (isPresenter() && !replayingNow()) {
    timeControl = new TimeControl($("time-controls"), { runId, model, onChange: () => tree.schedule() });
  }
  new FrozenBanner($("frozen-banner"), model);
  const consoleView = new ConsoleView($("console"), $("console-count"), (pid) => model.labelOf(pid));
  const queues = new QueuesView($("queues"), $("queue-list"), model);
  const pools = new PoolsView($("pools"), $("pool-list"), model);
  const result = new ResultView($("result-card"), $("punchline"), $("result-keys"));
  const timeline = new TimelineView($("timeline"), model);
  holdTreeWhilePaused(gate, tree, model);
  new CodeTracker($("code-body"), model);
  new Breakpoints($("code-body"), { runId, model, canEdit: () => Boolean(timeControl) });
  // The code that ran, as the run record holds it (a program, or a lesson's files).
  const programFiles = new ProgramFiles($("code-files"), code);
  const brief = new LessonBrief($("lesson-brief"));
  onDisplayChange(() => {
    // Larger type: let the tree measure its labels again.
    for (const el of $("tree").querySelectorAll("text[data-fit]")) el.removeAttribute("data-fit");
    tree.schedule();
  });
  setupTabs((name) => timeline.setVisible(name === "timeline"));
  const lessonOf = () => byId.get(model.run?.lesson) ?? controls.selected;

  $("run-info").hidden = false;
  $("tree-empty").dataset.i18n = "tree_waiting";
  applyStatic($("tree"));
  // Watching a run: the tree gets the room; the lesson list is one click away.
  setLessonsCollapsed(true);
  const link = $("run-link");
  link.href = `/runs/${encodeURIComponent(runId)}`;
  link.textContent = new URL(link.href, location.href).href;
  new ExportMenu($("copy-link"), runId, {
    tree: () => $("tree").querySelector("svg.tree-svg"),
    timeline: () => drawnTimeline(timeline),
  });
  $("copy-link").addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(link.textContent);
      $("copy-link").textContent = t("copied");
      setTimeout(() => applyStatic($("run-info")), 2000);
    } catch {
      // Clipboard needs a secure context; the link itself stays visible and selectable.
    }
  });

  const showRun = () => {
    const run = model.run;
    const badge = $("run-badge");
    badge.dataset.state = run?.state ?? "";
    badge.textContent = run ? t(`state_${run.state}`) : "";
    // Why it ended, for whoever hovers: "已停止：max_duration（退出码 -15）"; the reason is the server's name for it.
    const why = run?.stop_reason ? `: ${run.stop_reason}` : "";
    const code = run?.returncode != null ? ` (${fill("badge_exit", { code: run.returncode })})` : "";
    badge.title = run ? `${t(`state_${run.state}`)}${why}${code}` : "";
    const lesson = lessonOf();
    setText($("run-lesson"), lesson ? lessonHeading(lesson) : run?.lesson ?? "");
    setText($("tree-watch"), lesson ? pick(lesson.watch) : "");
    brief.show(lesson);
    document.title = `procviz · ${lesson ? pick(lesson.title) : runId} · ${badge.textContent}`;
    controls.setRunState(replayingNow() ? "replay" : run?.state);
    if (model.isTerminal()) $("replay-controls").hidden = false;
  };

  model.on("run", () => setConn($("conn").dataset.given));
  model.on("run", (run) => {
    if (run.lesson && controls.selected?.id !== run.lesson) controls.select(run.lesson, run.params);
    if (run.program) programFiles.show(run.program);
    showRun();
    tree.schedule();
    timeline.draw();
    if (run.result) result.show(model.result, lessonOf());
  });
  model.on("processes", () => tree.schedule());
  model.on("values", () => tree.schedule());
  model.on("line", (entry) => consoleView.add(entry));
  model.on("notice", (msg) => consoleView.notice(msg.message ?? ""));
  model.on("label", (pid) => consoleView.relabel(pid, model.labelOf(pid)));
  model.on("queues", (name) => queues.update(name));
  model.on("activity", () => tree.schedule());
  // Emptied (a reconnect, a replay's seek back): empty what the model does not redraw by itself.
  model.on("reset", () => {
    consoleView.clear();
    queues.clear();
    result.show(null, lessonOf());
    $("limit-banner").hidden = true;
    tree.schedule();
    timeline.draw();
  });
  model.on("result", (data) => result.show(data, lessonOf()));
  const showFrozen = () => result.setFrozen(model.frozenSeconds(), model.isTerminal());
  model.on("freeze", () => {
    showFrozen();
    timeline.draw();
  });
  model.on("run", showFrozen);
  model.on("limit", (data) => {
    const banner = $("limit-banner");
    banner.textContent = `${t("limit")}: ${data.reason ?? JSON.stringify(data)}`;
    banner.hidden = false;
  });

  rerender.push(showRun, () => tree.schedule(), () => result.render(), () => consoleView.updateCount(), () => pools.relabelAll());
  rerender.push(() => {
    if (model.limit) $("limit-banner").textContent = `${t("limit")}: ${model.limit.reason ?? ""}`;
  });

  const replaySpeed = Number(new URL(location.href).searchParams.get("replay"));
  const replaying = REPLAY_SPEEDS.includes(replaySpeed);
  setupReplayControls(runId, replaying ? replaySpeed : 1, replaying);
  let source;
  if (replaying) {
    source = startReplay(runId, replaySpeed, {
      model,
      apply: (msg) => model.apply(msg),
      setConn,
      host: document.querySelector("main.layout"),
      // A seek back starts from nothing: model.reset() empties the views ("reset" above).
      reset: () => {},
      redraw: () => timeline.draw(),
    });
  } else {
    source = new Connection(runWsUrl(runId), {
      onMessage: (msg) => gate.push(msg),
      // A new connection sends the run again (snapshot, then history): start from nothing, in
      // the stream's order, so a paused view shows what came before the reconnect first.
      onOpen: (n) => {
        if (n > 0) gate.push(() => model.reset());
      },
      onStatus: (status, info) => {
        setConn(status);
        // The server does not know this run (it was restarted): say so instead of retrying.
        if (info?.code === 4404) {
          $("limit-banner").textContent = t("run_not_found");
          $("limit-banner").hidden = false;
        }
      },
      // The newest state received, even while the view is paused and has not shown it yet.
      isFinished: () => TERMINAL_STATES.has(gate.lastRunState ?? model.run?.state),
    });
    source.open();
  }
  window.procviz = { model, source, gate };
  const pauseBar = replaying ? null : new PauseBar(gate, { button: $("pause-view"), host: $("tree").closest(".panel-tree") });
  if (pauseBar) rerender.push(() => pauseBar.render());

  // The REST view tells us quickly whether the run exists and which lesson it is.
  api("GET", `/api/runs/${encodeURIComponent(runId)}`).then((res) => {
    // A recording from an earlier server process replays, though this server no longer knows the run.
    if (res.status === 404 && !replaying) {
      $("limit-banner").textContent = t("run_not_found");
      $("limit-banner").hidden = false;
      if (!replaying) source.close();
      setConn("offline");
      return;
    }
    if (!res.ok) return;
    if (res.data?.lesson && !controls.selected) controls.select(res.data.lesson, res.data.params);
    if (res.data?.program) programFiles.show(res.data.program);
    // A replay learns the run's state from the recording, in its time.
    if (!replaying && !model.run) {
      model.apply({ type: "run", run: runId, t: res.data.started ?? Date.now() / 1000, ...res.data });
    }
  });

  if (replaying) {
    // A replay has its own clock: Space pauses and plays it, when the replayer can.
    const toggle = () => (source.playing ? source.pause?.() : source.play?.());
    return { space: toggle, step: null, live: null };
  }
  return {
    space: () => gate.toggle(),
    step: () => gate.step(),
    live: () => gate.live(),
    freeze: () => timeControl?.toggleFreeze(),
    next: () => timeControl?.step("line"),
  };
}

function setLessonsCollapsed(collapsed) {
  document.body.classList.toggle("lessons-collapsed", collapsed);
  $("lessons-toggle").setAttribute("aria-expanded", String(!collapsed));
}

function setupLessonsToggle() {
  $("lessons-toggle").addEventListener("click", () => {
    setLessonsCollapsed(!document.body.classList.contains("lessons-collapsed"));
  });
}

/** Console and timeline share one panel; the teacher switches with the tabs. */
function setupTabs(onShow) {
  const tabs = [$("tab-console"), $("tab-timeline")];
  const show = (tab) => {
    for (const other of tabs) {
      const on = other === tab;
      other.setAttribute("aria-selected", String(on));
      $(other.getAttribute("aria-controls")).hidden = !on;
    }
    $("console-count").hidden = tab !== tabs[0];
    const name = tab === tabs[0] ? "console" : "timeline";
    // The layout's rows follow the tab by this attribute: a :has() rule on the layout would
    // have its style recalculated for every line the console appends.
    document.querySelector("main.layout").dataset.tab = name;
    onShow(name);
  };
  for (const tab of tabs) tab.addEventListener("click", () => show(tab));
}

/** Replay a finished run from its recording: same page, ?replay=<speed>. */
function setupReplayControls(runId, speed, replaying) {
  const select = $("replay-speed");
  for (const s of REPLAY_SPEEDS) {
    const o = document.createElement("option");
    o.value = String(s);
    o.textContent = `${s}×`;
    select.append(o);
  }
  select.value = String(speed);
  $("replay-btn").addEventListener("click", () => {
    location.assign(`/runs/${encodeURIComponent(runId)}?replay=${select.value}`);
  });
  const live = $("live-btn");
  live.href = `/runs/${encodeURIComponent(runId)}`;
  live.hidden = !replaying;
  $("replay-controls").hidden = !replaying;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", main);
else main();
