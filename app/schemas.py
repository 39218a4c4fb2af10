"""Request and response models of the public API."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

SignalName = Literal["SIGTERM", "SIGKILL", "SIGSTOP", "SIGCONT", "SIGINT"]
StateName = Literal["starting", "running", "finished", "stopped", "failed"]


class RunCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lesson: str = Field(max_length=64, examples=["zombie"])
    params: dict[str, Any] = Field(default_factory=dict, examples=[{"speed": 2}])


class RunPublic(BaseModel):
    id: str
    lesson: str
    params: dict[str, Any]
    state: StateName
    started: float
    ended: float | None
    result: dict[str, Any] | None
    returncode: int | None = None
    stop_reason: str | None = None


class RunCreated(BaseModel):
    id: str
    lesson: str
    params: dict[str, Any]
    state: StateName
    ws: str


class SignalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pid: int = Field(gt=0)
    signal: SignalName


class LessonPublic(BaseModel):
    id: str
    chapter: str
    title: dict[str, str]
    summary: dict[str, str]
    watch: dict[str, str]
    punchline: dict[str, str]
    result_keys: list[str]
    params: dict[str, Any]


class LessonDetail(LessonPublic):
    source: str
    source_html: str


class ErrorDetail(BaseModel):
    field: str | None = None
    message: str


class Error(BaseModel):
    detail: ErrorDetail
