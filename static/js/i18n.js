// Interface words in English and Chinese; lesson texts come from the server as {en, zh}.

import { load, save } from "./store.js";

const WORDS = {
  en: {
    lessons: "Lessons",
    watch: "What to watch:",
    run: "Run",
    stop: "Stop",
    processes: "Processes",
    console: "Console",
    timeline: "Timeline",
    result: "Result",
    queues: "Queues",
    code: "Lesson code",
    tree_empty: "Pick a lesson and press Run: its real processes appear here.",
    tree_waiting: "Waiting for the run's processes…",
    tree_ended: "The run has ended: every process of it has exited and been reaped. Press Replay to watch it again, or open the Timeline.",
    copy_link: "Copy link",
    recent_runs: "Runs on this server",
    copied: "Copied",
    lines: "lines",
    line: "line",
    conn_idle: "not connected",
    conn_connecting: "connecting…",
    conn_live: "live",
    conn_reconnecting: "reconnecting…",
    conn_offline: "offline",
    conn_ended: "run ended",
    conn_replay: "replay",
    conn_replayed: "replay done",
    replay: "Replay",
    live_view: "Live view",
    state_starting: "starting",
    state_running: "running",
    state_finished: "finished",
    state_stopped: "stopped",
    state_failed: "failed",
    server_node: "procviz server · subreaper",
    adopted: "adopted by procviz server",
    adopted_host: "on a plain host: PID 1",
    adopted_short: "orphan adopted",
    was_child_of: "was child of PID",
    zombie: "ZOMBIE",
    gone: "gone",
    exited: "exited",
    exit_code: "exit code",
    not_reaped: "exited, not reaped",
    mib: "MiB",
    threads: "threads",
    token_required: "Presenter token required: open the presenter URL the server printed (…?token=…).",
    token_missing_hint: "Viewing only. To control runs, open the presenter URL the server printed.",
    too_many_runs: "Too many runs at once: stop one first.",
    unknown_lesson: "Unknown lesson.",
    request_failed: "Request failed",
    limit: "Run stopped by a limit",
    run_not_found: "This run does not exist (or the server restarted).",
    watching_run: "Watching run",
    role_root: "lesson root",
    role_forkserver: "fork server",
    role_resource_tracker: "resource tracker",
    send_signal: "Send a signal to PID",
    no_lessons: "No lessons available.",
    depth: "depth",
    max: "max",
    unbounded: "unbounded",
    st_running: "running",
    st_sleeping: "sleeping",
    "st_disk-sleep": "disk sleep",
    st_stopped: "stopped",
    "st_tracing-stop": "tracing stop",
    st_zombie: "zombie",
    st_dead: "dead",
    st_idle: "idle",
    st_waking: "waking",
    st_parked: "parked",
    st_locked: "locked",
    st_waiting: "waiting",
    st_spawned: "just spawned",
    yes: "yes",
    no: "no",
  },
  zh: {
    lessons: "课程",
    watch: "看点：",
    run: "运行",
    stop: "停止",
    processes: "进程",
    console: "控制台",
    timeline: "时间线",
    result: "结果",
    queues: "队列",
    code: "课程代码",
    tree_empty: "选择一节课并点击“运行”：真实的进程会出现在这里。",
    tree_waiting: "正在等待这次运行的进程…",
    tree_ended: "运行已结束：它的所有进程都已退出并被回收。点“回放”再看一遍，或打开“时间线”。",
    copy_link: "复制链接",
    recent_runs: "本服务器上的运行",
    copied: "已复制",
    lines: "行",
    line: "行",
    conn_idle: "未连接",
    conn_connecting: "连接中…",
    conn_live: "实时",
    conn_reconnecting: "重新连接中…",
    conn_offline: "离线",
    conn_ended: "运行已结束",
    conn_replay: "回放中",
    conn_replayed: "回放结束",
    replay: "回放",
    live_view: "实时视图",
    state_starting: "启动中",
    state_running: "运行中",
    state_finished: "已完成",
    state_stopped: "已停止",
    state_failed: "失败",
    server_node: "procviz 服务器 · 子进程收割者",
    adopted: "被 procviz 服务器收养",
    adopted_host: "普通主机上是 PID 1",
    adopted_short: "孤儿已被收养",
    was_child_of: "原父进程 PID",
    zombie: "僵尸",
    gone: "已消失",
    exited: "已退出",
    exit_code: "退出码",
    not_reaped: "已退出，未回收",
    mib: "MiB",
    threads: "线程",
    token_required: "需要主讲人令牌：请打开服务器打印的主讲人链接（…?token=…）。",
    token_missing_hint: "仅观看。要控制运行，请打开服务器打印的主讲人链接。",
    too_many_runs: "同时运行的太多了：请先停止一个。",
    unknown_lesson: "未知课程。",
    request_failed: "请求失败",
    limit: "运行因限制被停止",
    run_not_found: "该运行不存在（或服务器已重启）。",
    watching_run: "正在观看运行",
    role_root: "课程主进程",
    role_forkserver: "fork 服务器",
    role_resource_tracker: "资源追踪器",
    send_signal: "发送信号给 PID",
    no_lessons: "没有可用的课程。",
    depth: "深度",
    max: "上限",
    unbounded: "无上限",
    st_running: "运行",
    st_sleeping: "睡眠",
    "st_disk-sleep": "磁盘等待",
    st_stopped: "暂停",
    "st_tracing-stop": "跟踪暂停",
    st_zombie: "僵尸",
    st_dead: "死亡",
    st_idle: "空闲",
    st_waking: "唤醒中",
    st_parked: "停放",
    st_locked: "锁定",
    st_waiting: "等待",
    st_spawned: "刚创建",
    yes: "是",
    no: "否",
  },
};

const STORE_KEY = "procviz.lang";
const listeners = new Set();

function initialLang() {
  const saved = load(STORE_KEY);
  if (saved === "en" || saved === "zh") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

let current = initialLang();

export function lang() {
  return current;
}

export function t(key) {
  return WORDS[current][key] ?? WORDS.en[key] ?? key;
}

/** Pick the current language from a server text {en, zh}; fall back to the other one. */
export function pick(text) {
  if (text == null) return "";
  if (typeof text === "string") return text;
  return text[current] || text.en || text.zh || "";
}

export function setLang(next) {
  current = next === "zh" ? "zh" : "en";
  save(STORE_KEY, current);
  applyStatic();
  for (const fn of listeners) fn(current);
}

export function onLangChange(fn) {
  listeners.add(fn);
}

/** Fill every element marked data-i18n and keep <html lang> in step. */
export function applyStatic(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) {
    el.textContent = t(el.dataset.i18n);
  }
}
