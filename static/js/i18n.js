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
    recent_runs: "Runs and recordings on this server",
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
    conn_paused: "replay paused",
    replay_play: "Play",
    replay_pause: "Pause",
    replay_position: "Replay position",
    follow_presenter: "Following the presenter",
    follow_hint: "When the presenter starts a run, this page moves to it. Untick to stay here.",
    share_run: "Students: watch this run",
    share_start: "Students: open procviz, it follows the presenter",
    share_enlarge: "Enlarge QR code",
    share_minimise: "Hide",
    share_show: "Students' QR code",
    share_scan: "Scan to watch on your own laptop",
    share_local: "This address works only on this computer: open procviz by its network address.",
    export: "Export",
    export_recording: "Recording (JSON lines)",
    export_tree_svg: "Tree as SVG",
    export_tree_png: "Tree as PNG",
    export_timeline_svg: "Timeline as SVG",
    export_timeline_png: "Timeline as PNG",
    replay: "Replay",
    live_view: "Live view",
    state_starting: "starting",
    state_running: "running",
    state_finished: "finished",
    state_stopped: "stopped",
    state_failed: "failed",
    state_interrupted: "interrupted (server stopped)",
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
    "role_pool-worker": "pool worker",
    blocked: "blocked",
    holds: "holds",
    task: "task",
    pools: "Pools",
    pool_of: "pool of PID",
    pool_submitted: "submitted",
    pool_waiting: "waiting",
    pool_running: "running",
    pool_done: "done",
    pool_failed: "failed",
    code_error: "error",
    send_signal: "Send a signal to PID",
    sig_stop: "stop",
    sig_continue: "continue",
    sig_interrupt: "interrupt",
    sig_terminate: "terminate",
    sig_kill: "kill",
    detail_state: "state",
    detail_memory: "memory",
    detail_threads: "threads",
    detail_started: "started",
    detail_cmdline: "command line",
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
    // lecture hall: projector, theme, pause, keys, code lines
    projector: "Projector",
    projector_hint: "Projector mode: large type, thick lines",
    theme_dark: "Dark",
    theme_light: "Light",
    theme_hint: "Switch between dark and light",
    pause_view: "Pause view",
    resume: "Resume",
    step: "Step",
    jump_live: "Live",
    paused: "PAUSED",
    catching_up: "catching up",
    frames_behind: "{n} frames behind",
    pause_hint: "The run goes on; the view waits",
    keys_title: "Keyboard",
    key_space: "pause / resume the view (Run on the lesson page)",
    key_step: "one frame forward (while paused)",
    key_live: "jump to live",
    key_stop: "stop the run",
    key_projector: "projector mode",
    key_theme: "dark / light",
    key_lang: "中文 / English",
    key_fullscreen: "full screen",
    key_qr: "hide / show the students' QR code",
    key_help: "this help",
    key_close: "close",
    close: "Close",
    // timeline: zoom and markers ({…} filled in by the timeline)
    tl_zoom_in: "Zoom in (time)",
    tl_zoom_out: "Zoom out (time)",
    tl_fit_all: "Fit all",
    tl_follow_live: "Follow live",
    tl_hint: "wheel: zoom · drag: pan",
    tl_spawn: "spawn: PID {pid} is born at {s} s",
    tl_exit: "exit: it ends with exit code {code} at {s} s (a zombie until reaped)",
    tl_reap: "reap: its parent's wait() collects exit code {code} at {s} s; the PID is gone",
    tl_adopt: "adopt: orphaned, adopted by PID {new} (was child of PID {old}) at {s} s",
    tl_value: "{name} = {value} at {s} s",
    tl_lock_hold: "lock: acquired (holding) at {s} s",
    tl_lock_release: "lock: released at {s} s",
    tl_queue_put: "queue {name}: put, depth {depth} / {max} at {s} s",
    tl_queue_get: "queue {name}: get, depth {depth} / {max} at {s} s",
    tl_queue_same: "queue {name}: depth {depth} / {max} at {s} s",
    tl_print: "print: {line} ({s} s)",
    // the presenter's editor and lessons of one's own
    editor_code: "Code",
    add_file: "+ File",
    rename_file: "Rename file",
    remove_file: "Remove file",
    bad_file_name: "Not a file name the server takes (letters, digits, . - _ and /)",
    file_exists: "A file of that name exists",
    reset: "Reset",
    save: "Save",
    save_as: "Save as my lesson",
    download: "Download",
    upload: "Upload",
    delete: "Delete",
    cancel: "Cancel",
    title_zh: "Title in Chinese (optional)",
    title_en: "Title in English (optional)",
    lesson_id: "Id (optional: made from the title)",
    mine: "mine",
    saved: "Saved: listed with your lessons (★).",
    edited_builtin: "Edited: Run runs this code as your program (values such as the ticket count are in the code). Reset brings the lesson back.",
    edited_unsaved: "Unsaved changes: Run runs them; Save keeps them.",
    sleeps_scaled: "time.sleep follows the speed setting. Edit the code, then Run.",
    upload_not_json: "That file is not a lesson (one JSON file, as Download makes).",
    delete_confirm: "Delete your lesson",
    edited_params: "The lesson's own settings are values in the edited code now.",
    freeze: "Freeze",
    thaw: "Thaw",
    freeze_hint: "Freeze the run: SIGSTOP to every process (clocks go on)",
    thaw_hint: "Thaw the run: SIGCONT to every process",
    frozen_banner: "FROZEN · {s} s",
    frozen_band: "frozen {s} s",
    frozen_for: "Frozen for",
    frozen_for_value: "{s} s (included in the measured times)",
    step_mode: "Step mode",
    step_mode_hint: "Every process stops before each line of the program; you choose who runs next",
    step_line: "Next line",
    step_event: "Next event",
    step_run: "Run",
    step_run_all: "Run all",
    step_line_hint: "The selected process runs one line",
    step_event_hint: "The selected process runs until its next event (a print, a lock, a queue…)",
    step_run_hint: "The selected process runs on to a breakpoint",
    step_run_all_hint: "Every held process runs on to a breakpoint",
    step_none: "No process held",
    held_at: "held at line {n}",
    breakpoint_hint: "Click: breakpoint on this line (every process stops here)",
    key_freeze: "Freeze / thaw the run",
    key_next: "Step mode: the selected process runs its next line",
    // ---- Predict, then run (predict.js) ----
    predict_title: "Predict, then run",
    predict_ask: "Ask the class first",
    predict_close: "Close voting",
    predict_next_run: "The next run of this lesson closes the voting; its result reveals the answer.",
    predict_answer_btn: "Answer",
    predict_votes: "{n} answers",
    predict_median: "median {m}",
    predict_unit: "in {u}",
    predict_open: "voting is open: students answer on their laptops or phones",
    predict_open_viewer: "answer before the run starts",
    predict_waiting: "voting has ended: the run's result reveals the answer",
    predict_no_answer: "the run ended without an answer",
    predict_answer: "Answer",
    predict_correct: "{c} of {n} predicted it",
    predict_off_scale: "off the scale",
    predict_mine: "your answer: {a}",
    predict_already: "You have already answered this question.",
    predict_ended: "Voting on this question has ended.",
    predict_range: "Enter a number from {min} to {max}, in steps of {step}.",
    predict_rate: "Too many answers from your network at once: wait a moment and try again.",
    predict_failed: "The answer was not sent",
    // issue 12: Chinese all the way, and no dead ends
    full: "full",
    key_name_space: "Space",
    badge_exit: "exit code {code}",
    legend: "Legend",
    replay_speed: "Replay speed",
    language_toggle: "Language / 语言",
    seconds_unit: "s",
    tree_ended_kept: "The run has ended: its processes as they were at the result, faded. Press Replay to watch it again.",
    err_number: "{field}: enter a number.",
    err_integer: "{field}: enter a whole number.",
    err_range: "{field} must be between {min} and {max}.",
    err_min: "{field} must be at least {min}.",
    err_max: "{field} must be at most {max}.",
    err_choice: "{field} must be one of: {choices}.",
    err_server: "{field} was refused by the server.",
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
    recent_runs: "本服务器上的运行与录制",
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
    conn_paused: "回放已暂停",
    replay_play: "播放",
    replay_pause: "暂停",
    replay_position: "回放位置",
    follow_presenter: "跟随主讲人",
    follow_hint: "主讲人开始新的运行时，本页会自动跳转过去。取消勾选则留在这里。",
    share_run: "同学们：用自己的电脑观看这次运行",
    share_start: "同学们：打开 procviz，它会自动跟随主讲人",
    share_enlarge: "放大二维码",
    share_minimise: "收起",
    share_show: "学生二维码",
    share_scan: "扫码在自己的电脑上观看",
    share_local: "这个地址只在本机有效：请用本机的网络地址打开 procviz。",
    export: "导出",
    export_recording: "录制文件（JSON，每行一条消息）",
    export_tree_svg: "进程树（SVG）",
    export_tree_png: "进程树（PNG）",
    export_timeline_svg: "时间线（SVG）",
    export_timeline_png: "时间线（PNG）",
    replay: "回放",
    live_view: "实时视图",
    state_starting: "启动中",
    state_running: "运行中",
    state_finished: "已完成",
    state_stopped: "已停止",
    state_failed: "失败",
    state_interrupted: "已中断（服务器停止）",
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
    "role_pool-worker": "进程池工作进程",
    blocked: "阻塞",
    holds: "持有",
    task: "任务",
    pools: "进程池",
    pool_of: "进程池 PID",
    pool_submitted: "已提交",
    pool_waiting: "等待中",
    pool_running: "运行中",
    pool_done: "已完成",
    pool_failed: "失败",
    code_error: "错误",
    send_signal: "发送信号给 PID",
    sig_stop: "暂停",
    sig_continue: "继续",
    sig_interrupt: "中断",
    sig_terminate: "终止",
    sig_kill: "强杀",
    detail_state: "状态",
    detail_memory: "内存",
    detail_threads: "线程",
    detail_started: "启动于",
    detail_cmdline: "命令行",
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
    projector: "投影",
    projector_hint: "投影模式：大字、粗线",
    theme_dark: "深色",
    theme_light: "浅色",
    theme_hint: "切换深色 / 浅色",
    pause_view: "暂停画面",
    resume: "继续",
    step: "下一帧",
    jump_live: "回到实时",
    paused: "已暂停",
    catching_up: "正在追上",
    frames_behind: "落后 {n} 帧",
    pause_hint: "运行继续进行，画面在等待",
    keys_title: "键盘快捷键",
    key_space: "暂停 / 继续画面（课程页上为“运行”）",
    key_step: "前进一帧（暂停时）",
    key_live: "回到实时",
    key_stop: "停止运行",
    key_projector: "投影模式",
    key_theme: "深色 / 浅色",
    key_lang: "中文 / English",
    key_fullscreen: "全屏",
    key_qr: "收起 / 显示学生二维码",
    key_help: "显示本帮助",
    key_close: "关闭",
    close: "关闭",
    tl_zoom_in: "放大（时间轴）",
    tl_zoom_out: "缩小（时间轴）",
    tl_fit_all: "显示全部",
    tl_follow_live: "跟随实时",
    tl_hint: "滚轮：缩放 · 拖动：平移",
    tl_spawn: "创建：PID {pid} 在 {s} 秒诞生",
    tl_exit: "退出：{s} 秒结束，退出码 {code}（被回收前是僵尸进程）",
    tl_reap: "回收：父进程的 wait() 在 {s} 秒取走退出码 {code}，PID 被释放",
    tl_adopt: "收养：成为孤儿，{s} 秒被 PID {new} 收养（原父进程 PID {old}）",
    tl_value: "{name} = {value}（{s} 秒）",
    tl_lock_hold: "锁：{s} 秒获得（持有）",
    tl_lock_release: "锁：{s} 秒释放",
    tl_queue_put: "队列 {name}：放入（put），深度 {depth} / {max}（{s} 秒）",
    tl_queue_get: "队列 {name}：取出（get），深度 {depth} / {max}（{s} 秒）",
    tl_queue_same: "队列 {name}：深度 {depth} / {max}（{s} 秒）",
    tl_print: "打印：{line}（{s} 秒）",
    // 演示者的编辑器与自己的课程
    editor_code: "代码",
    add_file: "+ 文件",
    rename_file: "重命名文件",
    remove_file: "删除文件",
    bad_file_name: "服务器不接受这个文件名（字母、数字、. - _ 和 /）",
    file_exists: "已有同名文件",
    reset: "还原",
    save: "保存",
    save_as: "另存为我的课程",
    download: "下载",
    upload: "上传",
    delete: "删除",
    cancel: "取消",
    title_zh: "中文标题（可选）",
    title_en: "英文标题（可选）",
    lesson_id: "ID（可选：由标题生成）",
    mine: "我的",
    saved: "已保存：列在你的课程里（★）。",
    edited_builtin: "已修改：运行时按你的程序运行这段代码（票数等数值都在代码里）。“还原”恢复原课程。",
    edited_unsaved: "有未保存的修改：运行会用它们；“保存”留住它们。",
    sleeps_scaled: "time.sleep 随速度设置缩放。修改代码后按运行。",
    upload_not_json: "这个文件不是课程（应是“下载”得到的一个 JSON 文件）。",
    delete_confirm: "删除你的课程",
    edited_params: "课程自己的参数现在是修改后代码里的数值。",
    freeze: "冻结",
    thaw: "解冻",
    freeze_hint: "冻结运行：向每个进程发送 SIGSTOP（时钟照走）",
    thaw_hint: "解冻运行：向每个进程发送 SIGCONT",
    frozen_banner: "已冻结 · {s} 秒",
    frozen_band: "冻结 {s} 秒",
    frozen_for: "冻结时长",
    frozen_for_value: "{s} 秒（已计入测得的时间）",
    step_mode: "单步模式",
    step_mode_hint: "每个进程在程序的每一行之前停下；由你决定谁运行下一步",
    step_line: "下一行",
    step_event: "下一事件",
    step_run: "继续",
    step_run_all: "全部继续",
    step_line_hint: "选中的进程运行一行",
    step_event_hint: "选中的进程运行到它的下一个事件（打印、锁、队列……）",
    step_run_hint: "选中的进程运行到断点",
    step_run_all_hint: "每个停住的进程都运行到断点",
    step_none: "没有停住的进程",
    held_at: "停在第 {n} 行",
    breakpoint_hint: "点击：在这一行设断点（每个进程都停在这里）",
    key_freeze: "冻结 / 解冻运行",
    key_next: "单步模式：选中的进程运行下一行",
    // ---- 先预测，再运行 (predict.js) ----
    predict_title: "先预测，再运行",
    predict_ask: "先让全班预测",
    predict_close: "结束投票",
    predict_next_run: "下一次运行这一课时投票结束，运行结果揭晓答案。",
    predict_answer_btn: "提交",
    predict_votes: "{n} 人已回答",
    predict_median: "中位数 {m}",
    predict_unit: "单位：{u}",
    predict_open: "投票中：同学们用电脑或手机作答",
    predict_open_viewer: "请在运行开始前作答",
    predict_waiting: "投票已结束：运行结果揭晓答案",
    predict_no_answer: "运行已结束，没有得到答案",
    predict_answer: "答案",
    predict_correct: "{n} 人中 {c} 人猜对",
    predict_off_scale: "超出范围",
    predict_mine: "你的答案：{a}",
    predict_already: "你已经回答过这道题了。",
    predict_ended: "这道题的投票已经结束。",
    predict_range: "请输入 {min} 到 {max} 之间的数，步长 {step}。",
    predict_rate: "同一网络同时提交的答案太多：请稍等片刻再试。",
    predict_failed: "答案没有发出去",
    full: "已满",
    key_name_space: "空格键",
    badge_exit: "退出码 {code}",
    legend: "图例",
    replay_speed: "回放速度",
    language_toggle: "切换语言",
    seconds_unit: "秒",
    tree_ended_kept: "运行已结束：这里是出结果时的进程（已淡化）。点“回放”再看一遍。",
    err_number: "{field}：请输入一个数字。",
    err_integer: "{field}：请输入一个整数。",
    err_range: "{field} 必须在 {min} 到 {max} 之间。",
    err_min: "{field} 不能小于 {min}。",
    err_max: "{field} 不能大于 {max}。",
    err_choice: "{field} 只能是：{choices}。",
    err_server: "服务器不接受 {field} 的值。",
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

// What a lesson's parameters and result keys mean, beside their names (which stay, as code:
// they are names in the lesson's code and in its result). A name not listed shows alone.
const NAMES = {
  en: {
    param_start_method: "start method",
    result_sync_seconds: "synchronous, seconds", result_async_seconds: "asynchronous, seconds",
    result_main_work_done_while_waiting: "main worked while waiting", result_children: "children",
    result_serial_seconds: "one by one, seconds", result_parallel_seconds: "all at once, seconds",
    result_parent_money: "parent's money", result_child_money: "child's money",
    result_max_depth: "deepest the queue got", result_maxsize: "queue capacity",
    result_empty_raised: "queue.Empty raised", result_order_kept: "first in, first out",
    result_pid_matches: "PIDs agree", result_alive_before: "alive before", result_alive_after: "alive after",
    result_exitcode: "exit code", result_produced: "produced", result_consumed: "consumed",
    result_daemon_finished: "daemon finished", result_daemon_alive_after_parent: "daemon alive after parent",
    result_zombie_seconds: "zombie for, seconds", result_reaped_by_join: "reaped by join()",
    result_orphan_pid: "orphan's PID", result_old_ppid: "old parent PID", result_new_ppid: "new parent PID",
    result_tickets_at_start: "tickets at start", result_sold: "sold", result_tickets_left: "tickets left",
    result_lock: "with a lock", result_clients: "clients", result_max_concurrent_handlers: "most handlers at once",
    result_echo_ok: "every echo correct",
  },
  zh: {
    param_speed: "速度", param_start_method: "启动方式", param_buyers: "购票人数", param_tickets: "票数",
    param_lock: "加锁", param_children: "子进程数", param_seconds: "秒数", param_child_seconds: "子进程秒数",
    param_child_sleep: "子进程睡眠秒数", param_parent_seconds: "父进程秒数", param_parent_sleep: "父进程睡眠秒数",
    param_task_seconds: "任务秒数", param_hold: "保持秒数", param_pause: "等待秒数", param_items: "条目数",
    param_producers: "生产者数", param_consumers: "消费者数", param_produce_seconds: "生产一个的秒数",
    param_consume_seconds: "消费一个的秒数", param_daemon_seconds: "守护进程秒数", param_clients: "客户端数",
    param_messages: "消息数",
    result_sync_seconds: "同步耗时（秒）", result_async_seconds: "异步耗时（秒）",
    result_main_work_done_while_waiting: "等待时主进程在干活", result_children: "子进程",
    result_serial_seconds: "逐个运行耗时（秒）", result_parallel_seconds: "同时运行耗时（秒）",
    result_parent_money: "父进程的钱", result_child_money: "子进程的钱",
    result_max_depth: "队列最大深度", result_maxsize: "队列容量",
    result_empty_raised: "抛出了队列空异常", result_order_kept: "先进先出",
    result_pid_matches: "各 PID 一致", result_alive_before: "之前存活", result_alive_after: "之后存活",
    result_exitcode: "退出码", result_produced: "生产数", result_consumed: "消费数",
    result_daemon_finished: "守护进程跑完了", result_daemon_alive_after_parent: "父进程结束后守护进程还活着",
    result_zombie_seconds: "僵尸状态时长（秒）", result_reaped_by_join: "被 join() 回收",
    result_orphan_pid: "孤儿进程 PID", result_old_ppid: "原父进程 PID", result_new_ppid: "新父进程 PID",
    result_tickets_at_start: "开始时票数", result_sold: "卖出", result_tickets_left: "剩余票数",
    result_lock: "加锁", result_clients: "客户端数", result_max_concurrent_handlers: "最多同时处理的进程",
    result_echo_ok: "回显全部正确",
  },
};

/** What a parameter or result key means in the page's language, or "" if it is not known. */
export function nameLabel(kind, name) {
  return NAMES[current][`${kind}_${name}`] ?? "";
}

/** Fill a template: "{field} must be at most {max}." with {field: "speed", max: 20}. */
export function fill(key, values) {
  return t(key).replace(/\{(\w+)\}/g, (m, name) => (name in values ? String(values[name]) : m));
}

/** The page's language as a BCP 47 tag, for Intl. */
export function locale() {
  return current === "zh" ? "zh-CN" : "en";
}

/** A clock time (Unix seconds) in the page's language: 19:04:40 in Chinese, 7:04:40 PM in English. */
export function formatTime(seconds, { date = false } = {}) {
  const options = { hour: "2-digit", minute: "2-digit", second: "2-digit" };
  if (date) Object.assign(options, { month: "short", day: "numeric" });
  return new Intl.DateTimeFormat(locale(), options).format(new Date(seconds * 1000));
}

/** A number in the page's language (the decimal mark, grouping). */
export function formatNumber(value, maximumFractionDigits = 3) {
  return new Intl.NumberFormat(locale(), { maximumFractionDigits, useGrouping: false }).format(value);
}

// The Latin words of a lesson's Chinese text that are code (the lesson's texts name its
// calls and classes: "put 一次就阻塞", "get_nowait() 抛出 queue.Empty"). A word of this shape
// or in this list is shown as code; any other Latin word stays plain text (and is a word a
// reader of Chinese should not find there).
const CODE_SHAPE = /[()._=\d]|^[A-Z][a-z]+[A-Z]|^[A-Z]{2,}$|^[A-Za-z]$/;
const CODE_WORDS = new Set([
  "Queue", "Process", "Lock", "Pool", "Pipe", "Event", "Semaphore", "multiprocessing", "os", "time",
  "put", "get", "join", "start", "run", "wait", "sleep", "terminate", "kill", "daemon", "fork",
  "spawn", "forkserver", "print", "json", "socket", "accept", "connect", "send", "recv", "self",
  "pid", "ppid", "True", "False", "None",
]);
const LATIN_RUN = /[A-Za-z_][\w.()=\-,'"[\]]*[\w)\]]|[A-Za-z]/g;

/** Is this Latin word of a Chinese text a piece of code? */
export function isCodeWord(word) {
  return CODE_SHAPE.test(word) || CODE_WORDS.has(word.replace(/[^\w]+$/, ""));
}

/** Set el's text with its code marked as code (<code>): what a text puts in `backticks`, and
 * in Chinese also the calls and names it mentions. */
export function setText(el, text) {
  const s = String(text ?? "");
  if (!s.includes("`") && (current !== "zh" || !/[A-Za-z]/.test(s))) {
    el.textContent = s;
    return;
  }
  el.replaceChildren();
  const code = (c) => {
    const node = document.createElement("code");
    node.className = "ident";
    node.textContent = c;
    el.append(node);
  };
  s.split("`").forEach((part, i) => {
    if (i % 2) return code(part);
    if (current !== "zh") return part && el.append(part);
    let at = 0;
    for (const m of part.matchAll(LATIN_RUN)) {
      if (!isCodeWord(m[0])) continue;
      if (m.index > at) el.append(part.slice(at, m.index));
      code(m[0]);
      at = m.index + m[0].length;
    }
    if (at < part.length) el.append(part.slice(at));
    return undefined;
  });
}
