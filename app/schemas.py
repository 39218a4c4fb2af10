"""Request and response models of the public API."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictFloat,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from workers import catalog

MAX_PID = 1 << 22  # Linux's PID_MAX_LIMIT: no process has a larger PID
SignalName = Literal["SIGTERM", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGINT"]
StateName = Literal["starting", "running", "finished", "stopped", "failed", "interrupted"]


def _has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def surrogate_at(value: Any) -> str | None:
    """The dotted path of the first string (or key) that is not valid Unicode, if any."""
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        path, item = stack.pop()
        if isinstance(item, str) and _has_surrogate(item):
            return path or "body"
        if isinstance(item, dict):
            for key, child in item.items():
                if isinstance(key, str) and _has_surrogate(key):
                    return path or "body"
                stack.append((f"{path}.{key}" if path else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{path}.{i}" if path else str(i), c) for i, c in enumerate(item))
    return None


class JsonBody(BaseModel):
    """A request body: unknown keys refused, and text that is not valid Unicode too."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _valid_unicode(cls, data: Any) -> Any:
        # json.loads lets "\ud800" through; it could never be written back as UTF-8.
        where = surrogate_at(data)
        if where is not None:
            raise PydanticCustomError(
                "unicode", "not valid Unicode text (a lone surrogate)", {"field": where}
            )
        return data


def _lesson_variants(schema: dict[str, Any]) -> None:
    """``params`` as each lesson's (or a program's) own schema says; a lesson or a program.

    The other one may be absent or null, as the server reads it: ``{"program": null}``
    alone is no run at all.
    """
    schema["oneOf"] = [
        {
            "properties": {
                "lesson": {"const": lesson_id},
                "program": {"type": "null"},
                "params": entry.lesson.schema(),
            },
            "required": ["lesson"],
        }
        for lesson_id, entry in catalog.registry().items()
    ] + [
        {
            "properties": {
                "lesson": {"type": "null"},
                "program": {"type": "object"},
                "params": program_params_schema(),
            },
            "required": ["program"],
        }
    ]


def program_params_schema() -> dict[str, Any]:
    from app.programs import PARAMS

    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {name: p.schema() for name, p in PARAMS.items()},
    }


class ProgramIn(BaseModel):
    """A program of the user's own: its files by relative name, the one to run, its argv."""

    model_config = ConfigDict(extra="forbid")

    files: dict[str, str] = Field(
        examples=[{"main.py": "print('hello')", "data.json": '{"ticket_num": 1}'}]
    )
    entry: str | None = Field(default=None, max_length=200, examples=["main.py"])
    argv: list[str] = Field(default_factory=list)


class RunCreate(JsonBody):
    """A built-in lesson (``lesson``) or a program of the user's own (``program``)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_lesson_variants)

    lesson: str | None = Field(default=None, max_length=64, examples=["zombie"])
    program: ProgramIn | None = None
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"speed": 2}])

    @model_validator(mode="after")
    def _one_of(self) -> RunCreate:
        if (self.lesson is None) == (self.program is None):
            raise PydanticCustomError(
                "one_of", "give either a lesson or a program", {"field": "lesson"}
            )
        return self


class ProgramPublic(BaseModel):
    entry: str
    argv: list[str]
    files: dict[str, str]


class RunPublic(BaseModel):
    id: str
    lesson: str | None
    params: dict[str, Any]
    state: StateName
    started: float
    ended: float | None
    result: dict[str, Any] | None
    returncode: int | None = None
    stop_reason: str | None = None
    program: ProgramPublic | None = None
    frozen: bool = False
    frozen_seconds: float = 0.0
    breakpoints: list[Breakpoint] = Field(default_factory=list)


class RunCreated(BaseModel):
    id: str
    lesson: str | None
    params: dict[str, Any]
    state: StateName
    ws: str


class StepRequest(JsonBody):
    """Step mode: which process goes on (``null``: every one held), and how far."""

    pid: int | None = Field(default=None, gt=0, le=MAX_PID)
    mode: Literal["line", "event", "run"] = "line"


class StepSent(BaseModel):
    run: str
    mode: str
    pids: list[int]


class Breakpoint(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = Field(max_length=200, examples=["main.py"])
    line: int = Field(gt=0, le=1_000_000)


class BreakpointsRequest(JsonBody):
    lines: list[Breakpoint] = Field(max_length=200)


class SignalRequest(JsonBody):
    pid: int = Field(gt=0, le=MAX_PID)
    signal: SignalName


class SignalSent(BaseModel):
    run: str
    pid: int
    signal: SignalName
    sent: bool


class ProcessDetail(BaseModel):
    """A process record (the WebSocket's ``P``) and its command line."""

    model_config = ConfigDict(extra="allow")  # the record may grow fields

    pid: int
    ppid: int
    name: str
    label: str
    status: str
    cpu_percent: float
    rss: int
    threads: int
    create_time: float
    cmdline: list[str]


class RecordingSummary(BaseModel):
    id: str
    lesson: str | None
    params: dict[str, Any] | None
    state: str | None
    started: float | None
    ended: float | None
    result: dict[str, Any] | None
    size: int


class Health(BaseModel):
    status: Literal["ok"]
    active_runs: int
    role: Literal["presenter", "replica"] = "presenter"
    # With PROCVIZ_REDIS_URL: "ok", or why publishing to (or reading from) Redis fails.
    redis: str | None = None


class ChoicePublic(BaseModel):
    id: str
    text: dict[str, str]


class QuestionSpec(BaseModel):
    """A question a lesson asks before Run (``workers.questions``), as the page offers it."""

    id: str
    kind: Literal["number", "choice"]
    text: dict[str, str]
    unit: dict[str, str] | None = None
    minimum: float | None = None
    maximum: float | None = None
    step: float | None = None
    choices: list[ChoicePublic] = Field(default_factory=list)
    answer_from: str  # "result.<key>" or "first-line"


def _question_variants(schema: dict[str, Any]) -> None:
    """``question`` as each lesson's own list says (a lesson without questions: none)."""
    schema["oneOf"] = [
        {
            "properties": {
                "lesson": {"const": lesson_id},
                "question": {"enum": [q.id for q in entry.lesson.questions]},
            },
        }
        for lesson_id, entry in catalog.registry().items()
        if entry.lesson.questions
    ]


class QuestionCreate(JsonBody):
    """Ask the class one of a lesson's questions (it becomes the current one)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=_question_variants)

    lesson: str = Field(max_length=64, examples=["ticket-race"])
    question: str = Field(max_length=64, examples=["sold"])


ChoiceId = Annotated[str, StringConstraints(strict=True, max_length=64)]


class VoteCreate(JsonBody):
    """A viewer's answer: a number on the question's scale, or a choice's id."""

    answer: StrictInt | StrictFloat | ChoiceId = Field(examples=[3, "main"])

    @model_validator(mode="before")
    @classmethod
    def _one_answer(cls, data: Any) -> Any:
        # One message for a wrong type, not one per member of the union ("answer.int").
        answer = data.get("answer") if isinstance(data, dict) else None
        if answer is not None and (
            isinstance(answer, bool) or not isinstance(answer, int | float | str)
        ):
            raise PydanticCustomError(
                "answer", "must be a number or a choice's id (a string)", {"field": "answer"}
            )
        return data


class QuestionPublic(QuestionSpec):
    """A question as asked: the counts per key (never who voted), and the run's answer."""

    id: str  # of this asking ("q-…"); ``key`` is the lesson's question id
    lesson: str
    key: str
    state: Literal["open", "closed", "revealed"]
    opened: float
    closed: float | None
    run: str | None  # the run that took it (voting ends when it starts)
    votes: int
    counts: dict[str, int]  # every choice's id, or every number on the scale → votes
    answer: Any = None  # what the run said (a result's value, or the first line)
    answer_key: str | None = None  # where that falls among ``counts``
    correct: int | None = None  # the votes for ``answer_key``
    mine: str | None = None  # the key the asking viewer voted for


class LessonPublic(BaseModel):
    id: str
    chapter: str
    title: dict[str, str]
    summary: dict[str, str]
    watch: dict[str, str]
    punchline: dict[str, str]
    result_keys: list[str]
    params: dict[str, Any]
    questions: list[QuestionSpec] = Field(default_factory=list)  # to ask before Run
    builtin: bool = True  # False: a lesson of the user's own (GET/PUT/DELETE /api/lessons/{id})


class LessonDetail(LessonPublic):
    source: str  # the entry file's text
    source_html: str
    files: dict[str, str] = Field(default_factory=dict)  # the program: name → text
    entry: str = "main.py"


class LessonTitle(BaseModel):
    model_config = ConfigDict(extra="forbid")

    en: str | None = Field(default=None, max_length=200)
    zh: str | None = Field(default=None, max_length=200)


class LessonUpdate(JsonBody):
    """A lesson of the user's own: its program (checked as a run's) and an optional title."""

    title: LessonTitle | None = None
    files: dict[str, str] = Field(
        examples=[{"main.py": "print('hello')", "data.json": '{"ticket_num": 1}'}]
    )
    entry: str | None = Field(default=None, max_length=200, examples=["main.py"])


class LessonCreate(LessonUpdate):
    """As an update; the id is given or made from the title."""

    id: str | None = Field(
        default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9-]*$", examples=["my-tickets"]
    )


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class Error(BaseModel):
    detail: ErrorDetail


ERROR_TEXT = {
    400: "the Host header names no host of this server, or the body is not UTF-8 JSON",
    401: "the presenter token is required (control beyond loopback, or a configured token)",
    403: "a cross-site request: the Origin or Sec-Fetch-Site header names another site; "
    "or control sent to a viewer replica (`field`: role)",
    404: "no such run, lesson, process or question",
    409: "the run has already ended; or a lesson of that id exists, or is built in (read-only); "
    "or a second vote, or a vote on a closed question; "
    "or what only the presenter server has, asked of a viewer replica (`field`: role)",
    413: "the request body is over the limit",
    422: "invalid input; `field` names what to fix",
    429: "too many control requests from this address (see Retry-After), or too many runs",
    503: "a viewer replica that cannot read from Redis (`field`: redis)",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for these statuses, each with the one ``Error`` body."""
    return {status: {"model": Error, "description": ERROR_TEXT[status]} for status in statuses}


# What the middlewares in app/security.py answer: the Host check on every request; on a
# request that changes something also the Origin check, the body limit and the rate limit.
EVERY_REQUEST = error_responses(400)
CONTROL = error_responses(400, 401, 403, 413, 429)
