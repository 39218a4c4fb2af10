"""Predict, then run: the presenter asks a lesson's question, viewers vote (app.predictions)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi import Path as PathParam

from app.deps import Presenter
from app.predictions import (
    VIEWER_COOKIE,
    Asked,
    Board,
    new_viewer_id,
    valid_viewer_id,
)
from app.schemas import (
    CONTROL,
    EVERY_REQUEST,
    QuestionCreate,
    QuestionPublic,
    VoteCreate,
    error_responses,
)

# Every route is async: the board lives on the event loop (its lobby messages, the runs'
# events), never touched from the thread pool FastAPI runs plain functions in.
router = APIRouter(prefix="/api/questions", tags=["questions"], responses=EVERY_REQUEST)

QuestionId = Annotated[str, PathParam(max_length=64)]
VIEWER_MAX_AGE = 30 * 24 * 3600  # a term's lectures on the same laptop


def get_board(request: Request) -> Board:
    board: Board = request.app.state.board
    return board


BoardDep = Annotated[Board, Depends(get_board)]


def viewer_of(request: Request) -> str | None:
    """The viewer the server named in its cookie (not an API parameter: the server sets it)."""
    viewer = request.cookies.get(VIEWER_COOKIE)
    return viewer if valid_viewer_id(viewer) else None


def public(asked: Asked, viewer: str | None = None) -> QuestionPublic:
    return QuestionPublic.model_validate(asked.public(viewer))


@router.post(
    "",
    status_code=201,
    response_model=QuestionPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 422)},
)
async def ask(body: QuestionCreate, board: BoardDep) -> QuestionPublic:
    """Ask the class one of a lesson's questions; the next run of that lesson answers it."""
    return public(board.open(body.lesson, body.question))


@router.get("/current", response_model=QuestionPublic, responses=error_responses(404, 422))
async def current(board: BoardDep, request: Request) -> QuestionPublic:
    """The question asked last (open, closed or revealed); ``mine``: this viewer's vote."""
    if board.current is None:
        raise HTTPException(404, {"field": "question", "message": "no question has been asked"})
    return public(board.current, viewer_of(request))


@router.get("/{question_id}", response_model=QuestionPublic, responses=error_responses(404, 422))
async def get_question(
    question_id: QuestionId, board: BoardDep, request: Request
) -> QuestionPublic:
    return public(board.get(question_id), viewer_of(request))


@router.post(
    "/{question_id}/close",
    response_model=QuestionPublic,
    dependencies=[Presenter],
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
async def close(question_id: QuestionId, board: BoardDep) -> QuestionPublic:
    """End the voting (a run of the question's lesson ends it too)."""
    return public(board.close(question_id))


@router.post(
    "/{question_id}/votes",
    status_code=201,
    response_model=QuestionPublic,
    responses={**CONTROL, **error_responses(404, 409, 422)},
)
async def vote(
    question_id: QuestionId,
    body: VoteCreate,
    board: BoardDep,
    request: Request,
    response: Response,
) -> QuestionPublic:
    """One vote per viewer: the server names each viewer (anonymous, random) in a cookie,
    ``procviz_viewer``, that it sets with the first vote."""
    viewer = viewer_of(request) or new_viewer_id()
    asked = board.vote(question_id, viewer, body.answer)
    response.set_cookie(
        VIEWER_COOKIE, viewer, max_age=VIEWER_MAX_AGE, httponly=True, samesite="strict"
    )
    return public(asked, viewer)
