// The lesson being watched, above its code: chapter and title, and what it shows, in the
// page's language. (The lesson list with the same text is folded away while a run is watched.)

import { lessonHeading } from "./controls.js";
import { pick, setText } from "./i18n.js";

export class LessonBrief {
  constructor(el) {
    this.el = el;
    this.heading = el.querySelector("h2");
    this.summary = el.querySelector("p");
  }

  show(lesson) {
    this.el.hidden = !lesson;
    if (!lesson) return;
    this.el.dataset.lesson = lesson.id;
    setText(this.heading, lessonHeading(lesson));
    setText(this.summary, pick(lesson.summary));
  }
}
