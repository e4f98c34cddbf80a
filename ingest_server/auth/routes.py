"""Admin endpoints (users, devices) and `me`."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request
from sqlalchemy import select

from ingest_server.auth import service
from ingest_server.auth.models import User
from ingest_server.auth.schemas import (
    DeviceCreate,
    DeviceEnrolled,
    DevicePublic,
    Me,
    UserCreate,
    UserCreated,
    UserPublic,
)
from ingest_server.deps import AdminPrincipal, AnyPrincipal, SessionDep, source_address
from ingest_server.devices.models import Device
from ingest_server.errors import ErrorOut

router = APIRouter(prefix="/api/v1", tags=["people and devices"])
ERRORS = {code: {"model": ErrorOut} for code in (401, 403, 409, 422)}


@router.get("/me", name="auth.me", summary="Who am I", response_model=Me, responses=ERRORS)
def me(principal: AnyPrincipal) -> Me:
    return Me(
        kind=principal.kind,
        id=principal.id,
        name=principal.name,
        role=principal.role.value,
        officer_id=principal.officer_id,
        vehicle_id=principal.vehicle_id,
    )


@router.post(
    "/users",
    name="users.create",
    summary="Create a user (token shown once)",
    status_code=201,
    response_model=UserCreated,
    responses=ERRORS,
)
def create_user(
    body: UserCreate, request: Request, session: SessionDep, admin: AdminPrincipal
) -> UserCreated:
    try:
        user, token = service.create_user(
            session=session,
            username=body.username,
            role=body.role,
            officer_id=body.officer_id,
            actor=admin.label,
            source=source_address(request),
        )
    except service.DuplicateNameError as exc:
        raise HTTPException(409, str(exc)) from exc
    return UserCreated(user=UserPublic.model_validate(user), token=token)


@router.get(
    "/users", name="users.list", summary="List users", response_model=list[UserPublic], responses=ERRORS
)
def list_users(session: SessionDep, admin: AdminPrincipal) -> list[UserPublic]:
    users = session.execute(select(User).order_by(User.username).limit(10_000)).scalars()
    return [UserPublic.model_validate(u) for u in users]


@router.post(
    "/devices",
    name="devices.enroll",
    summary="Enroll a device (token shown once)",
    status_code=201,
    response_model=DeviceEnrolled,
    responses=ERRORS,
)
def enroll_device(
    body: DeviceCreate, request: Request, session: SessionDep, admin: AdminPrincipal
) -> DeviceEnrolled:
    try:
        device, token = service.enroll_device(
            session=session,
            name=body.name,
            vehicle_id=body.vehicle_id,
            actor=admin.label,
            source=source_address(request),
        )
    except service.DuplicateNameError as exc:
        raise HTTPException(409, str(exc)) from exc
    return DeviceEnrolled(device=DevicePublic.model_validate(device), token=token)


@router.get(
    "/devices",
    name="devices.list",
    summary="List devices",
    response_model=list[DevicePublic],
    responses=ERRORS,
)
def list_devices(session: SessionDep, admin: AdminPrincipal) -> list[DevicePublic]:
    devices = session.execute(select(Device).order_by(Device.name).limit(10_000)).scalars()
    return [DevicePublic.model_validate(d) for d in devices]
